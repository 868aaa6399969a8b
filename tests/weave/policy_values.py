"""The values every `weave_policy` program (C, C++, Go, and the Python reference) traces.

Root call i (0..N-1): op `policy_step`, inputs {"step": i, "camera": <video>}, output
{"action": [0.1*i, -0.2*i, 0.5], "overlay": <image>}; one child `preprocess` with inputs
{"step": i}. The camera is 16 frames of 48x64 RGB at 8 fps (MP4); pixel (y, x) of frame t:
R = 3x + 4t, G = 4y + 8(i mod 8), B = 2(x + y). The overlay is 32x32 RGB: R = 8x, G = 8y,
B = 37i mod 256. The same formulas are in examples/{c,cpp,go}/weave_policy*.
"""

import numpy as np

FRAMES, HEIGHT, WIDTH, FPS = 16, 48, 64, 8
OVERLAY = 32


def camera(i):
    t = np.arange(FRAMES).reshape(FRAMES, 1, 1)
    y = np.arange(HEIGHT).reshape(1, HEIGHT, 1)
    x = np.arange(WIDTH).reshape(1, 1, WIDTH)
    r = np.broadcast_to(3 * x + 4 * t, (FRAMES, HEIGHT, WIDTH))
    g = np.broadcast_to(4 * y + 8 * (i % 8), (FRAMES, HEIGHT, WIDTH))
    b = np.broadcast_to(2 * (x + y), (FRAMES, HEIGHT, WIDTH))
    return np.stack([r, g, b], axis=-1).astype(np.uint8)  # (T, H, W, 3)


def overlay(i):
    y = np.arange(OVERLAY).reshape(OVERLAY, 1)
    x = np.arange(OVERLAY).reshape(1, OVERLAY)
    r = np.broadcast_to(8 * x, (OVERLAY, OVERLAY))
    g = np.broadcast_to(8 * y, (OVERLAY, OVERLAY))
    b = np.full((OVERLAY, OVERLAY), (37 * i) % 256)
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def action(i):
    return [0.1 * i, -0.2 * i, 0.5]
