"""Checks of tests/run/features (define_metric, run.save, artifacts, system metrics):
runs written through the C/C++/Go APIs against the SDK's offline run for the same calls.

usage:
  check_features.py metric NATIVE_RUN_DIR PY_RUN_DIR
  check_features.py metric-upload NATIVE_RUN_DIR PY_RUN_DIR   both synced to openwandb
  check_features.py artifact NATIVE_RUN_DIR PY_RUN_DIR   run.save + artifacts, then upload
  check_features.py stats NATIVE_RUN_DIR OFF_RUN_DIR PY_RUN_DIR   system metrics
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_run as cr  # noqa: E402
from check_run import check, done  # noqa: E402


def typed(leet, t):
    return [r[t] for r in leet if r["type"] == t]


def summary_rows_raw(recs):
    """Summary records of committed rows as {dotted key: parsed value_json} (Go writes the
    aggregate objects in map order, so they compare parsed)."""
    out = []
    for r in recs:
        if r.WhichOneof("record_type") == "summary":
            items = {".".join(i.nested_key) or i.key: json.loads(i.value_json) for i in r.summary.update}
            out.append({k: v for k, v in items.items() if k not in cr.VOLATILE})
    return out


def side_by_side(a_leet, b_leet, label):
    a = [x for x in map(cr.normalise, a_leet) if x is not None]
    b = [x for x in map(cr.normalise, b_leet) if x is not None]
    check(len(a) == len(b), f"{label}: {len(a)} vs {len(b)} comparable records")
    for i, (x, y) in enumerate(zip(a, b)):
        if not cr.same(x, y):
            check(False, f"{label}: record {i} differs:\n  native: {json.dumps(x)[:700]}\n  SDK   : {json.dumps(y)[:700]}")
            break


def cmd_metric(n_dir, py_dir):
    n_leet, py_leet = cr.leet_json(n_dir), cr.leet_json(py_dir)
    n_m, py_m = typed(n_leet, "metric"), typed(py_leet, "metric")
    check(len(py_m) == 8, f"the SDK wrote {len(py_m)} metric records (want 8)")
    check(n_m == py_m, f"metric records differ:\n  native: {n_m}\n  SDK   : {py_m}")
    side_by_side(n_leet, py_leet, "metric")
    n_recs, stop = cr.raw_records(cr.wandb_file(n_dir))
    py_recs, _ = cr.raw_records(cr.wandb_file(py_dir))
    check(stop == "end", f"independent reader stopped: {stop}")
    n_rows, py_rows = cr.history_rows_raw(n_recs), cr.history_rows_raw(py_recs)
    check(len(n_rows) == len(py_rows) == 8, f"{len(n_rows)} / {len(py_rows)} history rows (want 8)")
    for (ns, nr), (ps, pr) in zip(n_rows, py_rows):
        nr = {k: v for k, v in nr.items() if k not in cr.VOLATILE}
        pr = {k: v for k, v in pr.items() if k not in cr.VOLATILE}
        check(ns == ps and cr.raw_rows_equal(nr, pr), f"raw history row {ns}: {nr} vs SDK {pr}")
    # the step metrics the SDK inserted (as floats) are there
    check(any(r.get("epoch") == "0" and "epoch" for _, r in n_rows[2:3]), f"epoch inserted in row 2: {n_rows[2:3]}")
    n_s, py_s = summary_rows_raw(n_recs), summary_rows_raw(py_recs)
    check(cr.same(n_s, py_s), "raw summary records differ:\n  " + "\n  ".join(
        f"{i}: native {json.dumps(a)} SDK {json.dumps(b)}" for i, (a, b) in enumerate(zip(n_s, py_s)) if not cr.same(a, b)))
    agg = [s for s in n_s if isinstance(s.get("acc"), dict)]
    check(agg and set(agg[-1]["acc"]) == {"min", "max", "mean", "last"}, f"acc aggregates {agg[-1:]}")
    ns, ps = cr.leet_summary(n_dir), cr.leet_summary(py_dir)
    nsum = {k: v for k, v in ns.get("summary", {}).items() if k not in cr.VOLATILE and k != "_wandb"}
    psum = {k: v for k, v in ps.get("summary", {}).items() if k not in cr.VOLATILE and k != "_wandb"}
    check(cr.same(nsum, psum), f"final summary differs:\n  native {nsum}\n  SDK    {psum}")
    check("secret" not in nsum and nsum.get("train/loss", {}).get("min") == 1 / 6, f"summary {nsum}")
    print(f"metric: {len(n_m)} metric records, {len(n_rows)} rows, {len(n_s)} summary records match the SDK")
    done("metric")


def server_view(run_dir):
    """(config `_wandb.m` sorted, wandb-summary.json without volatile keys) after upload."""
    got = {}

    def inspect(base, entity, project, rid):
        st, body = cr.http_get(f"{base}/api/v2/runs/{rid}")
        run = json.loads(body)["run"]
        check(run.get("state") == "finished", f"server run state {run.get('state')}")
        w = run.get("config", {}).get("_wandb", {}).get("value", {})
        ms = w.get("m", [])
        # "5" (step_metric_index, 1-based) points into the list, whose order is Go map order: resolve
        # it to the step metric's name before comparing.
        for m in ms:
            if "5" in m:
                i = m.pop("5")
                m["step"] = ms[i - 1].get("1") if 1 <= i <= len(ms) else f"<bad index {i}>"
        got["m"] = sorted(json.dumps(m, sort_keys=True) for m in ms)
        st, body = cr.http_get(f"{base}/files/{entity}/{project}/{rid}/wandb-summary.json")
        got["summary"] = {k: v for k, v in json.loads(body).items() if k not in ("_runtime", "_timestamp", "_wandb")}
        st, body = cr.http_get(f"{base}/files/{entity}/{project}/{rid}/wandb-history.jsonl")
        got["rows"] = [
            {k: v for k, v in json.loads(line).items() if k not in ("_runtime", "_timestamp")}
            for line in body.decode().splitlines() if line.strip()
        ]

    upload(run_dir, inspect)
    return got


def cmd_metric_upload(n_dir, py_dir):
    a, b = server_view(n_dir), server_view(py_dir)
    check(len(b.get("m", [])) == 9, f"SDK run: {len(b.get('m', []))} metric definitions on the server (want 9)")
    check(a.get("m") == b.get("m"), f"server metric definitions differ:\n  native {a.get('m')}\n  SDK    {b.get('m')}")
    check(cr.same(a.get("summary"), b.get("summary")), f"server summary differs:\n  native {a.get('summary')}\n  SDK    {b.get('summary')}")
    check(cr.same(a.get("rows"), b.get("rows")), "server history differs")
    print(f"metric-upload: {len(a.get('m', []))} metric definitions, summary and {len(a.get('rows', []))} rows as the SDK's run on the server")
    done("metric-upload")


def sorted_aliases(leet):
    for r in leet:
        if r["type"] == "artifact":
            r["artifact"]["aliases"] = sorted(r["artifact"].get("aliases", []))
    return leet


def cmd_artifact(n_dir, py_dir):
    import base64
    import hashlib

    n_leet, py_leet = sorted_aliases(cr.leet_json(n_dir)), sorted_aliases(cr.leet_json(py_dir))
    side_by_side(n_leet, py_leet, "artifact")
    n_files = [f for r in typed(n_leet, "files") for f in r.get("files", []) if f.get("type") != "WANDB"]
    py_files = [f for r in typed(py_leet, "files") for f in r.get("files", []) if f.get("type") != "WANDB"]
    check(n_files == py_files and len(n_files) == 4, f"saved files {n_files} vs SDK {py_files}")
    for f in n_files:
        p = os.path.join(n_dir, "files", f["path"])
        q = os.path.join(py_dir, "files", f["path"])
        check(os.path.islink(p) and os.path.isabs(os.readlink(p)), f"{p} is not an absolute symlink (the SDK links)")
        check(os.path.isfile(p) and open(p, "rb").read() == open(q, "rb").read(), f"{f['path']}: bytes differ from the SDK's")
    n_art, py_art = typed(n_leet, "artifact"), typed(py_leet, "artifact")
    check(len(n_art) == len(py_art) == 2, f"{len(n_art)} / {len(py_art)} artifact records")
    staged = 0
    for a in n_art:
        check(len(a.get("client_id", "")) == 128 and len(a.get("sequence_client_id", "")) == 128, "client ids")
        for e in a["manifest"]["contents"]:
            lp = e.get("local_path", "")
            ok = os.path.isabs(lp) and os.path.isfile(lp)
            check(ok, f"staged copy {lp!r} missing or relative")
            if ok:
                data = open(lp, "rb").read()
                check(base64.b64encode(hashlib.md5(data).digest()).decode() == e["digest"] and len(data) == int(e["size"]), f"{e['path']}: staged copy does not match its digest/size")
                staged += 1
    check(staged == 5, f"{staged} staged copies checked (want 5)")

    def inspect(base, entity, project, rid):
        st, body = cr.http_get(f"{base}/api/v2/runs/{rid}/artifacts")
        arts = json.loads(body).get("artifacts", [])
        names = sorted(str(x.get("name")) for x in arts)
        check(any(n.startswith("model-ckpt") for n in names) and any(n.startswith("raw-data") for n in names), f"server artifacts {names} {json.dumps(arts)[:600]}")
        for f in n_files:
            st, data = cr.http_get(f"{base}/files/{entity}/{project}/{rid}/{f['path']}")
            check(data == open(os.path.join(n_dir, "files", f["path"]), "rb").read(), f"server copy of {f['path']} differs")
        print(f"uploaded: artifacts {names}, {len(n_files)} saved files on the server")

    out = upload(n_dir, inspect)
    check("error" not in out.lower() or "0 errors" in out.lower(), f"sync output: {out[-400:]}")
    print(f"artifact: {len(n_files)} saved files, {len(n_art)} artifacts ({staged} staged files) match the SDK's records")
    done("artifact")


PY_FLOAT = re.compile(r"^-?(\d+\.\d+(e[+-]\d+)?|\de[+-]\d+|inf|nan)$")


def stats_records(run_dir):
    recs, _ = cr.raw_records(cr.wandb_file(run_dir))
    out = []
    for i, r in enumerate(recs):
        if r.WhichOneof("record_type") == "stats":
            out.append((i, r))
    return recs, out


def cmd_stats(n_dir, off_dir, py_dir, interval="0.3"):
    interval = float(interval)
    n_recs, n_stats = stats_records(n_dir)
    _, py_stats = stats_records(py_dir)
    _, off_stats = stats_records(off_dir)
    check(len(off_stats) == 0, f"disabled stats: {len(off_stats)} stats records")
    check(len(py_stats) >= 2, f"the SDK wrote {len(py_stats)} stats records")
    check(2 <= len(n_stats) <= 6, f"{len(n_stats)} stats records in ~1.05 s at {interval} s")
    py_keys = [set(i.key for i in r.stats.item) for _, r in py_stats]
    sdk_keys = set().union(*py_keys) if py_keys else set()
    sdk_first = py_keys[0] if py_keys else set()
    check("cpu" not in sdk_first and "cpu" in sdk_keys, f"SDK cpu key pattern {py_keys}")
    exit_at = max(i for i, r in enumerate(n_recs) if r.WhichOneof("record_type") == "exit")
    start = next(r.run.start_time for r in n_recs if r.WhichOneof("record_type") == "run")
    t_prev = start.seconds + start.nanos / 1e9
    for k, (i, r) in enumerate(n_stats):
        keys = [it.key for it in r.stats.item]
        want = sdk_first if k == 0 else sdk_keys
        check(set(keys) == want, f"stats record {k}: keys {sorted(keys)} != SDK's {sorted(want)}")
        check(len(keys) == len(set(keys)), f"duplicate keys {keys}")
        check(not r.HasField("_info") and r.stats.stats_type == 0, "stats record layout differs from the SDK's (no _info, SYSTEM)")
        check(i < exit_at, "a stats record after the exit record")
        for it in r.stats.item:
            check(bool(PY_FLOAT.match(it.value_json)), f"{it.key}: value {it.value_json!r} is not a Python float repr (SDK writes e.g. '4.0')")
        t = r.stats.timestamp.seconds + r.stats.timestamp.nanos / 1e9
        gap = t - t_prev
        lo, hi = (0.5 * interval, 3 * interval) if k else (0.5 * interval, 3 * interval + 0.5)
        check(lo <= gap <= hi, f"stats record {k}: {gap:.3f} s after the previous (interval {interval})")
        t_prev = t
    # values are plausible next to the SDK's on the same machine
    def val(r, key):
        return next((json.loads(i.value_json) for i in r.stats.item if i.key == key), None)
    if n_stats and py_stats:
        a, b = n_stats[-1][1], py_stats[-1][1]
        for key, tol in (("memory_percent", 15), ("disk./.usagePercent", 5)):
            va, vb = val(a, key), val(b, key)
            check(va is not None and vb is not None and abs(va - vb) <= tol, f"{key}: {va} vs SDK {vb}")
        check(0 < val(a, "proc.memory.rssMB") < 1000 and val(a, "proc.cpu.threads") >= 2, "rss / threads")
    n_leet = cr.leet_json(n_dir)
    check(len(typed(n_leet, "stats")) == len(n_stats), "leet inspect does not show every stats record")
    # uploaded: the server's system metrics are the records' values under "system.<key>"
    def inspect(base, entity, project, rid):
        import time

        # the server stores file_stream events asynchronously: wait (bounded) for them
        for _ in range(40):
            st, body = cr.http_get(f"{base}/api/v2/runs/{rid}/system_metrics")
            sm = json.loads(body).get("system_metrics", {})
            if len(sm.get("system.memory_percent", [])) >= len(n_stats):
                break
            time.sleep(0.25)
        for _, r in n_stats[:1]:
            for it in r.stats.item:
                pts = sm.get("system." + it.key, [])
                check(len(pts) >= 1 and pts[0]["value"] == json.loads(it.value_json), f"server system.{it.key}: {pts[:1]} vs {it.value_json}")
        check(len(sm.get("system.memory_percent", [])) == len(n_stats), f"server has {len(sm.get('system.memory_percent', []))} samples, log {len(n_stats)}")
        print(f"uploaded: {len(sm)} system metric series on the server")

    upload(n_dir, inspect)
    print(f"stats: {len(n_stats)} records with the SDK's keys {sorted(sdk_keys)}; disabled run: none")
    done("stats")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "stats":
        return cmd_stats(*args)
    {"metric": cmd_metric, "metric-upload": cmd_metric_upload, "artifact": cmd_artifact}[cmd](*args)



# ---------------------------------------------------------------- upload helper


def upload(run_dir, inspect):
    """`wandb sync RUN_DIR` to a fresh openwandb on 127.0.0.1; calls inspect(base, entity,
    project, run_id) while the server runs. Returns the sync output."""
    import shutil
    import signal
    import subprocess
    import tempfile
    import time

    run_dir = os.path.abspath(run_dir)
    work = tempfile.mkdtemp(prefix="wbm-features-upload-")
    port = cr.free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [cr.OPENWANDB, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", os.path.join(work, "data")],
        stdout=open(os.path.join(work, "server.log"), "w"),
        stderr=subprocess.STDOUT,
    )
    out = ""
    try:
        deadline = time.time() + 90
        while True:
            try:
                if cr.http_get(base + "/api/v2/projects", timeout=2)[0] == 200:
                    break
            except Exception:
                pass
            if time.time() > deadline or server.poll() is not None:
                check(False, "openwandb did not start")
                return out
            time.sleep(0.5)
        env = dict(os.environ)
        env.update(
            WANDB_BASE_URL=base,
            WANDB_API_KEY="wbmtest" + "0" * 33,
            WANDB_CONFIG_DIR=os.path.join(work, "config"),
            WANDB_CACHE_DIR=os.path.join(work, "cache"),
            WANDB_DATA_DIR=os.path.join(work, "wbdata"),
        )
        p = cr.run_cmd([cr.WANDB, "sync", run_dir], env=env, timeout=300, cwd=work)
        out = p.stdout + p.stderr
        check(p.returncode == 0, f"wandb sync exit {p.returncode}: {out[-800:]}")
        recs, _ = cr.raw_records(cr.wandb_file(run_dir))
        run_rec = next(r.run for r in recs if r.WhichOneof("record_type") == "run")
        inspect(base, run_rec.entity, run_rec.project, run_rec.run_id)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
        if not cr.failures:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("server data kept in", work)
    return out


if __name__ == "__main__":
    main()
