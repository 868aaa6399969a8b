"""What tests/fromjson/artsrc_sync.py and incr_sync.py share: two offline runs (the SDK's and
ours) uploaded with the real `wandb sync` to a local openwandb (tests/online's Server helper),
their history read back from the server, the run copies the rows name fetched and checked
against their sha256, and the two histories compared once normalised.

(openwandb answers CreateArtifact with COMMITTED and stores no artifact contents: the
manifests are compared offline by artsrc.py / incr.py.)
"""

import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "online"))
import check_online as co  # noqa: E402


def sync_and_compare(name, work, runs, nrows, check_rows, normalise=lambda s: s):
    """runs: [(label, run_dir)] (two of them). check_rows(label, rows, failures) checks the
    server's history rows and returns the values whose `path` must be a run copy on the
    server with that `sha256` (or None when the rows are already wrong), and a summary for
    the log line. Exits 1 with every failure printed."""
    srv = co.Server(work, f"{name}-server").start()
    failures = []
    try:
        seen = {}
        for label, d in runs:
            p = subprocess.run([co.WANDB, "sync", d], env=srv.env(), capture_output=True, text=True, timeout=300)
            if p.returncode != 0 or "error" in (p.stdout + p.stderr).lower():
                failures.append(f"{label}: wandb sync exit {p.returncode}: {(p.stdout + p.stderr)[-800:]}")
                continue
            rid = os.path.basename(d.rstrip("/")).rsplit("-", 1)[1]
            run = None
            for _ in range(50):  # (the server may still be storing what sync sent)
                run = co.run_info(srv, rid)
                if run is not None and run.get("entity") and len(srv.history(run)) >= nrows:
                    break
                co.time.sleep(0.2)
            if run is None:
                failures.append(f"{label}: run {rid} not on the server")
                continue
            rows = srv.history(run)
            if len(rows) != nrows:
                failures.append(f"{label}: {len(rows)} history rows on the server, not {nrows}")
                continue
            values, said = check_rows(label, rows, failures)
            if values is None:
                continue
            for v in values:
                st, body = srv.file(run, v.get("path", "-"))
                if st != 200:
                    failures.append(f"{label}: run copy {v.get('path')} not on the server ({st})")
                elif hashlib.sha256(body).hexdigest() != v.get("sha256"):
                    failures.append(f"{label}: run copy {v.get('path')} differs from its sha256")
            seen[label] = normalise(
                json.dumps([{k: co.norm(x) for k, x in r.items() if k not in co.MASK} for r in rows], sort_keys=True)
            )
            print(f"{name} sync {label}: run {rid} on the server, {len(rows)} rows, {said}")
        (a, _), (b, _) = runs
        if len(seen) == 2 and seen[a] != seen[b]:
            failures.append(f"server history differs:\n{a} {seen[a]}\n{b} {seen[b]}")
    finally:
        srv.stop()
    for f in failures:
        print("FAIL", f)
    if failures:
        sys.exit(1)
    print(f"{name} sync: both runs synced, same history on the server")
