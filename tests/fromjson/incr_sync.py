#!/usr/bin/env python3
"""Incremental tables, synced (issue 21, item 6): the offline runs of `incr.py sdk` and
`incr log` (tests/fromjson/run.sh step 7) uploaded with the real `wandb sync` to a local
openwandb (tests/online's Server helper). Both syncs must succeed; the server must hold
four history rows each, with `incremental-table-file` values numbered 0, 1, 1, 2 and
`nrows` 2, 3, 3, 5, the run copies those rows name (sha256 checked), and the same
history for both runs once the random client ids and the epoch-ms part of the increment
entry names are normalised.

    incr_sync.py WORK SDK_RUN_DIR C_RUN_DIR

(openwandb answers CreateArtifact with COMMITTED and stores no artifact contents: the
manifests are compared offline by incr.py.)
"""

import hashlib
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "online"))
import check_online as co  # noqa: E402

EPOCH = re.compile(r"\b(\d+|None)-\d{13}\.")


def main():
    work, sdk_dir, c_dir = sys.argv[1:4]
    srv = co.Server(work, "incr-server").start()
    failures = []
    try:
        seen = {}
        for label, d in (("sdk", sdk_dir), ("c", c_dir)):
            p = subprocess.run([co.WANDB, "sync", d], env=srv.env(), capture_output=True, text=True, timeout=300)
            if p.returncode != 0 or "error" in (p.stdout + p.stderr).lower():
                failures.append(f"{label}: wandb sync exit {p.returncode}: {(p.stdout + p.stderr)[-800:]}")
                continue
            rid = os.path.basename(d.rstrip("/")).rsplit("-", 1)[1]
            run = None
            for _ in range(50):  # (the server may still be storing what sync sent)
                run = co.run_info(srv, rid)
                if run is not None and run.get("entity") and len(srv.history(run)) >= 4:
                    break
                co.time.sleep(0.2)
            if run is None:
                failures.append(f"{label}: run {rid} not on the server")
                continue
            rows = srv.history(run)
            tabs = [r.get("tab", {}) for r in rows]
            got = [(t.get("_type"), t.get("increment_num"), t.get("nrows")) for t in tabs]
            want = [("incremental-table-file", n, r) for n, r in ((0, 2), (1, 3), (1, 3), (2, 5))]
            if got != want:
                failures.append(f"{label}: server history {got}, not {want}")
                continue
            for t in tabs:
                st, body = srv.file(run, t.get("path", "-"))
                if st != 200:
                    failures.append(f"{label}: run copy {t.get('path')} not on the server ({st})")
                elif hashlib.sha256(body).hexdigest() != t.get("sha256"):
                    failures.append(f"{label}: run copy {t.get('path')} differs from its sha256")
            seen[label] = EPOCH.sub(
                r"\1-<ms>.",
                json.dumps(
                    [{k: co.norm(x) for k, x in r.items() if k not in co.MASK} for r in rows],
                    sort_keys=True,
                ),
            )
            print(f"incr sync {label}: run {rid} on the server, {len(rows)} rows, increments {got}")
        if len(seen) == 2 and seen["sdk"] != seen["c"]:
            failures.append(f"server history differs:\nsdk {seen['sdk']}\nc   {seen['c']}")
    finally:
        srv.stop()
    for f in failures:
        print("FAIL", f)
    if failures:
        sys.exit(1)
    print("incr sync: both runs synced, same history on the server")


if __name__ == "__main__":
    main()
