#!/usr/bin/env python3
"""The Python reference: weave 0.54.0 traces the same ops as examples/c/weave_policy.c.

`policy_step(step, camera)` takes an in-memory moviepy clip (encoded to video.mp4 by weave)
and returns {"action": [...], "overlay": PIL image}; it calls `preprocess(step)` inside.
Usage: py_policy.py N   (env: WANDB_PROJECT "entity/project", WF_TRACE_SERVER_URL,
WANDB_BASE_URL, WANDB_API_KEY, WEAVE_SERVER_CACHE_DIR)
"""

import io
import os
import sys
import wave

import weave  # before moviepy.editor (weave's video support patches the import)
from moviepy.editor import ImageSequenceClip
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policy_values as pv  # noqa: E402

# WBM_WEAVE_PERTURB=1: wrong values (the suite checks that readback.py notices them)
PERTURB = os.environ.get("WBM_WEAVE_PERTURB") == "1"
# WBM_WEAVE_AUDIO=1: the output also has the audio cue of the C++/Go examples (a wave.Wave_read)
AUDIO = os.environ.get("WBM_WEAVE_AUDIO") == "1"


def cue(step):
    import numpy as np

    k = np.arange(1600)
    samples = (((k * 37 + step * 101) % 2000) - 1000).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(samples.tobytes())
    buf.seek(0)
    return wave.open(buf, "rb")


@weave.op
def preprocess(step):
    return {"step": step}


@weave.op
def policy_step(step, camera):
    preprocess(step)
    px = pv.overlay(step)
    if PERTURB:  # for the suite's negative check: one pixel off by one
        px[0, 0, 0] ^= 1
    out = {"action": pv.action(step), "overlay": Image.fromarray(px, "RGB")}
    if AUDIO:
        out["audio"] = cue(step)
    return out


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
