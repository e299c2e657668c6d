#!/usr/bin/python3
"""kmem.py - where the dead kernel's own structures sit in an x86_64 ELF vmcore.

Our own reader (standard library only, independent of formats/ and filters/), for the
fault-injection tests: they make reads of these pages fail or overwrite them with garbage.

  kmem.py offset VMCORE PFN...        file offset of each pfn's page ("-" if not in the file)
  kmem.py where VMCORE PFN...         for each pfn: "PFN SP_PFN SP_OFF": the pfn and file
                                      offset of the page holding its struct page
  kmem.py roots VMCORE                "ROOTS_PFN OFFSET": the page holding the mem_section
                                      root array (SYMBOL(mem_section), SPARSEMEM_EXTREME)
  kmem.py sections VMCORE PFN         "PFN OFFSET" of the page of mem_section entries of PFN
  kmem.py pgtables VMCORE PFN         "LEVEL PFN OFFSET" of each page-table page walked to
                                      translate the struct page address of PFN (pgd, pud, pmd[, pte])
  kmem.py garbage FILE SEED OFF...    overwrite the 4 KiB page at each file offset with
                                      pseudo-random bytes (deterministic for SEED)
Numbers are printed in hex with 0x, file offsets in decimal.
"""

import random
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4
KTEXT = 0xffffffff80000000


class Vmcore:
    def __init__(self, path):
        self.f = open(path, "rb")
        h = self.f.read(64)
        if h[:4] != b"\x7fELF" or h[4] != 2 or h[5] != 1:
            raise SystemExit("kmem.py: not a little-endian ELF64 vmcore")
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        self.f.seek(phoff)
        ph = self.f.read(phentsize * phnum)
        self.loads, self.vi = [], {}
        self.page_offset = None
        for i in range(phnum):
            typ, _, off, vaddr, paddr, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", ph, i * phentsize)
            if typ == PT_LOAD:
                self.loads.append((paddr, off, filesz))
                if 0xffff800000000000 <= vaddr < KTEXT:
                    self.page_offset = vaddr - paddr
            elif typ == PT_NOTE:
                self._notes(off, filesz)
        self.page = int(self.vi.get("PAGESIZE", "4096"))

    def _notes(self, off, size):
        self.f.seek(off)
        b = self.f.read(size)
        pos = 0
        while pos + 12 <= len(b):
            nsz, dsz, _ = struct.unpack_from("<III", b, pos)
            name = b[pos + 12:pos + 12 + nsz].rstrip(b"\0")
            d0 = pos + 12 + (nsz + 3) // 4 * 4
            if name == b"VMCOREINFO":
                for line in b[d0:d0 + dsz].decode("ascii", "replace").splitlines():
                    k, _, v = line.partition("=")
                    self.vi[k] = v
            pos = d0 + (dsz + 3) // 4 * 4

    def num(self, key, base=10):
        return int(self.vi[key], base)

    def offset(self, paddr):
        # lowest start first, as formats/physmap.c trims the kernel-text PT_LOAD (a second
        # view of RAM another PT_LOAD holds): its file bytes are never read
        for p, off, sz in sorted(self.loads):
            if p <= paddr < p + sz:
                return off + paddr - p
        return None

    def read(self, paddr, n):
        off = self.offset(paddr)
        if off is None:
            raise SystemExit("kmem.py: physical %#x is not in the vmcore" % paddr)
        self.f.seek(off)
        return self.f.read(n)

    def u64(self, paddr):
        return struct.unpack("<Q", self.read(paddr, 8))[0]

    def pgtables(self, vaddr):
        """[(level, table_paddr)], paddr of vaddr"""
        if self.num("NUMBER(pgtable_l5_enabled)") != 0:
            raise SystemExit("kmem.py: 5-level page tables are not handled")
        table = self.num("SYMBOL(init_top_pgt)", 16) - KTEXT + self.num("NUMBER(phys_base)")
        walked = []
        for level, shift in (("pgd", 39), ("pud", 30), ("pmd", 21), ("pte", 12)):
            walked.append((level, table))
            e = self.u64(table + ((vaddr >> shift) & 511) * 8)
            if not e & 1:
                raise SystemExit("kmem.py: %#x not mapped at %s" % (vaddr, level))
            base = e & 0x000ffffffffff000
            if level != "pte" and level != "pgd" and e & 0x80:
                return walked, (base & ~((1 << shift) - 1)) + (vaddr & ((1 << shift) - 1))
            if level == "pte":
                return walked, base + (vaddr & 4095)
            table = base
        raise AssertionError

    def vtop(self, vaddr):
        if self.page_offset and self.page_offset <= vaddr < self.page_offset + (1 << 46):
            return vaddr - self.page_offset
        return self.pgtables(vaddr)[1]

    def roots_paddr(self):
        return self.vtop(self.num("SYMBOL(mem_section)", 16))

    def section_paddr(self, pfn):
        nr = pfn >> (self.num("NUMBER(SECTION_SIZE_BITS)") - 12)
        ms_size = self.num("SIZE(mem_section)")
        per_root = self.page // ms_size
        root = self.u64(self.roots_paddr() + (nr // per_root) * 8)
        return self.vtop(root + (nr % per_root) * ms_size)

    def struct_page_vaddr(self, pfn):
        ms = self.section_paddr(pfn)
        smm = self.u64(ms + self.num("OFFSET(mem_section.section_mem_map)"))
        return (smm & ~0x3f) + pfn * self.num("SIZE(page)")


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    cmd = argv[1]
    if cmd == "garbage":
        rnd = random.Random(int(argv[3]))
        with open(argv[2], "r+b") as f:
            for o in argv[4:]:
                f.seek(int(o, 0))
                f.write(bytes(rnd.getrandbits(8) for _ in range(4096)))
        return
    vc = Vmcore(argv[2])
    args = [int(a, 0) for a in argv[3:]]
    if cmd == "offset":
        for pfn in args:
            off = vc.offset(pfn * vc.page)
            print("-" if off is None else off)
    elif cmd == "where":
        for pfn in args:
            pa = vc.vtop(vc.struct_page_vaddr(pfn))
            print("%#x %#x %d" % (pfn, pa // vc.page, vc.offset(pa // vc.page * vc.page)))
    elif cmd == "roots":
        pa = vc.roots_paddr() // vc.page * vc.page
        print("%#x %d" % (pa // vc.page, vc.offset(pa)))
    elif cmd == "sections":
        pa = vc.section_paddr(args[0]) // vc.page * vc.page
        print("%#x %d" % (pa // vc.page, vc.offset(pa)))
    elif cmd == "pgtables":
        walked, _ = vc.pgtables(vc.struct_page_vaddr(args[0]))
        for level, t in walked:
            print("%s %#x %d" % (level, t // vc.page, vc.offset(t)))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
