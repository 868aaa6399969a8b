#!/usr/bin/env python3
"""Audio tracks in MP4 (issue 13 item 3), checked with ffmpeg as an independent decoder.

examples/video_encode writes MP4s with an Opus track: a float32 sine of amplitude 0.5 (channel 0
at F Hz, channel 1 at 1.5·F), through the tensor path (`Video::from_tensor_with_audio`) and the
streaming writer (`VideoWriter::push_audio`, blocks pushed between frames), at several sample
rates (resampled to 48 kHz), mono and stereo, audio shorter and longer than the video.
ffmpeg (imageio-ffmpeg's binary, used only in tests) must report an `opus` stream at 48 kHz with
the channel count, and decode it to PCM with

  * round(seconds · 48000) frames, plus at most one 20 ms packet: the edit list trims the
    priming samples; the padding of the last packet is in its shortened duration (Opus in
    ISO-BMFF §4.3.4, as ffmpeg's own muxer writes it), which ffmpeg's decoder does not trim
    (it decodes its own Opus MP4s to the same excess); nothing of the real audio is lost:
    the last 90 ms before round(seconds · 48000) still fit the sine,
  * per channel, the best-fitting sine of the expected frequency with amplitude 0.5 ± 2 %,
    phase 0 ± 0.05 rad (the audio starts exactly at time 0: a wrong pre-skip shifts the phase
    by ~1.8 rad at 440 Hz) and SNR > 30 dB, and the spectrum's peak at that frequency,
  * the container duration = the longer of video and audio.

Prints one line per check and PASS/FAIL last; exit status 0 iff everything passed.
"""
import json
import os
import subprocess
import sys
import tempfile

import imageio_ffmpeg
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
ENC = os.path.join(TARGET, "release", "examples", "video_encode")
FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()

# name, mode, width, height, frames, fps, rate, channels, frequency, audio ms
CASES = [
    ("tensor_44k_stereo", "tensor", 64, 48, 16, 8, 44100, 2, 440, 2000),
    ("stream_16k_mono", "stream", 96, 64, 45, 30, 16000, 1, 1000, 1500),
    ("stream_48k_longer", "stream", 32, 32, 8, 8, 48000, 1, 3000, 2500),
    ("tensor_22k_shorter", "tensor", 48, 32, 30, 10, 22050, 2, 700, 1200),
    ("stream_96k_stereo", "stream", 64, 64, 20, 10, 96000, 2, 2000, 2000),
    ("tensor_8k_mono", "tensor", 16, 16, 4, 4, 8000, 1, 300, 1000),
]

failures = []


def check(ok, what):
    print(("ok   " if ok else "BAD  ") + what, flush=True)
    if not ok:
        failures.append(what)


def fit(x, rate, freq, skip=2400):
    """Amplitude, phase and SNR (dB) of the least-squares sine of `freq` in x[skip:-skip]."""
    t = np.arange(len(x)) / rate
    sl = slice(skip, len(x) - skip)
    a = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], 1)[sl]
    coef, *_ = np.linalg.lstsq(a, x[sl], rcond=None)
    model = a @ coef
    snr = 10 * np.log10(np.sum(model ** 2) / max(np.sum((x[sl] - model) ** 2), 1e-30))
    return float(np.hypot(*coef)), float(np.arctan2(coef[1], coef[0])), float(snr)


def main():
    if not os.path.exists(ENC):
        subprocess.run(["cargo", "build", "--quiet", "--release", "--example", "video_encode"],
                       cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(prefix="wb-audio-") as work:
        for name, mode, w, h, n, fps, rate, ch, freq, ms in CASES:
            path = os.path.join(work, name + ".mp4")
            subprocess.run([ENC, path, mode, str(w), str(h), str(n), str(fps),
                            f"ar={rate},ac={ch},af={freq},ams={ms}"], check=True,
                           capture_output=True)
            probe = subprocess.run([FFMPEG, "-hide_banner", "-i", path], capture_output=True,
                                   text=True).stderr
            audio_lines = [ln for ln in probe.splitlines() if "Audio:" in ln]
            layout = "mono" if ch == 1 else "stereo"
            check(len(audio_lines) == 1 and "opus" in audio_lines[0] and "48000 Hz" in audio_lines[0]
                  and layout in audio_lines[0],
                  f"{name}: ffmpeg sees one Opus 48 kHz {layout} stream ({audio_lines})")
            dur_line = next((ln for ln in probe.splitlines() if "Duration:" in ln), "")
            hms = dur_line.split("Duration:")[1].split(",")[0].strip() if dur_line else "0:0:0"
            hh, mm, ss = hms.split(":")
            dur = int(hh) * 3600 + int(mm) * 60 + float(ss)
            want_dur = max(n / fps, ms / 1000)
            check(abs(dur - want_dur) <= 0.011, f"{name}: container duration {dur} (want {want_dur})")
            pcm = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-i", path,
                                  "-map", "0:a:0", "-f", "f32le", "-"], capture_output=True,
                                 check=True).stdout
            x = np.frombuffer(pcm, "<f4").reshape(-1, ch)
            want = round(ms * 48)
            check(want <= x.shape[0] <= want + 960,
                  f"{name}: {x.shape[0]} decoded frames (want {want} .. {want + 960})")
            tail = x[want - 4800:want - 480]
            for c in range(ch):
                f = freq * (1.5 if c == 1 else 1.0)
                amp, phase, snr = fit(x[:, c].astype(np.float64), 48000, f)
                spec = np.abs(np.fft.rfft(x[2400:-2400, c] * np.hanning(x.shape[0] - 4800)))
                peak = np.argmax(spec) * 48000 / (x.shape[0] - 4800)
                check(abs(amp - 0.5) <= 0.01 and abs(phase) <= 0.05 and snr > 30
                      and abs(peak - f) <= 2,
                      f"{name} ch{c}: {f:.0f} Hz sine amplitude {amp:.4f} phase {phase:+.4f} rad "
                      f"SNR {snr:.1f} dB, spectral peak {peak:.1f} Hz")
                # the end of the real audio is there (fit on the last 90 ms, phase continued)
                t0 = (want - 4800) / 48000
                seg = tail[:, c].astype(np.float64)
                ta = np.arange(len(seg)) / 48000 + t0
                model = 0.5 * np.sin(2 * np.pi * f * ta)
                err = 10 * np.log10(np.sum(model ** 2) / max(np.sum((seg - model) ** 2), 1e-30))
                check(err > 20, f"{name} ch{c}: last 90 ms match the sine at {err:.1f} dB")
            # the video still decodes to all its frames
            frames = subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-i", path,
                                     "-map", "0:v:0", "-f", "framecrc", "-"], capture_output=True,
                                    check=True).stdout.decode().splitlines()
            got = sum(1 for ln in frames if ln and not ln.startswith("#"))
            check(got == n, f"{name}: {got} video frames decoded (want {n})")
    if failures:
        print(f"FAIL: {len(failures)} audio track checks failed")
        return 1
    print("PASS: MP4 audio tracks decode in ffmpeg (length, frequency, phase, SNR)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
