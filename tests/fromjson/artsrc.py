#!/usr/bin/env python3
"""Artifact source (issue 21, item 5): what wandb 0.31 writes when a value read with
`artifact.get(name)` is logged again, against what the library writes.

    artsrc.py sdk WORK DATASET_DIR ARTIFACT_ID
        the SDK side of examples/cpp/eval_table.cpp: reads DATASET_DIR (the files of the
        logged artifact "dataset", id ARTIFACT_ID) with the SDK's own `Artifact.get`, logs
        the dataset table at step 0 and the predictions table (same columns, same "model")
        at step 1 into an offline run under WORK; prints the run directory
    artsrc.py copy WORK ART_DIR NAME ARTIFACT_ID
        the SDK side of tests/fromjson/artsrc_copy.c: table NAME of the logged artifact
        ART_DIR logged again (step 0), and a new table of its id/image/label cells (step 1)
    artsrc.py dump RUN_DIR
        the history rows and artifact records of an offline run, normalised (run ids,
        random artifact client ids, timestamps, staging paths): one line per fact
    artsrc.py compare A B
        two dumps must be equal (exit 1 and the differing lines otherwise)

The SDK's `artifact.get` needs a logged artifact (a server): the artifact here is a real
`wandb.Artifact` built from DATASET_DIR with `add_dir` (the same manifest entries and
digests as the logged one) and marked committed with the given id; only the network parts
are replaced: its downloads return the files of DATASET_DIR, its default root is
DATASET_DIR, and `WBArtifactHandler`'s client (`_artifact_from_id`) returns it.
Everything that decides what is written (Artifact.get, Table/Image.from_json,
Media.to_json, Artifact.add/add_reference, WBArtifactHandler.store_path, the run's
_log_table_artifact) is the SDK's own code.
"""

import json
import os
import re
import struct
import sys
import zlib


def raw_records(path):
    """Records of a .wandb file (framing of spec §16.2, the wheel's protobuf classes)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = open(path, "rb").read()
    assert data[:7] == b":W&B\xe1\xbe\x00", data[:7]
    pos, block, out, buf = 7, 32768, [], None
    while pos < len(data):
        left = block - pos % block
        if left < 7:
            pos += left
            continue
        if pos + 7 > len(data):
            break
        crc, n, typ = struct.unpack("<IHB", data[pos : pos + 7])
        payload = data[pos + 7 : pos + 7 + n]
        assert zlib.crc32(bytes([typ]) + payload) == crc, f"bad crc at {pos}"
        pos += 7 + n
        if typ == 1:
            out.append(payload)
        elif typ == 2:
            buf = payload
        elif typ == 3:
            buf += payload
        elif typ == 4:
            out.append(buf + payload)
            buf = None
    recs = []
    for p in out:
        r = pb.Record()
        r.ParseFromString(p)
        recs.append(r)
    return recs


def predict(img):
    """The "model" of examples/cpp/eval_table.cpp: mean pixel < 128 → dark."""
    import numpy as np

    a = np.asarray(img.image).astype(np.float64)
    return "dark" if a.size == 0 or a.mean() < 128.0 else "bright"


def logged_artifact(dsdir, art_id):
    """A wandb.Artifact over the files of DSDIR, committed with id ART_ID, its network
    parts replaced by the directory (see the module doc)."""
    import wandb
    from wandb.sdk.artifacts.artifact import Artifact
    from wandb.sdk.artifacts.artifact_manifest_entry import ArtifactManifestEntry
    from wandb.sdk.artifacts.artifact_state import ArtifactState
    from wandb.sdk.artifacts.storage_handlers.wb_artifact_handler import WBArtifactHandler

    dsdir = os.path.abspath(dsdir)
    art = wandb.Artifact("dataset", "dataset")
    art.add_dir(dsdir)
    art._id = art_id
    art._state = ArtifactState.COMMITTED

    class Client:
        def _artifact_from_id(self, i):
            assert i == art_id, i
            return art

    Artifact.download = lambda self, *a, **k: dsdir
    Artifact._default_root = lambda self, *a, **k: dsdir
    ArtifactManifestEntry.download = lambda self, *a, **k: os.path.join(dsdir, self.path)
    WBArtifactHandler.client = property(lambda self: Client())
    return art


def offline_run(work):
    import wandb

    return wandb.init(
        mode="offline",
        dir=work,
        settings=wandb.Settings(x_disable_stats=True, console="off"),
    )


def sdk(work, dsdir, art_id):
    import wandb

    art = logged_artifact(dsdir, art_id)
    source = art.get("dataset")
    cols = source.columns
    preds = wandb.Table(columns=["source_row", "id", "image", "label", "prediction", "correct"])
    right = total = 0
    for r, row in enumerate(source.data):
        image = row[cols.index("image")]
        if isinstance(image, wandb.Image):
            label = row[cols.index("label")]
            guess = predict(image)
            ok = guess == label
            right += ok
            total += 1
            id_ = row[cols.index("id")] if "id" in cols else -1
            preds.add_data(r, id_, image, label, guess, ok)
    run = offline_run(work)
    run.log({"dataset": source})
    run.log({"predictions": preds, "accuracy": right / total if total else 0.0})
    d = os.path.dirname(run.dir)
    run.finish()
    print(d)


def copy(work, adir, name, art_id):
    """The SDK side of tests/fromjson/artsrc_copy.c."""
    import wandb

    art = logged_artifact(adir, art_id)
    source = art.get(name)
    cols = [source.columns.index(c) for c in ("id", "image", "label")]
    picked = wandb.Table(columns=["id", "image", "label"])
    for row in source.data:
        picked.add_data(*[row[c] for c in cols])
    run = offline_run(work)
    run.log({name: source})
    run.log({"picked": picked})
    d = os.path.dirname(run.dir)
    run.finish()
    print(d)


CLIENT_ID = re.compile(r"wandb-client-artifact://[0-9a-z]{128}")


def norm(s, run_id):
    s = CLIENT_ID.sub("wandb-client-artifact://<client id>", s)
    return s.replace(run_id, "<run id>")


def run_records(run_dir):
    """The run's id and the records of its one `.wandb` log."""
    import glob

    files = glob.glob(os.path.join(run_dir, "run-*.wandb"))
    assert len(files) == 1, files
    return os.path.basename(files[0])[4:-6], raw_records(files[0])


def history_lines(r, run_dir, run_id, norm, run_copy):
    """A history record's items as sorted lines (wandb-core flattens a row's dicts into
    nested keys in no fixed order), and for a table a line `run_copy(path of its run copy)`."""
    lines = []
    for it in r.history.item:
        key = it.key or "/".join(it.nested_key)
        if key in ("_timestamp", "_runtime"):
            continue
        v = json.loads(it.value_json)
        lines.append(f"history {key} {norm(json.dumps(v, sort_keys=True), run_id)}")
        if key.endswith("/path") and str(v).startswith("media/table/"):
            lines.append(f"history {key} run copy {run_copy(os.path.join(run_dir, 'files', v))}")
    return sorted(lines)


def dump(run_dir):
    run_id, records = run_records(run_dir)
    out = []
    for r in records:
        kind = r.WhichOneof("record_type")
        if kind == "history":
            out.extend(history_lines(r, run_dir, run_id, norm, lambda p: f"present={os.path.isfile(p)}"))
        elif kind == "artifact":
            a = r.artifact
            out.append(
                f"artifact {a.type} {norm(a.name, run_id)} digest={a.digest} "
                f"aliases={list(a.aliases)} finalize={a.finalize}"
            )
            for e in a.manifest.contents:
                out.append(
                    f"  entry {e.path} digest={e.digest} ref={e.ref or '-'} size={e.size} "
                    f"local_path={'yes' if e.local_path else 'no'}"
                )
                if e.local_path and os.path.isfile(e.local_path) and e.path.endswith(".json"):
                    with open(e.local_path, "rb") as fh:
                        out.append(f"    content {norm(fh.read().decode(), run_id)}")
    return out


def main():
    cmd = sys.argv[1]
    if cmd == "sdk":
        sdk(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "copy":
        copy(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "dump":
        print("\n".join(dump(sys.argv[2])))
    elif cmd == "compare":
        a = open(sys.argv[2]).read().splitlines()
        b = open(sys.argv[3]).read().splitlines()
        if a != b:
            import difflib

            sys.stdout.writelines(
                l + "\n" for l in difflib.unified_diff(a, b, sys.argv[2], sys.argv[3], lineterm="")
            )
            print(f"artsrc: {sys.argv[2]} and {sys.argv[3]} differ")
            sys.exit(1)
        print(f"artsrc: {len(a)} lines equal ({sys.argv[2]} = {sys.argv[3]})")
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
