#!/usr/bin/env python3
"""Writes THIRD_PARTY_NOTICES for one target from the dependency tree.

    packaging/notices.py TARGET OUT

The crates that ship in the library are the normal (non-dev, non-build) dependencies of
wandb_media resolved for TARGET (`cargo metadata --filter-platform`). For each crate: name,
version, SPDX licence expression, repository and the licence/notice files it ships (from
~/.cargo/registry via the manifest path). A crate that ships no licence file gets the
standard text of its licence from the Rust toolchain's licence directory. Then the C/C++
code compiled into the library that is not Rust: OpenH264 (BSD-2-Clause, built from source),
zlib (bundled by libz-sys), the IJG acknowledgement that jpeg-encoder's licence requires,
and the Rust standard library. Fails if a crate has neither a licence file nor a known text.
"""
import json
import os
import re
import subprocess
import sys

LICENSE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|UNLICENSE|COPYRIGHT)([-_.].*)?$", re.I)
IJG_SENTENCE = "This software is based in part on the work of the Independent JPEG Group."


def metadata(root, target):
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", target],
        cwd=root, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def shipped(meta):
    """Ids of the packages linked into the library (normal dependencies, transitively)."""
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = meta["resolve"]["root"]
    seen, stack = set(), [root]
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        for d in nodes[i]["deps"]:
            if any(k["kind"] is None for k in d["dep_kinds"]):
                stack.append(d["pkg"])
    seen.discard(root)
    return seen


def licence_texts(pkg):
    d = os.path.dirname(pkg["manifest_path"])
    files = sorted(f for f in os.listdir(d) if LICENSE_FILE.match(f) and os.path.isfile(os.path.join(d, f)))
    if pkg.get("license_file"):
        lf = os.path.normpath(os.path.join(d, pkg["license_file"]))
        rel = os.path.relpath(lf, d)
        if rel not in files and os.path.isfile(lf):
            files.append(rel)
    return [(f, open(os.path.join(d, f), encoding="utf-8", errors="replace").read()) for f in files]


def spdx_ids(expr):
    return sorted(set(re.findall(r"[A-Za-z0-9.\-+]+", expr.replace("/", " OR "))) - {"OR", "AND", "WITH"})


def fallback_texts(expr, sysroot_lic):
    texts = []
    for lid in spdx_ids(expr):
        # The Rust toolchain's copies, else Debian's standard texts (e.g. MPL-2.0).
        for p in (os.path.join(sysroot_lic, lid + ".txt"), os.path.join("/usr/share/common-licenses", lid)):
            if os.path.isfile(p):
                texts.append((f"{lid} (standard text; the crate ships no licence file)", open(p).read()))
                break
    return texts


def main():
    target, out = sys.argv[1], sys.argv[2]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], check=True, capture_output=True,
                             text=True).stdout.strip()
    sysroot_lic = os.path.join(sysroot, "share", "doc", "rust", "licenses")
    meta = metadata(root, target)
    pkgs = {p["id"]: p for p in meta["packages"]}
    ids = sorted(shipped(meta), key=lambda i: (pkgs[i]["name"], pkgs[i]["version"]))
    rootpkg = pkgs[meta["resolve"]["root"]]

    parts = [
        f"THIRD-PARTY SOFTWARE NOTICES AND INFORMATION for {rootpkg['name']} {rootpkg['version']} ({target})",
        "",
        f"{rootpkg['name']} is licensed under {rootpkg['license']} (see LICENSE). It includes the",
        "third-party software listed below, compiled into the library. Generated from the",
        "dependency tree by packaging/notices.py; checked with `cargo deny check licenses`.",
        "",
        "Acknowledgement required by the IJG licence (via the jpeg-encoder crate):",
        f"    {IJG_SENTENCE}",
        "",
        "H.264: the bundled OpenH264 encoder is compiled from source (BSD-2-Clause, below).",
        "Cisco's H.264 patent licence covers only Cisco's own prebuilt OpenH264 binaries, not",
        "this build; see the README section on H.264.",
        "",
        "Summary:",
    ]
    for i in ids:
        p = pkgs[i]
        parts.append(f"  {p['name']} {p['version']}  {p.get('license') or 'UNKNOWN'}")
    if any(pkgs[i]["name"] == "env-libvpx-sys" for i in ids):
        parts += ["  libvpx (C, static from libvpx-dev)  BSD-3-Clause"]
    if any(pkgs[i]["name"] == "opusic-sys" for i in ids):
        parts += ["  libopus (C, in opusic-sys; royalty-free patent licences)  BSD-3-Clause"]
    parts += ["  OpenH264 (C++, in openh264-sys2)  BSD-2-Clause",
              "  zlib (C, in libz-sys)  Zlib",
              "  Rust standard library  MIT OR Apache-2.0", ""]

    missing = []
    printed = {}
    for i in ids:
        p = pkgs[i]
        texts = licence_texts(p) or fallback_texts(p.get("license") or "", sysroot_lic)
        if not texts:
            missing.append(p["name"])
            continue
        parts.append("=" * 79)
        parts.append(f"{p['name']} {p['version']}")
        parts.append(f"License: {p.get('license') or 'see below'}")
        if p.get("repository"):
            parts.append(f"Repository: {p['repository']}")
        for name, text in texts:
            # Identical texts (the Apache-2.0 text of 40 crates) are printed once.
            key = " ".join(text.split())
            if key in printed:
                parts += ["", f"--- {name} --- identical to {printed[key]} above"]
            else:
                printed[key] = f"{name} of {p['name']} {p['version']}"
                parts += ["", f"--- {name} ---", text.rstrip()]
        if p["name"] == "jpeg-encoder":
            parts += ["", "--- IJG notice (src/fdct.rs) ---", IJG_SENTENCE,
                      "(Conditions of the IJG licence as quoted in jpeg-encoder's src/fdct.rs.)"]
        parts.append("")

    # Non-Rust code compiled into the library.
    for name, pkgname, rel in [("OpenH264", "openh264-sys2", "upstream/LICENSE"),
                               ("zlib", "libz-sys", "src/zlib/LICENSE"),
                               # Opus audio tracks (feature `opus`): libopus's COPYING, with
                               # the pointers to its royalty-free patent licences.
                               ("libopus", "opusic-sys", "opus/COPYING")]:
        p = next((pkgs[i] for i in ids if pkgs[i]["name"] == pkgname), None)
        if p is None:
            continue
        path = os.path.join(os.path.dirname(p["manifest_path"]), rel)
        if not os.path.isfile(path):
            missing.append(f"{name} ({path})")
            continue
        parts += ["=" * 79, f"{name} (compiled from the sources in {pkgname} {p['version']})", "",
                  open(path, encoding="utf-8", errors="replace").read().rstrip(), ""]
    # WebM (feature `webm`): libvpx linked statically from the build machine (Debian's
    # libvpx-dev): the WebM Project's BSD-3-Clause licence with its patent grant, quoted from
    # Debian's copyright file for libvpx.
    if any(pkgs[i]["name"] == "env-libvpx-sys" for i in ids):
        copyright_file = next((c for c in ("/usr/share/doc/libvpx-dev/copyright",
                                           "/usr/share/doc/libvpx7/copyright") if os.path.isfile(c)), None)
        if copyright_file is None:
            missing.append("libvpx (/usr/share/doc/libvpx-dev/copyright)")
        else:
            parts += ["=" * 79, "libvpx (linked statically from the build machine's libvpx-dev): BSD-3-Clause,",
                      "Copyright (c) 2010, The WebM Project authors, with the WebM patent grant.", "",
                      open(copyright_file, encoding="utf-8", errors="replace").read().rstrip(), ""]
    parts += ["=" * 79, "Rust standard library (MIT OR Apache-2.0)", "", "--- MIT ---",
              open(os.path.join(sysroot_lic, "MIT.txt")).read().rstrip(), "",
              "--- Apache-2.0 ---", open(os.path.join(sysroot_lic, "Apache-2.0.txt")).read().rstrip(), ""]
    if missing:
        sys.exit("notices.py: no licence text for: " + ", ".join(missing))
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")
    print(f"{out}: {len(ids)} crates + OpenH264, zlib, libopus/libvpx (if linked), Rust std")


if __name__ == "__main__":
    main()
