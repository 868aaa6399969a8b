#!/usr/bin/env python3
"""Compiles every C, C++, Go and CMake snippet of the READMEs (issue 23 item 11).

Each fenced block tagged c, cpp, go or cmake must be preceded by a marker line:

    <!-- snippet: HARNESS -->            compiled inside tests/docs/harness/HARNESS.*
    <!-- snippet: none (REASON) -->      deliberately not compiled, with the reason

(HTML comments: invisible where the README is rendered). A block without a marker fails the
test, so a new snippet cannot go unchecked. C/C++/Go snippets are compiled and linked against
the repository build (target/release); CMake snippets are configured and built against a
fresh `scripts/install.sh` prefix.

usage: snippets.py ROOT WORKDIR PREFIX
"""
import os
import re
import subprocess
import sys

LANGS = {"c", "cpp", "go", "cmake"}
FILES = ["README.md", "bindings/README.md"]
MARK = re.compile(r"^<!--\s*snippet:\s*(.*?)\s*-->\s*$")


def blocks(path):
    """(line number, lang, marker or None, code) of every fenced block in the file."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i, out = 0, []
    while i < len(lines):
        m = re.match(r"^```(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != "```":
            j += 1
        marker = None
        if start > 0:
            mm = MARK.match(lines[start - 1].strip())
            marker = mm.group(1) if mm else None
        out.append((start + 1, lang, marker, "\n".join(lines[start + 1 : j])))
        i = j + 1
    return out


def run(cmd, cwd=None, env=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def go_unused(code):
    """`_ = x` for every variable the snippet declares at its top level (Go rejects unused ones)."""
    names = []
    for line in code.split("\n"):
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*:=", line)
        if m:
            for n in re.split(r"\s*,\s*", m.group(1)):
                if n != "_" and n not in names:
                    names.append(n)
    return "\n\t".join(f"_ = {n}" for n in names)


def main():
    root, work, prefix = sys.argv[1:4]
    rel = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target")), "release")
    harness = os.path.join(root, "tests/docs/harness")
    os.makedirs(work, exist_ok=True)
    passed = failed = skipped = 0
    n = 0
    for f in FILES:
        for line, lang, marker, code in blocks(os.path.join(root, f)):
            if lang not in LANGS:
                continue
            n += 1
            name = f"{f}:{line} ({lang})"
            if marker is None:
                print(f"FAIL {name}: no <!-- snippet: … --> marker before the block")
                failed += 1
                continue
            if marker.startswith("none"):
                if not re.match(r"^none \(.+\)$", marker):
                    print(f"FAIL {name}: 'none' needs a reason: <!-- snippet: none (why) -->")
                    failed += 1
                else:
                    print(f"not compiled {name}: {marker[6:-1]}")
                    skipped += 1
                continue
            d = os.path.join(work, f"s{n:02d}")
            os.makedirs(d, exist_ok=True)
            tmpl_path = [p for p in os.listdir(harness) if p.rsplit(".", 1)[0] == marker]
            if len(tmpl_path) != 1:
                print(f"FAIL {name}: no harness {marker} in tests/docs/harness")
                failed += 1
                continue
            tmpl = open(os.path.join(harness, tmpl_path[0])).read()
            if lang == "c":
                src = os.path.join(d, "snippet.c")
                open(src, "w").write(tmpl.replace("@SNIPPET@", code))
                rc, out = run(["cc", "-std=c11", "-Wall", "-Werror", "-Wno-unused-variable",
                               "-Wno-unused-function", "-Wno-unused-but-set-variable",
                               "-I", os.path.join(root, "include"), src, "-o", os.path.join(d, "a.out"),
                               "-L", rel, "-lwandb_media", "-lm"])
            elif lang == "cpp":
                incs = "\n".join(l for l in code.split("\n") if l.startswith("#include"))
                body = "\n".join(l for l in code.split("\n") if not l.startswith("#include"))
                src = os.path.join(d, "snippet.cpp")
                open(src, "w").write(tmpl.replace("@INCLUDES@", incs).replace("@SNIPPET@", body))
                rc, out = run(["c++", "-std=c++17", "-Wall", "-Werror", "-Wno-unused-variable",
                               "-Wno-unused-but-set-variable", "-I", os.path.join(root, "include"),
                               "-I", os.path.join(root, "bindings/cpp/include"), src,
                               "-o", os.path.join(d, "a.out"), "-L", rel, "-lwandb_media"])
            elif lang == "go":
                mod = "github.com/wandb-media/wandb-media/bindings/go"
                imports = []
                body = []
                for l in code.split("\n"):
                    if l.startswith("import "):
                        imports.append(l[len("import "):])
                    else:
                        body.append(l)
                body = "\n".join(body)
                if not imports:
                    if "wm." in body:
                        imports.append(f'wm "{mod}"')
                    if "wandbmedia." in body:
                        imports.append(f'"{mod}"')
                src = tmpl.replace("@IMPORT@", "\n\t".join(imports)).replace("@SNIPPET@", body)
                src = src.replace("@UNUSED@", go_unused(body))
                open(os.path.join(d, "main.go"), "w").write(src)
                open(os.path.join(d, "go.mod"), "w").write(
                    f"module example.com/snippet\n\ngo 1.22\n\nrequire {mod} v0.0.0\n\n"
                    f"replace {mod} => {os.path.join(root, 'bindings/go')}\n")
                env = dict(os.environ, CGO_ENABLED="1", GOFLAGS="-mod=mod", GOPROXY="off")
                rc, out = run(["go", "build", "-o", "a.out", "."], cwd=d, env=env)
                if rc == 0:
                    rc, out2 = run(["go", "vet", "."], cwd=d, env=env)
                    out += out2
            else:  # cmake
                open(os.path.join(d, "CMakeLists.txt"), "w").write(tmpl.replace("@SNIPPET@", code))
                open(os.path.join(d, "main.c"), "w").write(
                    '#include <stdio.h>\n#include "wandb_media.h"\nint main(void) { puts(wb_version()); return 0; }\n')
                rc, out = run(["cmake", "-S", d, "-B", os.path.join(d, "b"), f"-DCMAKE_PREFIX_PATH={prefix}"])
                if rc == 0:
                    rc, out2 = run(["cmake", "--build", os.path.join(d, "b")])
                    out += out2
                if rc == 0:
                    rc, out2 = run([os.path.join(d, "b", "app")], env=dict(os.environ, LD_LIBRARY_PATH=os.path.join(prefix, "lib")))
                    out += out2
            if rc == 0:
                print(f"ok   {name} [{marker}]")
                passed += 1
            else:
                print(f"FAIL {name} [{marker}] (sources in {d}):\n{out[-3000:]}")
                failed += 1
    if n == 0:
        print("FAIL no snippets found")
        failed += 1
    print(f"snippets: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
