#!/usr/bin/env python3
"""The Python reference: weave 0.54.0 traces the same ops as examples/c/weave_policy.c.

`policy_step(step, camera)` takes an in-memory moviepy clip (encoded to video.mp4 by weave)
and returns {"action": [...], "overlay": PIL image}; it calls `preprocess(step)` inside.
Usage: py_policy.py N   (env: WANDB_PROJECT "entity/project", WF_TRACE_SERVER_URL,
WANDB_BASE_URL, WANDB_API_KEY, WEAVE_SERVER_CACHE_DIR)
"""

import os
import sys

import weave  # before moviepy.editor (weave's video support patches the import)
from moviepy.editor import ImageSequenceClip
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policy_values as pv  # noqa: E402

# WBM_WEAVE_PERTURB=1: wrong values (the suite checks that readback.py notices them)
PERTURB = os.environ.get("WBM_WEAVE_PERTURB") == "1"


@weave.op
def preprocess(step):
    return {"step": step}


@weave.op
def policy_step(step, camera):
    preprocess(step)
    px = pv.overlay(step)
    if PERTURB:  # for the suite's negative check: one pixel off by one
        px[0, 0, 0] ^= 1
    return {"action": pv.action(step), "overlay": Image.fromarray(px, "RGB")}


def main():
    n = int(sys.argv[1])
    client = weave.init(os.environ["WANDB_PROJECT"])
    for i in range(n):
        frames = pv.camera(i)
        if PERTURB:  # a visibly different clip: frames in reverse order
            frames = frames[::-1]
        clip = ImageSequenceClip(list(frames), fps=pv.FPS)
        policy_step(i, clip)
    client.flush()


if __name__ == "__main__":
    main()
