#!/usr/bin/env python3
"""H.264 pass-through without timestamps (issue 23 item 12): B-frames, open GOPs, byte streams.

A raw Annex-B stream (`.h264` file, camera, NVENC) carries no timestamps; with B-frames its
decode order is not its display order. The library derives the display order from the slice
headers (picture order count, pic_order_cnt_type 0/1/2) and writes ctts; it also takes the
stream as bytes cut anywhere (push_h264_bytes) and splits access units itself.

Sources (ffmpeg's libx264 from the venv's imageio-ffmpeg, as reference encoder/decoder only):
libx264 defaults (3 B-frames, B-pyramid, POC type 0), open GOPs (recovery-point I-frames with
leading B-frames), an IDR every 8 frames (POC restarting), no B-frames (POC type 2), 16
B-frames with B-adapt 2, and libopenh264. Every frame carries its index as a 10-bit barcode
(16×16 black/white blocks in the top macroblock row).

Each stream is muxed by examples/h264_mux with no timestamps (fps given) four ways: the
whole buffer, one access unit per push, and as a byte stream cut at random boundaries
(two seeds) and one byte per push. Checks per output:
  * the byte-stream files are byte-identical to the whole-access-unit file;
  * ffmpeg's framemd5 of the decoded frames equals the source MP4's (frame count and order);
  * ffmpeg reports no non-monotonic dts (decoding, and remuxing with -c copy); the packet
    pts are 0, 1, …, N-1 frame durations in some order, the dts strictly increase, and ctts
    is present iff the stream reorders;
  * headless Chromium seeks to every frame and reads the barcode: frame i shows index i,
    and the duration is N/fps.
A stream without timestamps that still has its frames in the wrong order is what this test
catches: before the fix every B-frame stream failed the framemd5 and barcode checks.
Prints one line per check and PASS/FAIL last.
"""
import hashlib
import http.server
import os
import re
import shutil
import queue
import subprocess
import sys
import tempfile
import threading

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import h264_passthrough as hp  # noqa: E402  (helpers: ff, parse_mp4, boxes)

MUX = hp.MUX
W, H, N, FPS = 160, 96, 40, 20
BITS = W // 16

failures = []


def check(ok, what):
    print(("ok   " if ok else "BAD  ") + what, flush=True)
    if not ok:
        failures.append(what)


def source_frames():
    """Moving texture + each frame's index as a barcode in the top 16 rows."""
    y, x = np.mgrid[0:H, 0:W]
    out = np.empty((N, H, W, 3), np.uint8)
    for t in range(N):
        out[t, ..., 0] = (x * 255 // W + 5 * t) % 256
        out[t, ..., 1] = (y * 255 // H + 3 * t) % 256
        out[t, ..., 2] = (128 + 100 * np.sin((x + 3 * t) / 7.0) * np.cos(y / 5.0)).astype(np.uint8)
        sq = (3 * t) % (W - 24)
        out[t, 40:64, sq:sq + 24] = (250, 230, 40)
        for b in range(BITS):
            out[t, 0:16, 16 * b:16 * b + 16] = 235 if (t >> b) & 1 else 16
    return out


def slice_type(nal):
    """slice_type of a slice NAL unit: the second ue(v) of its header."""
    bits = "".join(f"{b:08b}" for b in nal[1:8])
    pos, vals = 0, []
    for _ in range(2):
        z = 0
        while bits[pos] == "0":
            z += 1
            pos += 1
        vals.append(int(bits[pos:pos + z + 1], 2) - 1)
        pos += z + 1
    return vals[1]


def framemd5(path):
    txt = hp.ff("-i", path, "-map", "0:v", "-f", "framemd5", "-").decode()
    return [line.split(",")[-1].strip() for line in txt.splitlines() if line and not line.startswith("#")]


def packets(path):
    """(pts, dts) of every packet, in stream order, in the stream time base."""
    txt = hp.ff("-i", path, "-map", "0:v", "-c", "copy", "-f", "framecrc", "-").decode()
    rows = [line.split(",") for line in txt.splitlines() if line and not line.startswith("#")]
    return [(int(r[2]), int(r[1])) for r in rows]


def monotonic_warnings(path, work):
    out = []
    for args in (["-i", path, "-f", "null", "-"],
                 ["-i", path, "-c", "copy", os.path.join(work, "remux.mp4")]):
        r = subprocess.run([hp.FFMPEG, "-hide_banner", "-v", "warning", "-y", *args], capture_output=True, text=True)
        out += [line for line in r.stderr.splitlines() if "monoton" in line.lower()]
    return out


def chromium_barcodes(work, names):
    """name -> (duration, [frame index read from the barcode at each frame's time])."""
    if not shutil.which("chromium"):
        subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null",
                       shell=True, check=True)
    videos = "".join(f'<video id="{n}" src="{n}.mp4" muted preload="auto" playsinline></video>' for n in names)
    page = f'''<!doctype html><html><body>{videos}<script>
const N = {N}, FPS = {FPS}, BITS = {BITS};
// Headless Chromium does not repaint a paused video after a seek (drawImage keeps showing
// the old frame), so each video is played once; requestVideoFrameCallback reads every
// presented frame's media time and its barcode.
function ready(v) {{
  return new Promise(res => {{ if (v.readyState >= 2) res(); else v.addEventListener('loadeddata', res, {{once: true}});
    v.addEventListener('error', res, {{once: true}}); }});
}}
function barcode(v, ctx) {{
  ctx.drawImage(v, 0, 0);
  const d = ctx.getImageData(0, 8, v.videoWidth, 1).data;
  let k = 0;
  for (let b = 0; b < BITS; b++) {{
    const p = (16 * b + 8) * 4;
    if (d[p] + d[p + 1] + d[p + 2] > 3 * 128) k |= 1 << b;
  }}
  return k;
}}
async function run() {{
  const out = [];
  for (const v of document.querySelectorAll('video')) {{
    await ready(v);
    let seen = [];
    if (v.readyState >= 2) {{
      const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
      const ctx = c.getContext('2d', {{willReadFrequently: true}});
      seen.push(v.currentTime.toFixed(4) + ':' + barcode(v, ctx));
      seen = await new Promise(res => {{
        function cb(now, md) {{
          seen.push(md.mediaTime.toFixed(4) + ':' + barcode(v, ctx));
          v.requestVideoFrameCallback(cb);
        }}
        v.requestVideoFrameCallback(cb);
        v.addEventListener('ended', () => setTimeout(() => res(seen), 200), {{once: true}});
        setTimeout(() => res(seen), 4000 * N / FPS);
        v.play();
      }});
    }}
    out.push([v.id, v.duration, v.error ? v.error.code : 0, seen.join(',')].join(' '));
  }}
  await fetch('/result', {{method: 'POST', body: out.join('\\n')}});
}}
window.addEventListener('load', run);
</script></body></html>'''
    with open(os.path.join(work, "index.html"), "w") as f:
        f.write(page)
    # Real time, not --virtual-time-budget: under virtual time a seek's new frame never
    # reached the canvas (every frame read as the first). The page POSTs its result here.
    results = queue.Queue()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=work, **kw)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace")
            self.send_response(204)
            self.end_headers()
            results.put(body)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    browser = subprocess.Popen(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                                "--disable-sync", "--mute-audio", "--autoplay-policy=no-user-gesture-required",
                                # a headless window counts as hidden: keep its video rendering
                                "--disable-background-media-suspend", "--disable-renderer-backgrounding",
                                "--disable-backgrounding-occluded-windows", "--disable-background-timer-throttling",
                                f"--user-data-dir={os.path.join(work, 'profile')}",
                                f"http://127.0.0.1:{port}/index.html"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        text = results.get(timeout=120)
    except queue.Empty:
        text = ""
    finally:
        browser.terminate()
        try:
            browser.wait(10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()
        server.shutdown()
    got = {}
    for line in text.strip().splitlines():
        p = line.split()
        if len(p) == 4:
            got[p[0]] = (p[1], p[2], [(float(t), int(k)) for t, k in (x.split(":") for x in p[3].split(",") if x)])
        elif len(p) == 3:
            got[p[0]] = (p[1], p[2], [])
    return got


def main():
    if not os.path.exists(MUX):
        sys.exit(f"missing {MUX}: cargo build --release --example h264_mux")
    work = tempfile.mkdtemp(prefix="wb-h264-reorder-")
    frames = source_frames()
    rawin = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", str(FPS), "-i", "-"]
    x264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p"]
    sources = {
        "x264_defaults": x264,  # preset medium: 3 B-frames, B-pyramid, closed GOP, POC type 0
        "x264_open_gop": x264 + ["-g", "12", "-x264-params", "open-gop=1:scenecut=0"],
        "x264_idr8": x264 + ["-g", "8", "-keyint_min", "8", "-x264-params", "scenecut=0"],
        "x264_nob": x264 + ["-bf", "0"],  # POC type 2
        "x264_b16": x264 + ["-bf", "16", "-x264-params", "b-adapt=2:b-pyramid=strict:ref=4"],
        "ffopenh264": ["-c:v", "libopenh264", "-pix_fmt", "yuv420p", "-g", "10", "-b:v", "1M"],
    }
    modes = ["whole", "stream", "bytes:7", "bytes:1234", "bytes:1"]
    names = []
    for name, args in sources.items():
        src = os.path.join(work, f"{name}.src.mp4")
        hp.ff(*rawin, *args, src, inp=frames.tobytes())
        annexb = os.path.join(work, f"{name}.h264")
        hp.ff("-i", src, "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", annexb)
        want = framemd5(src)
        src_pk = packets(src)
        reorders = any(p != d for p, d in src_pk) and any(
            src_pk[i + 1][0] < src_pk[i][0] for i in range(len(src_pk) - 1))
        open_gop = name == "x264_open_gop"
        if open_gop:
            # an open GOP: a non-IDR I picture followed (in decode order) by leading pictures
            # (shown before it)
            data = open(annexb, "rb").read()
            aus = hp.access_units(hp.nal_units_annexb(data))
            vcl = [next(n for n in au if 1 <= n[0] & 0x1F <= 5) for au in aus]
            n_idr = sum(1 for n in vcl if n[0] & 0x1F == 5)
            recovery = [i for i, n in enumerate(vcl) if n[0] & 0x1F == 1 and slice_type(n) % 5 == 2]
            leading = [i for i in recovery if i + 1 < len(src_pk) and src_pk[i + 1][0] < src_pk[i][0]]
            check(n_idr == 1 and len(aus) == N and leading,
                  f"{name}: one IDR, non-IDR I pictures at {recovery} with leading pictures after {leading}")
        check(len(want) == N, f"{name}: source decodes to {len(want)} frames, B-frames/reordering "
                               f"{'yes' if reorders else 'no'}")
        digests = {}
        for mode in modes:
            tag = f"{name}/{mode}"
            out = os.path.join(work, f"{name}_{mode.replace(':', '')}.mp4")
            r = subprocess.run([MUX, annexb, "-", out, mode, str(FPS)], capture_output=True, text=True)
            if r.returncode != 0:
                check(False, f"{tag}: h264_mux failed: {r.stderr.strip()}")
                continue
            buf = open(out, "rb").read()
            digests[mode] = hashlib.sha256(buf).hexdigest()
            if mode.startswith("bytes"):
                check(digests[mode] == digests.get("stream"),
                      f"{tag}: byte-stream file identical to the whole-access-unit pushes ({digests[mode][:12]})")
                continue
            got = framemd5(out)
            check(got == want, f"{tag}: framemd5 of {len(got)} decoded frames = the source's {len(want)}"
                               + ("" if got == want else f" (first difference at frame "
                                  f"{next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))})"))
            warn = monotonic_warnings(out, work)
            check(not warn, f"{tag}: ffmpeg reports no non-monotonic dts" + (f": {warn[0]}" if warn else ""))
            pk = packets(out)
            pts = sorted(p for p, _ in pk)
            dur = pts[1] - pts[0] if len(pts) > 1 else 0
            check(len(pk) == N and dur > 0 and pts == [pts[0] + i * dur for i in range(N)]
                  and all(pk[i + 1][1] > pk[i][1] for i in range(N - 1)),
                  f"{tag}: {len(pk)} packets, pts one frame apart, dts increasing")
            p = hp.parse_mp4(buf)
            check(p["ctts"] == reorders, f"{tag}: ctts {'present' if p['ctts'] else 'absent'}")
            if mode == "whole":
                link = os.path.join(work, f"{name}.mp4")
                shutil.copy(out, link)
                names.append(name)
    # errors without timestamps: a stream starting mid-GOP, bytes that are not Annex-B
    data = open(os.path.join(work, "x264_defaults.h264"), "rb").read()
    aus = hp.access_units(hp.nal_units_annexb(data))
    cut = b"".join(b"\x00\x00\x00\x01" + n for au in aus[1:] for n in au)
    sps_pps = b"".join(b"\x00\x00\x00\x01" + n for n in aus[0] if n[0] & 0x1F in (7, 8))
    bad = os.path.join(work, "nonidr.h264")
    open(bad, "wb").write(sps_pps + cut)
    for mode in ("whole", "bytes:7"):
        r = subprocess.run([MUX, bad, "-", os.path.join(work, "bad.mp4"), mode, str(FPS)], capture_output=True, text=True)
        check(r.returncode != 0 and "IDR" in r.stderr, f"non-IDR start refused ({mode}): {r.stderr.strip()[:160]}")
    open(bad, "wb").write(b"\x47\x40\x00\x10" + data)  # an MPEG-TS-like header: not Annex-B
    r = subprocess.run([MUX, bad, "-", os.path.join(work, "bad.mp4"), "bytes:7", str(FPS)], capture_output=True, text=True)
    check(r.returncode != 0 and "start code" in r.stderr, f"non-Annex-B bytes refused: {r.stderr.strip()[:160]}")

    got = chromium_barcodes(work, names)
    for name in names:
        if name not in got:
            check(False, f"chromium {name}: no result from the page")
            continue
        dur, err, seen = got[name]
        try:
            d = float(dur)
        except ValueError:
            d = float("nan")
        # every presented frame shows the barcode of the frame due at its media time, in
        # order, from the first frame to the last; a frame dropped by a busy machine is
        # allowed (at most 10 %), a frame out of place is not
        wrong = [(t, k) for t, k in seen if k != round(t * FPS)]
        ks = [k for _, k in seen]
        ok = (not wrong and ks == sorted(set(ks)) and ks[:1] == [0] and ks[-1:] == [N - 1]
              and len(ks) >= 0.9 * N and abs(d - N / FPS) <= 0.5 / FPS and err == "0")
        detail = f"; wrong frames (time: barcode) {wrong[:8]}" if wrong else ""
        check(ok, f"chromium {name}: {len(ks)} of {N} frames seen playing, each at its own time "
                  f"(barcodes 0..{N - 1} in order), duration {dur} (want {N / FPS:.2f}){detail}")
    if failures:
        print(f"FAIL: {len(failures)} H.264 reorder checks failed (work dir {work})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("PASS: H.264 without timestamps (B-frames, open GOPs, IDR restarts, POC types 0/2, byte streams)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
