#!/usr/bin/python3
"""mutate.py - inputs for the fuzz seeds and the mutated-header table.

  mutate.py cut SRC DST BYTES      copy an ELF vmcore's ELF header, program headers and
                                   notes, every PT_LOAD cut to BYTES of data (re-laid out)
  mutate.py vmcoreinfo SRC DST     the VMCOREINFO note's text
  mutate.py layout FILE            "name offset size" of the header parts of an ELF vmcore,
                                   kdump file or flattened stream, one a line
  mutate.py flips FILE N SEED [REGION...]
                                   N single-bit flips, one "offset byte" line each (decimal
                                   offset, the flipped byte as two hex digits); REGION is
                                   START:END[:WEIGHT], default the first 64 KiB
  mutate.py fields FILE            ELF header and program header fields set to edge values,
                                   "offset hexbytes" lines (little-endian)
  mutate.py write BASE DIR         read "cut N" / "OFFSET HEXBYTES" lines (as flips and fields
                                   print them) on stdin, write each case as DIR/NNNN and print
                                   "DIR/NNNN what" lines (one process instead of one per case)
  mutate.py filters-seeds REAL DIR seeds for fuzz-filters (REAL may be missing)
Deterministic: the same arguments give the same output.
"""

import os
import random
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4


def elf_parse(b):
    if b[:4] != b"\x7fELF" or b[4] != 2 or b[5] != 1:
        raise SystemExit("mutate.py: only little-endian ELF64 vmcores are cut")
    phoff, = struct.unpack_from("<Q", b, 32)
    phentsize, phnum = struct.unpack_from("<HH", b, 54)
    phs = [list(struct.unpack_from("<IIQQQQQQ", b, phoff + i * phentsize)) for i in range(phnum)]
    return phoff, phentsize, phs


def cmd_cut(src, dst, nbytes):
    with open(src, "rb") as f:
        head = f.read(1 << 20)
        phoff, phentsize, phs = elf_parse(head)
        end = phoff + phentsize * len(phs)
        notes = []
        for ph in phs:
            if ph[0] == PT_NOTE:
                f.seek(ph[2])
                notes.append((ph, f.read(ph[5])))
        out = bytearray(head[:end])
        pos = end
        # notes right after the program headers, as the kernel lays out /proc/vmcore
        for ph, data in notes:
            ph[2] = pos
            out += data
            pos += len(data)
        pos = (pos + 4095) & ~4095
        out += bytes(pos - len(out))
        for ph in phs:
            if ph[0] != PT_LOAD:
                continue
            keep = min(ph[5], nbytes)
            f.seek(ph[2])
            data = f.read(keep)
            ph[2], ph[5], ph[6] = pos, len(data), len(data)
            out += data
            pos += len(data)
    for i, ph in enumerate(phs):
        struct.pack_into("<IIQQQQQQ", out, phoff + i * phentsize, *ph)
    with open(dst, "wb") as f:
        f.write(out)


def note_iter(data):
    pos = 0
    while pos + 12 <= len(data):
        nsz, dsz, typ = struct.unpack_from("<III", data, pos)
        name = data[pos + 12:pos + 12 + nsz]
        d0 = pos + 12 + ((nsz + 3) & ~3)
        yield pos, name, typ, d0, dsz
        pos = d0 + ((dsz + 3) & ~3)


def cmd_vmcoreinfo(src, dst):
    with open(src, "rb") as f:
        head = f.read(1 << 20)
        _, _, phs = elf_parse(head)
        for ph in phs:
            if ph[0] != PT_NOTE:
                continue
            f.seek(ph[2])
            data = f.read(ph[5])
            for _, name, _, d0, dsz in note_iter(data):
                if name.startswith(b"VMCOREINFO"):
                    with open(dst, "wb") as o:
                        o.write(data[d0:d0 + dsz])
                    return
    raise SystemExit("mutate.py: %s has no VMCOREINFO note" % src)


def layout(path):
    """Header regions of FILE: [(name, offset, size)]."""
    with open(path, "rb") as f:
        b = f.read(1 << 17)
    parts = []
    if b[:4] == b"\x7fELF":
        phoff, phentsize, phs = elf_parse(b)
        parts.append(("elf-header", 0, 64))
        parts.append(("program-headers", phoff, phentsize * len(phs)))
        for ph in phs:
            if ph[0] == PT_NOTE:
                parts.append(("notes", ph[2], ph[5]))
        loads = [ph for ph in phs if ph[0] == PT_LOAD]
        if loads:
            parts.append(("data", min(ph[2] for ph in loads), 0))
    elif b[:8] == b"KDUMP   ":
        block, sub_blocks, bitmap_blocks = struct.unpack_from("<III", b, 428)
        parts.append(("kdump-header", 0, 464))
        parts.append(("sub-header+notes", block, block * sub_blocks))
        parts.append(("bitmaps", block * (1 + sub_blocks), block * bitmap_blocks))
        parts.append(("descriptors", block * (1 + sub_blocks + bitmap_blocks), 0))
    elif b[:12] == b"makedumpfile":
        parts.append(("flat-header", 0, 4096))
        parts.append(("first-record", 4096, 16))
    return parts


def cmd_layout(path):
    for name, off, size in layout(path):
        print(name, off, size)


def cmd_flips(path, n, seed, regions):
    with open(path, "rb") as f:
        b = f.read(1 << 16)
    if not regions:
        regions = ["0:%d" % len(b)]
    spans = []
    for r in regions:
        parts = r.split(":")
        lo, hi = int(parts[0]), min(int(parts[1]), len(b))
        w = float(parts[2]) if len(parts) > 2 else 1.0
        if hi > lo:
            spans.append((lo, hi, w))
    rng = random.Random(seed)
    total = sum(w for _, _, w in spans)
    for _ in range(n):
        x = rng.uniform(0, total)
        for lo, hi, w in spans:
            if x <= w:
                break
            x -= w
        off = rng.randrange(lo, hi)
        print(off, "%02x" % (b[off] ^ (1 << rng.randrange(8))))


EDGE64 = [0, 1, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFF000, 1 << 40]


def cmd_fields(path):
    with open(path, "rb") as f:
        b = f.read(1 << 16)
    phoff, phentsize, phs = elf_parse(b)
    fields = [(4, 1, [0, 1, 3, 0xFF]), (5, 1, [0, 2, 3]), (16, 2, [0, 1, 2, 0xFFFF]),
              (18, 2, [0, 3, 183, 0xFFFF]), (32, 8, [0, 1, 63, 64 + 56 * len(phs), 1 << 62,
                                                      0xFFFFFFFFFFFFFFFF, len(b)]),
              (52, 2, [0, 1, 63, 65, 0xFFFF]), (54, 2, [0, 1, 32, 55, 57, 64, 0xFFFF]),
              (56, 2, [0, 1, len(phs) + 1, 0xFFFF])]
    for i in range(len(phs)):
        base = phoff + i * phentsize
        fields += [(base, 4, [0, 1, 4, 0x6474E550, 0xFFFFFFFF])]
        for k, name in ((8, "offset"), (16, "vaddr"), (24, "paddr"), (32, "filesz"), (40, "memsz")):
            vals = list(EDGE64)
            if name in ("filesz", "memsz"):
                orig, = struct.unpack_from("<Q", b, base + k)
                vals += [orig + 1, orig - 1 if orig else 7, orig + 4096]
            fields.append((base + k, 8, vals))
    for off, size, vals in fields:
        for v in vals:
            v &= (1 << (8 * size)) - 1
            print(off, v.to_bytes(size, "little").hex())


def cmd_filters_seeds(real, outdir):
    rng = random.Random(31)
    ctl = bytes([31, 0x02, 6, 0, 1, 0x3F, 0, 63])  # level 31, hint, 256 MiB, one 4096-pfn window
    # struct page-shaped words: flags with assorted PG_ bits, list pointers into the direct map
    pages = bytearray()
    for i in range(64):
        flags = rng.choice([0, 1 << 4, 1 << 5, 1 << 16, (1 << 4) | (1 << 8), 0x17FFFFC0000000])
        lru = 0xFFFF8D0000000000 + rng.randrange(1 << 20) * 64
        pages += struct.pack("<QQQQQQii", flags, lru, lru + 64, rng.choice([0, lru | 1, lru]),
                             i, rng.choice([0, 3, 9]), rng.choice([-1, -129, 0]), rng.choice([0, 1, 2]))
    with open(os.path.join(outdir, "struct-pages"), "wb") as f:
        f.write(ctl + pages)
    # page-table entries: present, large, pointing below 256 MiB
    pte = b"".join(struct.pack("<Q", (rng.randrange(1 << 16) << 12) | rng.choice([0x63, 0xE3, 0x67]))
                   for _ in range(512))
    with open(os.path.join(outdir, "page-tables"), "wb") as f:
        f.write(bytes([8, 0x05, 4, 7, 0, 0x10, 0, 3]) + pte)
    with open(os.path.join(outdir, "zeros"), "wb") as f:
        f.write(bytes([16, 0, 0, 0, 0, 0, 0, 0]) + bytes(4096))
    if real and os.path.exists(real):
        with open(real, "rb") as f:
            head = f.read(1 << 20)
            _, _, phs = elf_parse(head)
            loads = [ph for ph in phs if ph[0] == PT_LOAD]
            for n, ph in enumerate(loads[:3]):
                f.seek(ph[2] + min(ph[5], 1 << 21) // 2 & ~4095)
                with open(os.path.join(outdir, "real-memory-%d" % n), "wb") as o:
                    o.write(bytes([31, 0x02, 8 + n, n, 0, 0x7F, 0, 15]) + f.read(16384))


def cmd_write(base, outdir):
    with open(base, "rb") as f:
        b = f.read()
    os.makedirs(outdir, exist_ok=True)
    for n, line in enumerate(sys.stdin):
        words = line.split()
        if len(words) != 2:
            continue
        path = os.path.join(outdir, "%04d" % n)
        if words[0] == "cut":
            data, what = b[:int(words[1])], "cut at %s" % words[1]
        else:
            off, new = int(words[0]), bytes.fromhex(words[1])
            data = b[:off] + new + b[off + len(new):]
            what = ("byte %d -> 0x%s" if len(new) == 1 else "bytes %d = %s") % (off, words[1])
        with open(path, "wb") as o:
            o.write(data)
        print(path, what)


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "cut":
        cmd_cut(args[0], args[1], int(args[2]))
    elif cmd == "vmcoreinfo":
        cmd_vmcoreinfo(args[0], args[1])
    elif cmd == "layout":
        cmd_layout(args[0])
    elif cmd == "flips":
        cmd_flips(args[0], int(args[1]), int(args[2]), args[3:])
    elif cmd == "fields":
        cmd_fields(args[0])
    elif cmd == "write":
        cmd_write(args[0], args[1])
    elif cmd == "filters-seeds":
        cmd_filters_seeds(args[0], args[1])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
