#!/usr/bin/env python3
"""Differential fuzzer: random compat cases through the SDK and through our driver.

    difffuzz.py --seed S --n N [--work DIR] [--shared ../shared] [--no-shrink]

1. tests/difffuzz/gen.py writes N seeded random cases (README §1 case format);
2. sdk_side.py runs them through wandb 0.31 (../shared/compat/gen_reference.py's Builder
   and ReferenceRun) -> DIR/expected;
3. tests/compat/driver runs them through the C ABI -> DIR/actual;
4. ../shared/compat/compare.py compares; every failing case is shrunk (greedy one-step
   reductions, all candidates of a round checked in one batch) and the minimal failing case
   is printed as JSON with the comparator's reasons.
Ends with "difffuzz: N passed, M failed"; exit status 1 if anything diverged.
"""

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen  # noqa: E402


def run_both(cases_dir, work, shared):
    exp, act = os.path.join(work, "expected"), os.path.join(work, "actual")
    for d in (exp, act):
        shutil.rmtree(d, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(HERE, "sdk_side.py"), os.path.join(shared, "compat"),
                    cases_dir, exp], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([os.path.join(REPO, "tests", "compat", "driver"), cases_dir, act], check=True,
                   stderr=subprocess.DEVNULL)
    res = subprocess.run([sys.executable, os.path.join(shared, "compat", "compare.py"), exp, act, "-v"],
                         capture_output=True, text=True)
    verdict, reasons, current = {}, {}, None
    for line in res.stdout.splitlines():
        m = re.match(r"^(PASS|FAIL)\s+(\S+)(?::\s*(.*))?$", line)
        if m:
            current = m.group(2)
            verdict[current] = m.group(1) == "PASS"
            reasons[current] = [m.group(3)] if m.group(3) else []
        elif current and line.startswith((" ", "\t")) and line.strip():
            reasons[current].append(line.strip())
    return verdict, reasons


def reductions(case):
    """One-step smaller variants of a case (row keys, list items, dict members, spec fields)."""
    out = []
    row = case["row"]
    if len(row) > 1:
        for k in row:
            c = copy.deepcopy(case)
            del c["row"][k]
            out.append(c)
    if case["step"] != 0:
        c = copy.deepcopy(case)
        c["step"] = 0
        out.append(c)

    def walk(node, path):
        if isinstance(node, list):
            for i in range(len(node)):
                yield path + [i], "drop"
                yield from walk(node[i], path + [i])
        elif isinstance(node, dict):
            if "wb" in node:
                for f in node:
                    if f in ("caption", "grouping", "mode", "boxes", "masks", "fps", "inject",
                             "num_bins", "log_mode", "allow_mixed_types", "classes", "normalize",
                             "file_type", "vectors", "label", "score", "class_labels"):
                        yield path + [f], "drop"
                for f in ("data", "boxes", "box_data", "nodes", "np_histogram", "point_cloud", "figure"):
                    if f in node and f != "np_histogram":
                        yield from walk(node[f], path + [f])
                if node.get("wb") == "table":
                    yield path + ["columns"], "table-col"
            elif not ({"dtype", "shape"} <= set(node)):
                for k in node:
                    yield path + [k], "drop"
                    yield from walk(node[k], path + [k])

    for top in list(row):
        for path, kind in walk(row[top], [top]):
            c = copy.deepcopy(case)
            parent = c["row"]
            for p in path[:-1]:
                parent = parent[p]
            last = path[-1]
            try:
                if kind == "drop":
                    if isinstance(parent, list):
                        del parent[last]
                    else:
                        del parent[last]
                elif kind == "table-col":
                    if len(parent["columns"]) > 1:
                        parent["columns"] = parent["columns"][:-1]
                        parent["data"] = [r[:-1] for r in parent["data"]]
                    else:
                        continue
            except (KeyError, IndexError, TypeError):
                continue
            out.append(c)
    return out


def shrink(case, cases_src, work, shared, rounds=12):
    """Greedy shrink: keep the first one-step reduction that still fails."""
    cur, reason = case, None
    for _ in range(rounds):
        cands = reductions(cur)[:150]
        if not cands:
            break
        sdir = os.path.join(work, "shrink")
        shutil.rmtree(sdir, ignore_errors=True)
        os.makedirs(sdir)
        os.symlink(os.path.join(cases_src, "assets"), os.path.join(sdir, "assets"))
        for i, c in enumerate(cands):
            c = copy.deepcopy(c)
            c["name"] = f"s{i:04d}"
            with open(os.path.join(sdir, c["name"] + ".json"), "w", encoding="utf-8") as fh:
                json.dump(c, fh, ensure_ascii=False)
        try:
            verdict, reasons = run_both(sdir, os.path.join(work, "shrink-out"), shared)
        except subprocess.CalledProcessError:
            break
        failing = [i for i in range(len(cands)) if verdict.get(f"s{i:04d}") is False]
        if not failing:
            break
        cur = cands[failing[0]]
        reason = reasons.get(f"s{failing[0]:04d}")
    return cur, reason


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--work", default=os.path.join(REPO, "target", "difffuzz"))
    ap.add_argument("--shared", default=os.path.join(REPO, "..", "shared"))
    ap.add_argument("--no-shrink", action="store_true")
    args = ap.parse_args()
    shared = os.path.abspath(args.shared)
    work = os.path.abspath(os.path.join(args.work, f"seed{args.seed}"))
    shutil.rmtree(work, ignore_errors=True)
    cases_dir = os.path.join(work, "cases")
    names = gen.gen_cases(args.seed, args.n, cases_dir, shared)
    verdict, reasons = run_both(cases_dir, work, shared)
    failed = [n for n in names if not verdict.get(n, False)]
    for n in failed:
        print(f"DIVERGENCE {n}: " + " | ".join(reasons.get(n, ["no verdict"]))[:600])
    for n in failed[:5] if not args.no_shrink else []:
        with open(os.path.join(cases_dir, n + ".json"), encoding="utf-8") as fh:
            case = json.load(fh)
        small, why = shrink(case, cases_dir, work, shared)
        print(f"\nminimal failing case for {n} (case files under {cases_dir}):")
        print(json.dumps(small, ensure_ascii=False)[:4000])
        if why:
            print("reason: " + " | ".join(why)[:1000])
    print(f"difffuzz seed {args.seed}: {len(names) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
