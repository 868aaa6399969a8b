#!/usr/bin/env python3
"""Licence allow-list check over what ships (make test-licenses).

Reads the policy from deny.toml (the `[licenses] allow` list and per-crate `exceptions`,
`[graph] targets`, `exclude-dev`) and checks every package the library pulls in on those
targets, from `cargo metadata`. This is the check `cargo deny check licenses` does with the
same file; it is done here from cargo's own metadata because installing cargo-deny means
compiling ~300 crates (about 6 minutes on 2 cores) in every CI run, and the check itself is a
walk over the dependency graph plus SPDX expression evaluation.

Every crate must declare an SPDX `license` expression satisfiable with the allowed licences
(an `OR` needs one allowed side, an `AND` needs both). A crate with only a `license-file`
fails: its licence must be reviewed and added as an exception.
Exit status 1 lists the offending crates.
"""
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tokens(expr):
    return re.findall(r"\(|\)|[A-Za-z0-9.\-+]+", expr.replace("/", " OR "))


def satisfiable(expr, allowed):
    """SPDX expression (OR / AND / WITH / parentheses) satisfiable with `allowed`?"""
    toks = tokens(expr)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else None

    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def atom():
        t = take()
        if t == "(":
            v = disj()
            if take() != ")":
                raise ValueError(f"unbalanced parentheses in {expr!r}")
            return v
        lic = t[:-1] if t.endswith("+") else t
        if peek() == "WITH":  # licence exceptions (e.g. LLVM-exception) only widen permissions
            take()
            take()
        return lic in allowed

    def conj():
        v = atom()
        while peek() == "AND":
            take()
            v = atom() and v
        return v

    def disj():
        v = conj()
        while peek() == "OR":
            take()
            v = conj() or v
        return v

    result = disj()
    if pos != len(toks):
        raise ValueError(f"cannot parse licence expression {expr!r}")
    return result


def main():
    policy = tomllib.loads((ROOT / "deny.toml").read_text())
    allow = set(policy["licenses"]["allow"])
    # --drop LICENCE (the Makefile's negative check): the same policy without one licence,
    # which must then fail.
    if len(sys.argv) == 3 and sys.argv[1] == "--drop":
        allow.discard(sys.argv[2])
    exceptions = {e["crate"]: set(e["allow"]) for e in policy["licenses"].get("exceptions", [])}
    targets = policy.get("graph", {}).get("targets", [])
    exclude_dev = policy.get("graph", {}).get("exclude-dev", False)

    checked, bad = {}, []
    for target in targets:
        meta = json.loads(subprocess.check_output(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", target],
            cwd=ROOT))
        pkgs = {p["id"]: p for p in meta["packages"]}
        nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
        root = meta["resolve"]["root"]
        seen, stack = set(), [root]
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            for dep in nodes[pid]["deps"]:
                kinds = {k["kind"] for k in dep["dep_kinds"]}
                if exclude_dev and kinds <= {"dev"}:
                    continue
                stack.append(dep["pkg"])
        for pid in seen:
            p = pkgs[pid]
            if pid == root or p["name"] in checked:
                continue
            expr = p.get("license")
            ok_set = allow | exceptions.get(p["name"], set())
            if not expr:
                ok, why = False, "no SPDX licence expression" + (
                    f" (license-file {p['license_file']})" if p.get("license_file") else "")
            else:
                try:
                    ok, why = satisfiable(expr, ok_set), expr
                except ValueError as e:
                    ok, why = False, str(e)
            checked[p["name"]] = (p["version"], why, ok)
            if not ok:
                bad.append(f"{p['name']} {p['version']}: {why} (target {target})")

    used_exceptions = {n for n in exceptions if n in checked}
    for n in sorted(set(exceptions) - used_exceptions):
        print(f"note: exception for {n} matches no crate in the graph")
    if bad:
        print("licences NOT allowed by deny.toml:")
        print("\n".join("  " + b for b in sorted(bad)))
        sys.exit(1)
    names = ", ".join(sorted(used_exceptions))
    print(f"licences: {len(checked)} crates on {len(targets)} targets, all allowed "
          f"(exceptions used: {names or 'none'})")


if __name__ == "__main__":
    main()
