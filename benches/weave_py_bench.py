#!/usr/bin/env python3
"""Python weave 0.54.0 `@weave.op` overhead, for `make bench` (benches/weave.sh): a traced op
with a 1-frame image input (a 64x64 RGB PIL image, different pixels every call) against the
local trace-server fixture; per-call wall time p50/p99, calls/s, and the flush at the end.
Prints one JSON line. Usage: weave_py_bench.py N   (env: as tests/weave/py_policy.py)
"""

import json
import os
import sys
import time

import numpy as np
import weave
from PIL import Image


@weave.op
def policy(step, frame):
    return step + 1


def main():
    n = int(sys.argv[1])
    client = weave.init(os.environ["WANDB_PROJECT"])
    rng = np.random.default_rng(0)
    frames = [Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), "RGB") for _ in range(n)]
    policy(-1, frames[0])  # warm-up: op publication
    client.flush()
    times = []
    t_all = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        policy(i, frames[i])
        times.append(time.perf_counter() - t0)
    loop = time.perf_counter() - t_all
    t0 = time.perf_counter()
    client.flush()
    flush = time.perf_counter() - t0
    us = np.array(times) * 1e6
    print(json.dumps({"impl": "python weave 0.54.0 @weave.op", "n": n, "p50_us": float(np.percentile(us, 50)),
                      "p99_us": float(np.percentile(us, 99)), "calls_per_s": n / loop,
                      "flush_s": flush, "end_to_end_calls_per_s": n / (loop + flush)}))


if __name__ == "__main__":
    main()
