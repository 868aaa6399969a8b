"""The SDK side of tests/run/features: the same calls as tests/run/c/features.c, made with
wandb 0.31 in offline mode. Prints the run directory.

usage: python features.py metric|artifact|stats ROOT
"""

import sys

import wandb


def metric(root):
    run = wandb.init(mode="offline", dir=root, project="wbm-test", entity="wbm", name="features")
    run.log({"acc": 0.5})  # before the definition: part of the aggregates
    run.define_metric("train/*", step_metric="epoch", summary="min,max")
    run.define_metric("val/loss", step_metric="epoch", summary="min")
    run.define_metric("acc", summary="max,mean,last")
    run.define_metric("secret", hidden=True, summary="none")
    run.define_metric("eval.loss", summary="first,min")
    run.define_metric("frame_metric", step_metric="frame", step_sync=False)
    run.define_metric("acc", summary="min")  # merged with the earlier definition
    run.define_metric("val/loss", step_metric="env_step", overwrite=True)
    for i in range(6):
        row = {
            "train/loss": 1.0 / (i + 1),
            "train/acc": i * 0.1,
            "acc": (i * 7 % 5) / 5,
            "secret": i,
            "eval": {"loss": 2.0 - i * 0.25},
            "frame_metric": i,
        }
        if i % 2 == 0:
            row["epoch"] = i // 2
        if i == 3:
            row["val/loss"] = 0.5
        if i == 4:
            row["frame"] = 40
        run.log(row)
    run.summary.update({"acc": 0.99})
    run.log({"acc": 0.1})
    run.finish()
    return run


def make_sources(root):
    """The files both sides save and put into the artifact (same bytes)."""
    import os

    src = os.path.join(os.path.abspath(root), "src")
    os.makedirs(os.path.join(src, "ckpt", "sub"), exist_ok=True)
    files = {
        "notes.txt": b"checkpoint notes\n",
        "live.log": b"epoch 1\n",
        "ckpt/model.bin": bytes((i * 7 + 3) % 256 for i in range(5000)),
        "ckpt/config.json": b'{"layers": [64, 64]}',
        "ckpt/sub/extra.txt": b"x" * 100,
    }
    for rel, data in files.items():
        with open(os.path.join(src, rel), "wb") as f:
            f.write(data)
    return src


def artifact(root):
    import os

    src = make_sources(root)
    run = wandb.init(mode="offline", dir=root, project="wbm-test", entity="wbm", name="features")
    run.log({"x": 1})
    run.save(os.path.join(src, "notes.txt"), base_path=src, policy="now")
    run.save(os.path.join(src, "ckpt", "*.*"), base_path=src, policy="end")
    run.save(os.path.join(src, "live.log"), base_path=src, policy="live")
    art = wandb.Artifact("model-ckpt", type="model", description="a checkpoint", metadata={"epoch": 3, "acc": 0.9, "tags": ["a", "b"]})
    art.add_file(os.path.join(src, "notes.txt"), name="docs/notes.txt")
    art.add_dir(os.path.join(src, "ckpt"), name="weights")
    run.log_artifact(art, aliases=["best", "epoch-3"])
    art2 = wandb.Artifact("raw-data", type="dataset")
    art2.add_file(os.path.join(src, "live.log"))
    run.log_artifact(art2)
    run.log({"x": 2})
    run.finish()
    return run


def stats(root):
    import time

    run = wandb.init(
        mode="offline", dir=root, project="wbm-test", entity="wbm", name="features",
        settings=wandb.Settings(x_stats_sampling_interval=1.0),
    )
    for i in range(7):
        run.log({"x": i})
        time.sleep(0.5)
    run.finish()
    return run


def main():
    mode, root = sys.argv[1], sys.argv[2]
    run = {"metric": metric, "artifact": artifact, "stats": stats}[mode](root)
    d = run.dir
    print(d[: -len("/files")] if d.endswith("/files") else d)


if __name__ == "__main__":
    main()
