"""Checks of tests/run/features (define_metric, run.save, artifacts, system metrics):
runs written through the C/C++/Go APIs against the SDK's offline run for the same calls.

usage:
  check_features.py metric NATIVE_RUN_DIR PY_RUN_DIR
"""

import json
import os
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


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"metric": cmd_metric, "metric-upload": cmd_metric_upload}[cmd](*args)



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
