"""Baseline for the foundation benchmark: writes the shared inputs and times wandb 0.31.

Usage: python foundation_baseline.py OUT_DIR  → OUT_DIR/{image.raw,randn.f64,baseline.json}
"""
import hashlib
import json
import os
import sys
import time

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
y, x = np.mgrid[0:1024, 0:1024]
img = np.stack([x // 4, y // 4, (x + y) // 8], axis=-1).astype(np.int32)
img = np.clip(img + rng.integers(-8, 9, size=img.shape), 0, 255).astype(np.uint8)
img.tofile(os.path.join(out, "image.raw"))
noise = rng.integers(0, 256, size=(1024, 1024, 3), dtype=np.uint8)
noise.tofile(os.path.join(out, "noise.raw"))
data = rng.standard_normal(1_000_000)
data.tofile(os.path.join(out, "randn.f64"))


def best(fn, n):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


res = {}
try:
    import wandb

    res["wandb_version"] = wandb.__version__
    res["image_s"] = best(lambda: wandb.Image(img), 5)
    res["noise_s"] = best(lambda: wandb.Image(noise), 5)
    res["histogram_s"] = best(lambda: wandb.Histogram(data), 5)
except Exception as e:  # the bench still runs without wandb
    res["wandb_error"] = repr(e)
buf = os.urandom(64 << 20)
res["sha256_openssl_s"] = best(lambda: hashlib.sha256(buf).hexdigest(), 3)
with open(os.path.join(out, "baseline.json"), "w") as f:
    json.dump(res, f)
print(json.dumps(res))
