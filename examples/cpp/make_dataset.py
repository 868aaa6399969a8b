#!/usr/bin/env python3
"""The Python side of examples/cpp/eval_table.cpp: a dataset table (image + label columns)
logged with wandb, saved as the artifact directory artifact.download() would give.

    make_dataset.py DATASET_DIR
"""
import os
import shutil
import sys

import numpy as np
import wandb

out = sys.argv[1]
rng = np.random.default_rng(3)
table = wandb.Table(columns=["id", "image", "label"])
for i in range(8):
    bright = i % 2 == 0
    base = 190 if bright else 50
    pixels = np.clip(rng.normal(base, 30, (12, 16, 3)), 0, 255).astype(np.uint8)
    table.add_data(i, wandb.Image(pixels, caption=f"sample {i}"), "bright" if bright else "dark")
art = wandb.Artifact("dataset", "dataset")
art.add(table, "dataset")
shutil.rmtree(out, ignore_errors=True)
for name, entry in art.manifest.entries.items():
    dst = os.path.join(out, name)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(entry.local_path, dst)
