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
expect="$work/expect.txt"
: > "$expect"
# PLAYBACK_FORMATS: which containers to test (default both).
for ext in ${PLAYBACK_FORMATS:-mp4 webm}; do
  for c in "${cases[@]}"; do
    read -r name mode w h n fps <<<"$c"
    line=$("$enc" "$work/${name}_$ext.$ext" "$mode" "$w" "$h" "$n" "$fps")
    read -r _ jw jh r g b <<<"$line"
    echo "${name}_$ext $jw $jh $n $fps $r $g $b $ext" >> "$expect"
  done
done

# The page: one <video> per file; results are written into the DOM on window.onload. Media
# elements delay the load event until they reach HAVE_CURRENT_DATA or fail (HTML spec), so
# --dump-dom sees final values; a timer and the virtual-time budget are a safety net.
{
  echo '<!doctype html><html><head><meta charset="utf-8"><title>playback</title></head><body>'
  while read -r name _ _ _ _ _ _ _ ext; do
    echo "<video id=\"$name\" src=\"$name.$ext\" muted preload=\"auto\" playsinline></video>"
  done < "$expect"
  cat <<'JS'
<pre id="result">pending</pre>
<script>
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
              v.error ? v.error.code : 0, ...mean].join(' '));
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
  --autoplay-policy=no-user-gesture-required --user-data-dir="$profile" \
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
        if len(parts) == 9:
            got[parts[0]] = parts[1:]
ok = True
for line in open(sys.argv[2]):
    name, w, h, n, fps, *want_rgb, _ext = line.split()
    want_d = int(n) / int(fps)
    if name not in got:
        print(f"FAIL {name}: no result from the page (dom: {dom[:200]!r})")
        ok = False
        continue
    ready, dur, vw, vh, err, *rgb = got[name]
    problems = []
    if int(ready) < 2:
        problems.append(f"readyState {ready} < 2 (media error code {err})")
    try:
        d = float(dur)
    except ValueError:
        d = float("nan")
    if not abs(d - want_d) <= 0.5 / int(fps):
        problems.append(f"duration {dur}, expected {want_d:.4f}")
    if (vw, vh) != (w, h):
        problems.append(f"video size {vw}x{vh}, expected {w}x{h}")
    diff = max(abs(float(a) - float(b)) for a, b in zip(rgb, want_rgb))
    if not diff <= 10.0:
        problems.append(f"first frame mean colour {rgb}, expected {want_rgb}")
    status = "ok  " if not problems else "BAD "
    print(f"{status}{name}: readyState={ready} duration={dur} (want {want_d:.4f}) size={vw}x{vh} (want {w}x{h}) rgb={'/'.join(rgb)} (want {'/'.join(want_rgb)})"
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
