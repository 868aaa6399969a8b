#!/usr/bin/env python3
"""Checks an example's output: every `step N: {json}` line parses as a JSON object, every
media object's file exists under FILES_DIR with the sha256/size the JSON states and a name
ending in its hash20, and the expected W&B types appear.

usage: check_rows.py OUTPUT_TXT FILES_DIR --rows N --types image-file,histogram,...
                     [--run-dir DIR]   (an offline run: its run-*.wandb log must hold
                                        every media sha256 of the printed rows)
"""
import glob
import argparse
import hashlib
import json
import os
import re
import sys

LINE = re.compile(r"^step (\d+): (\{.*\})$")


def walk(v, found, problems, files_dir, shas=None):
    if isinstance(v, dict):
        if shas is not None and isinstance(v.get("sha256"), str):
            shas.add(v["sha256"])
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
            walk(item, found, problems, files_dir, shas)
    elif isinstance(v, list):
        for item in v:
            walk(item, found, problems, files_dir, shas)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("output")
    ap.add_argument("files_dir")
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--types", default="")
    ap.add_argument("--run-dir")
    a = ap.parse_args()
    rows, problems, found, shas = 0, [], set(), set()
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
        walk(row, found, problems, a.files_dir, shas)
    if rows != a.rows:
        problems.append(f"{rows} rows, expected {a.rows}")
    for t in filter(None, a.types.split(",")):
        if t not in found:
            problems.append(f"no {t} in the output (found {sorted(found)})")
    if a.run_dir:
        logs = glob.glob(os.path.join(a.run_dir, "run-*.wandb"))
        if len(logs) != 1:
            problems.append(f"expected one run-*.wandb in {a.run_dir}, found {logs}")
        else:
            data = open(logs[0], "rb").read()
            missing = sorted(s for s in shas if s.encode() not in data)
            if missing or not shas:
                problems.append(f"run log lacks media sha256s {missing}")
    for p in problems:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
