#!/usr/bin/env python3
"""Artifact source, synced (issue 21, item 5): the offline runs of tests/fromjson/run.sh
step 5 — the SDK's and examples/cpp/eval_table.cpp's, both logging a dataset table read
from a logged artifact and predictions referencing its images — uploaded with the real
`wandb sync` to a local openwandb (sync_common.py). Both syncs must succeed and the server
must hold the same history (the `wandb-artifact://` artifact_path of the dataset table, the
predictions table) and the run copies the rows name.

    artsrc_sync.py WORK SDK_RUN_DIR CPP_RUN_DIR
"""

import sys

from sync_common import sync_and_compare


def check_rows(label, rows, failures):
    ds, preds = rows[0].get("dataset", {}), rows[1].get("predictions", {})
    if not str(ds.get("artifact_path", "")).startswith("wandb-artifact://"):
        failures.append(f"{label}: dataset artifact_path {ds.get('artifact_path')!r}")
    if "_latest_artifact_path" in ds:
        failures.append(f"{label}: dataset has a _latest_artifact_path")
    return [ds, preds], f"dataset -> {ds.get('artifact_path')}"


if __name__ == "__main__":
    work, sdk_dir, cpp_dir = sys.argv[1:4]
    sync_and_compare("artsrc", work, [("sdk", sdk_dir), ("cpp", cpp_dir)], 2, check_rows)
