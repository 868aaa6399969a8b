#!/usr/bin/env python3
"""Writes tests/compat/extra/cases: permanent compat cases for the SDK divergences of
issue 14 (found by randomized differential testing). Their reference outputs in
tests/compat/extra/expected come from the real SDK (issue 13 adds webm video cases, compared
by decoded frame count, size and PSNR):

    .venv-compat/bin/python tests/compat/extra/make_cases.py
    .venv-compat/bin/python tests/difffuzz/sdk_side.py ../shared/compat tests/compat/extra/cases tests/compat/extra/expected

`make test-compat` runs the driver on them and compares with ../shared/compat/compare.py.
"""

import json
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "difffuzz"))
from gen import fspec, tensor  # noqa: E402


def main():
    from PIL import Image

    cases = os.path.join(HERE, "cases")
    shutil.rmtree(cases, ignore_errors=True)
    assets = os.path.join(cases, "assets")
    os.makedirs(assets)
    y, x = np.mgrid[0:9, 0:13]
    im = Image.fromarray(np.stack([x * 19, y * 27, (x + y) * 9], -1).astype("uint8"))
    files = {
        "img.tif": (im, {}), "img_lzw.tiff": (im, {"compression": "tiff_lzw"}),
        "gray.tif": (im.convert("L"), {"compression": "tiff_deflate"}),
        "img.ppm": (im, {}), "img.pgm": (im.convert("L"), {}), "img.pbm": (im.convert("1"), {}),
        "img.tga": (im, {}), "rle.tga": (im.convert("RGBA"), {"compression": "tga_rle"}),
        "tga_noext": (im, {"format": "TGA"}), "img.ico": (im, {"sizes": [(13, 9)]}),
        "big.ico": (im.resize((40, 30)), {"sizes": [(16, 16), (40, 30)]}),
        "img.qoi": (im, {}), "img.dds": (im.convert("RGBA"), {}),
        "img.pcx": (im, {}), "gray.pcx": (im.convert("L"), {}), "img.sgi": (im, {}),
        "img.rgb": (im.convert("L"), {"format": "SGI"}), "img.msp": (im.convert("1"), {}),
        "img.xbm": (im.convert("1"), {}), "img.im": (im, {}), "img.jp2": (im, {}),
        "img.j2k": (im, {}),
    }
    for name, (img, kw) in files.items():
        img.save(os.path.join(assets, name), **kw)
    with open(os.path.join(assets, "meshobj"), "w") as fh:
        fh.write("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")

    def clip(t, c, h, w, k=0):
        """A smooth moving gradient with a bright square: (T,C,H,W) uint8."""
        tt, yy, xx = np.meshgrid(np.arange(t), np.arange(h), np.arange(w), indexing="ij")
        base = (xx * 255 // w + yy * 255 // h + tt * 8 + k * 40) // 2
        v = np.stack([(base + off) % 256 for off in (0, 60, 120, 200)[:c]], 1)
        sq = (tt * 3 + k) % w
        inside = (xx >= sq) & (xx < sq + w // 4 + 1) & (yy >= h // 3) & (yy < h // 3 + h // 4 + 1)
        for ci, val in enumerate((250, 230, 40, 255)[:c]):
            v[:, ci][inside] = val
        return v.astype("uint8")

    def f32nan(n):
        a = np.arange(n, dtype="float32")
        a[1] = np.nan
        return a

    out = {
        # 1. precomputed histograms: > 32 bins as tensors, 2-D counts
        "hist_np_tensor_64": (0, {"h": {"wb": "histogram", "np_histogram": [
            tensor(np.arange(64, dtype="int64")), tensor(np.linspace(0, 1, 65))]}}),
        "hist_np_tensor_2d": (1, {"h": {"wb": "histogram", "np_histogram": [
            tensor(np.arange(6, dtype="int32").reshape(3, 2)), tensor(np.arange(4.0, dtype="float32"))]},
            "j": {"wb": "histogram", "np_histogram": [[[1, 2], [3, 4]], [0, 1, 2]]}}),
        # 2. image files Pillow opens
        "image_files_pillow": (2, {name.replace(".", "_"): {"wb": "image", "file": "assets/" + name}
                                   for name in files}),
        # 3. NaN -> null rules per dtype, summary and history
        "summary_nan_rules": ("summary", {
            "f32_1": {"wb": "ndarray", "tensor": tensor(np.array([np.nan], "float32"))},
            "f64_1": {"wb": "ndarray", "tensor": tensor(np.array([np.nan], "float64"))},
            "f64_0d": {"wb": "ndarray", "tensor": tensor(np.array(np.nan, "float64"))},
            "small": {"wb": "ndarray", "tensor": tensor(np.array([np.nan, 1.0], "float32"))},
            "nested": {"f32": {"wb": "ndarray", "tensor": tensor(np.array([np.nan], "float32"))},
                       "f64": {"wb": "ndarray", "tensor": tensor(np.array([np.nan], "float64"))},
                       "py": fspec(float("nan")),
                       "l": [{"wb": "ndarray", "tensor": tensor(np.array([np.nan], "float32"))},
                             {"wb": "ndarray", "tensor": tensor(np.array([np.nan], "float64"))},
                             fspec(float("nan"))]},
            "big32": {"wb": "ndarray", "tensor": tensor(f32nan(40))},
            "big64": {"wb": "ndarray", "tensor": tensor(f32nan(40).astype("float64"))},
            "int": {"wb": "ndarray", "tensor": tensor(np.array([7], "int32"))},
            "py": fspec(float("nan")), "inf": fspec(float("inf"))}),
        "history_nan_rules": (3, {
            "f32_1": {"wb": "ndarray", "tensor": tensor(np.array([np.nan], "float32"))},
            "f64_1": {"wb": "ndarray", "tensor": tensor(np.array([np.nan], "float64"))},
            "nested": {"f32": {"wb": "ndarray", "tensor": tensor(np.array([np.nan], "float32"))},
                       "py": fspec(float("nan"))},
            "py": fspec(float("nan"))}),
        # 4. table artifact entry names
        "table_entry_names": (4, {k: {"wb": "table", "columns": ["a"], "data": [[1]]}
                                  for k in ["eval/", "./x", "a//b", "", "..", "a/./b", "a\\b", "t.table.json"]}),
        "err_table_key_abs": (4, {"/t": {"wb": "table", "columns": ["a"], "data": [[1]]}}),
        "err_table_key_dotdot": (4, {"a/../t": {"wb": "table", "columns": ["a"], "data": [[1]]}}),
        "err_table_key_drive": (4, {"c:t": {"wb": "table", "columns": ["a"], "data": [[1]]}}),
        # 5. Object3D path ending in a type without the dot
        "err_object3d_meshobj": (5, {"m": {"wb": "object3d", "file": "assets/meshobj"}}),
        # 6. reserved keys
        "keys_reserved_history": (6, {"a": 1, "_step": {"wb": "image", "tensor": tensor(np.zeros((2, 2), "uint8"))},
                                      "_runtime": 5, "_timestamp": 1.5, "_wandb": {"x": 1}, "_other": 2,
                                      "d": {"_step": 3}}),
        "keys_step_not_encoded": (6, {"_step": {"img": {"wb": "image", "tensor": tensor(np.ones((2, 3), "uint8"))},
                                                "arr": {"wb": "ndarray", "tensor": tensor(f32nan(33))}},
                                      "b": 2}),
        "keys_reserved_summary": ("summary", {"a": 1, "_step": 9, "_runtime": 5, "_timestamp": 1.5,
                                              "_wandb": {"x": 1}, "d": {"_step": 3}}),
        # 7. np_histogram list + tensor, non-positive num_bins
        "hist_np_mixed": (7, {"a": {"wb": "histogram", "np_histogram": [[1, 2, 3], tensor(np.arange(4.0))]},
                              "b": {"wb": "histogram", "np_histogram": [tensor(np.arange(40, dtype="int64")),
                                                                        list(range(41))]}}),
        "err_hist_negative_bins": (7, {"h": {"wb": "histogram", "tensor": tensor(np.arange(5.0)), "num_bins": -3}}),
        "err_hist_zero_bins": (7, {"h": {"wb": "histogram", "tensor": tensor(np.arange(5.0)), "num_bins": 0}}),
        "err_hist_np_0d": (7, {"h": {"wb": "histogram", "np_histogram": [tensor(np.array(3)), [0, 1]]}}),
        # 8. WebM (issue 13): VP8 from tensors, compared by decoded frames (count, size, PSNR)
        "video_webm": (8, {"v": {"wb": "video", "tensor": tensor(clip(12, 3, 32, 48)),
                                 "format": "webm", "fps": 6, "caption": "webm"}}),
        "video_webm_batch3": (8, {"v": {"wb": "video", "tensor": tensor(
            np.stack([clip(8, 3, 16, 16, k) for k in range(3)])), "format": "webm", "fps": 4}}),
        "video_webm_rgba": (8, {"v": {"wb": "video", "tensor": tensor(clip(6, 4, 24, 24)),
                                      "format": "webm", "fps": 3}}),
        # 9. WebM frame rate (issue 23): short clips, where ffmpeg reads the fps only from the
        # track's DefaultDuration (4 of 1 200 difffuzz cases diverged before it was written)
        "video_webm_2frames_15fps": (9, {"v": {"wb": "video", "tensor": tensor(clip(2, 3, 16, 24)),
                                               "format": "webm", "fps": 15}}),
        "video_webm_3frames_30fps": (9, {"v": {"wb": "video", "tensor": tensor(clip(3, 3, 24, 16, 1)),
                                               "format": "webm", "fps": 30}}),
        "video_webm_2frames_7fps": (9, {"v": {"wb": "video", "tensor": tensor(clip(2, 3, 16, 16, 2)),
                                              "format": "webm", "fps": 7}}),
    }
    for name, (step, row) in out.items():
        with open(os.path.join(cases, name + ".json"), "w", encoding="utf-8") as fh:
            json.dump({"name": name, "step": step, "row": row}, fh, ensure_ascii=False, indent=1)
        if name.startswith("err_"):
            pass


if __name__ == "__main__":
    main()
