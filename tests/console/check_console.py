"""Console-log checks (issue 25 part 1), run by tests/console/console.sh in the test venv
(wandb 0.31.0 + openwandb 0.5.25). Every server is openwandb on 127.0.0.1 behind the
recording proxy of tests/online.

  diff     the same byte streams (a fixed case from the SDK facts + seeded random ones:
           \\r progress, ANSI colours, cursor up/down, unknown escapes, unicode, >4096-char
           lines, >32-line bursts, interleaved stdout/stderr) written by wandb 0.31
           (sys.stdout/sys.stderr.write, offline) and by console_writer (wb_run_console_write):
           same output_raw records (type, text) in order and the same files/output.log bytes
  sync     the fixed case's offline runs: `wandb sync` of the SDK's run, `wandb sync` of ours,
           `wandb-media sync` of ours, and ours live online: file_stream's output.log lines
           (applied by offset) equal after the timestamp prefix, prefixes in the SDK's format
           (`ERROR ` for stderr), and output.log in the `uploaded` list
  capture  console_writer redirect with stdout a file, a pipe and a terminal: stdout/stderr
           reach their destination byte for byte, output.log and the output_raw records hold
           printf / fprintf(stderr) / child-process / write(2) output in order per stream,
           the \\r bar collapsed, the 200 KB line cut at 4096 characters, invalid UTF-8
           replaced; nothing after finish is captured
  fds      a program that dup2s over its own fd 1 and closes fd 2 while redirected: finish
           returns, fds are not clobbered, no hang (timeout 60 s)
  cpp, go  std::cout/std::cerr/ConsoleBuf and fmt/os.Stderr/exec/ConsoleWriter programs
  flood    MB megabytes of lines + a 10 MB line without newline with invalid UTF-8 through
           the redirect: every line in output.log, the long one cut, peak RSS bounded
  bench    100 000 printf lines to a file without and with console=redirect (a report line)
"""
import os
import pty
import random
import re
import subprocess
import sys
import tempfile
import time
import tty

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "online"))
sys.path.insert(0, os.path.join(HERE, "..", "run"))
import check_online as co  # noqa: E402
from proxy import Proxy  # noqa: E402
from check_run import raw_records  # noqa: E402

BIN = os.environ.get("WBM_CONSOLE_BIN", "")
WRITER = os.path.join(BIN, "console_writer")
CLI = os.environ.get("WBM_CLI", "")
FAILS = co.FAILS
check = co.check

FIXED = [
    ("O", "hello world"), ("O", "\n"), ("O", "no newline..."), ("O", " continued\n"),
    ("O", "\rprogress 0%"), ("O", "\rprogress 25%"), ("O", "\rprogress 100%"), ("O", "\n"),
    ("E", "error line"), ("E", "\n"), ("O", "\x1b[31mred\x1b[0m text"), ("O", "\n"),
    ("O", "abc\rX\n"), ("O", "a\n\nb\n"), ("O", "up1\nup2\x1b[Aover\n"),
    ("O", "tab\there é ünï 日本\n"), ("E", "partial err"), ("O", "out after partial err\n"),
    ("E", " end\n"), ("O", "\x1bX esc-other \x1b[Bdown\n"),
]

PIECES = ["a", "bc", "loss 0.25", "é", "ü", "日本", "🙂", "\t", " ", "\r", "\n", "\n", "\n",
          "\x1b[31m", "\x1b[0m", "\x1b[A", "\x1b[B", "\x1b[2K", "\x1bZ", "\x1b", "\r\n"]


def random_chunks(seed, n):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        s = "E" if rng.random() < 0.25 else "O"
        r = rng.random()
        if r < 0.03:
            text = "w" * rng.randint(4000, 9000) + "\n"
        elif r < 0.06:
            text = "".join(f"burst {i}\n" for i in range(rng.randint(30, 80)))
        elif r < 0.12:
            text = "".join(f"\r{rng.choice('|/-')} {i}%" for i in range(0, 101, 20))
        else:
            text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
        out.append((s, text))
    return out


SDK_SCRIPT = r"""
import json, sys, wandb
cases = json.load(open(sys.argv[1]))
for rid, chunks in cases:
    run = wandb.init(mode=sys.argv[2], project="console", id=rid,
                     settings=wandb.Settings(x_disable_stats=True))
    for s, text in chunks:
        (sys.stderr if s == "E" else sys.stdout).write(text)
        (sys.stderr if s == "E" else sys.stdout).flush()
    run.finish()
"""


def sdk_runs(work, cases, mode="offline", env=None):
    """Runs the chunk lists through wandb 0.31 (one process); returns {id: run dir}."""
    import json
    spec = os.path.join(work, "cases.json")
    json.dump(cases, open(spec, "w"))
    script = os.path.join(work, "sdk_console.py")
    open(script, "w").write(SDK_SCRIPT)
    root = os.path.join(work, "sdk")
    os.makedirs(root, exist_ok=True)
    r = subprocess.run([sys.executable, script, spec, mode], cwd=root, env=env or os.environ,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    check(r.returncode == 0, f"SDK script failed: {r.stderr.decode()[-2000:]}")
    out = {}
    for rid, _ in cases:
        d = [p for p in os.listdir(os.path.join(root, "wandb")) if p.endswith("-" + rid)]
        out[rid] = os.path.join(root, "wandb", d[0]) if d else None
    return out


def our_run(work, rid, chunks, env=None):
    f = os.path.join(work, f"{rid}.chunks")
    with open(f, "w") as fh:
        for s, text in chunks:
            fh.write(f"{s} {text.encode().hex()}\n")
    root = os.path.join(work, "ours")
    os.makedirs(root, exist_ok=True)
    out = os.path.join(work, f"{rid}.dir")
    e = dict(env or os.environ)
    e["WANDB_RUN_ID"] = rid
    r = subprocess.run([WRITER, "chunks", root, f, out], env=e, capture_output=True, timeout=600)
    check(r.returncode == 0, f"console_writer chunks failed: {r.stderr.decode()[-2000:]}")
    return open(out).read().strip() if r.returncode == 0 else None


def output_raw(run_dir):
    wf = [p for p in os.listdir(run_dir) if p.endswith(".wandb")][0]
    recs, stop = raw_records(os.path.join(run_dir, wf))
    check(stop == "end", f"{run_dir}: log ends with {stop}")
    return [(("O" if r.output_raw.output_type == 1 else "E"), r.output_raw.line)
            for r in recs if r.WhichOneof("record_type") == "output_raw"], recs


def output_log(run_dir):
    p = os.path.join(run_dir, "files", "output.log")
    return open(p, "rb").read() if os.path.exists(p) else None


def cmd_diff(work):
    cases = [("fixed0", FIXED)] + [(f"rand{s}", random_chunks(s, 300)) for s in (1, 2, 3)]
    sdk = sdk_runs(work, cases)
    for rid, chunks in cases:
        ours = our_run(work, rid, chunks)
        if not ours or not sdk.get(rid):
            check(False, f"{rid}: a run is missing")
            continue
        a, arecs = output_raw(sdk[rid])
        b, brecs = output_raw(ours)
        check(a == b, f"{rid}: output_raw records differ (SDK {len(a)}, ours {len(b)}); first "
              f"difference at {next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))}")
        sa = [r for r in arecs if r.WhichOneof("record_type") == "output_raw"]
        sb = [r for r in brecs if r.WhichOneof("record_type") == "output_raw"]
        check(all(r._info.stream_id == rid for r in sa + sb), f"{rid}: _info.stream_id")
        check(all(r.output_raw.timestamp.nanos % 1000 == 0 and r.output_raw.timestamp.seconds > 1.7e9
                  for r in sa + sb), f"{rid}: timestamps (microseconds)")
        la, lb = output_log(sdk[rid]), output_log(ours)
        check(la is not None and la == lb,
              f"{rid}: output.log differs ({None if la is None else len(la)} vs {None if lb is None else len(lb)} bytes)")
        nl = (la or b"").count(b"\n")
        print(f"  {rid}: {len(a)} records, output.log {len(la or b'')} bytes, "
              f"{nl} lines: {'same' if a == b and la == lb else 'DIFFERENT'}")


TS = re.compile(r"^(ERROR )?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}) (.*)$", re.S)


def streamed_lines(records, rid):
    """output.log lines a run's file_stream requests leave (updates applied by offset),
    `uploaded` names, and bad prefixes."""
    lines, uploaded, bad = {}, [], []
    for r in records:
        if not r["path"].endswith(f"/{rid}/file_stream") or "json" not in r:
            continue
        body = r["json"]
        uploaded += body.get("uploaded") or []
        f = (body.get("files") or {}).get("output.log")
        if not f:
            continue
        for i, text in enumerate(f["content"]):
            m = TS.match(text)
            if not m:
                bad.append(text)
                continue
            lines[f["offset"] + i] = ("E" if m.group(1) else "O", m.group(3))
    n = max(lines) + 1 if lines else 0
    return [lines.get(i) for i in range(n)], uploaded, bad


def cmd_sync(work):
    srv = co.Server(work, "srv").start()
    proxy = Proxy(srv.port).start()
    try:
        base = f"http://127.0.0.1:{proxy.port}"
        env = dict(os.environ, WANDB_BASE_URL=base, WANDB_API_KEY=co.KEY,
                   WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL="1")
        cases = [("sdkoff", FIXED), ("sdkon", FIXED)]
        sdk_off = sdk_runs(work, cases[:1])["sdkoff"]
        os.makedirs(os.path.join(work, "on"), exist_ok=True)
        sdk_runs(os.path.join(work, "on"), cases[1:], mode="online", env=env)
        ours_a = our_run(work, "oursw", FIXED)
        ours_b = our_run(work, "oursn", FIXED)
        ours_on = our_run(work, "ourson", FIXED, env=dict(env, WANDB_MODE="online"))
        for d in (sdk_off, ours_a):
            r = subprocess.run([co.WANDB, "sync", d], env=env, capture_output=True, timeout=300)
            check(r.returncode == 0, f"wandb sync {d}: {r.stderr.decode()[-1500:]}")
        r = subprocess.run([CLI, "sync", ours_b], env=env, capture_output=True, timeout=300)
        check(r.returncode == 0, f"wandb-media sync: {r.stderr.decode()[-1500:]}")
        check(ours_on is not None, "online run")
        recs = list(proxy.records)
        ref, up_ref, bad = streamed_lines(recs, "sdkoff")
        check(not bad, f"SDK lines without a timestamp prefix: {bad[:3]}")
        check(len(ref) > 10 and None not in ref, f"SDK sync streamed {len(ref)} lines")
        expect_file = [l.decode() for l in output_log(sdk_off).split(b"\n")[:-1]]
        check([t for _, t in ref] == expect_file, "SDK-synced lines = the SDK's output.log lines")
        for rid, what in [("sdkon", "the SDK online"), ("oursw", "wandb sync of ours"),
                          ("oursn", "wandb-media sync of ours"), ("ourson", "ours online")]:
            got, up, bad = streamed_lines(recs, rid)
            check(not bad, f"{what}: lines without the timestamp prefix: {bad[:3]}")
            check(got == ref, f"{what}: streamed output.log lines differ from the SDK's sync:\n"
                  f"    {got[:6]}\n    {ref[:6]}")
            check("output.log" in up, f"{what}: output.log not in uploaded ({up})")
            print(f"  {what}: {len(got)} lines, uploaded output.log: {'output.log' in up}")
        # The uploaded file of our runs is the output.log the SDK writes.
        for rid in ("oursn", "ourson"):
            run = co.run_info(srv, rid)
            st, body = srv.file(run, "output.log") if run else (0, b"")
            check(st == 200 and body.startswith(output_log(sdk_off)[:20]), f"{rid}: server output.log")
    finally:
        proxy.stop()
        srv.stop()


def expected_redirect(tty_out):
    big = "x" * 200000
    out = (f"isatty={1 if tty_out else 0}\nline one from printf\nline two from printf\n"
           "child stdout line\n" + "".join(f"\rprogress {i}%" for i in range(0, 101, 25)) + "\n"
           "\x1b[32mgreen\x1b[0m and \udcff invalid\n" + big + "\nraw write(2) on fd 1\n"
           "last line without newline\nafter finish\n")
    return out.encode("utf-8", "surrogateescape")


def run_redirect(work, name, how):
    root = os.path.join(work, name)
    out = os.path.join(work, name + ".dir")
    errf = open(os.path.join(work, name + ".err"), "wb")
    if how == "tty":
        master, slave = pty.openpty()
        tty.setraw(slave)
        p = subprocess.Popen([WRITER, "redirect", root, out], stdout=slave, stderr=errf)
        os.close(slave)
        data = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        p.wait(timeout=60)
        os.close(master)
    elif how == "pipe":
        p = subprocess.run([WRITER, "redirect", root, out], stdout=subprocess.PIPE, stderr=errf, timeout=60)
        data = p.stdout
    else:
        with open(os.path.join(work, name + ".out"), "wb") as f:
            p = subprocess.run([WRITER, "redirect", root, out], stdout=f, stderr=errf, timeout=60)
        data = open(os.path.join(work, name + ".out"), "rb").read()
    errf.close()
    check(p.returncode == 0, f"redirect ({how}): exit {p.returncode}")
    return data, open(os.path.join(work, name + ".err"), "rb").read(), open(out).read().strip()


def cmd_capture(work):
    for how in ("file", "pipe", "tty"):
        data, err, rd = run_redirect(work, "cap-" + how, how)
        exp = expected_redirect(how == "tty")
        check(data == exp, f"{how}: stdout is not byte for byte what the program wrote "
              f"({len(data)} vs {len(exp)} bytes; first difference at "
              f"{next((i for i, (x, y) in enumerate(zip(data, exp)) if x != y), min(len(data), len(exp)))})")
        check(err == b"an error from fprintf\nchild stderr line\n", f"{how}: stderr {err[:200]!r}")
        raw, _ = output_raw(rd)
        out_txt = "".join(t for s, t in raw if s == "O")
        err_txt = "".join(t for s, t in raw if s == "E")
        cap = exp.split(b"after finish")[0].rstrip(b"\n").decode("utf-8", "replace")
        check(out_txt == cap, f"{how}: stdout records != the bytes written "
              f"(before finish, invalid UTF-8 replaced)")
        check(err_txt == "an error from fprintf\nchild stderr line\n", f"{how}: stderr records {err_txt[:200]!r}")
        log = output_log(rd).decode().split("\n")
        check(log[-1] == "", "output.log ends with a newline")
        lines = log[:-1]
        want_out = [f"isatty={1 if how == 'tty' else 0}", "line one from printf", "line two from printf",
                    "child stdout line", "progress 100%", "\x1b[32mgreen\x1b[0m and \ufffd invalid",
                    "x" * 4096, "raw write(2) on fd 1", "last line without newline"]
        want_err = ["an error from fprintf", "child stderr line"]
        got_out = [l for l in lines if l in want_out]
        got_err = [l for l in lines if l in want_err]
        check(got_out == want_out and got_err == want_err and len(lines) == len(want_out) + len(want_err),
              f"{how}: output.log lines {[l[:60] for l in lines[:14]]}")
        print(f"  {how}: stdout {len(data)} bytes identical={data == exp}, output.log {len(log) - 1} lines")


def cmd_fds(work):
    root = os.path.join(work, "fds")
    out = os.path.join(work, "fds.dir")
    t0 = time.time()
    try:
        p = subprocess.run([WRITER, "fds", root, out], capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        check(False, "fds: the program hung")
        return
    check(p.returncode == 0, f"fds: exit {p.returncode} {p.stderr[-500:]!r}")
    check(p.stdout == b"before dup2\n", f"fds: stdout {p.stdout!r}")
    log = output_log(open(out).read().strip())
    check(log == b"before dup2\n", f"fds: output.log {log!r}")
    print(f"  fds: finished in {time.time() - t0:.2f} s, stdout {p.stdout!r}")


def check_program(work, name, cmd, want_out, want_err, also=()):
    root = os.path.join(work, name)
    p = subprocess.run(cmd + [root], capture_output=True, timeout=120)
    check(p.returncode == 0, f"{name}: exit {p.returncode}: {p.stderr[-800:]!r}")
    dirs = sorted(os.listdir(os.path.join(root, "wandb"))) if os.path.isdir(os.path.join(root, "wandb")) else []
    dirs = [os.path.join(root, "wandb", d) for d in dirs if d.startswith("offline-run-")]
    check(len(dirs) == 1 + len(also), f"{name}: {len(dirs)} runs")
    logs = [(output_log(d) or b"").decode().split("\n")[:-1] for d in dirs]
    main_i = next((i for i, l in enumerate(logs) if want_out[0] in l), None)
    if not check(main_i is not None, f"{name}: no run captured {want_out[0]!r}: {logs}"):
        return
    lines = logs.pop(main_i)
    check([l for l in lines if l in want_out] == want_out, f"{name}: stdout lines {lines}")
    check([l for l in lines if l in want_err] == want_err, f"{name}: stderr lines {lines}")
    so = p.stdout.decode()
    check(all(l + "\n" in so for l in want_out), f"{name}: stdout reached its destination: {so[:300]!r}")
    for got, want in zip(logs, also):
        check(got == want, f"{name}: wrap run output.log {got}")
    print(f"  {name}: {len(lines)} lines captured")


def cmd_cpp(work):
    check_program(work, "cpp", [os.path.join(BIN, "console_cpp")],
                  ["cout line 1", "cout 2 3.5", "child from cpp"], ["cerr line"],
                  also=[["sink line one", "sink 2", "ERRsink"]])


def cmd_go(work):
    check_program(work, "go", [os.path.join(BIN, "console_go")],
                  ["fmt line 1", "os.Stdout line", "child from go"], ["stderr from go"],
                  also=[["writer line", "logged 7"]])


def cmd_flood(work, mb):
    root = os.path.join(work, "flood")
    out = os.path.join(work, "flood.dir")
    t0 = time.time()
    p = subprocess.run([WRITER, "flood", root, out, str(mb)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=900)
    dt = time.time() - t0
    check(p.returncode == 0, f"flood: exit {p.returncode} {p.stderr[-500:]!r}")
    rd = open(out).read().strip()
    rss = int(open(out + ".rss").read())
    n = 0
    last = b""
    with open(os.path.join(rd, "files", "output.log"), "rb") as f:
        for line in f:
            n += 1
            last = line
    check(n == mb * 1024 + 1, f"flood: output.log has {n} lines, want {mb * 1024 + 1}")
    check(last == b"z" * 4096 + b"\n", f"flood: the 10 MB line ends as {last[:20]!r}… ({len(last)} bytes)")
    # the program itself holds a 10 MB buffer; the library adds a bounded amount
    check(rss < 80 * 1024, f"flood: peak RSS {rss} KB")
    size = os.path.getsize(os.path.join(rd, [x for x in os.listdir(rd) if x.endswith('.wandb')][0]))
    print(f"  flood: {mb} MB of lines + a 10 MB line in {dt:.1f} s; peak RSS {rss // 1024} MB; "
          f"log {size >> 20} MB; output.log {n} lines")


def cmd_bench(work, n=100000):
    res = {}
    for mode in ("off", "redirect"):
        best = None
        for _ in range(3):
            root = os.path.join(work, "bench-" + mode)
            tf = os.path.join(work, "bench.t")
            with open(os.path.join(work, "bench.out"), "wb") as f:
                p = subprocess.run([WRITER, "bench", root, str(n), mode, tf], stdout=f,
                                   stderr=subprocess.DEVNULL, timeout=120)
            check(p.returncode == 0, f"bench {mode}: exit {p.returncode}")
            t = float(open(tf).read())
            best = t if best is None else min(best, t)
        res[mode] = best
    print(f"bench: {n} printf lines to a file: console off {res['off'] * 1000:.1f} ms, "
          f"redirect {res['redirect'] * 1000:.1f} ms (+{(res['redirect'] - res['off']) * 1e9 / n:.0f} ns/line)")


def main():
    cmd = sys.argv[1]
    work = tempfile.mkdtemp(prefix=f"wbm-console-{cmd}-")
    if cmd == "diff":
        cmd_diff(work)
    elif cmd == "sync":
        cmd_sync(work)
    elif cmd == "capture":
        cmd_capture(work)
    elif cmd == "fds":
        cmd_fds(work)
    elif cmd == "cpp":
        cmd_cpp(work)
    elif cmd == "go":
        cmd_go(work)
    elif cmd == "flood":
        cmd_flood(work, int(sys.argv[2]) if len(sys.argv) > 2 else 128)
    elif cmd == "bench":
        cmd_bench(work)
    else:
        raise SystemExit(f"unknown test {cmd}")
    co.done(cmd, work)


if __name__ == "__main__":
    main()
