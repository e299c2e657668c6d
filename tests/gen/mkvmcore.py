#!/usr/bin/python3
"""mkvmcore.py - build a small synthetic ELF vmcore (ET_CORE) from a text spec.

Usage: mkvmcore.py [--pfns KIND=FILE]... [--set KEY=VALUE]... SPEC OUT

The spec language is documented in tests/gen/README.md. KIND for --pfns is one of
present (every pfn a PT_LOAD stores), nonzero (present pfns whose content is not all
zero), zero, class:NAME (pfns given that class by a 'pages' line) or expect:LEVEL (the
non-zero pages a dump at that level keeps); FILE receives one lowercase hex pfn per
line, sorted ascending.
--set overrides/adds a header key as if it were written at the end of the spec.
Exit status: 0 on success, 1 on a bad spec or I/O error (message on stderr).
"""

import os
import random
import struct
import sys

EM = {"x86_64": 62, "i386": 3, "aarch64": 183}
# sizeof(struct elf_prstatus) and offsetof(pr_pid) for each machine/class
PRSTATUS = {("x86_64", 64): (336, 32), ("i386", 32): (144, 24), ("aarch64", 64): (392, 32)}
DEFAULT_PAGE_OFFSET = {("x86_64", 64): 0xFFFF888000000000, ("i386", 32): 0xC0000000,
                       ("aarch64", 64): 0xFFFF000000000000}
PT_LOAD, PT_NOTE = 1, 4
NT_PRSTATUS = 1
PATTERN_MAGIC = 0x4B44 << 48  # "KD" in the top 16 bits of every pattern word


class SpecError(Exception):
    pass


def parse_int(text, what):
    try:
        return int(text, 0)
    except ValueError:
        raise SpecError("%s: not a number: '%s'" % (what, text)) from None


class Fill:
    """Content of pages: zero, pattern, byte:N, word:N, random[:SEED], text:STRING."""

    def __init__(self, text, page_size, where):
        self.text = text
        self.page_size = page_size
        kind, _, arg = text.partition(":")
        self.kind = kind
        if kind in ("zero", "pattern"):
            if arg:
                raise SpecError("%s: fill=%s takes no argument" % (where, kind))
        elif kind == "byte":
            self.value = parse_int(arg, where)
            if not 0 <= self.value <= 255:
                raise SpecError("%s: byte value out of range" % where)
            self.const = bytes([self.value]) * page_size
        elif kind == "word":
            self.value = parse_int(arg, where) & (2**64 - 1)
            self.const = struct.pack("<Q", self.value) * (page_size // 8)
        elif kind == "random":
            self.seed = parse_int(arg, where) if arg else 1
        elif kind == "text":
            if not arg:
                raise SpecError("%s: fill=text: needs a string" % where)
            raw = arg.encode()
            self.const = (raw * (page_size // len(raw) + 1))[:page_size]
        else:
            raise SpecError("%s: unknown fill '%s'" % (where, text))

    def is_zero(self):
        if self.kind == "zero":
            return True
        if self.kind in ("byte", "word"):
            return self.value == 0
        return False

    def page(self, pfn):
        """Return the page's bytes, or None for an all-zero page."""
        if self.is_zero():
            return None
        if self.kind == "pattern":
            base = PATTERN_MAGIC | (pfn << 9)
            words = self.page_size // 8
            return struct.pack("<%dQ" % words, *[(base + i) & (2**64 - 1) for i in range(words)])
        if self.kind == "random":
            return random.Random(self.seed * 1000003 + pfn).randbytes(self.page_size)
        return self.const


def x86_64_map_pokes(where, pgd, vaddr, paddr, size, tables):
    """Page-table entries mapping [vaddr, vaddr+size) to paddr with 2 MiB pages, as pokes.

    PGD at physical pgd (4-level paging); a PUD page at tables and a PMD page at
    tables+4096. The range must be 2 MiB aligned and stay inside one 1 GiB PUD entry.
    """
    two_m = 1 << 21
    if vaddr % two_m or paddr % two_m or size % two_m or size <= 0:
        raise SpecError("%s: x86_64_map: vaddr, paddr and size must be 2 MiB aligned" % where)
    if (vaddr >> 30) != ((vaddr + size - 1) >> 30):
        raise SpecError("%s: x86_64_map: the range must stay inside one 1 GiB region" % where)
    if pgd % 4096 or tables % 4096:
        raise SpecError("%s: x86_64_map: pgd and tables must be page aligned" % where)
    idx = lambda shift: (vaddr >> shift) & 511
    table_flags = 0x63          # present, writable, accessed, dirty
    large_flags = 0xE3          # ... plus PSE (2 MiB page)
    pokes = [(where, pgd + idx(39) * 8, "u64:%#x" % (tables | table_flags)),
             (where, tables + idx(30) * 8, "u64:%#x" % ((tables + 4096) | table_flags))]
    for i in range(size // two_m):
        pokes.append((where, tables + 4096 + (idx(21) + i) * 8,
                      "u64:%#x" % ((paddr + i * two_m) | large_flags)))
    return pokes


class Spec:
    HEADER_KEYS = {"class", "machine", "endian", "page_size", "phoff", "noteoff", "align",
                   "cpus", "pids", "vmcoreinfo", "vmcoreinfo.set", "vmcoreinfo.del",
                   "vmcoreinfo.append", "page_offset", "truncate", "phnum", "note.corrupt",
                   "e_type"}
    MULTI_KEYS = {"vmcoreinfo.set", "vmcoreinfo.del", "vmcoreinfo.append"}

    def __init__(self):
        self.hdr = {}
        self.multi = {k: [] for k in self.MULTI_KEYS}
        self.loads = []   # {"where", "addr", "attrs"} per load line, in spec order
        self.rules = []   # {"where", "addr", "attrs"} per @ content line, in spec order
        self.pokes = []   # (line, physical address, KIND:VALUE)
        self.mem_section = None   # (line, root address, attrs)
        self.page_classes = []    # (line, first address, attrs)
        self.spec_dir = "."

    def set_key(self, key, value, where):
        if key not in self.HEADER_KEYS:
            raise SpecError("%s: unknown key '%s'" % (where, key))
        if key in self.MULTI_KEYS:
            self.multi[key].append(value)
        else:
            self.hdr[key] = value


def parse_attrs(words, where):
    attrs = {}
    for w in words:
        k, eq, v = w.partition("=")
        if not eq:
            raise SpecError("%s: expected KEY=VALUE, got '%s'" % (where, w))
        if k in attrs:
            raise SpecError("%s: '%s' given twice" % (where, k))
        attrs[k] = v
    return attrs


def parse_spec(path, overrides):
    spec = Spec()
    spec.spec_dir = os.path.dirname(os.path.abspath(path))
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for n, raw in enumerate(lines, 1):
        where = "%s:%d" % (path, n)
        line = raw.strip()
        if not line.startswith("vmcoreinfo") and not line.startswith("poke"):
            line = line.split("#", 1)[0].strip()
        if line.startswith("#") or not line:
            continue
        words = line.split()
        if words[0] == "poke":
            words = line.split(None, 2)   # the value may contain blanks
            if len(words) != 3 or not words[1].startswith("@"):
                raise SpecError("%s: expected 'poke @ADDRESS KIND:VALUE'" % where)
            spec.pokes.append((where, parse_int(words[1][1:], where), words[2]))
        elif words[0] == "x86_64_map":
            if len(words) < 2 or not words[1].startswith("@"):
                raise SpecError("%s: expected 'x86_64_map @PGD vaddr= paddr= size= tables='" % where)
            attrs = parse_attrs(words[2:], where)
            if set(attrs) != {"vaddr", "paddr", "size", "tables"}:
                raise SpecError("%s: x86_64_map needs exactly vaddr= paddr= size= tables=" % where)
            vals = {k: parse_int(v, where) for k, v in attrs.items()}
            spec.pokes.extend(x86_64_map_pokes(where, parse_int(words[1][1:], where), **vals))
        elif words[0] in ("mem_section", "pages"):
            if len(words) < 2 or not words[1].startswith("@"):
                raise SpecError("%s: expected '%s @ADDRESS KEY=VALUE...'" % (where, words[0]))
            attrs = parse_attrs(words[2:], where)
            need = {"mem_section": {"sections", "vmemmap", "backing"}, "pages": {"pages", "class"}}
            if set(attrs) != need[words[0]]:
                raise SpecError("%s: %s needs exactly %s" % (where, words[0],
                                                            " ".join(k + "=" for k in sorted(need[words[0]]))))
            item = (where, parse_int(words[1][1:], where), attrs)
            if words[0] == "mem_section":
                if spec.mem_section:
                    raise SpecError("%s: mem_section given twice" % where)
                spec.mem_section = item
            else:
                spec.page_classes.append(item)
        elif words[0] == "load" or words[0].startswith("@"):
            is_load = words[0] == "load"
            if is_load:
                words = words[1:]
            if not words or not words[0].startswith("@"):
                raise SpecError("%s: expected @ADDRESS" % where)
            addr = parse_int(words[0][1:], where)
            attrs = parse_attrs(words[1:], where)
            allowed = {"pages", "size", "fill"} | ({"vaddr", "filepages"} if is_load else set())
            for k in attrs:
                if k not in allowed:
                    raise SpecError("%s: unknown attribute '%s'" % (where, k))
            if ("pages" in attrs) == ("size" in attrs):
                raise SpecError("%s: give exactly one of pages= or size=" % where)
            item = {"where": where, "addr": addr, "attrs": attrs}
            (spec.loads if is_load else spec.rules).append(item)
            if not is_load and "fill" not in attrs:
                raise SpecError("%s: a content line needs fill=" % where)
        elif "=" in line:
            key, _, value = line.partition("=")
            spec.set_key(key.strip(), value.strip(), where)
        else:
            raise SpecError("%s: cannot parse '%s'" % (where, raw))
    for o in overrides:
        key, eq, value = o.partition("=")
        if not eq:
            raise SpecError("--set: expected KEY=VALUE, got '%s'" % o)
        spec.set_key(key.strip(), value.strip(), "--set")
    return spec


class Build:
    def __init__(self, spec):
        h = spec.hdr
        self.spec = spec
        self.cls = parse_int(h.get("class", "64"), "class")
        if self.cls not in (32, 64):
            raise SpecError("class must be 32 or 64")
        self.machine = h.get("machine", "x86_64" if self.cls == 64 else "i386")
        if self.machine not in EM:
            raise SpecError("unknown machine '%s'" % self.machine)
        endian = h.get("endian", "little")
        if endian not in ("little", "big"):
            raise SpecError("endian must be little or big")
        self.bo = "<" if endian == "little" else ">"
        self.page_size = parse_int(h.get("page_size", "4096"), "page_size")
        if self.page_size < 512 or self.page_size & (self.page_size - 1):
            raise SpecError("page_size must be a power of two >= 512")
        self.align = parse_int(h.get("align", str(self.page_size)), "align")
        if self.align < 1:
            raise SpecError("align must be >= 1")
        self.cpus = parse_int(h.get("cpus", "1"), "cpus")
        pids = h.get("pids", "")
        self.pids = [parse_int(p, "pids") for p in pids.split(",")] if pids else []
        key = (self.machine, self.cls)
        self.page_offset = parse_int(h["page_offset"], "page_offset") if "page_offset" in h \
            else DEFAULT_PAGE_OFFSET.get(key, 0)
        self.prstatus = PRSTATUS.get(key, (336 if self.cls == 64 else 144, 32 if self.cls == 64 else 24))
        self.e_type = parse_int(h.get("e_type", "4"), "e_type")
        self.loads = []
        for item in spec.loads:
            self.loads.append(self.make_load(item))
        self.poke_data = [(addr, self.poke_bytes(where, text)) for where, addr, text in spec.pokes]
        self.vmci_lines = None
        if spec.mem_section:
            self.poke_data.extend(self.kernel_model_pokes())
        self.overlay = None   # pfn -> bytes, built on first use
        self.rules = []
        for item in spec.rules:
            first, npages = self.range_of(item)
            self.rules.append((first, npages, Fill(item["attrs"]["fill"], self.page_size, item["where"])))

    def range_of(self, item):
        ps = self.page_size
        addr = item["addr"]
        if addr % ps:
            raise SpecError("%s: address not page aligned" % item["where"])
        a = item["attrs"]
        if "pages" in a:
            npages = parse_int(a["pages"], item["where"])
        else:
            size = parse_int(a["size"], item["where"])
            if size % ps:
                raise SpecError("%s: size not a multiple of the page size" % item["where"])
            npages = size // ps
        if npages <= 0:
            raise SpecError("%s: empty range" % item["where"])
        return addr // ps, npages

    def make_load(self, item):
        first, npages = self.range_of(item)
        a = item["attrs"]
        load = {"pfn": first, "npages": npages, "fill": None}
        load["vaddr"] = parse_int(a["vaddr"], item["where"]) if "vaddr" in a \
            else self.page_offset + first * self.page_size
        load["filepages"] = parse_int(a.get("filepages", str(npages)), item["where"])
        if not 0 <= load["filepages"] <= npages:
            raise SpecError("%s: filepages must be between 0 and pages" % item["where"])
        if "fill" in a:
            load["fill"] = Fill(a["fill"], self.page_size, item["where"])
        limit = 1 << self.cls
        if (first + npages) * self.page_size > limit or load["vaddr"] + npages * self.page_size > limit:
            raise SpecError("%s: range does not fit ELF%d" % (item["where"], self.cls))
        return load

    def poke_bytes(self, where, text):
        kind, _, val = text.partition(":")
        if kind == "str":
            return val.encode() + b"\0"
        if kind == "hex":
            try:
                return bytes.fromhex(val)
            except ValueError:
                raise SpecError("%s: bad hex string" % where) from None
        if kind in ("u8", "u16", "u32", "u64"):
            bits = int(kind[1:])
            return (parse_int(val, where) & ((1 << bits) - 1)).to_bytes(bits // 8, "little" if self.bo == "<" else "big")
        if kind == "utsname":
            # struct new_utsname: sysname, nodename, release, version, machine, domainname; 65 bytes each
            fields = (val.split(",") + [""] * 6)[:6]
            return b"".join(f.encode()[:64].ljust(65, b"\0") for f in fields)
        raise SpecError("%s: unknown poke kind '%s'" % (where, kind))

    def content_fill(self, pfn):
        """The last content rule covering pfn wins; then the first load with a fill; else zero."""
        for first, npages, fill in reversed(self.rules):
            if first <= pfn < first + npages:
                return fill
        for load in self.loads:
            if load["fill"] and load["pfn"] <= pfn < load["pfn"] + load["npages"]:
                return load["fill"]
        return None

    def build_overlay(self):
        """Apply all pokes, in spec order, to copies of the pages they touch."""
        ps = self.page_size
        overlay = {}
        for addr, blob in self.poke_data:
            pos = 0
            while pos < len(blob):
                pfn, off = divmod(addr + pos, ps)
                buf = overlay.get(pfn)
                if buf is None:
                    fill = self.content_fill(pfn)
                    base = fill.page(pfn) if fill else None
                    buf = overlay[pfn] = bytearray(base if base is not None else bytes(ps))
                n = min(ps - off, len(blob) - pos)
                buf[off:off + n] = blob[pos:pos + n]
                pos += n
        self.overlay = {pfn: (bytes(b) if any(b) else None) for pfn, b in overlay.items()}

    def page(self, pfn):
        if self.overlay is None:
            self.build_overlay()
        if pfn in self.overlay:
            return self.overlay[pfn]
        fill = self.content_fill(pfn)
        return fill.page(pfn) if fill else None

    # ---- a minimal kernel memory model (x86_64, SPARSEMEM_EXTREME + VMEMMAP, 6.1 layout) ----
    def vmci_value(self, key, default=None):
        if self.vmci_lines is None:
            text = self.vmcoreinfo_text(with_model=False)
            self.vmci_lines = dict(ln.partition("=")[::2] for ln in
                                   (text.decode().splitlines() if text else []))
        val = self.vmci_lines.get(key)
        if val is None:
            if default is None:
                raise SpecError("mem_section: VMCOREINFO has no %s" % key)
            return default
        return int(val, 16) if key.startswith("SYMBOL(") else int(val, 0)

    def kernel_model_pokes(self):
        """mem_section root + section array, and struct pages for each 'pages' line."""
        where, root, attrs = self.spec.mem_section
        secs = parse_int(attrs["sections"].lstrip("@"), where)
        vmemmap = parse_int(attrs["vmemmap"], where)
        self.vmemmap_backing = parse_int(attrs["backing"].lstrip("@"), where)
        ps = self.page_size
        sec_bits = self.vmci_value("NUMBER(SECTION_SIZE_BITS)")
        sec_size = self.vmci_value("SIZE(mem_section)")
        map_off = self.vmci_value("OFFSET(mem_section.section_mem_map)")
        per_root = ps // sec_size
        pfns_per_sec = 1 << (sec_bits - (ps.bit_length() - 1))
        max_pfn = max(ld["pfn"] + ld["npages"] for ld in self.loads)
        nsec = (max_pfn + pfns_per_sec - 1) // pfns_per_sec
        if nsec > per_root:
            raise SpecError("%s: mem_section: more than one root of sections is not supported" % where)
        pokes = [(root, struct.pack(self.bo + "Q", self.page_offset + secs))]
        present = set()
        for ld in self.loads:
            for nr in range(ld["pfn"] // pfns_per_sec, (ld["pfn"] + ld["npages"] - 1) // pfns_per_sec + 1):
                present.add(nr)
        for nr in sorted(present):
            # SECTION_MARKED_PRESENT | HAS_MEM_MAP | IS_ONLINE | IS_EARLY; vmemmap is the coded map
            pokes.append((secs + nr * sec_size + map_off, struct.pack(self.bo + "Q", vmemmap | 0xF)))
        self.model_symbols = {"SYMBOL(mem_section)": "%x" % (self.page_offset + root)}
        for cwhere, addr, cattrs in self.spec.page_classes:
            first, npages = self.range_of({"where": cwhere, "addr": addr, "attrs": {"pages": cattrs["pages"]}})
            pokes.extend(self.struct_page_pokes(cwhere, first, npages, cattrs["class"], vmemmap))
        return pokes

    def struct_page_pokes(self, where, first, npages, klass, vmemmap):
        v = self.vmci_value
        size = v("SIZE(page)")
        o_flags, o_mapping, o_mapcount = v("OFFSET(page.flags)"), v("OFFSET(page.mapping)"), v("OFFSET(page._mapcount)")
        o_private, o_refcount, o_head = v("OFFSET(page.private)"), v("OFFSET(page._refcount)"), v("OFFSET(page.compound_head)")
        o_order = v("OFFSET(page.compound_order)", -1)
        pg = lambda name: 1 << v("NUMBER(%s)" % name)
        head_mask = v("NUMBER(PG_head_mask)")
        buddy = v("NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)")
        anon_mapping = self.page_offset + 0x7F000001        # an anon_vma pointer | PAGE_MAPPING_ANON
        file_mapping = self.page_offset + 0x7F001000        # an address_space pointer
        kind, _, arg = klass.partition(":")
        out = []

        def page_struct(flags=0, mapping=0, private=0, mapcount=-1, refcount=1, head=0, order=None):
            b = bytearray(size)
            struct.pack_into(self.bo + "Q", b, o_flags, flags)
            struct.pack_into(self.bo + "Q", b, o_head, head)
            struct.pack_into(self.bo + "Q", b, o_mapping, mapping)
            struct.pack_into(self.bo + "Q", b, o_private, private)
            struct.pack_into(self.bo + "i", b, o_mapcount, mapcount)
            struct.pack_into(self.bo + "i", b, o_refcount, refcount)
            if order is not None and o_order >= 0:
                b[o_order] = order
            return bytes(b)

        for i in range(npages):
            pfn = first + i
            if kind == "free":
                order = parse_int(arg or "0", where)
                block = 1 << order
                if first % block or npages % block:
                    raise SpecError("%s: free:%d needs a range aligned to %d pages" % (where, order, block))
                data = page_struct(private=order, mapcount=buddy, refcount=0) if i % block == 0 \
                    else page_struct(refcount=0)
            elif kind == "anon":
                data = page_struct(flags=pg("PG_lru") | pg("PG_swapbacked"), mapping=anon_mapping, mapcount=0)
            elif kind in ("cache", "cache-private"):
                flags = pg("PG_lru") | (pg("PG_private") if kind == "cache-private" else 0)
                data = page_struct(flags=flags, mapping=file_mapping, private=1 if kind != "cache" else 0)
            elif kind == "slab":
                data = page_struct(flags=pg("PG_slab"))
            elif kind == "kernel":
                data = page_struct(flags=1 << 12)   # PG_reserved (12 on 6.1), kept at every level
            elif kind == "thp-anon":
                order = 9
                if first % 512 or npages % 512:
                    raise SpecError("%s: thp-anon needs 512-page aligned ranges" % where)
                head_addr = vmemmap + (pfn - pfn % 512) * size
                if i % 512 == 0:
                    data = page_struct(flags=head_mask | pg("PG_lru") | pg("PG_swapbacked"),
                                       mapping=anon_mapping, mapcount=0)
                else:
                    data = page_struct(head=head_addr + 1, refcount=0, mapping=0,
                                       order=order if i % 512 == 1 else None)
            else:
                raise SpecError("%s: unknown page class '%s'" % (where, klass))
            out.append((self.vmemmap_backing + pfn * size, data))
        return out

    # ---- notes -------------------------------------------------------------------------
    def vmcoreinfo_text(self, with_model=True):
        spec = self.spec
        src = spec.hdr.get("vmcoreinfo", "default")
        if src == "none":
            return None
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vmcoreinfo-6.1.txt") \
            if src == "default" else os.path.join(spec.spec_dir, src)
        with open(path, encoding="utf-8") as f:
            lines = [ln for ln in f.read().splitlines() if ln and not ln.startswith("#")]
        for key in spec.multi["vmcoreinfo.del"]:
            lines = [ln for ln in lines if ln.partition("=")[0] != key]
        for kv in spec.multi["vmcoreinfo.set"]:
            key = kv.partition("=")[0]
            for i, ln in enumerate(lines):
                if ln.partition("=")[0] == key:
                    lines[i] = kv
                    break
            else:
                lines.append(kv)
        if with_model and getattr(self, "model_symbols", None):
            user_set = {kv.partition("=")[0] for kv in spec.multi["vmcoreinfo.set"]}
            for key, val in self.model_symbols.items():
                if key in user_set:
                    continue
                lines = [ln if ln.partition("=")[0] != key else "%s=%s" % (key, val) for ln in lines]
                if not any(ln.partition("=")[0] == key for ln in lines):
                    lines.append("%s=%s" % (key, val))
        lines.extend(spec.multi["vmcoreinfo.append"])
        return ("\n".join(lines) + "\n").encode()

    def note(self, name, ntype, desc, corrupt=None):
        bname = name.encode() + b"\0"
        namesz, descsz = len(bname), len(desc)
        if corrupt == "namesz":
            namesz = 0x7FFFFFF0
        elif corrupt == "descsz":
            descsz = 0x7FFFFFF0
        hdr = struct.pack(self.bo + "III", namesz, descsz, ntype)
        pad = lambda b: b + b"\0" * (-len(b) % 4)
        return hdr + pad(bname) + pad(desc)

    def notes(self):
        size, pid_off = self.prstatus
        out = b""
        for cpu in range(self.cpus):
            desc = bytearray(size)
            pid = self.pids[cpu] if cpu < len(self.pids) else 0
            struct.pack_into(self.bo + "i", desc, pid_off, pid)
            out += self.note("CORE", NT_PRSTATUS, bytes(desc))
        text = self.vmcoreinfo_text()
        if text is not None:
            corrupt = self.spec.hdr.get("note.corrupt")
            if corrupt not in (None, "namesz", "descsz"):
                raise SpecError("note.corrupt must be namesz or descsz")
            out += self.note("VMCOREINFO", 0, text, corrupt)
        return out

    # ---- layout and writing ------------------------------------------------------------
    def write(self, out_path):
        c64 = self.cls == 64
        ehsize, phentsize = (64, 56) if c64 else (52, 32)
        phnum = 1 + len(self.loads)
        h = self.spec.hdr
        phoff = parse_int(h.get("phoff", str(ehsize)), "phoff")
        if phoff < ehsize:
            raise SpecError("phoff must be >= the ELF header size (%d)" % ehsize)
        notes = self.notes()
        ph_end = phoff + phnum * phentsize
        noteoff = parse_int(h["noteoff"], "noteoff") if "noteoff" in h else ph_end + (-ph_end % 4)
        if noteoff < ph_end and noteoff + len(notes) > phoff:
            raise SpecError("noteoff overlaps the program headers")
        if noteoff < ehsize:
            raise SpecError("noteoff overlaps the ELF header")
        pos = max(ph_end, noteoff + len(notes))
        ps = self.page_size
        for load in self.loads:
            pos += -pos % self.align
            load["offset"] = pos
            pos += load["filepages"] * ps
        total = pos

        e_phnum = parse_int(h.get("phnum", str(phnum)), "phnum")
        ident = b"\x7fELF" + bytes([2 if c64 else 1, 1 if self.bo == "<" else 2, 1, 0]) + b"\0" * 8
        if c64:
            ehdr = ident + struct.pack(self.bo + "HHIQQQIHHHHHH", self.e_type, EM[self.machine], 1, 0,
                                       phoff, 0, 0, ehsize, phentsize, e_phnum, 0, 0, 0)
        else:
            ehdr = ident + struct.pack(self.bo + "HHIIIIIHHHHHH", self.e_type, EM[self.machine], 1, 0,
                                       phoff, 0, 0, ehsize, phentsize, e_phnum, 0, 0, 0)
        phdrs = [self.phdr(PT_NOTE, noteoff, 0, 0, len(notes), len(notes), 0)]
        for load in self.loads:
            paddr = load["pfn"] * ps
            phdrs.append(self.phdr(PT_LOAD, load["offset"], load["vaddr"], paddr,
                                   load["filepages"] * ps, load["npages"] * ps, 7))
        with open(out_path, "wb") as f:
            f.truncate(0)
            f.write(ehdr)
            f.seek(phoff)
            f.write(b"".join(phdrs))
            f.seek(noteoff)
            f.write(notes)
            for load in self.loads:
                for i in range(load["filepages"]):
                    data = self.page(load["pfn"] + i)
                    if data is not None:
                        f.seek(load["offset"] + i * ps)
                        f.write(data)
            f.truncate(total)
            trunc = h.get("truncate")
            if trunc is not None:
                n = parse_int(trunc, "truncate")
                f.truncate(n if n >= 0 else max(0, total + n))

    def phdr(self, ptype, offset, vaddr, paddr, filesz, memsz, flags):
        if self.cls == 64:
            return struct.pack(self.bo + "IIQQQQQQ", ptype, flags, offset, vaddr, paddr, filesz, memsz,
                               self.page_size if ptype == PT_LOAD else 0)
        return struct.pack(self.bo + "IIIIIIII", ptype, offset, vaddr & 0xFFFFFFFF, paddr, filesz, memsz,
                           flags, self.page_size if ptype == PT_LOAD else 0)

    def pfn_lists(self):
        present, nonzero = set(), set()
        for load in self.loads:
            for i in range(load["filepages"]):
                pfn = load["pfn"] + i
                present.add(pfn)
                if self.page(pfn) is not None:
                    nonzero.add(pfn)
        # pages beyond p_filesz read as zeros; they are present in memory but stored nowhere
        lists = {"present": sorted(present), "nonzero": sorted(nonzero),
                 "zero": sorted(present - nonzero)}
        for where, addr, attrs in self.spec.page_classes:
            first, npages = self.range_of({"where": where, "addr": addr, "attrs": {"pages": attrs["pages"]}})
            key = "class:" + attrs["class"].partition(":")[0]
            lists[key] = sorted(set(lists.get(key, [])) | set(range(first, first + npages)))
        # expect:LEVEL: the non-zero pages a dump at that level keeps (what kdcompare
        # --list-kept prints), by makedumpfile's rules for the classes of 'pages' lines
        excluded_by = {"cache": 2 | 4, "cache-private": 4, "anon": 8, "thp-anon": 8, "free": 16}
        for level in range(32):
            gone = set()
            for klass, bits in excluded_by.items():
                if level & bits:
                    gone.update(lists.get("class:" + klass, []))
            lists["expect:%d" % level] = sorted(nonzero - gone)
        return lists


def main(argv):
    pfn_out, overrides, args = [], [], []
    it = iter(argv[1:])
    for a in it:
        if a in ("--pfns", "--set"):
            val = next(it, None)
            if val is None:
                print("mkvmcore: %s needs an argument" % a, file=sys.stderr)
                return 1
            (pfn_out if a == "--pfns" else overrides).append(val)
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(a)
    if len(args) != 2:
        print("usage: mkvmcore.py [--pfns KIND=FILE]... [--set KEY=VALUE]... SPEC OUT", file=sys.stderr)
        return 1
    try:
        build = Build(parse_spec(args[0], overrides))
        build.write(args[1])
        if pfn_out:
            lists = build.pfn_lists()
            for item in pfn_out:
                kind, _, path = item.partition("=")
                if not path or (kind not in lists and not kind.startswith("class:")):
                    raise SpecError("--pfns: expected present|nonzero|zero|class:NAME|expect:LEVEL=FILE,"
                                    " got '%s'" % item)
                with open(path, "w", encoding="ascii") as f:
                    f.writelines("%x\n" % p for p in lists.get(kind, []))
    except SpecError as e:
        print("mkvmcore: %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print("mkvmcore: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
