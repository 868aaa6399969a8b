#!/usr/bin/env python3
"""The issue-11 benchmark table (not a test; nothing here asserts a timing).

Ours (libwandb_media through its C ABI, via ctypes) and wandb 0.31 are timed in the same
process on the same numpy arrays, in interleaved rounds; each cell is the median. The
"limit" column is one streaming read of the input buffer (numpy int64 sum over the same bytes),
i.e. the memory-bandwidth bound for a one-pass conversion.

usage: table.py LIBPATH [--quick] [--markdown] [--sdk-gif-hd] [--only=SUBSTRING]
(RUN_BENCH_BIN: benches/run_bench.c built against the static library, for the offline-run row.)
"""
import ctypes as C
import os
import statistics
import sys
import tempfile
import time

import numpy as np

LIB = sys.argv[1]
QUICK = "--quick" in sys.argv
lib = C.CDLL(LIB)

DT = {np.dtype("uint8"): 0, np.dtype("int8"): 1, np.dtype("uint16"): 2, np.dtype("int16"): 3,
      np.dtype("int32"): 4, np.dtype("int64"): 5, np.dtype("float32"): 6,
      np.dtype("float64"): 7, np.dtype("bool"): 8}
WB_DTYPE_F16, WB_DTYPE_BF16 = 9, 10


class Tensor(C.Structure):
    _fields_ = [("data", C.c_void_p), ("dtype", C.c_int), ("ndim", C.c_size_t),
                ("shape", C.POINTER(C.c_int64)), ("strides", C.POINTER(C.c_int64))]


class Err(C.Structure):
    _fields_ = [("code", C.c_int), ("message", C.c_char * 512)]


class ImageOptions(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("mode", C.c_int), ("file_type", C.c_int),
                ("convert", C.c_int), ("png_mode", C.c_int)]


class VideoOptions(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("fps", C.c_uint32), ("format", C.c_int),
                ("layout", C.c_int), ("convert", C.c_int), ("bitrate_kbps", C.c_uint32),
                ("crf", C.c_uint32), ("keyframe_interval", C.c_uint32)]


lib.wb_value_free.argtypes = [C.c_void_p]
lib.wb_image_options_default.restype = ImageOptions
lib.wb_video_options_default.restype = VideoOptions


def tensor(a, dtype_code=None, shape=None, strides=None):
    shape = a.shape if shape is None else shape
    sh = (C.c_int64 * max(1, len(shape)))(*shape)
    st = None
    if strides is not None:
        st = (C.c_int64 * len(strides))(*strides)
    code = DT[a.dtype] if dtype_code is None else dtype_code
    t = Tensor(a.ctypes.data, code, len(shape), sh, st)
    t._keep = (a, sh, st)
    return t


def call(fn, *args):
    out = C.c_void_p()
    err = Err()
    st = fn(*args, C.byref(out), C.byref(err))
    if st != 0:
        raise RuntimeError(f"{fn.__name__}: {st} {err.message.decode()}")
    lib.wb_value_free(out)


def bandwidth(a):
    b = np.frombuffer(a.tobytes() if not a.flags.c_contiguous else a, dtype=np.uint8)
    n8 = b.size // 8 * 8
    v = b[:n8].view(np.int64)
    return lambda: v.sum()


ROUNDS = 3 if QUICK else 7
rows = []


ONLY = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")]


def bench(name, ours, sdk=None, limit=None, rounds=ROUNDS, sdk_rounds=None):
    if ONLY and not any(o in name for o in ONLY):
        return
    to, ts, tl = [], [], []
    ours()  # warm-up (ours only: the SDK's slow rows would double the run time)
    for r in range(rounds):
        t0 = time.perf_counter(); ours(); to.append(time.perf_counter() - t0)
        if sdk and (sdk_rounds is None or r < sdk_rounds):
            t0 = time.perf_counter(); sdk(); ts.append(time.perf_counter() - t0)
        if limit:
            t0 = time.perf_counter(); limit(); tl.append(time.perf_counter() - t0)
    o = statistics.median(to)
    s = statistics.median(ts) if ts else None
    lim = statistics.median(tl) if tl else None
    rows.append((name, o, s, lim))
    print(f"  {name}: ours {fmt(o)}  sdk {fmt(s)}  limit {fmt(lim)}", file=sys.stderr, flush=True)


def fmt(t):
    if t is None:
        return "—"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.1f} µs"


def main():
    import wandb  # noqa: E402  (imported late: its import takes a second)

    tmp = tempfile.mkdtemp(prefix="wb-bench-")
    os.environ.setdefault("WANDB_SILENT", "true")
    rng = np.random.default_rng(0)
    sizes = [1_000_000, 10_000_000] + ([] if QUICK else [100_000_000])
    if ONLY:
        sizes = [n for n in sizes
                 if any(f"histogram {n // 1_000_000}M" in o or o == "histogram" for o in ONLY)]
    lib.wb_histogram_from_tensor.argtypes = [C.POINTER(Tensor), C.c_size_t, C.c_void_p, C.c_void_p]
    for n in sizes:
        base = rng.standard_normal(n)
        label = {1_000_000: "1M", 10_000_000: "10M", 100_000_000: "100M"}[n]
        variants = [
            ("f64", base, None),
            ("f32", base.astype(np.float32), None),
            ("f16", base.astype(np.float16), WB_DTYPE_F16),
            ("bf16", base.astype(np.float32), WB_DTYPE_BF16),
            ("i64", (base * 1000).astype(np.int64), None),
            ("i32", (base * 1000).astype(np.int32), None),
            ("u8", (base * 40 + 128).clip(0, 255).astype(np.uint8), None),
        ]
        for tag, arr, code in variants:
            if tag == "bf16":
                # bf16 bits: top half of the float32 (truncated), as torch stores them
                bits = (arr.view(np.uint32) >> 16).astype(np.uint16)
                ours_arr, sdk_arr = bits, (bits.astype(np.uint32) << 16).view(np.float32)
            else:
                ours_arr, sdk_arr = arr, arr
            t = tensor(ours_arr, code)
            rounds = 3 if n >= 100_000_000 else ROUNDS
            try:
                call(lib.wb_histogram_from_tensor, C.byref(t), 64)
            except RuntimeError as e:
                print(f"  histogram {label} {tag}: skipped ({e})", file=sys.stderr)
                continue
            bench(f"histogram {label} {tag}",
                  lambda: call(lib.wb_histogram_from_tensor, C.byref(t), 64),
                  lambda: wandb.Histogram(sdk_arr, num_bins=64),
                  bandwidth(ours_arr), rounds)
        del variants, base

    # images
    lib.wb_image_from_tensor.argtypes = [C.POINTER(Tensor), C.POINTER(ImageOptions), C.c_void_p, C.c_void_p]
    img = rng.integers(0, 256, (1024, 1024, 3), dtype=np.uint8)
    t = tensor(img)
    bench("image 1024² RGB u8 → PNG", lambda: call(lib.wb_image_from_tensor, C.byref(t), None),
          lambda: wandb.Image(img))
    chw = rng.random((3, 512, 512), dtype=np.float32)
    for conv, cname in ((1, "CAST"), (2, "LEGACY")):
        opts = lib.wb_image_options_default()
        opts.convert = conv
        # HWC view of the CHW buffer through strides (no copy), as torch would hand it over
        tv = tensor(chw, shape=(512, 512, 3), strides=(512, 1, 512 * 512))
        sdk = (lambda: wandb.Image(chw.transpose(1, 2, 0))) if conv == 1 else None
        bench(f"image 512² f32 CHW {cname} → PNG",
              lambda tv=tv, opts=opts: call(lib.wb_image_from_tensor, C.byref(tv), C.byref(opts)),
              sdk, bandwidth(chw))
    # issue 23: the float32 HWC row the issue names, 4K images, CHW views, float16 images
    opts_cast = lib.wb_image_options_default()
    opts_cast.convert = 1
    hwc = rng.random((512, 512, 3), dtype=np.float32)
    th = tensor(hwc)
    bench("image 512² f32 HWC CAST → PNG",
          lambda: call(lib.wb_image_from_tensor, C.byref(th), C.byref(opts_cast)),
          lambda: wandb.Image(hwc), bandwidth(hwc))
    # scaled to 0..255 so the cast keeps content (a [0, 1) float image casts to black)
    hwc255 = (hwc * 255).astype(np.float32)
    th255 = tensor(hwc255)
    bench("image 512² f32 HWC ×255 CAST → PNG",
          lambda: call(lib.wb_image_from_tensor, C.byref(th255), C.byref(opts_cast)),
          lambda: wandb.Image(hwc255), bandwidth(hwc255))
    f16 = (rng.random((512, 512, 3)) * 255).astype(np.float16)
    t16 = tensor(f16, WB_DTYPE_F16)
    bench("image 512² f16 HWC CAST → PNG",
          lambda: call(lib.wb_image_from_tensor, C.byref(t16), C.byref(opts_cast)),
          lambda: wandb.Image(f16), bandwidth(f16))
    chw16 = np.ascontiguousarray(f16.transpose(2, 0, 1))
    tc16 = tensor(chw16, WB_DTYPE_F16, shape=(512, 512, 3), strides=(512, 1, 512 * 512))
    bench("image 512² f16 CHW view CAST → PNG",
          lambda: call(lib.wb_image_from_tensor, C.byref(tc16), C.byref(opts_cast)),
          lambda: wandb.Image(chw16.transpose(1, 2, 0)), bandwidth(chw16))
    if not QUICK:
        # 4K frames: a smooth gradient with mild noise (camera-like; random bytes would only
        # measure zlib on incompressible data)
        yy, xx = np.mgrid[0:2160, 0:3840]
        noise = rng.integers(0, 8, (2160, 3840), dtype=np.int64)
        img4k = np.stack([(xx // 15 + noise) % 256, (yy // 9 + noise) % 256,
                          ((xx + yy) // 24 + noise) % 256], -1).astype(np.uint8)
        del yy, xx, noise
        t4 = tensor(img4k)
        bench("image 4K (3840×2160) RGB u8 → PNG", lambda: call(lib.wb_image_from_tensor, C.byref(t4), None),
              lambda: wandb.Image(img4k), bandwidth(img4k), 3)
        chw4k = np.ascontiguousarray(img4k.transpose(2, 0, 1))
        tc4 = tensor(chw4k, shape=(2160, 3840, 3), strides=(3840, 1, 2160 * 3840))
        bench("image 4K u8 CHW view → PNG", lambda: call(lib.wb_image_from_tensor, C.byref(tc4), None),
              lambda: wandb.Image(chw4k.transpose(1, 2, 0)), bandwidth(chw4k), 3)
        f4k = img4k.astype(np.float32)
        tf4 = tensor(f4k)
        bench("image 4K f32 HWC CAST → PNG",
              lambda: call(lib.wb_image_from_tensor, C.byref(tf4), C.byref(opts_cast)),
              lambda: wandb.Image(f4k), bandwidth(f4k), 3)
        del img4k, chw4k, f4k
    bf = (rng.random((1024, 1024, 3), dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)
    tb = tensor(bf, WB_DTYPE_BF16)
    opts = lib.wb_image_options_default()
    opts.convert = 2
    try:
        call(lib.wb_image_from_tensor, C.byref(tb), C.byref(opts))
        bench("image 1024² bf16 LEGACY → PNG",
              lambda: call(lib.wb_image_from_tensor, C.byref(tb), C.byref(opts)), None, bandwidth(bf))
    except RuntimeError as e:
        print(f"  image bf16: skipped ({e})", file=sys.stderr)

    # audio
    lib.wb_audio_from_tensor.argtypes = [C.POINTER(Tensor), C.c_uint32, C.c_void_p, C.c_void_p]
    au = (rng.standard_normal(160_000) * 0.2).astype(np.float32)
    ta = tensor(au)
    bench("audio 10 s 16 kHz f32 → WAV",
          lambda: call(lib.wb_audio_from_tensor, C.byref(ta), 16000),
          lambda: wandb.Audio(au, sample_rate=16000), bandwidth(au))

    # video (T, C, H, W) uint8, smooth moving content
    lib.wb_video_from_tensor.argtypes = [C.POINTER(Tensor), C.POINTER(VideoOptions), C.c_void_p, C.c_void_p]
    vids = [("GIF", 64, 256, 256), ("MP4", 64, 256, 256), ("WebM", 64, 256, 256),
            ("MP4", 150, 360, 640)]
    if not QUICK:
        vids += [("MP4", 300, 720, 1280), ("MP4", 120, 1080, 1920)]
    for fmt_name, T, H, W in vids:
        yy, xx = np.mgrid[0:H, 0:W]
        frames = np.empty((T, 3, H, W), dtype=np.uint8)
        for i in range(T):
            frames[i, 0] = (xx + 3 * i) % 256
            frames[i, 1] = (yy + 2 * i) % 256
            frames[i, 2] = ((xx + yy) // 2 + i) % 256
        tv = tensor(frames)
        vo = lib.wb_video_options_default()
        vo.format = {"GIF": 1, "MP4": 2, "WebM": 3}[fmt_name]
        fmt_l = fmt_name.lower()
        bench(f"video {fmt_name} {T}×{H}×{W}",
              lambda tv=tv, vo=vo: call(lib.wb_video_from_tensor, C.byref(tv), C.byref(vo)),
              lambda frames=frames, fmt_l=fmt_l: wandb.Video(frames, fps=4, format=fmt_l),
              None, 1 if (T * H * W >= 150 * 360 * 640 or fmt_name == "GIF") else 3)
        del frames

    # GIF at HD sizes: ours only measured in interleaved rounds; the SDK (moviepy GIF writer,
    # ~0.5 s per 256² frame here) once at 150×360p and not at all at 720p/1080p unless
    # --sdk-gif-hd (it would take tens of minutes per round).
    gif_hd = [("GIF", 150, 360, 640)] + ([] if QUICK else [("GIF", 300, 720, 1280), ("GIF", 120, 1080, 1920)])
    for fmt_name, T, H, W in gif_hd:
        frames = moving_frames(T, H, W)
        tv = tensor(frames)
        vo = lib.wb_video_options_default()
        vo.format = 1
        sdk = None
        if H == 360 or "--sdk-gif-hd" in sys.argv:
            sdk = lambda frames=frames: wandb.Video(frames, fps=4, format="gif")  # noqa: E731
        bench(f"video GIF {T}×{H}×{W}",
              lambda tv=tv, vo=vo: call(lib.wb_video_from_tensor, C.byref(tv), C.byref(vo)),
              sdk, None, 3, 1)
        del frames

    run_rows(tmp)
    print_table()


def moving_frames(T, H, W):
    yy, xx = np.mgrid[0:H, 0:W]
    frames = np.empty((T, 3, H, W), dtype=np.uint8)
    for i in range(T):
        frames[i, 0] = (xx + 3 * i) % 256
        frames[i, 1] = (yy + 2 * i) % 256
        frames[i, 2] = ((xx + yy) // 2 + i) % 256
    return frames


def run_rows(tmp):
    """Rows, tables, Object3D and whole offline runs. The SDK side is what `run.log` runs for
    the same value (`val_to_json` / `history_dict_to_json` bound to an offline run)."""
    import wandb
    from wandb.sdk.data_types.utils import history_dict_to_json, val_to_json

    rng = np.random.default_rng(1)
    run = wandb.init(mode="offline", dir=tmp, project="wbm-bench")
    lib.wb_run_dir_new.argtypes = [C.c_char_p, C.c_void_p, C.c_void_p]
    lib.wb_value_from_json.argtypes = [C.c_char_p, C.c_void_p, C.c_void_p]
    lib.wb_row_to_json.argtypes = [C.c_void_p, C.c_void_p, C.c_int64, C.c_void_p, C.c_void_p]
    lib.wb_value_to_json.argtypes = [C.c_void_p, C.c_void_p, C.c_char_p, C.c_int64, C.c_void_p, C.c_void_p]
    lib.wb_string_free.argtypes = [C.c_void_p]
    lib.wb_table_new.argtypes = [C.c_char_p, C.c_void_p, C.c_void_p, C.c_void_p]
    lib.wb_table_add_row.argtypes = [C.c_void_p, C.c_void_p, C.c_size_t, C.c_void_p]
    lib.wb_image_from_tensor.argtypes = [C.POINTER(Tensor), C.POINTER(ImageOptions), C.c_void_p, C.c_void_p]
    lib.wb_object3d_from_tensor.argtypes = [C.POINTER(Tensor), C.c_void_p, C.c_void_p]
    rd = C.c_void_p()
    err = Err()
    if lib.wb_run_dir_new(os.path.join(tmp, "ours-files").encode(), C.byref(rd), C.byref(err)) != 0:
        raise RuntimeError(err.message.decode())
    step = [0]

    def new(fn, *args):
        out = C.c_void_p()
        e = Err()
        if fn(*args, C.byref(out), C.byref(e)) != 0:
            raise RuntimeError(f"{fn.__name__}: {e.message.decode()}")
        return out

    def to_json(fn, *args):
        s = C.c_void_p()
        e = Err()
        step[0] += 1
        if fn(*args, C.byref(s), C.byref(e)) != 0:
            raise RuntimeError(f"{fn.__name__}: {e.message.decode()}")
        lib.wb_string_free(s)

    # row of 10 floats → JSON
    vals = [float(x) for x in rng.standard_normal(10)]
    row_py = {f"m{i}": v for i, v in enumerate(vals)}
    import json as _json
    row_v = new(lib.wb_value_from_json, _json.dumps(row_py).encode())

    def ours_row():
        for _ in range(1000):
            step[0] += 1
            to_json(lib.wb_row_to_json, row_v, rd, step[0])

    def sdk_row():
        for i in range(1000):
            d = history_dict_to_json(run, dict(row_py), step=i)
            wandb.util.json_dumps_safer_history(d)

    bench("row of 10 floats → JSON (×1000)", ours_row, sdk_row)
    lib.wb_value_free(row_v)

    # 1 000-row table with a 32×32 RGB image column
    imgs = rng.integers(0, 256, (1000, 32, 32, 3), dtype=np.uint8)

    def ours_table():
        t = new(lib.wb_table_new, b'["id","img"]', None)
        cells = (C.c_void_p * 2)()
        for i in range(1000):
            ti = tensor(imgs[i])
            img = new(lib.wb_image_from_tensor, C.byref(ti), None)
            idv = new(lib.wb_value_from_json, str(i).encode())
            cells[0], cells[1] = idv, img
            e = Err()
            if lib.wb_table_add_row(t, cells, 2, C.byref(e)) != 0:
                raise RuntimeError(e.message.decode())
            lib.wb_value_free(idv)
            lib.wb_value_free(img)
        step[0] += 1
        to_json(lib.wb_value_to_json, t, rd, b"tbl", step[0])
        lib.wb_value_free(t)

    def sdk_table():
        data = [[i, wandb.Image(imgs[i])] for i in range(1000)]
        t = wandb.Table(columns=["id", "img"], data=data)
        step[0] += 1
        val_to_json(run, "tbl", t, namespace=step[0])

    bench("table 1 000 rows × (int, 32² RGB image) → files + JSON", ours_table, sdk_table, None, 3)

    # 100k-point Object3D (float32 x y z r g b... x y z)
    pts = rng.standard_normal((100_000, 3)).astype(np.float32)
    tp = tensor(pts)

    def ours_obj():
        o = new(lib.wb_object3d_from_tensor, C.byref(tp))
        step[0] += 1
        to_json(lib.wb_value_to_json, o, rd, b"pc", step[0])
        lib.wb_value_free(o)

    def sdk_obj():
        o = wandb.Object3D(pts)
        step[0] += 1
        val_to_json(run, "pc", o, namespace=step[0])

    bench("Object3D 100k points f32 → .pts.json", ours_obj, sdk_obj, bandwidth(pts), 3)
    run.finish()
    lib.wb_run_dir_free.argtypes = [C.c_void_p]
    lib.wb_run_dir_free(rd)

    # whole offline runs: 20 000 rows of 10 scalars, init → finish (benches/run_bench.*)
    import subprocess
    rb = os.environ.get("RUN_BENCH_BIN")
    if rb and os.path.exists(rb):
        n_rows = 5000 if QUICK else 20000
        here = os.path.dirname(os.path.abspath(__file__))
        k = [0]

        def ours_run():
            k[0] += 1
            subprocess.run([rb, os.path.join(tmp, f"o{k[0]}"), "scalar", "1", str(n_rows)],
                           check=True, stdout=subprocess.DEVNULL)

        def sdk_run():
            k[0] += 1
            subprocess.run([sys.executable, os.path.join(here, "run_bench.py"),
                            os.path.join(tmp, f"s{k[0]}"), "scalar", str(n_rows)],
                           check=True, stdout=subprocess.DEVNULL)

        bench(f"offline run {n_rows} rows × 10 floats, init → finish", ours_run, sdk_run, None, 3)
        ROWS_PER_RUN[0] = n_rows


ROWS_PER_RUN = [0]


def print_table():
    md = "--markdown" in sys.argv
    print("| work | ours | wandb 0.31 | ratio | memory-bandwidth limit | ours / limit |")
    print("|---|---|---|---|---|---|")
    for name, o, s, lim in rows:
        ratio = f"{s / o:.1f}×" if s else "—"
        rl = f"{o / lim:.1f}×" if lim else "—"
        if name.startswith("offline run") and ROWS_PER_RUN[0]:
            n = ROWS_PER_RUN[0]
            name += f" (ours {n / o:,.0f} rows/s" + (f", SDK {n / s:,.0f} rows/s)" if s else ")")
        print(f"| {name} | {fmt(o)} | {fmt(s)} | {ratio} | {fmt(lim)} | {rl} |")
    _ = md


if __name__ == "__main__":
    main()
