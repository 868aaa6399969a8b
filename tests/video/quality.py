#!/usr/bin/env python3
"""Quality controls and streaming memory of the MP4 and WebM encoders (issue 13 items 1, 4).

    .venv-compat/bin/python tests/video/quality.py ENCODER

ENCODER is target/release/examples/video_encode. Every file is decoded by the ffmpeg that
imageio-ffmpeg ships (tests only), never by our code:
* crf: a lower crf gives a larger file (and a higher PSNR against the source frames);
* bitrate_kbps: a higher bitrate gives a larger file;
* keyframe_interval: the decoded stream has exactly ceil(frames / interval) keyframes
  (ffmpeg's showinfo `iskey:1`), and the default is one every two seconds;
* defaults: the options all 0 give the same bytes as no options (today's output), encoded
  more than a second apart (the output does not depend on the clock);
* streaming writer: peak RSS after 1500 frames exceeds that after 100 frames by no more than
  the compressed bytes plus 8 MiB (memory does not grow with frames, only the output does).
Last line: "quality: N passed, M failed"; exit status 0 iff all passed.
"""

import math
import os
import re
import subprocess
import sys
import tempfile
import time

import imageio_ffmpeg
import numpy as np

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
results = []


def check(name, ok, detail):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ": " + detail)


def encode(enc, path, mode, w, h, n, fps, spec="", rss=False):
    args = [enc, path, mode, str(w), str(h), str(n), str(fps)] + ([spec] if spec else [])
    env = dict(os.environ, **({"WB_PRINT_RSS": "1"} if rss else {}))
    p = subprocess.run(args, capture_output=True, text=True, env=env, check=True)
    m = re.search(r"rss_kib=(\d+)", p.stderr)
    return os.path.getsize(path), (int(m.group(1)) if m else None)


def probe(path):
    """(frames, keyframes, codec) as ffmpeg decodes them."""
    p = subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-i", path, "-vf", "showinfo",
                        "-f", "null", "-"], capture_output=True, text=True)
    frames = len(re.findall(r"n:\s*\d+ pts:", p.stderr))
    keys = len(re.findall(r"iskey:1", p.stderr))
    m = re.search(r"Video: (\w+)", p.stderr)
    return frames, keys, (m.group(1) if m else "?")


def decode_rgb(path):
    gen = imageio_ffmpeg.read_frames(path, pix_fmt="rgb24")
    meta = next(gen)
    w, h = meta["size"]
    return np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in gen]).astype(float)


def main():
    enc = sys.argv[1]
    work = tempfile.mkdtemp(prefix="wb-quality-")
    w, h, n, fps = 128, 96, 40, 10
    for ext in ("mp4", "webm"):
        f = lambda tag: os.path.join(work, f"{tag}.{ext}")  # noqa: E731
        base, _ = encode(enc, f("default"), "tensor", w, h, n, fps)
        # more than a second apart: a clock-seeded field (libwebm's TrackUID did that until
        # 0.2.0) would change the bytes
        time.sleep(1.1)
        zero, _ = encode(enc, f("zero"), "tensor", w, h, n, fps, "crf=0,kbps=0,kf=0")
        same = open(f("default"), "rb").read() == open(f("zero"), "rb").read()
        check(f"{ext} defaults", same, f"options 0 give the default bytes ({base} B)")
        frames, keys, codec = probe(f("default"))
        want = math.ceil(n / (2 * fps))
        check(f"{ext} default keyframes", frames == n and keys == want,
              f"{codec}: {frames} frames, {keys} keyframes (want {n}, {want}: every 2 s)")
        for kf in (1, 7, 25):
            encode(enc, f(f"kf{kf}"), "stream", w, h, n, fps, f"kf={kf}")
            frames, keys, _ = probe(f(f"kf{kf}"))
            want = math.ceil(n / kf)
            check(f"{ext} keyframe_interval={kf}", frames == n and keys == want,
                  f"{frames} frames, {keys} keyframes (want {n}, {want})")
        sizes, quality = {}, {}
        for crf in (8, 24, 45):
            sizes[crf], _ = encode(enc, f(f"crf{crf}"), "tensor", w, h, n, fps, f"crf={crf}")
            quality[crf] = decode_rgb(f(f"crf{crf}"))
        check(f"{ext} crf moves the size", sizes[8] > sizes[24] > sizes[45],
              f"crf 8/24/45 → {sizes[8]}/{sizes[24]}/{sizes[45]} B")
        # lower crf = closer to the crf-8 decode (a proxy for the source): PSNR ordering
        def p(a, b):
            mse = np.mean((a - b) ** 2)
            return 10 * math.log10(255 ** 2 / max(mse, 1e-9))
        p24, p45 = p(quality[24], quality[8]), p(quality[45], quality[8])
        check(f"{ext} crf moves the quality", p24 > p45,
              f"PSNR vs crf 8: crf 24 {p24:.1f} dB > crf 45 {p45:.1f} dB")
        kb = {}
        for kbps in (15, 40, 100):
            kb[kbps], _ = encode(enc, f(f"kbps{kbps}"), "stream", w, h, n, fps, f"kbps={kbps}")
        check(f"{ext} bitrate moves the size", kb[15] < kb[40] < kb[100],
              f"15/40/100 kbps → {kb[15]}/{kb[40]}/{kb[100]} B "
              f"(target for {n / fps:.0f} s: {[k * 1000 // 8 * n // fps for k in (15, 40, 100)]} B)")
        # bounded memory of the streaming writer
        _, r100 = encode(enc, f("rss100"), "stream", 256, 256, 100, 30, rss=True)
        size_big, r_big = encode(enc, f("rss1500"), "stream", 256, 256, 1500, 30, rss=True)
        frames, _, _ = probe(f("rss1500"))
        grow = r_big - r100
        limit = size_big // 1024 + 8 * 1024
        check(f"{ext} streaming memory", frames == 1500 and grow <= limit,
              f"peak RSS 100 frames {r100} KiB, 1500 frames {r_big} KiB (+{grow} KiB; limit "
              f"output {size_big // 1024} KiB + 8 MiB); {frames} frames decoded")
    for name in os.listdir(work):
        os.remove(os.path.join(work, name))
    os.rmdir(work)
    failed = results.count(False)
    print(f"quality: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
