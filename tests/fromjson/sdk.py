#!/usr/bin/env python3
"""The SDK side of the reading tests (issue 21), with wandb 0.31.

    sdk.py write WORK        log media + a table into an offline run (WORK/run) and build an
                             artifact directory (WORK/art: eval.table.json + its files, the
                             layout of artifact.download()); write what the SDK reads back
                             from both as a dump (WORK/expected.txt)
    sdk.py dump-artifact DIR NAME
                             print the dump of what wandb.Table.from_json / artifact.get reads
                             from the artifact directory DIR (entry NAME.table.json)
    sdk.py compare EXPECTED ACTUAL
                             compare two dumps (exit 1 on a difference)

The dump is a line per value (path, kind, content) that tests/fromjson/read_dump.c prints
the same way from what the C library reads. SDK objects are read with the SDK's own
from_json against a minimal artifact stand-in whose get_entry(path).download() is the file
in the directory (the SDK's artifact.get needs a logged, online artifact).
"""

import json
import math
import os
import shutil
import sys

import numpy as np


def fnv(b):
    h = 0xCBF29CE484222325
    for x in b:
        h ^= x
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def g(x):
    return "%.17g" % x


def cj(x):
    return json.dumps(x, separators=(",", ":"), ensure_ascii=False, allow_nan=True)


class Entry:
    def __init__(self, root, path):
        self.root, self.path = root, path

    def download(self, *a, **k):
        return os.path.join(self.root, self.path)

    def ref_url(self):
        return "wandb-artifact://local/" + self.path


class DirArtifact:
    """Just what from_json uses of a source artifact."""

    aliases = ["latest"]

    def __init__(self, root):
        self.root = root

    def get_entry(self, name):
        p = os.path.join(self.root, name)
        if not os.path.isfile(p):
            raise KeyError(name)
        return Entry(self.root, name)

    def get(self, name):
        from wandb.sdk.data_types.base_types.wb_value import WBValue

        with open(os.path.join(self.root, name)) as fh:
            obj = json.load(fh)
        return WBValue.init_from_json(obj, self)


def dump(path, v, out):
    import wandb

    if v is None:
        out.append(f"{path} null")
    elif isinstance(v, bool):
        out.append(f"{path} bool {int(v)}")
    elif isinstance(v, int):
        out.append(f"{path} int {v}")
    elif isinstance(v, float):
        out.append(f"{path} float {g(v)}")
    elif isinstance(v, str):
        out.append(f"{path} string {cj(v)}")
    elif isinstance(v, list):
        out.append(f"{path} list {len(v)}")
        for i, x in enumerate(v):
            dump(f"{path}[{i}]", x, out)
    elif isinstance(v, dict):
        out.append(f"{path} dict {len(v)}")
        for k, x in v.items():
            dump(f"{path}.{k}", x, out)
    elif isinstance(v, wandb.Image):
        a = np.asarray(v.image)
        h, w = a.shape[:2]
        c = 1 if a.ndim == 2 else a.shape[2]
        cap = v._caption
        out.append(f"{path} Image {w}x{h}x{c} fnv={fnv(a.astype(np.uint8).tobytes())} "
                   f"mean={a.mean():.3f} caption={cj(cap)}")
    elif isinstance(v, wandb.Audio):
        import soundfile

        data, rate = soundfile.read(v._path, dtype="float32", always_2d=True)
        out.append(f"{path} Audio frames={data.shape[0]} ch={data.shape[1]} rate={rate} "
                   f"sum={float(data.astype(np.float64).sum()):.6f} caption={cj(v._caption)}")
    elif isinstance(v, wandb.Histogram):
        out.append(f"{path} histogram values={cj([g(x) for x in v.histogram])} "
                   f"bins={cj([g(x) for x in v.bins])}")
    elif isinstance(v, wandb.Table):
        out.append(f"{path} Table ncols={len(v.columns)} nrows={len(v.data)} "
                   f"cols={cj([str(c) for c in v.columns])}")
        out.append(f"{path} types {cj(v._column_types.to_json())}")
        for r, row in enumerate(v.data):
            for c, cell in enumerate(row):
                dump(f"{path}[{r}][{c}]", cell, out)
    elif isinstance(v, (wandb.Video, wandb.Html, wandb.Object3D, wandb.Molecule)):
        with open(v._path, "rb") as fh:
            b = fh.read()
        out.append(f"{path} {type(v).__name__} bytes={len(b)} fnv={fnv(b)}")
    else:
        out.append(f"{path} other {type(v).__name__}")


def media_from_run_json(j, files):
    """What the SDK's from_json reads from a run's media JSON (files dir as the source)."""
    import wandb
    from wandb.sdk.data_types.base_types.wb_value import WBValue

    src = DirArtifact(files)
    if isinstance(j, dict) and j.get("_type") == "table-file":
        with open(os.path.join(files, j["path"])) as fh:
            copy = json.load(fh)
        # (no SDK from_json for run copies: the same cells through Table's own typing)
        return wandb.Table(columns=copy["columns"], data=copy["data"])
    if isinstance(j, dict) and j.get("_type") == "images/separated":
        caps = j.get("captions") or [None] * j["count"]
        return [wandb.Image.from_json({"_type": "image-file", "path": p, "caption": c}, src)
                for p, c in zip(j["filenames"], caps)]
    if isinstance(j, dict) and j.get("_type") in ("image-file",):
        j = {k: v for k, v in j.items() if k not in ("boxes", "masks")}
        return wandb.Image.from_json(j, src)
    if isinstance(j, dict) and j.get("_type") == "audio-file":
        return wandb.Audio.from_json({"caption": None, **j}, src)
    if isinstance(j, dict) and j.get("_type") == "histogram":
        return wandb.Histogram(np_histogram=(j["values"], j["bins"]))
    if isinstance(j, dict) and j.get("_type") in ("video-file", "html-file", "object3D-file"):
        cls = WBValue.type_mapping()[j["_type"]]
        return cls(os.path.join(files, j["path"])) if j["_type"] != "html-file" else cls(
            open(os.path.join(files, j["path"])).read(), inject=False)
    if isinstance(j, dict) and "_type" not in j:
        return {k: media_from_run_json(v, files) for k, v in j.items()}
    if isinstance(j, list):
        return [media_from_run_json(v, files) for v in j]
    return j


def write(work):
    import wandb

    rng = np.random.default_rng(7)
    run_dir = os.path.join(work, "run")
    os.makedirs(run_dir, exist_ok=True)
    run = wandb.init(mode="offline", dir=run_dir, project="fromjson", settings=wandb.Settings(
        silent=True, x_disable_stats=True, console="off"))
    img = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    gray = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    rgba = rng.integers(0, 256, (4, 3, 4), dtype=np.uint8)
    mask = np.zeros((6, 8), np.uint8)
    mask[2:4, 3:6] = 2
    boxes = {"pred": {"box_data": [{"position": {"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.6},
                                    "class_id": 1, "box_caption": "car", "scores": {"acc": 0.75}}],
                      "class_labels": {1: "car", 2: "road"}}}
    masks = {"seg": {"mask_data": mask, "class_labels": {0: "bg", 2: "road"}}}
    t = np.arange(800) / 8000.0
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    frames = rng.integers(0, 256, (3, 3, 8, 10), dtype=np.uint8)
    pts = rng.random((5, 3))
    table = wandb.Table(columns=["id", "label", "score", "img", "tags"])
    for i in range(3):
        table.add_data(i, ["cat", "dog", "bird"][i], 0.25 * i, wandb.Image(img[:, :, ::-1] if i else img),
                       ["a", "b"][: i + 1])
    row = {
        "img": wandb.Image(img, caption="cap", grouping=2),
        "img_gray": wandb.Image(gray),
        "img_rgba": wandb.Image(rgba),
        "img_boxes": wandb.Image(img, boxes=boxes, masks=masks),
        "img_jpg": wandb.Image(img, file_type="jpg"),
        "imgs": [wandb.Image(gray, caption="a"), wandb.Image(gray * 2, caption="b")],
        "hist": wandb.Histogram(np.arange(50) * 0.5, num_bins=8),
        "audio": wandb.Audio(tone, sample_rate=8000, caption="tone"),
        "video": wandb.Video(frames, fps=4, format="gif"),
        "html": wandb.Html("<b>hello</b>"),
        "pts": wandb.Object3D(pts),
        "table": table,
        "num": 3.5,
        "count": 7,
        "name": "run one",
        "nested": {"a": 1, "b": [1, 2.5, "x"], "ok": True},
    }
    run.log(row)
    run.finish()
    files = [os.path.join(r, "files") for r in sorted(
        os.path.join(run_dir, "wandb", d) for d in os.listdir(os.path.join(run_dir, "wandb"))
        if d.startswith("offline-run-"))][0]
    # The history row exactly as wandb-core stored it in the .wandb log (its item texts).
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "run"))
    from check_run import raw_records, wandb_file

    recs, _ = raw_records(wandb_file(os.path.dirname(files)))
    # wandb-core stores the row flattened (one item per leaf, `nested_key` its path).
    row_json = {}
    for r in recs:
        if r.WhichOneof("record_type") != "history":
            continue
        for i in r.history.item:
            path = list(i.nested_key) or [i.key]
            if path[0].startswith("_"):
                continue
            d = row_json
            for p in path[:-1]:
                d = d.setdefault(p, {})
            d[path[-1]] = json.loads(i.value_json)
    text = json.dumps(row_json, allow_nan=True)
    with open(os.path.join(work, "row.json"), "w", encoding="utf-8") as fh:
        fh.write(text)
    summary = json.loads(text)
    out = []
    for k in summary:
        dump(f"run.{k}", media_from_run_json(summary[k], files), out)

    # An artifact directory as artifact.download() leaves it: eval.table.json and the files.
    art = wandb.Artifact("dataset", "dataset")
    ds = wandb.Table(columns=["id", "image", "label", "score", "audio", "notes"])
    classes = wandb.Classes([{"id": 1, "name": "car"}, {"id": 2, "name": "road"}])
    for i in range(4):
        pic = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        im = (wandb.Image(pic, caption=f"sample {i}", boxes=boxes, masks=masks, classes=classes) if i == 1
              else wandb.Image(pic, caption=f"sample {i}") if i != 3 else None)
        # (Audio.from_json of 0.31 needs a caption: KeyError without one)
        au = wandb.Audio(tone[: 100 * (i + 1)], sample_rate=8000, caption=f"a{i}") if i < 2 else None
        ds.add_data(i, im, ["car", "road", "car", "sky"][i], 0.5 * i - 0.25, au, {"k": i, "l": [i, i + 0.5]})
    art.add(ds, "eval")
    adir = os.path.join(work, "art")
    shutil.rmtree(adir, ignore_errors=True)
    for name, entry in art.manifest.entries.items():
        dst = os.path.join(adir, name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(entry.local_path, dst)
    with open(os.path.join(work, "files_dir.txt"), "w") as fh:
        fh.write(files)
    out += dump_artifact(adir, "eval", prefix="art.eval")
    with open(os.path.join(work, "expected.txt"), "w") as fh:
        fh.write("\n".join(out) + "\n")


def dump_artifact(adir, name, prefix=None):
    import wandb

    with open(os.path.join(adir, name + ".table.json")) as fh:
        j = json.load(fh)
    t = wandb.Table.from_json(j, DirArtifact(adir))
    out = []
    dump(prefix or f"art.{name}", t, out)
    return out


def canon_types(t):
    """Column types with union members as a set (their order follows the SDK's merging)."""
    if isinstance(t, dict):
        t = {k: canon_types(v) for k, v in t.items()}
        if t.get("wb_type") == "union":
            t["params"]["allowed_types"] = sorted(t["params"]["allowed_types"], key=lambda x: json.dumps(x, sort_keys=True))
        return t
    if isinstance(t, list):
        return [canon_types(x) for x in t]
    return t


def compare(exp_path, act_path):
    exp = open(exp_path, encoding="utf-8").read().splitlines()
    act = open(act_path, encoding="utf-8").read().splitlines()
    bad = abs(len(exp) - len(act))
    if bad:
        print(f"line count differs: expected {len(exp)}, got {len(act)}")
    for e, a in zip(exp, act):
        if e == a:
            continue
        ep, ek, erest = (e.split(" ", 2) + ["", ""])[:3]
        ap, ak, arest = (a.split(" ", 2) + ["", ""])[:3]
        if (ep, ek) == (ap, ak) and ek == "types":
            if json.dumps(canon_types(json.loads(erest)), sort_keys=True) == json.dumps(
                    canon_types(json.loads(arest)), sort_keys=True):
                continue
        if (ep, ek) == (ap, ak) and ek == "Image" and "jpg" in ep:
            # JPEG: two decoders (libjpeg-turbo vs the image crate) may differ by ±1-2 per
            # sample after IDCT/upsampling: same size, mean within 1.
            ef, af = erest.split(), arest.split()
            em, am = float(ef[2][5:]), float(af[2][5:])
            if ef[0] == af[0] and ef[3:] == af[3:] and abs(em - am) < 1.0:
                continue
        print(f"DIFF\n  sdk: {e}\n  lib: {a}")
        bad += 1
    print(f"fromjson compare {os.path.basename(act_path)}: {max(len(exp) - bad, 0)} of {len(exp)} lines equal"
          f"{'' if not bad else f', {bad} differences'}")
    return 1 if bad else 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "write":
        write(sys.argv[2])
    elif cmd == "dump-artifact":
        print("\n".join(dump_artifact(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)))
    elif cmd == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
