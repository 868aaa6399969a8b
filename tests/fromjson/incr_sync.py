#!/usr/bin/env python3
"""Incremental tables, synced (issue 21, item 6): the offline runs of `incr.py sdk` and
`incr log` (tests/fromjson/run.sh step 7) uploaded with the real `wandb sync` to a local
openwandb (sync_common.py). Both syncs must succeed; the server must hold four history rows
each, with `incremental-table-file` values numbered 0, 1, 1, 2 and `nrows` 2, 3, 3, 5, the
run copies those rows name (sha256 checked), and the same history for both runs once the
random client ids and the epoch-ms part of the increment entry names are normalised.

    incr_sync.py WORK SDK_RUN_DIR C_RUN_DIR
"""

import re
import sys

from sync_common import sync_and_compare

EPOCH = re.compile(r"\b(\d+|None)-\d{13}\.")


def check_rows(label, rows, failures):
    tabs = [r.get("tab", {}) for r in rows]
    got = [(t.get("_type"), t.get("increment_num"), t.get("nrows")) for t in tabs]
    want = [("incremental-table-file", n, r) for n, r in ((0, 2), (1, 3), (1, 3), (2, 5))]
    if got != want:
        failures.append(f"{label}: server history {got}, not {want}")
        return None, None
    return tabs, f"increments {got}"


if __name__ == "__main__":
    work, sdk_dir, c_dir = sys.argv[1:4]
    sync_and_compare(
        "incr", work, [("sdk", sdk_dir), ("c", c_dir)], 4, check_rows, lambda s: EPOCH.sub(r"\1-<ms>.", s)
    )
