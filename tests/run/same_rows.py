"""Logs, with wandb 0.31 in offline mode, exactly the rows `run_writer basic` logs through
the C ABI (tests/run/c/run_writer.c). Prints the run directory.

usage: python same_rows.py ROOT [--no-histogram]
"""

import sys

import numpy as np
import wandb


def pattern_image(h, w, c, mul, add):
    n = h * w * c
    px = ((np.arange(n, dtype=np.int64) * mul + add) % 256).astype(np.uint8)
    return px.reshape((h, w) if c == 1 else (h, w, c))


def main():
    root = sys.argv[1]
    with_histogram = "--no-histogram" not in sys.argv
    run = wandb.init(
        mode="offline",
        dir=root,
        project="wbm-test",
        entity="wbm",
        name="same-rows",
        config={"lr": 0.001, "layers": [64, 64], "optimizer": {"name": "adam", "beta": 0.9}},
        tags=["native", "c"],
    )
    for i in range(100):
        row = {}
        # add_scalars
        row["loss"] = 1.0 / (i + 1)
        row["acc"] = i * 0.01
        row["epoch"] = i // 10
        row["phase"] = "train" if i % 2 else "val"
        row["ok"] = i % 3 == 0
        if i == 3:
            row["nanval"] = float("nan")
        if i == 4:
            row["nanval"] = 0.5
        if i == 4:
            row["meta"] = {}
        if i == 7:
            row["long_text"] = "ab" * 35000
        if i == 5:
            row["arr"] = np.array([1.5, 2.5, 3.5])
        row["eval"] = {"x": i * 2}
        # add_images
        if i % 10 == 0:
            a = wandb.Image(pattern_image(8, 8, 3, 1, i), caption=f"step {i}")
            b = wandb.Image(pattern_image(4, 6, 1, 3, i))
            row["samples"] = [a, b]
            row["eval"] = {"x": i * 2, "img": wandb.Image(pattern_image(16, 16, 3, 7, i))}
        # add_histogram
        if i == 50 and with_histogram:
            v = np.array([((k * 37) % 1000) / 10.0 for k in range(1000)])
            row["weights"] = wandb.Histogram(v, num_bins=64)
        # add_boxes_masks
        if i == 20:
            row["boxed"] = wandb.Image(
                pattern_image(12, 16, 3, 5, i),
                boxes={
                    "predictions": {
                        "box_data": [
                            {"position": {"minX": 0.1, "maxX": 0.4, "minY": 0.2, "maxY": 0.5}, "class_id": 1, "box_caption": "car", "scores": {"acc": 0.9}},
                            {"position": {"minX": 0.5, "maxX": 0.9, "minY": 0.1, "maxY": 0.8}, "class_id": 2},
                        ],
                        "class_labels": {1: "car", 2: "person"},
                    }
                },
            )
        if i == 30:
            m = np.array([[2 if k % 6 >= 3 else 0 for k in range(r * 6, r * 6 + 6)] for r in range(4)], dtype=np.uint8)
            row["masked"] = wandb.Image(pattern_image(4, 6, 3, 9, i), masks={"seg": {"mask_data": m, "class_labels": {0: "bg", 2: "thing"}}})
        # add_table
        if i == 40:
            data = [[r, f"row{r}", None if r == 1 else r * 0.25, wandb.Image(pattern_image(4, 4, 3, 11, r))] for r in range(3)]
            row["tbl"] = wandb.Table(columns=["id", "name", "score", "img"], data=data)
        # add_audio
        if i == 60:
            def clip(n, mul):
                return np.array([((k * mul) % 200 - 100) / 128.0 for k in range(n)])

            row["clip"] = wandb.Audio(clip(800, 37), sample_rate=8000)
            row["clips"] = [wandb.Audio(clip(400, 13), sample_rate=8000, caption="first"), wandb.Audio(clip(300, 7), sample_rate=16000)]
        # add_video
        if i == 70:
            px = ((np.arange(3 * 3 * 8 * 10) * 29) % 256).astype(np.uint8).reshape(3, 3, 8, 10)
            row["vid"] = wandb.Video(px, fps=4, format="gif")
        run.log(row)
    run.log({"partial": 1}, commit=False)
    run.log({"partial2": 2})
    run.log({"late": 1}, step=105)
    run.log({"late2": 2})
    run.summary.update({"best_acc": 0.99, "final": {"loss": 0.01}})
    run.config.update({"extra": "v"})
    run_dir = run.dir.rsplit("/files", 1)[0]
    run.finish()
    print(run_dir)


if __name__ == "__main__":
    main()
