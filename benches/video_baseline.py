"""Baseline for the video benchmark: writes the shared input and times wandb 0.31.

Usage: python video_baseline.py OUT_DIR  → OUT_DIR/{video.raw,video_baseline.json}

video.raw is the (64, 3, 256, 256) uint8 tensor both sides encode: a moving gradient scene
with a few moving shapes and mild sensor noise (fixed seed). Only the `wandb.Video(...)`
constructor is timed (it encodes: imageio/Pillow for gif, moviepy/ffmpeg for mp4).
"""
import json
import os
import sys
import time

import numpy as np

T, C, H, W = 64, 3, 256, 256


def make_video():
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    frames = np.empty((T, H, W, C), dtype=np.float32)
    for t in range(T):
        r = 128 + 100 * np.sin((x + 3 * t) / 40.0)
        g = 128 + 100 * np.cos((y - 2 * t) / 55.0)
        b = (x + y + 4 * t) % 256
        f = np.stack([r, g, b], axis=-1)
        for k, col in enumerate(([250, 40, 40], [40, 220, 60], [30, 60, 240])):
            cx = (40 + 60 * k + 3 * t * (k + 1)) % W
            cy = (60 + 50 * k + 2 * t) % H
            mask = (x - cx) ** 2 + (y - cy) ** 2 < (18 + 6 * k) ** 2
            f[mask] = col
        frames[t] = f
    frames += rng.normal(0, 4, size=frames.shape)
    return np.clip(frames, 0, 255).astype(np.uint8).transpose(0, 3, 1, 2).copy()


def timed(fn, n):
    best, last = float("inf"), None
    for _ in range(n):
        t = time.perf_counter()
        last = fn()
        best = min(best, time.perf_counter() - t)
    return best, last


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
video = make_video()
assert video.shape == (T, C, H, W) and video.dtype == np.uint8
video.tofile(os.path.join(out, "video.raw"))

res = {"shape": list(video.shape)}
try:
    os.environ.setdefault("WANDB_SILENT", "true")
    import wandb

    res["wandb_version"] = wandb.__version__
    for fmt, n in (("gif", 1), ("mp4", 3)):
        s, v = timed(lambda: wandb.Video(video, format=fmt, fps=4), n)
        res[f"{fmt}_s"] = s
        res[f"{fmt}_bytes"] = os.path.getsize(v._path)
except Exception as e:  # the Rust side still runs without wandb
    res["wandb_error"] = repr(e)
with open(os.path.join(out, "video_baseline.json"), "w") as f:
    json.dump(res, f)
print(json.dumps(res))
