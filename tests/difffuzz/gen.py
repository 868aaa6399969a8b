"""Seeded generator of random compat cases (../shared/compat/README.md §1 case format).

gen_cases(seed, n, cases_dir) writes n cases (and the input files they refer to under
cases_dir/assets) that are a pure function of the seed. Every data type and option the
compat driver supports appears, with dtypes, shapes (0-d, 1-pixel, odd, empty),
non-finite values, captions, nested containers, odd keys, summary vs history, and inputs
the SDK raises on. Lossy encoders (JPEG, GIF, MP4) get smooth "photo-like" content, the
kind the comparator's thresholds were calibrated on (README §4.1).
"""

import base64
import hashlib
import json
import math
import os
import random
import shutil

import numpy as np

DTYPES = ["uint8", "int8", "uint16", "int16", "int32", "int64", "float32", "float64", "bool"]
FLOATS = ["float32", "float64"]


def tensor(arr):
    arr = np.array(arr, order="C")  # (ascontiguousarray would turn 0-d into 1-d)
    name = {np.dtype(d): d for d in DTYPES}[arr.dtype]
    raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    return {"dtype": name, "shape": list(arr.shape), "b64": base64.b64encode(raw).decode()}


def fspec(v):
    return {"wb": "float", "value": "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")}


class Gen:
    def __init__(self, seed, assets):
        digest = hashlib.sha256(str(seed).encode()).digest()
        self.r = random.Random(digest)
        self.np = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        self.assets = assets  # list of (kind, relpath)

    # -- helpers -------------------------------------------------------------------------
    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return self.r.choice(seq)

    def caption(self):
        return self.pick(["", "cap", "é😀 \"q\" \\ /\n\t", "x" * self.r.randint(1, 40),
                          "\u0001\u007f", "</script>"])

    def key(self):
        if self.chance(0.75):
            return self.pick(["a", "loss", "img", "x1", "eval/acc", "k" + str(self.r.randint(0, 99))])
        return self.pick(["", " ", "a/b", "a//b", "trail/", "./x", "..", ".", "a/../b", "/abs",
                          "c:t", "a\\b", "ключ", "键", "😀", "a.b", "_step", "_runtime",
                          "_timestamp", "_wandb", "_x", "a b", "x.table.json", "t\t",
                          "media/x", "a/./b"])

    def rand_array(self, dtype, shape, special=0.0, rng_kind=None):
        size = int(np.prod(shape)) if shape else 1
        kind = rng_kind or self.pick(["small", "wide", "huge", "tiny", "const"])
        if dtype == "bool":
            a = self.np.integers(0, 2, size).astype(bool)
        elif dtype in FLOATS:
            if kind == "small":
                a = self.np.normal(0, 1, size)
            elif kind == "wide":
                a = self.np.uniform(-300, 300, size)
            elif kind == "huge":
                a = self.np.uniform(-1e30, 1e30, size) * (1e-250 if self.chance(0.3) else 1)
            elif kind == "tiny":
                a = self.np.uniform(0, 1e-6, size)
            else:
                a = np.full(size, self.r.uniform(-5, 5))
            a = a.astype(dtype)
            if special and size:
                for i in range(size):
                    if self.r.random() < special:
                        a[i] = self.pick([np.nan, np.inf, -np.inf])
        else:
            info = np.iinfo(dtype)
            lo, hi = (info.min, info.max) if kind in ("huge", "wide") else (max(info.min, -10), min(info.max, 300))
            if kind == "const":
                a = np.full(size, self.r.randint(int(lo), int(hi)), dtype=dtype)
            else:
                a = self.np.integers(int(lo), int(hi), size, dtype=dtype, endpoint=True)
        return a.reshape(shape)

    def smooth_pixels(self, h, w, c, dtype="uint8"):
        y, x = np.mgrid[0:h, 0:w]
        base = []
        for ch in range(c):
            f = self.r.uniform(0.05, 0.3)
            ph = self.r.uniform(0, 6)
            base.append(110 + 60 * np.sin(f * x + ph) * np.cos(f * 0.7 * y + ch))
        a = np.stack(base, -1) if c > 1 else base[0][..., None]
        return np.clip(a, 0, 255).astype(dtype)

    # -- scalars and containers ------------------------------------------------------------
    def scalar(self):
        k = self.r.randint(0, 9)
        if k == 0:
            return self.pick([0, 1, -1, 2**53 + 1, -(2**63), 2**63 - 1, self.r.randint(-10**6, 10**6)])
        if k == 1:
            return self.pick([0.0, -0.0, 1.0, 0.1, 1e-5, 1e-7, 1e16, 1e15, 123456789.125,
                              self.r.uniform(-1e3, 1e3), self.r.uniform(0, 1) * 10 ** self.r.randint(-30, 30)])
        if k == 2:
            return fspec(self.pick([math.nan, math.inf, -math.inf]))
        if k == 3:
            return self.caption()
        if k == 4:
            return self.pick([True, False, None])
        if k == 5:
            return self.ndarray()
        return self.pick([self.r.randint(-100, 100), round(self.r.uniform(-10, 10), 3), "s"])

    def ndarray(self):
        dtype = self.pick(DTYPES)
        shape = self.pick([[], [1], [1, 1], [2], [3, 2], [self.r.randint(0, 40)], [5, 7], [33],
                           [2, 1, 3], [0, 3]])
        arr = self.rand_array(dtype, shape, special=0.1 if self.chance(0.3) else 0.0)
        return {"wb": "ndarray", "tensor": tensor(arr)}

    def plain(self, depth):
        if depth <= 0 or self.chance(0.6):
            return self.scalar()
        if self.chance(0.5):
            return [self.plain(depth - 1) for _ in range(self.r.randint(0, 4))]
        return {self.key(): self.plain(depth - 1) for _ in range(self.r.randint(0, 3))}

    # -- media -----------------------------------------------------------------------------
    def image(self, err_ok=True):
        if self.chance(0.25):
            spec = {"wb": "image", "file": self.pick([p for k, p in self.assets if k == "image"])}
        else:
            spec = {"wb": "image"}
            ft = self.pick([None, None, "png", "bmp", "jpg", "jpeg"] + (["gif"] if err_ok and self.chance(0.1) else []))
            h, w = self.pick([(1, 1), (1, 5), (3, 1), (8, 8), (7, 5), (16, 12)])
            if ft in ("jpg", "jpeg"):
                h, w = self.pick([(16, 16), (24, 16), (17, 9)])
                shape = self.pick([(h, w, 3), (h, w), (h, w, 4), (h, w, 1)])
                arr = self.smooth_pixels(h, w, shape[2] if len(shape) == 3 else 1).reshape(shape)
            else:
                shape = self.pick([(h, w), (h, w, 1), (h, w, 3), (h, w, 4), (1, h, w, 3), (h, w, 2),
                                   (1, 1), (1, w, 3)] + ([(5,), (2, 2, 2, 2)] if err_ok else []))
                dtype = self.pick(DTYPES)
                arr = self.rand_array(dtype, shape, special=0.1 if dtype in FLOATS and self.chance(0.3) else 0.0)
                if dtype in FLOATS and self.chance(0.3):
                    spec["normalize"] = "legacy"
            spec["tensor"] = tensor(arr)
            if len(shape) == 3 and shape[2] == 2 and (self.chance(0.8) or not err_ok):
                spec["mode"] = "LA"
            elif self.chance(0.2):
                spec["mode"] = self.pick(["L", "RGB", "RGBA"])
            if ft:
                spec["file_type"] = ft
            if self.chance(0.2) and len(shape) >= 2 and shape[0] > 1 and shape[1] > 1:
                hh, ww = shape[0], shape[1]
                spec["boxes"] = {"pred": {"box_data": [
                    {"position": {"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.7},
                     "class_id": self.r.randint(0, 3), "box_caption": self.caption(),
                     "scores": {"acc": round(self.r.random(), 3)}},
                    {"position": {"middle": [1, 1], "width": 2, "height": 1}, "domain": "pixel",
                     "class_id": 1}]}}
                if self.chance(0.5):
                    spec["boxes"]["pred"]["class_labels"] = {"0": "zero", "1": "one", "2": "two", "3": "three"}
                if self.chance(0.5):
                    m = self.np.integers(0, 4, (hh, ww)).astype("uint8")
                    spec["masks"] = {"seg": {"mask_data": tensor(m)}}
                    if self.chance(0.5):
                        spec["masks"]["seg"]["class_labels"] = {"0": "bg", "1": "a", "2": "b", "3": "c"}
        if self.chance(0.08):
            spec["masks"] = {"layer": {"file": "assets/mask_layer.png"}}
        if self.chance(0.1):
            spec["classes"] = [{"id": i, "name": self.pick(["cat", "dog", "é"])} for i in range(self.r.randint(1, 3))]
        if self.chance(0.4):
            spec["caption"] = self.caption()
        if self.chance(0.2):
            spec["grouping"] = self.r.randint(0, 3)
        return spec

    def video(self):
        if self.chance(0.2):
            return {"wb": "video", "file": self.pick([p for k, p in self.assets if k == "video"])}
        fmt = self.pick(["gif", "gif", "mp4"])
        t = self.r.randint(1, 6)
        # MP4: at least 16x16 (8x8 single frames sit at compare.py's bias limit, see report)
        h, w = self.pick([(16, 16), (24, 16), (16, 32)]) if fmt == "mp4" else self.pick([(4, 4), (8, 6), (9, 7)])
        c = self.pick([3, 3, 4])
        frames = np.stack([self.smooth_pixels(h, w, c) for _ in range(t)])  # T,H,W,C
        arr = frames.transpose(0, 3, 1, 2)
        if self.chance(0.15):
            arr = arr[None].repeat(self.r.randint(1, 3), 0)  # B,T,C,H,W
        if self.chance(0.2):
            arr = arr.astype("float32")
        spec = {"wb": "video", "tensor": tensor(arr), "format": fmt}
        if self.chance(0.5):
            spec["fps"] = self.pick([0, 1, 4, 5, 10, 30])
        if self.chance(0.3):
            spec["caption"] = self.caption()
        return spec

    def audio(self):
        if self.chance(0.2):
            spec = {"wb": "audio", "file": self.pick([p for k, p in self.assets if k == "audio"])}
            if self.chance(0.5):
                spec["sample_rate"] = self.pick([8000, 44100])
        else:
            dtype = self.pick(["float32", "float64", "int16", "int32"])
            n = self.r.randint(0, 50)
            shape = self.pick([[n], [n, 1], [n, 2], [n, 3]])
            arr = self.rand_array(dtype, shape, special=0.05 if self.chance(0.2) else 0.0,
                                  rng_kind="small" if dtype in FLOATS else "huge")
            spec = {"wb": "audio", "tensor": tensor(arr), "sample_rate": self.pick([8000, 16000, 44100, 1])}
        if self.chance(0.3):
            spec["caption"] = self.caption()
        return spec

    def histogram(self):
        k = self.r.randint(0, 5)
        if k <= 2:
            dtype = self.pick(DTYPES)
            arr = self.rand_array(dtype, self.pick([[0], [1], [5], [40], [3, 7], [200]]),
                                  special=0.05 if self.chance(0.1) else 0.0)
            spec = {"wb": "histogram", "tensor": tensor(arr)}
            if self.chance(0.5):
                spec["num_bins"] = self.pick([1, 2, 7, 10, 64, 100, 512, 513, 0, -3])
            return spec
        n = self.pick([0, 1, 3, 10, 32, 33, 64, 65, 200])
        counts = self.np.integers(0, 100, n)
        edges = np.linspace(self.r.uniform(-5, 0), self.r.uniform(0.5, 5), n + 1)
        if self.chance(0.1):
            edges = edges[:-1]
        parts = []
        for arr, ints in ((counts, True), (edges, False)):
            form = self.r.randint(0, 2)
            if form == 0:
                parts.append([int(v) for v in arr] if ints else [float(v) for v in arr])
            else:
                dt = self.pick(["int64", "int32", "uint8"]) if ints else self.pick(FLOATS)
                parts.append(tensor(arr.astype(dt)))
        if self.chance(0.1) and n % 2 == 0 and n:
            parts[0] = tensor(counts.reshape(n // 2, 2))
            parts[1] = tensor(edges[: n // 2 + 1])
        return {"wb": "histogram", "np_histogram": parts}

    def html(self):
        if self.chance(0.2):
            spec = {"wb": "html", "file": "assets/page.html"}
        else:
            spec = {"wb": "html", "html": self.pick([
                "<p>hi</p>", "<html><head><title>t</title></head><body>x</body></html>",
                "<HEAD></HEAD>b", "", "é😀", "<head  lang=x>\n</head>", self.caption()])}
        if self.chance(0.4):
            spec["inject"] = self.chance(0.5)
        return spec

    def object3d(self):
        k = self.r.randint(0, 3)
        if k == 0:
            spec = {"wb": "object3d", "file": self.pick([p for kk, p in self.assets if kk == "obj3d"])}
        elif k == 1:
            n = self.r.randint(1, 6)
            c = self.pick([3, 4, 6, 6] + ([5] if self.chance(0.1) else []))
            dt = self.pick(["float64", "float32", "int64"])
            arr = self.rand_array(dt, [n, c], rng_kind="small" if dt in FLOATS else None)
            spec = {"wb": "object3d", "tensor": tensor(arr)}
        else:
            pts = self.rand_array("float64", [self.r.randint(1, 4), 3], rng_kind="small")
            boxes = []
            for _ in range(self.r.randint(0, 2)):
                b = {"center": [self.r.randint(-3, 3) for _ in range(3)],
                     "size": [self.r.randint(1, 4) for _ in range(3)],
                     "orientation": self.pick([[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 0, 1]]),
                     "color": [self.r.randint(0, 255) for _ in range(3)]}
                if self.chance(0.5):
                    b["label"] = self.caption()
                if self.chance(0.5):
                    b["score"] = round(self.r.random(), 2)
                boxes.append(b)
            pc = {"points": tensor(pts) if self.chance(0.5) else pts.tolist(), "boxes": boxes}
            if self.chance(0.5):
                pc["vectors"] = [{"start": [0, 0, 0], "end": [1, 2, 3]}]
            spec = {"wb": "object3d", "point_cloud": pc}
        if self.chance(0.3):
            spec["caption"] = self.caption()
        return spec

    def molecule(self):
        spec = {"wb": "molecule", "file": self.pick(["assets/ethanol.pdb", "assets/water.pdb"])}
        if self.chance(0.4):
            spec["caption"] = self.caption()
        return spec

    def plotly(self):
        return {"wb": "plotly", "figure": {"data": [{"type": "scatter", "x": [1, 2, 3],
                                                     "y": [self.scalar_json() for _ in range(3)]}],
                                           "layout": {"title": {"text": self.caption()}}}}

    def scalar_json(self):
        return self.pick([1, 2.5, 1e-05, 1e16, -0.0, "é", None, True])

    def graph(self):
        nodes = [{"id": i, "name": self.pick(["in", "dense", None]), "class_name": "Dense"}
                 for i in range(self.r.randint(0, 3))]
        for n in nodes:
            if n["name"] is None:
                del n["name"]
            if self.chance(0.3):
                n["num_parameters"] = self.r.randint(0, 100)
        edges = [[0, 1]] if len(nodes) >= 2 else []
        return {"wb": "graph", "nodes": nodes, "edges": edges, "format": self.pick(["keras", "torch"])}

    def table(self):
        ncols = self.r.randint(1, 3)
        cols = [f"c{i}" for i in range(ncols)] if self.chance(0.8) else list(range(ncols))
        kinds = [self.pick(["int", "float", "str", "any", "image", "html", "audio", "pts", "molecule"])
                 for _ in range(ncols)]
        rows = []
        for _ in range(self.r.randint(0, 3)):
            row = []
            for kind in kinds:
                if kind == "int":
                    row.append(self.r.randint(-5, 5))
                elif kind == "float":
                    row.append(self.pick([1.5, -0.0, fspec(math.nan), fspec(math.inf), 1e-7]))
                elif kind == "str":
                    row.append(self.caption())
                elif kind == "image":
                    row.append({"wb": "image", "tensor": tensor(self.smooth_pixels(2, 3, 3))})
                elif kind == "html":
                    row.append({"wb": "html", "html": "<p>x</p>", "inject": False})
                elif kind == "audio":
                    row.append({"wb": "audio", "tensor": tensor(self.rand_array("float32", [8], rng_kind="small")),
                                "sample_rate": 8000})
                elif kind == "pts":
                    row.append({"wb": "object3d", "tensor": tensor(self.rand_array("float64", [2, 3], rng_kind="small"))})
                elif kind == "molecule":
                    row.append({"wb": "molecule", "file": "assets/water.pdb"})
                else:
                    row.append(self.pick([None, [1, 2], {"k": 1}, True]))
            rows.append(row)
        if self.chance(0.05) and rows:
            rows[0] = rows[0] + [1]  # row length error
        if self.chance(0.03) and rows:
            rows[0][0] = {"wb": "histogram", "tensor": tensor(np.arange(3.0))}  # SDK error
        spec = {"wb": "table", "columns": cols, "data": rows}
        if self.chance(0.3):
            spec["log_mode"] = self.pick(["IMMUTABLE", "MUTABLE"])
        if self.chance(0.2):
            spec["allow_mixed_types"] = self.chance(0.5)
        return spec

    def media_value(self):
        kind = self.pick(["image", "image", "image", "video", "audio", "audio", "histogram",
                          "histogram", "html", "object3d", "molecule", "plotly", "table",
                          "graph", "list"])
        if kind == "list":
            sub = self.pick(["image", "audio", "html", "object3d", "molecule", "video", "histogram"])
            items = [getattr(self, sub)() for _ in range(self.r.randint(1, 3))]
            if self.chance(0.05):
                items.append(1)  # media mixed with a plain value: SDK error
            return items
        return getattr(self, kind)()

    def value(self, depth=2):
        k = self.r.random()
        if k < 0.45:
            return self.media_value()
        if k < 0.55 and depth > 0:
            return {self.key(): self.value(depth - 1) for _ in range(self.r.randint(0, 3))}
        return self.plain(2)

    def case(self, name):
        step = "summary" if self.chance(0.2) else self.pick([0, 1, 7, 123456])
        row = {}
        for _ in range(self.r.randint(1, 4)):
            key = self.key()
            # The reference row leaves out these keys (README §2.1) while their media files
            # stay: a lossy file there has no row entry compare.py could map it through.
            row[key] = self.plain(2) if key in ("_step", "_runtime", "_timestamp") else self.value()
        return {"name": name, "step": step, "row": row}


def make_assets(cases_dir, shared):
    """Input files: the public assets plus images in every format the SDK reads through
    Pillow that the library supports (written by Pillow itself)."""
    from PIL import Image

    dest = os.path.join(cases_dir, "assets")
    if os.path.isdir(dest):
        shutil.rmtree(dest)
    shutil.copytree(os.path.join(shared, "compat", "cases", "assets"), dest)
    y, x = np.mgrid[0:9, 0:13]
    rgb = np.stack([x * 19, y * 27, (x + y) * 9], -1).astype("uint8")
    im = Image.fromarray(rgb)
    out = [("image", "assets/photo.png"), ("image", "assets/PIC2.JPG"), ("image", "assets/gray.jpg"),
           ("image", "assets/raw_image"), ("image", "assets/clip.gif")]
    variants = [
        ("img.tif", im, {}), ("img_lzw.tiff", im, {"compression": "tiff_lzw"}),
        ("gray.tif", im.convert("L"), {"compression": "tiff_deflate"}),
        ("img.ppm", im, {}), ("img.pgm", im.convert("L"), {}), ("img.pbm", im.convert("1"), {}),
        ("img.tga", im, {}), ("img_rle.tga", im.convert("RGBA"), {"compression": "tga_rle"}),
        ("img.ico", im, {"sizes": [(13, 9)]}), ("big.ico", im.resize((40, 30)), {"sizes": [(16, 16), (40, 30)]}),
        ("img.qoi", im, {}), ("img.webp", im, {"lossless": True}), ("img.bmp", im, {}),
        ("img.dds", im.convert("RGBA"), {}), ("tga_noext", im, {"format": "TGA"}),
        ("tif_noext", im, {"format": "TIFF"}), ("IMG.TIF", im, {"format": "TIFF"}),
        ("img.pcx", im, {}), ("img.sgi", im.convert("L"), {}), ("img.msp", im.convert("1"), {}),
        ("img.xbm", im.convert("1"), {}), ("img.im", im, {}), ("img.jp2", im, {}),
        ("img.j2k", im.resize((5, 7)), {}),
    ]
    for name, img, kw in variants:
        img.save(os.path.join(dest, name), **kw)
        out.append(("image", "assets/" + name))
    out += [("video", "assets/clip.gif"), ("video", "assets/clip.mp4"), ("video", "assets/CLIP_UPPER.MP4"),
            ("audio", "assets/tone.wav"), ("audio", "assets/beep.FLAC"), ("audio", "assets/page.html"),
            ("obj3d", "assets/cube.obj"), ("obj3d", "assets/tri.stl")]
    shutil.copy(os.path.join(dest, "cube.obj"), os.path.join(dest, "meshobj"))
    out.append(("obj3d", "assets/meshobj"))  # SDK: bind-time assertion (error)
    return out


def gen_cases(seed, n, cases_dir, shared):
    os.makedirs(cases_dir, exist_ok=True)
    assets = make_assets(cases_dir, shared)
    names = []
    for i in range(n):
        g = Gen(f"{seed}:{i}", assets)
        name = f"fz{seed}_{i:05d}"
        case = g.case(name)
        with open(os.path.join(cases_dir, name + ".json"), "w", encoding="utf-8") as fh:
            json.dump(case, fh, ensure_ascii=False)
        names.append(name)
    return names
