#!/usr/bin/env python3
"""Checks an example's output: every `step N: {json}` line parses as a JSON object, every
media object's file exists under FILES_DIR with the sha256/size the JSON states and a name
ending in its hash20, and the expected W&B types appear.

usage: check_rows.py OUTPUT_TXT FILES_DIR --rows N --types image-file,histogram,...
"""
import argparse
import hashlib
import json
import os
import re
import sys

LINE = re.compile(r"^step (\d+): (\{.*\})$")


def walk(v, found, problems, files_dir):
    if isinstance(v, dict):
        t = v.get("_type")
        if isinstance(t, str):
            found.add(t)
        if isinstance(v.get("path"), str) and "sha256" in v:
            path = os.path.join(files_dir, v["path"])
            if not os.path.isfile(path):
                problems.append(f"missing file {v['path']}")
            else:
                data = open(path, "rb").read()
                digest = hashlib.sha256(data).hexdigest()
                if digest != v["sha256"]:
                    problems.append(f"{v['path']}: sha256 {digest} != {v['sha256']}")
                if v.get("size") != len(data):
                    problems.append(f"{v['path']}: size {len(data)} != {v.get('size')}")
                stem = os.path.splitext(os.path.basename(v["path"]))[0]
                if not stem.endswith("_" + digest[:20]):
                    problems.append(f"{v['path']}: name does not end in hash20 {digest[:20]}")
        for name in v.get("filenames", []) if t and t.endswith("/separated") else []:
            if not os.path.isfile(os.path.join(files_dir, name)):
                problems.append(f"missing list file {name}")
        for item in v.values():
            walk(item, found, problems, files_dir)
    elif isinstance(v, list):
        for item in v:
            walk(item, found, problems, files_dir)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("output")
    ap.add_argument("files_dir")
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--types", default="")
    a = ap.parse_args()
    rows, problems, found = 0, [], set()
    for line in open(a.output, encoding="utf-8"):
        m = LINE.match(line.rstrip("\n"))
        if not m:
            continue
        try:
            row = json.loads(m.group(2))
        except ValueError as e:
            problems.append(f"step {m.group(1)}: bad JSON: {e}")
            continue
        if not isinstance(row, dict) or not row:
            problems.append(f"step {m.group(1)}: not a non-empty object")
        rows += 1
        walk(row, found, problems, a.files_dir)
    if rows != a.rows:
        problems.append(f"{rows} rows, expected {a.rows}")
    for t in filter(None, a.types.split(",")):
        if t not in found:
            problems.append(f"no {t} in the output (found {sorted(found)})")
    for p in problems:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
