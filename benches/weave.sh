#!/usr/bin/env bash
# `make bench` (issue 20): Weave call overhead, the native client (benches/weave_bench.c:
# wb_weave_call_start + wb_weave_call_end with a 1-frame 64x64 image input) next to Python
# weave 0.54.0's `@weave.op` on the same input, both against the local trace-server fixture
# (tests/weave/server.py) in the same run; plus the native client's RSS while the server is
# down. Not a test: nothing asserts a timing. N calls each (default 1000 native, 200 Python; WEAVE_BENCH_N, WEAVE_BENCH_NPY).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-test-deps.sh
N="${WEAVE_BENCH_N:-1000}"
NPY="${WEAVE_BENCH_NPY:-200}"
WBM_WEAVE_PY_ONLY=1 tests/weave/weave.sh fixture >/dev/null  # creates/pins the two venvs
if [ -f benches/weave_bench.c ]; then
  cc -std=c11 -O2 -Iinclude benches/weave_bench.c -o target/release/weave_bench \
      -Ltarget/release -lwandb_media -Wl,-rpath,"$PWD/target/release" -lm -lpthread
fi
.venv-weave-py/bin/python - "$N" "$NPY" <<'PY'
import json, os, subprocess, sys, tempfile
sys.path.insert(0, "tests/weave")
from fixture import Fixture
n, npy = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp(prefix="wbm-weave-bench.")
rows = []
def bench(name, cmd, project, fx_running=True, cwd=None, extra_env=None):
    fx = Fixture(os.path.join(work, name), ".venv-weave-srv/bin/python", record=False)
    if fx_running:
        fx.start()
    try:
        env = dict(os.environ, **fx.env(project), WANDB_SILENT="true", WEAVE_PRINT_CALL_LINK="false", **(extra_env or {}))
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, cwd=cwd or work)
        line = [l for l in p.stdout.splitlines() if l.startswith("{")]
        if not line:
            print(f"{name}: no result (exit {p.returncode}): {p.stdout[-500:]} {p.stderr[-1000:]}")
            return
        rows.append(dict(json.loads(line[-1]), bench=name))
    finally:
        fx.stop()
if os.path.exists("target/release/weave_bench"):
    bench("native", [os.path.abspath("target/release/weave_bench"), n], "wbm-test/bench-native")
    bench("native, server down", [os.path.abspath("target/release/weave_bench"), n], "wbm-test/bench-down",
          fx_running=False, extra_env={"WEAVE_CLOSE_TIMEOUT": "5"})
else:
    print("benches/weave_bench.c missing: native rows skipped")
bench("python", [".venv-weave-py/bin/python", os.path.abspath("benches/weave_py_bench.py"), npy],
      "wbm-test/bench-py", cwd=os.getcwd())
print(f"Weave call overhead, 1-frame 64x64 RGB image input (load {open('/proc/loadavg').read().split()[0]})")
print(f"{'':28} {'n':>6} {'p50 µs':>10} {'p99 µs':>10} {'calls/s':>10} {'flush s':>8} {'RSS MB':>7}")
print("(p50/p99: the caller's time in call_start+call_end / in the @weave.op call; calls/s: the traced loop;\n"
      " flush: delivering the rest to the fixture afterwards; RSS: the native program's peak)")
for r in rows:
    rss = round(r["max_rss_kb"] / 1024, 1) if r.get("max_rss_kb") else None
    print(f"{r['bench']:28} {r['n']:>6} {r['p50_us']:>10.1f} {r['p99_us']:>10.1f} {r['calls_per_s']:>10.0f} "
          f"{r.get('flush_s', float('nan')):>8.2f} {rss if rss is not None else '':>7}")
PY
