#!/usr/bin/env python3
"""Artifact source, synced (issue 21, item 5): the offline runs of tests/fromjson/run.sh
step 5 — the SDK's and examples/cpp/eval_table.cpp's, both logging a dataset table read
from a logged artifact and predictions referencing its images — uploaded with the real
`wandb sync` to a local openwandb (tests/online's Server helper). Both syncs must succeed
and the server must hold the same history (the `wandb-artifact://` artifact_path of the
dataset table, the predictions table) and the run copies the rows name.

    artsrc_sync.py WORK SDK_RUN_DIR CPP_RUN_DIR

(openwandb answers CreateArtifact with COMMITTED and stores no artifact contents: the
manifests themselves are compared offline by artsrc.py.)
"""

import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "online"))
import check_online as co  # noqa: E402


def main():
    work, sdk_dir, cpp_dir = sys.argv[1:4]
    srv = co.Server(work, "artsrc-server").start()
    failures = []
    try:
        seen = {}
        for label, d in (("sdk", sdk_dir), ("cpp", cpp_dir)):
            p = subprocess.run([co.WANDB, "sync", d], env=srv.env(), capture_output=True, text=True, timeout=300)
            if p.returncode != 0 or "error" in (p.stdout + p.stderr).lower():
                failures.append(f"{label}: wandb sync exit {p.returncode}: {(p.stdout + p.stderr)[-800:]}")
                continue
            rid = os.path.basename(d.rstrip("/")).rsplit("-", 1)[1]
            run = None
            for _ in range(50):  # (the server may still be storing what sync sent)
                run = co.run_info(srv, rid)
                if run is not None and run.get("entity") and len(srv.history(run)) >= 2:
                    break
                co.time.sleep(0.2)
            if run is None:
                failures.append(f"{label}: run {rid} not on the server")
                continue
            rows = srv.history(run)
            if len(rows) != 2:
                failures.append(f"{label}: {len(rows)} history rows on the server, not 2")
                continue
            ds, preds = rows[0].get("dataset", {}), rows[1].get("predictions", {})
            if not str(ds.get("artifact_path", "")).startswith("wandb-artifact://"):
                failures.append(f"{label}: dataset artifact_path {ds.get('artifact_path')!r}")
            if "_latest_artifact_path" in ds:
                failures.append(f"{label}: dataset has a _latest_artifact_path")
            for v in (ds, preds):
                st, body = srv.file(run, v.get("path", "-"))
                if st != 200:
                    failures.append(f"{label}: run copy {v.get('path')} not on the server ({st})")
                elif hashlib.sha256(body).hexdigest() != v.get("sha256"):
                    failures.append(f"{label}: run copy {v.get('path')} differs from its sha256")
            seen[label] = [
                {k: co.norm(x) for k, x in r.items() if k not in co.MASK} for r in rows
            ]
            print(f"artsrc sync {label}: run {rid} on the server, {len(rows)} rows, "
                  f"dataset -> {ds.get('artifact_path')}")
        if len(seen) == 2 and json.dumps(seen["sdk"], sort_keys=True) != json.dumps(seen["cpp"], sort_keys=True):
            failures.append(f"server history differs:\nsdk {seen['sdk']}\ncpp {seen['cpp']}")
    finally:
        srv.stop()
    for f in failures:
        print("FAIL", f)
    if failures:
        sys.exit(1)
    print("artsrc sync: both runs synced, same history on the server")


if __name__ == "__main__":
    main()
