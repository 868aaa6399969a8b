#!/usr/bin/env python3
"""H.264 pass-through test (issue 13 item 2): encoded streams muxed into MP4 without re-encoding.

Sources: ffmpeg's libx264 (Baseline, Main, High; with and without B-frames), ffmpeg's
libopenh264 wrapper, and our own OpenH264 MP4 (examples/video_encode), each turned into an
Annex-B elementary stream (`-bsf:v h264_mp4toannexb`, so SPS/PPS repeat in-band before every
IDR) with the packet timestamps from `-f framecrc`. ffmpeg comes from imageio-ffmpeg in the
test venv and is used only here, as the reference encoder/decoder.

Each stream is muxed by examples/h264_mux three ways: the whole Annex-B buffer with pts only
(decode times derived), one access unit at a time (Annex-B, pts+dts), and one at a time as
AVCC. Checks per output:
  * the MP4 is ftyp, moov, mdat (moov first); each sample's NAL units are byte-identical to
    the access unit's NAL units in the source stream (minus SPS/PPS/AUD, which go to avcC);
  * avcC profile/level = the SPS's; ctts present iff the source has B-frames;
  * ffmpeg decodes the same number of frames, bit-identical to decoding the source MP4, and
    the PSNR against the RGB source frames is > 30 dB;
  * headless Chromium plays it: readyState >= 2, duration = frames/fps, size, mean colour of
    the first frame within 10 of the source's.
Prints one line per check and PASS/FAIL last; exit status 0 iff everything passed.
"""
import hashlib
import html
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

import imageio_ffmpeg
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
MUX = os.path.join(TARGET, "release", "examples", "h264_mux")
ENC = os.path.join(TARGET, "release", "examples", "video_encode")
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
W, H, N, FPS = 160, 96, 50, 25

failures = []


def check(ok, what):
    print(("ok   " if ok else "BAD  ") + what, flush=True)
    if not ok:
        failures.append(what)


def ff(*args, inp=None):
    r = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", *args],
                       input=inp, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(f"ffmpeg {' '.join(args)}: {r.stderr.decode()[-500:]}")
    return r.stdout


def source_frames():
    """A moving pattern with texture (so P/B-frames carry real data), uint8 (N,H,W,3)."""
    y, x = np.mgrid[0:H, 0:W]
    out = np.empty((N, H, W, 3), np.uint8)
    for t in range(N):
        out[t, ..., 0] = (x * 255 // W + 3 * t) % 256
        out[t, ..., 1] = (y * 255 // H) % 256
        out[t, ..., 2] = (128 + 100 * np.sin((x + 2 * t) / 7.0) * np.cos(y / 5.0)).astype(np.uint8)
        sq = (2 * t) % (W - 24)
        out[t, 30:54, sq:sq + 24] = (250, 230, 40)
    return out


def boxes(buf, start, end):
    out, p = [], start
    while p + 8 <= end:
        size, kind = struct.unpack(">I4s", buf[p:p + 8])
        hdr = 8
        if size == 1:
            size = struct.unpack(">Q", buf[p + 8:p + 16])[0]
            hdr = 16
        assert size >= 8 and p + size <= end, "bad box"
        out.append((kind.decode("latin1"), p + hdr, p + size))
        p += size
    return out


def child(buf, rng, path):
    s, e = rng
    for kind in path:
        skip = {"stsd": 8, "avc1": 78}.get(kind, 0)
        found = [b for b in boxes(buf, s, e) if b[0] == kind]
        if not found:
            return None
        s, e = found[0][1] + skip, found[0][2]
    return s, e


def parse_mp4(buf):
    top = boxes(buf, 0, len(buf))
    moov = [b for b in top if b[0] == "moov"][0]
    stbl = child(buf, (moov[1], moov[2]), ["trak", "mdia", "minf", "stbl"])
    s, _ = child(buf, stbl, ["stsz"])
    n = struct.unpack(">I", buf[s + 8:s + 12])[0]
    sizes = struct.unpack(f">{n}I", buf[s + 12:s + 12 + 4 * n])
    s, _ = child(buf, stbl, ["stco"])
    off = struct.unpack(">I", buf[s + 8:s + 12])[0]
    samples = []
    for z in sizes:
        samples.append(buf[off:off + z])
        off += z
    a, _ = child(buf, stbl, ["stsd", "avc1", "avcC"])
    return {
        "top": [b[0] for b in top],
        "samples": samples,
        "avcc": buf[a:a + 4],
        "ctts": child(buf, stbl, ["ctts"]) is not None,
    }


def nal_units_annexb(data):
    """NAL units of Annex-B data (like the library's splitter, trailing zeros dropped)."""
    starts = [m.start() for m in re.finditer(b"\x00\x00\x01", data)]
    out = []
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(data)
        nal = data[s + 3:e].rstrip(b"\x00")
        if nal:
            out.append(nal)
    return out


def access_units(nals):
    aus, cur, has_vcl = [], [], False
    for nal in nals:
        t = nal[0] & 0x1F
        vcl = 1 <= t <= 5
        new = has_vcl and ((vcl and nal[1] & 0x80) or (not vcl and (t in (6, 7, 8, 9) or 14 <= t <= 18)))
        if new:
            aus.append(cur)
            cur, has_vcl = [], False
        has_vcl |= vcl
        cur.append(nal)
    if cur:
        aus.append(cur)
    return aus


def sample_nals(sample):
    out, p = [], 0
    while p < len(sample):
        n = struct.unpack(">I", sample[p:p + 4])[0]
        out.append(sample[p + 4:p + 4 + n])
        p += 4 + n
    assert p == len(sample)
    return out


def decode_rgb(path):
    raw = ff("-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
    return np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def chromium_check(work, expect):
    """expect: name -> (frames, fps, w, h, mean rgb of frame 0). Returns name -> problems."""
    if not shutil.which("chromium"):
        subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null",
                       shell=True, check=True)
    page = ['<!doctype html><html><body>']
    for name in expect:
        page.append(f'<video id="{name}" src="{name}.mp4" muted preload="auto" playsinline></video>')
    page.append('''<pre id="result">pending</pre><script>
function report() {
  const out = [];
  for (const v of document.querySelectorAll('video')) {
    let mean = [-1, -1, -1];
    if (v.readyState >= 2 && v.videoWidth > 0) {
      const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
      const ctx = c.getContext('2d'); ctx.drawImage(v, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data; mean = [0, 0, 0];
      for (let i = 0; i < d.length; i += 4) { mean[0] += d[i]; mean[1] += d[i + 1]; mean[2] += d[i + 2]; }
      mean = mean.map(s => (s / (d.length / 4)).toFixed(1));
    }
    out.push([v.id, v.readyState, v.duration, v.videoWidth, v.videoHeight, v.error ? v.error.code : 0, ...mean].join(' '));
  }
  document.getElementById('result').textContent = out.join('\\n');
}
window.addEventListener('load', report); setTimeout(report, 8000);
</script></body></html>''')
    with open(os.path.join(work, "index.html"), "w") as f:
        f.write("\n".join(page))
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", work], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html")
                break
            except OSError:
                time.sleep(0.1)
        profile = os.path.join(work, "profile")
        r = subprocess.run(["timeout", "120", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-background-networking", "--disable-component-update", "--no-first-run",
                            "--disable-sync", "--mute-audio", f"--user-data-dir={profile}",
                            "--virtual-time-budget=10000", "--dump-dom", f"http://127.0.0.1:{port}/index.html"],
                           capture_output=True)
        dom = r.stdout.decode("utf-8", "replace")
    finally:
        server.terminate()
        server.wait()
    m = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    got = {}
    if m:
        for line in html.unescape(m.group(1)).strip().splitlines():
            p = line.split()
            if len(p) == 9:
                got[p[0]] = p[1:]
    results = {}
    for name, (n, fps, w, h, rgb) in expect.items():
        if name not in got:
            results[name] = ["no result from the page"]
            continue
        ready, dur, vw, vh, err, *mean = got[name]
        probs = []
        if int(ready) < 2:
            probs.append(f"readyState {ready} (error {err})")
        try:
            d = float(dur)
        except ValueError:
            d = float("nan")
        if not abs(d - n / fps) <= 0.5 / fps:
            probs.append(f"duration {dur}, expected {n / fps:.3f}")
        if (int(vw), int(vh)) != (w, h):
            probs.append(f"size {vw}x{vh}, expected {w}x{h}")
        diff = max(abs(float(a) - b) for a, b in zip(mean, rgb))
        if not diff <= 10:
            probs.append(f"mean colour {mean}, expected {[round(c, 1) for c in rgb]}")
        results[name] = probs or [f"ok readyState={ready} duration={dur} size={vw}x{vh} rgb={'/'.join(mean)}"]
    return results


def main():
    for exe in (MUX, ENC):
        if not os.path.exists(exe):
            sys.exit(f"missing {exe}: cargo build --release --examples")
    work = tempfile.mkdtemp(prefix="wb-h264-")
    frames = source_frames()
    raw = frames.tobytes()
    rawin = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", str(FPS), "-i", "-"]
    x264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "20", "-crf", "20"]
    sources = {
        "x264_baseline": x264 + ["-profile:v", "baseline"],
        "x264_main_nob": x264 + ["-profile:v", "main", "-bf", "0"],
        "x264_main_b": x264 + ["-profile:v", "main", "-bf", "2"],
        "x264_high_nob": x264 + ["-profile:v", "high", "-bf", "0"],
        "x264_high_b3": x264 + ["-profile:v", "high", "-bf", "3", "-x264-params", "b-pyramid=normal"],
        "ffopenh264": ["-c:v", "libopenh264", "-pix_fmt", "yuv420p", "-g", "20", "-b:v", "1M"],
    }
    expect = {}
    for name, args in sources.items():
        ff(*rawin, *args, os.path.join(work, f"{name}.src.mp4"), inp=raw)
    # ours: the library's own OpenH264 MP4 of the same size (examples/video_encode)
    subprocess.run([ENC, os.path.join(work, "ours.src.mp4"), "stream", str(W), str(H), str(N), str(FPS)],
                   check=True, capture_output=True)
    sources["ours"] = None
    for name in sources:
        src_mp4 = os.path.join(work, f"{name}.src.mp4")
        annexb = os.path.join(work, f"{name}.h264")
        ff("-i", src_mp4, "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "h264", annexb)
        crc = ff("-i", src_mp4, "-c", "copy", "-f", "framecrc", "-").decode()
        tb = re.search(r"#tb 0: 1/(\d+)", crc).group(1)
        rows = [line.split(",") for line in crc.splitlines() if line and not line.startswith("#")]
        times = os.path.join(work, f"{name}.times")
        with open(times, "w") as f:
            for r in rows:
                f.write(f"{int(r[2])} {int(r[1])}\n")  # pts dts
        has_b = any(int(r[1]) != int(r[2]) for r in rows) and any(
            int(rows[i + 1][2]) < int(rows[i][2]) for i in range(len(rows) - 1))
        data = open(annexb, "rb").read()
        aus = access_units(nal_units_annexb(data))
        profile = [n for n in nal_units_annexb(data) if n[0] & 0x1F == 7][0][1]
        check(len(aus) == len(rows), f"{name}: {len(aus)} access units in the Annex-B stream, {len(rows)} packets")
        ref = decode_rgb(src_mp4)
        ref_frames = ref if name != "ours" else None
        for mode in ("whole", "stream", "stream-avcc"):
            out = os.path.join(work, f"{name}_{mode.replace('-', '_')}.mp4")
            r = subprocess.run([MUX, annexb, times, out, mode, tb], capture_output=True, text=True)
            tag = f"{name}/{mode} (profile_idc {profile}, B-frames {'yes' if has_b else 'no'})"
            if r.returncode != 0:
                check(False, f"{tag}: h264_mux failed: {r.stderr.strip()}")
                continue
            _, jw, jh = r.stdout.split()
            check((int(jw), int(jh)) == (W, H), f"{tag}: JSON size {jw}x{jh}")
            buf = open(out, "rb").read()
            p = parse_mp4(buf)
            check(p["top"] == ["ftyp", "moov", "mdat"], f"{tag}: boxes {p['top']} (moov first)")
            want = [[n for n in au if (n[0] & 0x1F) not in (7, 8, 9, 12)] for au in aus]
            got = [sample_nals(s) for s in p["samples"]]
            same = len(got) == len(want) and all(g == w for g, w in zip(got, want))
            check(same, f"{tag}: {len(got)} samples, NAL units byte-identical to the source "
                        f"(sha256 {hashlib.sha256(b''.join(p['samples'])).hexdigest()[:12]})")
            check(p["avcc"][1] == profile, f"{tag}: avcC profile {p['avcc'][1]}")
            check(p["ctts"] == has_b, f"{tag}: ctts {'present' if p['ctts'] else 'absent'}")
            dec = decode_rgb(out)
            check(len(dec) == N, f"{tag}: ffmpeg decodes {len(dec)} frames (want {N})")
            if len(dec) == N:
                check(np.array_equal(dec, ref), f"{tag}: decoded frames identical to decoding the source MP4")
                if name != "ours":  # ours encodes examples/video_encode's own pattern
                    q = min(psnr(dec[i], frames[i]) for i in range(N))
                    # RGB PSNR includes the 4:2:0 chroma loss of this high-detail pattern
                    check(q > 25.0, f"{tag}: worst-frame RGB PSNR vs the source {q:.1f} dB (> 25)")
            name_out = os.path.basename(out)[:-4]
            first = ref_frames[0] if ref_frames is not None else ref[0]
            expect[name_out] = (N, FPS, W, H, [float(first[..., c].mean()) for c in range(3)])
        del ref_frames
    # errors: a stream that starts with a non-IDR picture is refused
    data = open(os.path.join(work, "x264_main_b.h264"), "rb").read()
    aus = access_units(nal_units_annexb(data))
    cut = b"".join(b"\x00\x00\x00\x01" + n for au in aus[1:] for n in au if n[0] & 0x1F not in (7, 8))
    sps_pps = b"".join(b"\x00\x00\x00\x01" + n for n in aus[0] if n[0] & 0x1F in (7, 8))
    bad = os.path.join(work, "nonidr.h264")
    open(bad, "wb").write(sps_pps + cut)
    r = subprocess.run([MUX, bad, "-", os.path.join(work, "bad.mp4"), "whole", "0"], capture_output=True, text=True)
    check(r.returncode != 0 and "IDR" in r.stderr, f"non-IDR start refused: {r.stderr.strip()}")

    for name, probs in chromium_check(work, expect).items():
        check(probs[0].startswith("ok"), f"chromium {name}: {'; '.join(probs)}")
    if failures:
        print(f"FAIL: {len(failures)} H.264 pass-through checks failed (work dir {work})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("PASS: H.264 pass-through (libx264 Baseline/Main/High with and without B-frames, libopenh264, ours)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
