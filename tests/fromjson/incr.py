#!/usr/bin/env python3
"""Incremental tables (issue 21 item 6): what wandb 0.31 writes for a
`wandb.Table(columns, log_mode="INCREMENTAL")` logged several times with rows appended in
between, against what the library writes (tests/fromjson/incr.c does the same steps).

    incr.py sdk WORK     the SDK side; prints the run directory
    incr.py artdir RUN_DIR OUT
                         the run's increments as an artifact directory (prints the name
                         of the last increment's table, for artifact.get)
    incr.py reread WORK ART_DIR NAME
                         the SDK side of `incr reread` (a table read back, appended to,
                         logged into a new run); prints the run directory
    incr.py dump RUN_DIR history rows (key order kept) and artifact records, normalised
    incr.py compare A B  (artsrc.py compare)

Normalised in the dump: the run id, the 128-char artifact client ids, and the epoch-ms
part of the increment entry names `<increment_num>-<epoch ms>.<key>.table.json` (the SDK
takes it from the clock when it logs; it cannot match between two runs). Everything else,
including the entry files' bytes (`content` lines) and the manifest digests of the
entries, is compared as is.
"""

import base64
import hashlib
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import artsrc  # noqa: E402

COLS = ["step", "name", "score"]
# (rows added before the log, then log): log 0, log 1, an unchanged re-log, log 2
PLAN = [
    [[0, "a", 0.5], [1, "b", 1.25]],
    [[2, "c", -3.0]],
    [],
    [[3, "d", 4.0], [4, "e", None]],
]


def sdk(work):
    import wandb

    run = artsrc.offline_run(work)
    t = wandb.Table(columns=COLS, log_mode="INCREMENTAL")
    for rows in PLAN:
        for r in rows:
            t.add_data(*r)
        run.log({"tab": t})
    d = os.path.dirname(run.dir)
    run.finish()
    print(d)


def artdir(run_dir, out):
    """The artifact directory of the run's incremental table as `artifact.download()`
    gives its latest version (every increment's entry, as staged); prints the last entry's
    name without `.table.json` (what `artifact.get` takes)."""
    import glob
    import shutil

    files = glob.glob(os.path.join(run_dir, "run-*.wandb"))
    os.makedirs(out, exist_ok=True)
    last = None
    for r in artsrc.raw_records(files[0]):
        if r.WhichOneof("record_type") == "artifact":
            for e in r.artifact.manifest.contents:
                shutil.copyfile(e.local_path, os.path.join(out, e.path))
                last = e.path
    print(last[: -len(".table.json")])


def reread(work, adir, name):
    """The SDK side of `incr reread`: Table.from_json of the artifact's entry (the
    increments' rows, no increment state), a row added, logged twice with a row between."""
    import wandb

    art = artsrc.logged_artifact(adir, "QXJ0aWZhY3Q6MTIzNDU=")
    with open(os.path.join(adir, name + ".table.json")) as fh:
        t = wandb.Table.from_json(json.load(fh), art)
    assert t.log_mode == "INCREMENTAL" and len(t.data) == 5, (t.log_mode, t.data)
    t.add_data(5, "f", 6.0)
    run = artsrc.offline_run(work)
    run.log({"tab": t})
    t.add_data(6, "g", 7.5)
    run.log({"tab": t})
    d = os.path.dirname(run.dir)
    run.finish()
    print(d)


EPOCH = re.compile(r"\b(\d+|None)-\d{13}\.")


def norm(s, run_id):
    return EPOCH.sub(r"\1-<ms>.", artsrc.norm(s, run_id))


def run_copy(path):
    with open(path, "rb") as fh:
        return fh.read().decode()


def dump(run_dir):
    run_id, records = artsrc.run_records(run_dir)
    out = []
    for r in records:
        kind = r.WhichOneof("record_type")
        if kind == "history":
            out.extend(artsrc.history_lines(r, run_dir, run_id, norm, run_copy))
        elif kind == "artifact":
            a = r.artifact
            out.append(
                f"artifact {a.type} {norm(a.name, run_id)} digest=<manifest> "
                f"aliases={list(a.aliases)} finalize={a.finalize} "
                f"incremental={a.incremental_beta1} digest_algorithm={a.digest_algorithm}"
            )
            for e in a.manifest.contents:
                # The entry's JSON holds random artifact client ids
                # (`previous_increments_paths`), so its digest differs between two runs:
                # checked against the staged file's bytes instead, which are compared.
                digest = e.digest
                content = None
                if e.local_path and os.path.isfile(e.local_path):
                    with open(e.local_path, "rb") as fh:
                        content = fh.read()
                    md5 = base64.b64encode(hashlib.md5(content).digest()).decode()
                    digest = "<md5 of content>" if md5 == e.digest else f"{e.digest}!={md5}"
                out.append(
                    f"  entry {norm(e.path, run_id)} digest={digest} ref={e.ref or '-'} "
                    f"size={e.size} local_path={'yes' if e.local_path else 'no'}"
                )
                if content is not None:
                    out.append(f"    content {norm(content.decode(), run_id)}")
        elif kind == "summary":
            out.extend(
                sorted(
                    f"summary {key} {norm(json.dumps(json.loads(it.value_json)), run_id)}"
                    for it in r.summary.update
                    if (key := it.key or "/".join(it.nested_key)).startswith("tab")
                )
            )
    return out


def main():
    cmd = sys.argv[1]
    if cmd == "sdk":
        sdk(sys.argv[2])
    elif cmd == "artdir":
        artdir(sys.argv[2], sys.argv[3])
    elif cmd == "reread":
        reread(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "dump":
        print("\n".join(dump(sys.argv[2])))
    elif cmd == "compare":
        sys.argv[1] = "compare"
        artsrc.main()
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
