#!/usr/bin/env bash
# Browser playback test (issue 3): MP4s and WebMs (issue 13) written by wandb-media must play
# in a real browser.
#
# Encodes every case below as MP4 (H.264) and as WebM (VP8) through the library (examples/video_encode.rs: the tensor path, the streaming
# writer, a tiled batch, odd and tiny sizes), serves them from 127.0.0.1 with Python's
# http.server, loads them in headless Chromium through <video> elements and checks that each
# reaches readyState >= 2 (HAVE_CURRENT_DATA) with duration ≈ frames/fps and
# videoWidth/videoHeight = the JSON width/height, and that the first frame drawn to a canvas
# has the mean colour of the frame the library encoded. Installs Chromium from apt if missing.
#
# Audio tracks (MP4 + Opus, issue 13): the `audio_cases` carry a sine (channel 0 at the given
# frequency, channel 1 at 1.5×). For every video the page reports `audioTracks.length`
# (Blink's AudioVideoTracks feature; 0 for the silent videos) and `webkitAudioDecodedByteCount`;
# for the audio cases it also fetches the file and decodes its audio with Web Audio's
# `decodeAudioData` (Chromium's own MP4/Opus path), and measures per channel the amplitude of
# the expected sine and the SNR of that fit. Checked: one audio track, decoded audio bytes > 0,
# media duration = max(video, audio), decoded channels, length (the audio's, within one 20 ms
# packet) and per channel amplitude 0.5 ± 10 % with SNR > 20 dB.
#
#   tests/video/playback.sh            # exit status 0 iff every video plays; last line PASS/FAIL
#   PLAYBACK_KEEP=1 tests/video/playback.sh   # keep the work directory for inspection
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "playback: installing chromium from apt"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
PY=$(command -v python3)

[ -n "${PLAYBACK_ENCODER:-}" ] || cargo build --quiet --release --example video_encode
# PLAYBACK_ENCODER replaces the encoder (same CLI) to check this harness itself.
enc="${PLAYBACK_ENCODER:-${CARGO_TARGET_DIR:-target}/release/examples/video_encode}"

work=$(mktemp -d -t wb-playback-XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -z "${PLAYBACK_KEEP:-}" ]; then rm -rf "$work"; else echo "playback: kept $work"; fi
}
trap cleanup EXIT

# name mode width height frames fps
cases=(
  "even_tensor tensor 64 48 16 8"
  "stream_30fps stream 96 64 45 30"
  "crop_even stream 50 30 9 3"
  "odd_stream stream 33 17 10 4"
  "odd_tensor tensor 21 35 7 7"
  "tiny stream 3 2 5 5"
  "batch3 batch 16 16 12 4"
)
# name mode width height frames fps rate channels frequency audio_ms (MP4 only)
audio_cases=(
  "av_tensor tensor 64 48 16 8 44100 2 440 2000"
  "av_stream stream 96 64 45 30 16000 1 1000 1500"
  "av_longer_audio stream 32 32 8 8 48000 1 3000 2500"
  "av_shorter_audio tensor 48 32 30 10 22050 2 700 1200"
)
expect="$work/expect.txt"
: > "$expect"
# PLAYBACK_FORMATS: which containers to test (default both).
for ext in ${PLAYBACK_FORMATS:-mp4 webm}; do
  for c in "${cases[@]}"; do
    read -r name mode w h n fps <<<"$c"
    line=$("$enc" "$work/${name}_$ext.$ext" "$mode" "$w" "$h" "$n" "$fps")
    read -r _ jw jh r g b <<<"$line"
    echo "${name}_$ext $jw $jh $n $fps $r $g $b $ext 0 0 0" >> "$expect"
  done
  [ "$ext" = mp4 ] || continue
  for c in "${audio_cases[@]}"; do
    read -r name mode w h n fps ar ac af ams <<<"$c"
    line=$("$enc" "$work/$name.mp4" "$mode" "$w" "$h" "$n" "$fps" "ar=$ar,ac=$ac,af=$af,ams=$ams")
    read -r _ jw jh r g b <<<"$line"
    echo "$name $jw $jh $n $fps $r $g $b mp4 $ac $af $ams" >> "$expect"
  done
done

# The page: one <video> per file; results are written into the DOM on window.onload. Media
# elements delay the load event until they reach HAVE_CURRENT_DATA or fail (HTML spec), so
# --dump-dom sees final values; a timer and the virtual-time budget are a safety net.
{
  echo '<!doctype html><html><head><meta charset="utf-8"><title>playback</title></head><body>'
  while read -r name _ _ _ _ _ _ _ ext ach afreq _; do
    echo "<video id=\"$name\" src=\"$name.$ext\" muted preload=\"auto\" playsinline data-ch=\"$ach\" data-freq=\"$afreq\"></video>"
  done < "$expect"
  cat <<'JS'
<pre id="result">pending</pre>
<pre id="audio">pending</pre>
<script>
// Web Audio decode of each audio case: channels, frames, and per channel the amplitude of the
// expected sine (least-squares fit of sin and cos, so any phase) and the SNR of the fit.
const audio = {};
function fit(x, rate, freq) {
  const w = 2 * Math.PI * freq / rate, skip = 2400;
  let ss = 0, sc = 0, cc = 0, ys = 0, yc = 0;
  for (let i = skip; i < x.length - skip; i++) {
    const s = Math.sin(w * i), c = Math.cos(w * i), y = x[i];
    ss += s * s; sc += s * c; cc += c * c; ys += y * s; yc += y * c;
  }
  const det = ss * cc - sc * sc, a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
  let sig = 0, noise = 0;
  for (let i = skip; i < x.length - skip; i++) {
    const m = a * Math.sin(w * i) + b * Math.cos(w * i);
    sig += m * m; noise += (x[i] - m) * (x[i] - m);
  }
  return [Math.hypot(a, b).toFixed(4), (10 * Math.log10(sig / Math.max(noise, 1e-30))).toFixed(1)];
}
async function decode(v) {
  try {
    const buf = await (await fetch(v.getAttribute('src'))).arrayBuffer();
    const ab = await new OfflineAudioContext(1, 48000, 48000).decodeAudioData(buf);
    const out = [ab.numberOfChannels, ab.length, ab.sampleRate];
    const f0 = Number(v.dataset.freq);
    for (let c = 0; c < ab.numberOfChannels; c++)
      out.push(...fit(ab.getChannelData(c), ab.sampleRate, c == 1 ? 1.5 * f0 : f0));
    audio[v.id] = out.join(' ');
  } catch (e) { audio[v.id] = 'error ' + String(e).replace(/\s+/g, '_'); }
  document.getElementById('audio').textContent =
    Object.entries(audio).map(([k, r]) => k + ' ' + r).join('\n');
}
for (const v of document.querySelectorAll('video')) if (v.dataset.ch !== '0') decode(v);
function report() {
  const out = [];
  for (const v of document.querySelectorAll('video')) {
    let mean = [-1, -1, -1];
    if (v.readyState >= 2 && v.videoWidth > 0) {
      const c = document.createElement('canvas');
      c.width = v.videoWidth; c.height = v.videoHeight;
      const ctx = c.getContext('2d');
      ctx.drawImage(v, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      mean = [0, 0, 0];
      for (let i = 0; i < d.length; i += 4) { mean[0] += d[i]; mean[1] += d[i + 1]; mean[2] += d[i + 2]; }
      mean = mean.map(s => (s / (d.length / 4)).toFixed(1));
    }
    out.push([v.id, v.readyState, v.duration, v.videoWidth, v.videoHeight,
              v.error ? v.error.code : 0, ...mean,
              v.audioTracks ? v.audioTracks.length : -1, v.webkitAudioDecodedByteCount].join(' '));
  }
  document.getElementById('result').textContent = out.join('\n');
}
window.addEventListener('load', report);
setTimeout(report, 8000);
</script></body></html>
JS
} > "$work/index.html"

port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PY" -m http.server "$port" --bind 127.0.0.1 --directory "$work" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do
  if "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/index.html')" 2>/dev/null; then break; fi
  sleep 0.1
done

profile="$work/profile"
mkdir -p "$profile"
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --no-first-run --disable-sync --mute-audio \
  --enable-blink-features=AudioVideoTracks --autoplay-policy=no-user-gesture-required --user-data-dir="$profile" \
  --virtual-time-budget=10000 --dump-dom "http://127.0.0.1:$port/index.html" \
  > "$work/dom.html" 2> "$work/chromium.log" || true

status=0
"$PY" - "$work/dom.html" "$expect" <<'PY' || status=$?
import html, re, sys
dom = open(sys.argv[1], encoding="utf-8", errors="replace").read()
m = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
got = {}
if m:
    for line in html.unescape(m.group(1)).strip().splitlines():
        parts = line.split()
        if len(parts) == 11:
            got[parts[0]] = parts[1:]
m = re.search(r'<pre id="audio">(.*?)</pre>', dom, re.S)
decoded = {}
if m:
    for line in html.unescape(m.group(1)).strip().splitlines():
        parts = line.split()
        if parts:
            decoded[parts[0]] = parts[1:]
ok = True
for line in open(sys.argv[2]):
    name, w, h, n, fps, r0, g0, b0, _ext, ach, afreq, ams = line.split()
    want_rgb = [r0, g0, b0]
    ach, ams = int(ach), int(ams)
    want_d = max(int(n) / int(fps), ams / 1000)
    if name not in got:
        print(f"FAIL {name}: no result from the page (dom: {dom[:200]!r})")
        ok = False
        continue
    ready, dur, vw, vh, err, *rgb, tracks, abytes = got[name]
    problems = []
    if int(tracks) != (1 if ach else 0):
        problems.append(f"{tracks} audio tracks, expected {1 if ach else 0}")
    if ach:
        if not int(abytes) > 0:
            problems.append(f"webkitAudioDecodedByteCount {abytes}: no audio decoded")
        a = decoded.get(name, ["missing"])
        want_len = ams * 48
        if len(a) != 3 + 2 * ach:
            problems.append(f"decodeAudioData: {' '.join(a)} (expected {ach} channels)")
        else:
            channels, length, rate = int(a[0]), int(a[1]), float(a[2])
            # Chromium's decoder returns up to one packet more than the edit list presents
            if rate != 48000 or not want_len - 48 <= length <= want_len + 960:
                problems.append(f"decodeAudioData: {length} frames at {rate} Hz, expected {want_len} at 48000")
            for c in range(ach):
                amp, snr = float(a[3 + 2 * c]), float(a[4 + 2 * c])
                if not (abs(amp - 0.5) <= 0.05 and snr > 20):
                    problems.append(f"channel {c}: sine amplitude {amp} (want 0.5), SNR {snr} dB (want > 20)")
        rgb = rgb + [f"audio={'/'.join(a)}"]
    if int(ready) < 2:
        problems.append(f"readyState {ready} < 2 (media error code {err})")
    try:
        d = float(dur)
    except ValueError:
        d = float("nan")
    if not abs(d - want_d) <= (0.5 / int(fps) if not ach else 0.03):
        problems.append(f"duration {dur}, expected {want_d:.4f}")
    if (vw, vh) != (w, h):
        problems.append(f"video size {vw}x{vh}, expected {w}x{h}")
    diff = max(abs(float(a) - float(b)) for a, b in zip(rgb[:3], want_rgb))
    if not diff <= 10.0:
        problems.append(f"first frame mean colour {rgb}, expected {want_rgb}")
    status = "ok  " if not problems else "BAD "
    print(f"{status}{name}: readyState={ready} duration={dur} (want {want_d:.4f}) size={vw}x{vh} (want {w}x{h}) rgb={'/'.join(rgb[:3])} (want {'/'.join(want_rgb)})"
          + (f" audio_tracks={tracks} decoded_bytes={abytes} {rgb[3]}" if ach else "")
          + ("" if not problems else " -> " + "; ".join(problems)))
    ok = ok and not problems
sys.exit(0 if ok else 1)
PY
if [ $status -eq 0 ]; then
  echo "PASS: video playback in headless Chromium ($(chromium --version 2>/dev/null | head -1))"
else
  echo "FAIL: video playback in headless Chromium (see above; chromium log: $work/chromium.log)"
  PLAYBACK_KEEP=${PLAYBACK_KEEP:-1}
fi
exit $status
