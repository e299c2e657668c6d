#!/usr/bin/python3
"""drgn-check.py - open a dump with drgn (an independent consumer) and check it reads.

Usage: /usr/bin/python3 drgn-check.py [--vmlinux PATH] [--osrelease STR] [--min-tasks N]
                                      [--dmesg N] DUMP

Without --vmlinux: the dump must open as a Linux kernel core, with a known platform and
an OSRELEASE (drgn's UTS_RELEASE object, taken from VMCOREINFO) and PAGE_SIZE.
With --vmlinux: also load the debug info and check that the crashed thread has a stack
trace, that init_task.comm is "swapper/0", that jiffies_64 and linux_banner read, and
that the task list walks (at least --min-tasks tasks, default 1). --dmesg N prints the
last N kernel log lines.
Each check prints "pass: WHAT" or "FAIL: WHAT: detail" (deliberately not TAP's "ok -", so a
test script that shows this output is not counted as many tests); context lines start with '#'.
Exit status: 0 all checks passed, 1 a check failed, 77 drgn is not available.
Run it with /usr/bin/python3 (Debian's python3-drgn).
"""

import argparse
import sys

try:
    import drgn
except ImportError:
    print("drgn-check: skip: cannot import drgn (run with /usr/bin/python3, "
          "package python3-drgn)", file=sys.stderr)
    sys.exit(77)


class Checker:
    def __init__(self):
        self.failed = 0

    def ok(self, cond, what, detail=""):
        print("%s %s%s" % ("pass:" if cond else "FAIL:", what, (": " + detail) if detail else ""))
        if not cond:
            self.failed += 1
        return cond

    def attempt(self, what, fn):
        """Run fn(); a drgn error or a false result is a failed check."""
        try:
            result = fn()
        except Exception as e:  # drgn.FaultError, LookupError, ValueError, ...
            self.ok(False, what, "%s: %s" % (type(e).__name__, e))
            return None
        return result


def check_basic(c, prog, want_release):
    c.ok(bool(prog.flags & drgn.ProgramFlags.IS_LINUX_KERNEL), "is a Linux kernel core",
         str(prog.flags))
    c.ok(prog.platform is not None and prog.platform.arch != drgn.Architecture.UNKNOWN,
         "platform known", str(prog.platform))
    release = c.attempt("UTS_RELEASE (VMCOREINFO OSRELEASE) reads",
                        lambda: prog["UTS_RELEASE"].string_().decode())
    if release is not None:
        c.ok(bool(release), "OSRELEASE not empty", release)
        if want_release:
            c.ok(release == want_release, "OSRELEASE is %s" % want_release, release)
    page_size = c.attempt("PAGE_SIZE reads", lambda: prog["PAGE_SIZE"].value_())
    if page_size is not None:
        c.ok(page_size > 0 and page_size & (page_size - 1) == 0, "PAGE_SIZE is a power of two",
             str(page_size))
    return release


def check_debug(c, prog, release, min_tasks, dmesg_lines):
    thread = c.attempt("crashed thread found", prog.crashed_thread)
    if thread is not None:
        comm = c.attempt("crashed task comm reads", lambda: thread.object.comm.string_().decode())
        print("# crashed thread: tid %d comm %s" % (thread.tid, comm))
        trace = c.attempt("crashed thread stack trace", thread.stack_trace)
        if trace is not None:
            print("\n".join("# " + line for line in str(trace).splitlines()))
            c.ok(len(trace) > 0, "stack trace has frames", "%d frames" % len(trace))
            names = [f.name for f in trace if f.name]
            c.ok(any(n in ("panic", "__crash_kexec", "crash_kexec", "sysrq_handle_crash")
                     for n in names), "stack trace passes through panic/crash_kexec",
                 ", ".join(names[:6]))
    comm = c.attempt("init_task.comm reads", lambda: prog["init_task"].comm.string_().decode())
    if comm is not None:
        c.ok(comm == "swapper/0", "init_task.comm is swapper/0", comm)
    jiffies = c.attempt("jiffies_64 reads", lambda: prog["jiffies_64"].value_())
    if jiffies is not None:
        c.ok(jiffies > 0, "jiffies_64 is positive", str(jiffies))
    banner = c.attempt("linux_banner reads", lambda: prog["linux_banner"].string_().decode())
    if banner is not None:
        print("# " + banner.strip())
        if release:
            c.ok(release in banner, "linux_banner names OSRELEASE")

    def count_tasks():
        from drgn.helpers.linux.pid import for_each_task
        return sum(1 for _ in for_each_task(prog))
    ntasks = c.attempt("task list walks", count_tasks)
    if ntasks is not None:
        c.ok(ntasks >= min_tasks, "at least %d task(s)" % min_tasks, "%d tasks" % ntasks)
    if dmesg_lines:
        def dmesg():
            from drgn.helpers.linux.printk import get_dmesg
            return get_dmesg(prog).decode(errors="replace").splitlines()
        lines = c.attempt("kernel log reads", dmesg)
        if lines is not None:
            c.ok(len(lines) > 0, "kernel log not empty", "%d lines" % len(lines))
            for line in lines[-dmesg_lines:]:
                print("# " + line)


def main():
    ap = argparse.ArgumentParser(description="Open a kernel dump with drgn and check it reads.")
    ap.add_argument("dump")
    ap.add_argument("--vmlinux", help="vmlinux with debug info (enables the deep checks)")
    ap.add_argument("--osrelease", help="expected OSRELEASE")
    ap.add_argument("--min-tasks", type=int, default=1)
    ap.add_argument("--dmesg", type=int, default=0, metavar="N",
                    help="print the last N kernel log lines (needs --vmlinux)")
    args = ap.parse_args()

    c = Checker()
    prog = drgn.Program()
    try:
        prog.set_core_dump(args.dump)
    except Exception as e:  # drgn raises plain Exception subclasses for format errors
        print("FAIL: drgn opens %s: %s: %s" % (args.dump, type(e).__name__, e))
        print("drgn-check: FAIL")
        return 1
    c.ok(True, "drgn opens %s" % args.dump)
    release = check_basic(c, prog, args.osrelease)
    if args.vmlinux:
        try:
            prog.load_debug_info([args.vmlinux])
        except drgn.MissingDebugInfoError as e:
            c.ok(False, "debug info loads", str(e))
        else:
            c.ok(True, "debug info loads", args.vmlinux)
            check_debug(c, prog, release, args.min_tasks, args.dmesg)
    print("drgn-check: %s (%d failed)" % ("PASS" if not c.failed else "FAIL", c.failed))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
