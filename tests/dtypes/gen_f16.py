#!/usr/bin/env python3
"""Writes tests/dtypes/f16_expected.json: what numpy 2.4.6 (as used by wandb 0.31) computes
for float16 arrays — np.histogram, astype(uint8) (wandb.Image/Video CAST), the legacy
to_uint8 conversion and the summary statistics of wandb.util (np.var/mean/amin/amax/
percentile(.item())). Run with the bench/test venv: .venv-bench/bin/python tests/dtypes/gen_f16.py
"""
import json
import os

import numpy as np

assert np.__version__ == "2.4.6", np.__version__
rng = np.random.default_rng(16)


def cases():
    yield "randn", rng.standard_normal(5000).astype(np.float16)
    yield "uniform01", rng.random(3000).astype(np.float16)
    yield "wide", (rng.standard_normal(4000) * 3000).astype(np.float16)
    yield "ints", rng.integers(-40, 300, 2000).astype(np.float16)
    yield "signed_zeros", np.array([0.0, -0.0, 1.0, -0.0, 0.5] * 20, dtype=np.float16)
    yield "neg_zero_first", np.array([-0.0, 0.0, -1.0, 0.0] * 20, dtype=np.float16)
    yield "constant", np.full(100, 3.140625, dtype=np.float16)
    yield "subnormal", (rng.random(500) * 1e-5).astype(np.float16)
    yield "near_max", (65504 - rng.random(600) * 2000).astype(np.float16)
    yield "big_range", np.array([-65504.0, 65504.0] + list(rng.standard_normal(200)), dtype=np.float16)
    yield "pixels", (rng.random(3000) * 300 - 20).astype(np.float16)
    yield "big", rng.standard_normal(20_000).astype(np.float16)


def legacy(data):
    if np.min(data) < 0:
        data = (data - np.min(data)) / np.ptp(data)
    if np.max(data) <= 1.0:
        data = (data * 255).astype(np.int32)
    return data.clip(0, 255).astype(np.uint8)


def floats(a):
    return [repr(float(x)) for x in a]


out = []
for name, a in cases():
    c = {"name": name, "bits": a.view(np.uint16).tolist(), "hist": {}}
    for bins in (1, 7, 32, 64, 512):
        try:
            counts, edges = np.histogram(a, bins=bins)
            c["hist"][str(bins)] = {"counts": counts.tolist(), "edges": floats(edges)}
        except Exception as e:  # noqa: BLE001
            c["hist"][str(bins)] = {"error": str(e)}
    with np.errstate(all="ignore"):
        c["u8"] = a.astype(np.uint8).tolist()
        c["legacy"] = legacy(a).tolist()
    c["stats"] = {
        "var": repr(np.var(a).item()), "mean": repr(np.mean(a).item()),
        "min": repr(np.amin(a).item()), "max": repr(np.amax(a).item()),
        **{f"{q}%": repr(np.percentile(a, q).item()) for q in (10, 25, 75, 90)},
    }
    out.append(c)
path = os.path.join(os.path.dirname(__file__), "f16_expected.json")
with open(path, "w") as f:
    json.dump({"numpy": np.__version__, "cases": out}, f, separators=(",", ":"))
print(path, len(out), "cases")
