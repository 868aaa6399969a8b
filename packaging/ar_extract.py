#!/usr/bin/env python3
"""Extracts every member of a GNU/COFF `ar` archive, keeping duplicates and order.

    packaging/ar_extract.py ARCHIVE OUTDIR   -> OUTDIR/00000/<name>, OUTDIR/00001/<name>, ...

`ar x` cannot do this: Rust's Windows static libraries hold several members with the same
name (import-library stubs such as kernel32.dlls00001.o from different crates, two vaa.o
from OpenH264), and the member names matter to the PE linker (it orders .idata$ sections
by them). Prints the member paths in archive order.
"""
import os
import sys


def main():
    archive, outdir = sys.argv[1], sys.argv[2]
    data = open(archive, "rb").read()
    if not data.startswith(b"!<arch>\n"):
        sys.exit(f"{archive}: not an ar archive")
    pos, longnames, n = 8, b"", 0
    while pos + 60 <= len(data):
        hdr = data[pos:pos + 60]
        name = hdr[0:16].decode().rstrip()
        size = int(hdr[48:58].decode().strip())
        body = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
        if name in ("/", "/SYM64/"):
            continue  # symbol table
        if name == "//":
            longnames = body
            continue
        if name.startswith("/") and name[1:].isdigit():
            off = int(name[1:])
            end = longnames.index(b"/\n", off) if b"/\n" in longnames[off:] else longnames.index(b"\n", off)
            name = longnames[off:end].decode()
        name = name.rstrip("/")
        d = os.path.join(outdir, f"{n:05d}")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, os.path.basename(name))
        with open(path, "wb") as f:
            f.write(body)
        print(path)
        n += 1


if __name__ == "__main__":
    main()
