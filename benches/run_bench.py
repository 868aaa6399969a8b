"""The wandb 0.31 baseline of benches/run.sh: the same rows as run_bench.c, logged with
`run.log` into one offline run. Time = from wandb.init to the end of run.finish().

usage: python run_bench.py ROOT scalar|image ROWS   → prints "rows seconds rows_per_second"
"""

import sys
import time

import numpy as np
import wandb

SIDE, POOL = 256, 8


def make_pool():
    k = np.arange(SIDE * SIDE * 3, dtype=np.uint64)
    return [((k * np.uint64(2 * b + 1) + (k >> np.uint64(8)) * np.uint64(3) + ((k * k) >> np.uint64(11))) & np.uint64(255)).astype(np.uint8) for b in range(POOL)]


def main():
    root, kind, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pool = make_pool() if kind == "image" else None
    t0 = time.perf_counter()
    run = wandb.init(mode="offline", dir=root, project="wbm-bench")
    for i in range(rows):
        if pool is not None:
            px = pool[i % POOL].copy()
            px[:8] = np.frombuffer(np.int64(i).tobytes(), np.uint8)
            run.log({"loss": 1.0 / (i + 1), "img": wandb.Image(px.reshape(SIDE, SIDE, 3))})
        else:
            run.log({
                "loss": 1.0 / (i + 1), "acc": i * 1e-4, "lr": 0.001, "grad_norm": 0.5 + i % 7,
                "val_loss": 2.0 / (i + 2), "throughput": 1234.5, "epoch": i // 1000, "batch": i,
                "tokens": i * 512, "temperature": 0.7,
            })
    run.finish()
    dt = time.perf_counter() - t0
    print(f"{rows} {dt:.3f} {rows / dt:.1f}")


if __name__ == "__main__":
    main()
