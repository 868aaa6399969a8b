"""Shared-mode checks (issue 25 part 2) against openwandb on 127.0.0.1 behind the recording
proxy of tests/online. Run by tests/console/console.sh (tests `shared`, `shared16`).

  shared    wandb 0.31 with two writers (rank0: primary + finish owner, rank1: worker with
            x_primary=False, x_update_finish_state=False, same id) vs the same two writers
            from C (examples/c/distributed.c), live, and the C pair again as offline shared
            writers uploaded by `wandb-media sync`: per writer the same routes, the
            X-WANDB-USE-ASYNC-FILESTREAM / X-WANDB-CLIENT-ID (GraphQL) /
            X-WANDB-ASYNC-CLIENT-ID (file_stream) headers (one id per writer, distinct),
            no RunResumeStatus, the same file_stream file names, console lines with
            `[rank<N>]`, the same `uploaded` lists, `complete`/`exitcode` only from the owner;
            rows on the server exactly once per writer
  shared16  16 processes x ROWS rows (system metrics every 200 ms, console output) into one
            run: every writer's rows and console lines on the server exactly once, one finish
            request (the owner's), no errors
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "online"))
import check_online as co  # noqa: E402
from proxy import Proxy  # noqa: E402

BIN = os.environ.get("WBM_CONSOLE_BIN", "")
DIST = os.path.join(BIN, "distributed")
CLI = os.environ.get("WBM_CLI", "")
check = co.check

SDK_WRITER = r"""
import os, sys, wandb
rank = int(os.environ["RANK"])
run = wandb.init(mode="shared", project="shared", id=os.environ["WANDB_RUN_ID"],
                 settings=wandb.Settings(x_label=f"rank{rank}", x_primary=rank == 0,
                                         x_update_finish_state=rank == 0, x_disable_stats=True))
run.define_metric(f"rank{rank}/loss", step_metric=f"rank{rank}/step")
for i in range(int(sys.argv[1])):
    run.log({f"rank{rank}/step": i, f"rank{rank}/loss": 1.0 / (i + 1 + rank), "rank": rank})
    if i % 100 == 0:
        print(f"rank {rank} step {i}")
print(f"rank {rank} done")
run.finish()
"""


def writers(records, rid):
    """Requests of run `rid` grouped by client id: {client id: [records]}, plus records
    without one."""
    by, none = {}, []
    for r in records:
        h = r.get("wandb_headers") or {}
        cid = h.get("x-wandb-client-id") or h.get("x-wandb-async-client-id")
        body = r.get("json") or {}
        mine = (f"/{rid}/" in r["path"]) or (isinstance(body, dict) and rid in json.dumps(body.get("variables", {})))
        if not mine:
            continue
        (by.setdefault(cid, []) if cid else none).append(r)
    return by, none


def summarize(recs, label):
    """What one writer sent: GraphQL operations, file_stream file names, console lines,
    uploaded names, finish fields, headers."""
    ops, files, lines, uploaded, finish, hdr_ok = [], set(), [], [], [], True
    for r in recs:
        h = r.get("wandb_headers") or {}
        body = r.get("json") or {}
        if r["path"].startswith("/graphql"):
            ops.append(body.get("operationName"))
            hdr_ok &= h.get("x-wandb-use-async-filestream") == "true" and "x-wandb-client-id" in h
        elif r["path"].endswith("/file_stream"):
            hdr_ok &= h.get("x-wandb-use-async-filestream") == "true" and "x-wandb-async-client-id" in h
            for name, f in (body.get("files") or {}).items():
                files.add(name)
                if name == "output.log":
                    lines += f["content"]
            uploaded += body.get("uploaded") or []
            if "complete" in body or "exitcode" in body:
                finish.append((body.get("complete"), body.get("exitcode")))
    lab = f"[{label}] "
    bad_lines = [l for l in lines if not re.match(r"^(ERROR )?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6} " + re.escape(lab), l)]
    return {"ops": ops, "files": files, "lines": [l.split(lab, 1)[-1] for l in lines], "bad_lines": bad_lines,
            "uploaded": sorted(set(uploaded)), "finish": finish, "headers": hdr_ok}


def run_pair(cmd, env, rows, stagger=1.0):
    p0 = subprocess.Popen(cmd + [str(rows)], env=dict(env, RANK="0"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(stagger)
    p1 = subprocess.Popen(cmd + [str(rows)], env=dict(env, RANK="1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    outs = [p.communicate(timeout=300) for p in (p1, p0)]
    for p, (o, e) in zip((p1, p0), outs):
        check(p.returncode == 0, f"{cmd[-1]}: exit {p.returncode}: {e.decode()[-800:]}")


def analyse(proxy, rid, what):
    by, none = writers(list(proxy.records), rid)
    check(len(by) == 2, f"{what}: {len(by)} client ids (want one per writer)")
    out = {}
    for cid, recs in by.items():
        s = summarize(recs, "rank0")
        label = "rank0" if any("[rank0]" in l for l in [x for r in recs for x in
                (((r.get("json") or {}).get("files") or {}).get("output.log") or {}).get("content", [])]) else "rank1"
        s = summarize(recs, label)
        s["cid"] = cid
        out[label] = s
    check(set(out) == {"rank0", "rank1"}, f"{what}: writers {sorted(out)}")
    return out


def server_rows(srv, rid):
    run = co.run_info(srv, rid)
    return co.Server.history(srv, run) if run else []


def cmd_shared(work, rows=200):
    srv = co.Server(work, "srv").start()
    proxy = Proxy(srv.port).start()
    try:
        base = f"http://127.0.0.1:{proxy.port}"
        env = dict(os.environ, WANDB_BASE_URL=base, WANDB_API_KEY=co.KEY,
                   WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL="1", WANDB_PROJECT="shared")
        env.pop("WANDB_MODE", None)
        script = os.path.join(work, "sdk_writer.py")
        open(script, "w").write(SDK_WRITER)
        os.makedirs(os.path.join(work, "sdk"), exist_ok=True)
        os.makedirs(os.path.join(work, "ours"), exist_ok=True)
        run_pair([sys.executable, script], dict(env, WANDB_RUN_ID="sdkshared", WANDB_DIR=os.path.join(work, "sdk")), rows)
        run_pair([DIST], dict(env, WANDB_RUN_ID="ourshared", WANDB_DIR=os.path.join(work, "ours"),
                             WBM_STATS_INTERVAL_MS="0"), rows)
        # offline shared writers, synced later
        off = os.path.join(work, "off")
        os.makedirs(off, exist_ok=True)
        run_pair([DIST], dict(env, WANDB_RUN_ID="offshared", WANDB_DIR=off, WANDB_MODE="offline"), rows, stagger=0)
        dirs = [os.path.join(off, "wandb", d) for d in sorted(os.listdir(os.path.join(off, "wandb")))
                if d.startswith("offline-run-")]
        check(len(dirs) == 2, f"offline shared writers: {len(dirs)} dirs")
        r = subprocess.run([CLI, "sync"] + dirs, env=env, capture_output=True, timeout=300)
        check(r.returncode == 0, f"wandb-media sync of the offline writers: {r.stderr.decode()[-800:]}")

        sdk = analyse(proxy, "sdkshared", "SDK")
        for rid, what in (("ourshared", "ours live"), ("offshared", "ours offline + sync")):
            ours = analyse(proxy, rid, what)
            for label in ("rank0", "rank1"):
                a, b = sdk.get(label), ours.get(label)
                if not a or not b:
                    continue
                check(b["headers"], f"{what} {label}: shared-mode headers missing on some request")
                check(a["headers"], f"SDK {label}: headers (the reference) missing")
                check("RunResumeStatus" not in b["ops"], f"{what} {label}: asked RunResumeStatus")
                check(set(b["ops"]) <= set(a["ops"]) | {"ServerFeaturesQuery"},
                      f"{what} {label}: GraphQL ops {sorted(set(b['ops']))} vs SDK {sorted(set(a['ops']))}")
                check(b["files"] == a["files"], f"{what} {label}: file_stream files {sorted(b['files'])} vs SDK {sorted(a['files'])}")
                check(not b["bad_lines"], f"{what} {label}: console lines without ts/[label]: {b['bad_lines'][:3]}")
                check(b["lines"] == a["lines"], f"{what} {label}: console lines {b['lines'][:4]} vs SDK {a['lines'][:4]}")
                # the SDK also uploads requirements.txt (a Python environment); we have none
                want = sorted(set(a["uploaded"]) - {"requirements.txt"})
                check(b["uploaded"] == want, f"{what} {label}: uploaded {b['uploaded']} vs SDK {a['uploaded']}")
                check(b["finish"] == a["finish"], f"{what} {label}: finish fields {b['finish']} vs SDK {a['finish']}")
                print(f"  {what} {label}: ops {sorted(set(b['ops']))}, files {sorted(b['files'])}, "
                      f"{len(b['lines'])} console lines, uploaded {b['uploaded']}, finish {b['finish']}")
            check(ours["rank0"]["cid"] != ours["rank1"]["cid"], f"{what}: client ids not distinct")
            hist = server_rows(srv, rid)
            for rank in (0, 1):
                got = sorted(h[f"rank{rank}/step"] for h in hist if h.get("rank") == rank)
                check(got == list(range(rows)), f"{what}: rank{rank} rows on the server: {len(got)} (want {rows} once)")
            # (the run's state is not checked: openwandb sets "running" again on any upsert after
            # the owner's `complete`, a quirk of the test server; the finish requests are checked)
        print(f"  SDK rank0: uploaded {sdk['rank0']['uploaded']}, finish {sdk['rank0']['finish']}; "
              f"rank1: uploaded {sdk['rank1']['uploaded']}, finish {sdk['rank1']['finish']}")
    finally:
        proxy.stop()
        srv.stop()


def cmd_shared16(work, n=16, rows=2000):
    srv = co.Server(work, "srv").start()
    proxy = Proxy(srv.port).start()
    try:
        env = dict(os.environ, WANDB_BASE_URL=f"http://127.0.0.1:{proxy.port}", WANDB_API_KEY=co.KEY,
                   WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL="2", WANDB_PROJECT="shared16",
                   WANDB_RUN_ID="sixteen", WANDB_DIR=os.path.join(work, "w"), WBM_STATS_INTERVAL_MS="200",
                   # Each writer lives >= 1 s after its rows (5 sampling intervals): on an idle
                   # machine 2000 rows take well under one interval, and a writer that finishes
                   # before its first sample has no system metrics to check (CI rehearsal).
                   WBM_IDLE_SECS="1")
        env.pop("WANDB_MODE", None)
        os.makedirs(env["WANDB_DIR"], exist_ok=True)
        t0 = time.time()
        r = subprocess.run([os.path.join(HERE, "..", "..", "examples", "c", "launch_distributed.sh"),
                            str(n), str(rows), DIST], env=env, capture_output=True, timeout=600)
        dt = time.time() - t0
        check(r.returncode == 0, f"launcher: exit {r.returncode}: {r.stderr.decode()[-800:]}")
        hist = server_rows(srv, "sixteen")
        for rank in range(n):
            got = sorted(h[f"rank{rank}/step"] for h in hist if h.get("rank") == rank)
            check(got == list(range(rows)), f"rank{rank}: {len(got)} rows on the server (want {rows} once)")
        by, _ = writers(list(proxy.records), "sixteen")
        check(len(by) == n, f"{len(by)} client ids for {n} writers")
        finishes = [s for s in (summarize(v, "x")["finish"] for v in by.values()) if s]
        check(finishes == [[(True, 0)]], f"finish requests: {finishes}")
        lines = []
        for v in by.values():
            for rec in v:
                f = (((rec.get("json") or {}).get("files") or {}).get("output.log")) or {}
                lines += f.get("content", [])
        for rank in range(n):
            mine = [l for l in lines if f"[rank{rank}] " in l]
            want = [f"rank {rank} step {i}" for i in range(0, rows, 100)] + [f"rank {rank} done"]
            check([l.split("] ", 1)[1] for l in mine] == want, f"rank{rank}: console lines {len(mine)}")
        events = []
        for v in by.values():
            for rec in v:
                f = (((rec.get("json") or {}).get("files") or {}).get("wandb-events.jsonl")) or {}
                events += [json.loads(x) for x in f.get("content", [])]
        for rank in range(n):
            mine = [e for e in events if any(k.endswith(f"/l:rank{rank}") for k in e)]
            ok = mine and all(e.get("_wandb") is True and all(k.startswith("_") or (k.startswith("system.")
                              and k.endswith(f"/l:rank{rank}")) for k in e) for e in mine)
            check(ok, f"rank{rank}: {len(mine)} system-metric rows with system.<key>/l:rank{rank} keys")
        print(f"  {len(events)} system-metric rows, e.g. {sorted(events[0])[:4] if events else None}")
        print(f"  {n} writers x {rows} rows: {len(hist)} rows on the server in {dt:.1f} s "
              f"({n * rows / dt:.0f} rows/s end to end incl. upload), {len(lines)} console lines")
    finally:
        proxy.stop()
        srv.stop()


def cmd_sharedkill(work, rows=1500):
    """3 slow writers; rank 2 is SIGKILLed mid-run: ranks 0 and 1 are unaffected (all rows,
    one finish), and `wandb-media sync` of rank 2's directory then uploads every row it had
    logged (the .wandb log is written before wb_run_log returns), each once."""
    import signal
    srv = co.Server(work, "srv").start()
    try:
        wdir = os.path.join(work, "w")
        os.makedirs(wdir, exist_ok=True)
        env = dict(os.environ, WANDB_BASE_URL=srv.base, WANDB_API_KEY=co.KEY,
                   WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL="1", WANDB_PROJECT="sharedkill",
                   WANDB_RUN_ID="killrun", WANDB_DIR=wdir, WBM_ROW_DELAY_US="1000")
        env.pop("WANDB_MODE", None)
        ps = [subprocess.Popen([DIST, str(rows)], env=dict(env, RANK=str(r)), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE) for r in range(3)]
        time.sleep(1.0)
        ps[2].send_signal(signal.SIGKILL)
        for p in ps[:2]:
            p.wait(timeout=300)
            check(p.returncode == 0, f"writer exit {p.returncode}: {p.stderr.read().decode()[-500:]}")
        ps[2].wait(timeout=60)
        hist = server_rows(srv, "killrun")
        for rank in (0, 1):
            got = sorted(h["rank%d/step" % rank] for h in hist if h.get("rank") == rank)
            check(got == list(range(rows)), f"rank{rank}: {len(got)} rows (want {rows} once)")
        before = len([h for h in hist if h.get("rank") == 2])
        d2 = [os.path.join(wdir, "wandb", d) for d in os.listdir(os.path.join(wdir, "wandb")) if d.endswith("-rank2")]
        check(len(d2) == 1, f"rank2 dirs {d2}")
        r = subprocess.run([CLI, "sync"] + d2, env=env, capture_output=True, timeout=300)
        check(r.returncode == 0, f"sync of the killed writer: {r.stderr.decode()[-500:]}")
        hist = server_rows(srv, "killrun")
        got = sorted(h["rank2/step"] for h in hist if h.get("rank") == 2)
        check(0 < len(got) < rows and got == list(range(len(got))),
              f"rank2 after sync: {len(got)} rows, each once from 0 (before sync {before})")
        print(f"  killed rank2 after 1 s: {before} rows live, {len(got)} after wandb-media sync; ranks 0, 1 complete")
    finally:
        srv.stop()


def cmd_sharedidle(work, secs=20):
    """Report: CPU and RSS of an idle shared writer with default system metrics (15 s)."""
    srv = co.Server(work, "srv").start()
    try:
        env = dict(os.environ, WANDB_BASE_URL=srv.base, WANDB_API_KEY=co.KEY, WANDB_PROJECT="idle",
                   WANDB_RUN_ID="idlerun", WANDB_DIR=os.path.join(work, "w"), WBM_IDLE_SECS=str(secs))
        env.pop("WANDB_MODE", None)
        os.makedirs(env["WANDB_DIR"], exist_ok=True)
        p = subprocess.Popen([DIST, "1"], env=dict(env, RANK="0"), stdout=subprocess.DEVNULL)
        time.sleep(3)
        tck = os.sysconf("SC_CLK_TCK")

        def cpu():
            f = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(f[11]) + int(f[12])) / tck
        c0, t0 = cpu(), time.time()
        time.sleep(secs - 6)
        c1, t1 = cpu(), time.time()
        rss = int([l for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS")][0].split()[1])
        p.wait(timeout=120)
        check(p.returncode == 0, f"idle writer exit {p.returncode}")
        print(f"bench: idle shared writer (default stats, 15 s): CPU {100 * (c1 - c0) / (t1 - t0):.2f} % of a core, "
              f"RSS {rss / 1024:.1f} MB")
    finally:
        srv.stop()


def main():
    cmd = sys.argv[1]
    work = tempfile.mkdtemp(prefix=f"wbm-{cmd}-")
    if cmd == "shared":
        cmd_shared(work)
    elif cmd == "sharedidle":
        cmd_sharedidle(work)
    elif cmd == "sharedkill":
        cmd_sharedkill(work)
    elif cmd == "shared16":
        cmd_shared16(work, rows=int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
    else:
        raise SystemExit(f"unknown test {cmd}")
    co.done(cmd, work)


if __name__ == "__main__":
    main()
