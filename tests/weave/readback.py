#!/usr/bin/env python3
"""Reads a project back with the real Python client (weave 0.54.0, weave[video-support],
moviepy 1.0.3) and asserts on what it decodes.

    readback.py PROJECT --policy N [--partial] [--dump FILE] [--audio]

--policy N   the project holds the weave_policy trace (tests/weave/policy_values.py): N root
             `policy_step` calls (steps 0..N-1, each exactly once), each with exactly one
             `preprocess` child in the same trace; inputs/outputs decoded by weave equal the
             values sent: the camera a moviepy VideoFileClip (size, fps, frame count exact;
             pixels within the compat suite's MP4 tolerance: worst-frame PSNR >= 22 dB, mean
             bias <= 4 per channel), the overlay a PIL image with exactly the pixels sent, the
             action the floats sent; with --audio also an `audio` output (wave.Wave_read) whose
             samples equal the ones sent exactly.
--partial    a killed program: every step at most once; finished roots must be complete and
             correct; roots open at the kill must show unfinished (ended_at null), not be lost;
             prints the counts. At least one finished root is required.
--dump FILE  writes the calls (ids, parents, op names, timings, media summaries) as JSON.
Exits non-zero with the reasons when anything differs. Needs WF_TRACE_SERVER_URL,
WANDB_BASE_URL, WANDB_API_KEY and a fresh WEAVE_SERVER_CACHE_DIR.
"""

import argparse
import json
import os
import sys
import wave

import weave  # before moviepy.editor

import moviepy.editor  # noqa: F401  (registers weave's moviepy serializer)
import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policy_values as pv  # noqa: E402

MP4_MIN_PSNR = 22.0  # ../shared/compat/compare.py
MP4_MAX_BIAS = 4.0


def op_base(op_name):
    """`weave:///e/p/op/name:digest` or a plain `name` -> name."""
    if op_name.startswith("weave:///"):
        op_name = op_name.split("/op/", 1)[1].rsplit(":", 1)[0]
    return op_name


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def plain(v):
    """weave's WeaveDict/WeaveList -> dict/list (media left as objects)."""
    if hasattr(v, "items") and not isinstance(v, (str, bytes)):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)) or type(v).__name__ == "WeaveList":
        return [plain(x) for x in v]
    return v


def audio_expected(i):
    k = np.arange(1600)
    return (((k * 37 + i * 101) % 2000) - 1000).astype(np.int16)


def check_video(clip, i, errs, where):
    info = {"type": type(clip).__name__}
    if type(clip).__name__ != "VideoFileClip":
        errs.append(f"{where}: camera is {type(clip).__name__}, expected VideoFileClip")
        return info
    info.update(size=list(clip.size), fps=clip.fps, filename=os.path.basename(clip.filename))
    frames = [f for f in clip.iter_frames()]
    info["frames"] = len(frames)
    if tuple(clip.size) != (pv.WIDTH, pv.HEIGHT):
        errs.append(f"{where}: video size {clip.size}, expected {[pv.WIDTH, pv.HEIGHT]}")
    if abs(clip.fps - pv.FPS) > 0.01:
        errs.append(f"{where}: video fps {clip.fps}, expected {pv.FPS}")
    if len(frames) != pv.FRAMES:
        errs.append(f"{where}: {len(frames)} frames, expected {pv.FRAMES}")
    exp = pv.camera(i)
    worst = float("inf")
    for t, f in enumerate(frames[: pv.FRAMES]):
        if f.shape != exp[t].shape:
            errs.append(f"{where}: frame {t} shape {f.shape}")
            return info
        worst = min(worst, psnr(f, exp[t]))
    if frames:
        got = np.stack(frames[: pv.FRAMES]).astype(np.float64)
        bias = np.abs((got - exp[: len(got)]).mean(axis=(0, 1, 2)))
        info["worst_psnr"] = round(worst, 2)
        info["bias"] = [round(float(b), 3) for b in bias]
        if worst < MP4_MIN_PSNR:
            errs.append(f"{where}: worst frame PSNR {worst:.2f} dB < {MP4_MIN_PSNR}")
        if bias.max() > MP4_MAX_BIAS:
            errs.append(f"{where}: mean bias {bias} > {MP4_MAX_BIAS}")
    clip.close()
    return info


def check_output(out, i, errs, where, want_audio):
    info = {}
    if not isinstance(out, dict):
        errs.append(f"{where}: output {out!r} is not a dict")
        return info
    act = out.get("action")
    if not (isinstance(act, list) and len(act) == 3 and
            all(isinstance(a, (int, float)) and abs(a - b) < 1e-9 for a, b in zip(act, pv.action(i)))):
        errs.append(f"{where}: action {act!r}, expected {pv.action(i)}")
    img = out.get("overlay")
    if not isinstance(img, Image.Image):
        errs.append(f"{where}: overlay is {type(img).__name__}, expected a PIL image")
    else:
        info["overlay"] = {"type": type(img).__name__, "mode": img.mode, "size": list(img.size),
                           "format": img.format}
        got = np.asarray(img.convert("RGB")) if img.mode != "RGB" else np.asarray(img)
        if img.mode != "RGB":
            errs.append(f"{where}: overlay mode {img.mode}, expected RGB")
        if got.shape != pv.overlay(i).shape or not np.array_equal(got, pv.overlay(i)):
            errs.append(f"{where}: overlay pixels differ from the ones sent")
    if want_audio:
        a = out.get("audio")
        if not isinstance(a, wave.Wave_read):
            errs.append(f"{where}: audio is {type(a).__name__}, expected wave.Wave_read")
        else:
            a.rewind()
            n = a.getnframes()
            raw = a.readframes(n)
            info["audio"] = {"rate": a.getframerate(), "channels": a.getnchannels(),
                             "width": a.getsampwidth(), "frames": n}
            s = np.frombuffer(raw, dtype="<i2")
            if (a.getframerate(), a.getnchannels(), a.getsampwidth()) != (16000, 1, 2) or \
                    not np.array_equal(s, audio_expected(i)):
                errs.append(f"{where}: audio {info['audio']} samples differ from the ones sent")
    return info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("project")
    ap.add_argument("--policy", type=int, required=True)
    ap.add_argument("--partial", action="store_true")
    ap.add_argument("--audio", action="store_true")
    ap.add_argument("--dump")
    args = ap.parse_args()

    client = weave.init(args.project)
    calls = list(client.get_calls())
    errs = []
    by_id = {}
    dump = []
    for c in calls:
        if c.id in by_id:
            errs.append(f"call id {c.id} read back twice")
        by_id[c.id] = c
    roots = [c for c in calls if c.parent_id is None]
    children = [c for c in calls if c.parent_id is not None]
    steps_seen = {}
    finished = unfinished = 0
    for r in roots:
        name = op_base(r.op_name)
        where = f"root {r.id}"
        rec = {"id": r.id, "trace_id": r.trace_id, "parent_id": None, "op": name,
               "started_at": str(r.started_at), "ended_at": str(r.ended_at) if r.ended_at else None,
               "exception": r.exception}
        if name != "policy_step":
            errs.append(f"{where}: op {name!r}, expected 'policy_step'")
            continue
        inputs = plain(r.inputs)
        step = inputs.get("step")
        if not isinstance(step, int) or not 0 <= step < args.policy:
            errs.append(f"{where}: step {step!r} out of range")
            continue
        if step in steps_seen:
            errs.append(f"step {step} traced twice ({steps_seen[step]} and {r.id})")
        steps_seen[step] = r.id
        rec["step"] = step
        rec["camera"] = check_video(inputs.get("camera"), step, errs, f"step {step} camera")
        kids = [c for c in children if c.parent_id == r.id]
        rec["children"] = [{"id": k.id, "op": op_base(k.op_name), "trace_id": k.trace_id,
                            "ended_at": str(k.ended_at) if k.ended_at else None} for k in kids]
        if r.ended_at is None:
            unfinished += 1
            if not args.partial:
                errs.append(f"step {step}: root call unfinished")
            if r.output is not None:
                errs.append(f"step {step}: unfinished root has an output")
        else:
            finished += 1
            if r.exception:
                errs.append(f"step {step}: exception {r.exception!r}")
            rec["output"] = check_output(plain(r.output), step, errs, f"step {step} output", args.audio)
            if len(kids) != 1:
                errs.append(f"step {step}: {len(kids)} children, expected 1 preprocess")
        for k in kids:
            if op_base(k.op_name) != "preprocess":
                errs.append(f"step {step}: child op {op_base(k.op_name)!r}")
            if k.trace_id != r.trace_id:
                errs.append(f"step {step}: child trace id {k.trace_id} != root's {r.trace_id}")
            if plain(k.inputs).get("step") != step:
                errs.append(f"step {step}: child inputs {plain(k.inputs)!r}")
            if r.ended_at is not None and k.ended_at is None:
                errs.append(f"step {step}: child unfinished under a finished root")
        dump.append(rec)
    for c in children:
        if c.parent_id not in by_id:
            errs.append(f"child {c.id} ({op_base(c.op_name)}): parent {c.parent_id} not on the server")
    if len({r.trace_id for r in roots}) != len(roots):
        errs.append("roots share trace ids")
    if args.partial:
        if finished == 0:
            errs.append("no finished root call at all")
        # steps finished must be a prefix 0..k-1 (the program traces them in order)
        done = sorted(s for s, cid in steps_seen.items() if by_id[cid].ended_at is not None)
        if done != list(range(len(done))):
            errs.append(f"finished steps are not 0..{len(done) - 1}: {done}")
    else:
        missing = sorted(set(range(args.policy)) - set(steps_seen))
        if missing:
            errs.append(f"steps missing on the server: {missing[:20]}{'…' if len(missing) > 20 else ''}")
    if args.dump:
        with open(args.dump, "w") as f:
            json.dump({"calls": len(calls), "roots": len(roots), "finished": finished,
                       "unfinished": unfinished, "traces": dump}, f, indent=1, default=str)
    print(f"readback: {len(calls)} calls, {len(roots)} roots ({finished} finished, {unfinished} "
          f"unfinished), {len(children)} children; {len(errs)} problems")
    for e in errs[:40]:
        print("  FAIL", e)
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
