#!/usr/bin/env python3
"""Feedback while an online run is live (issue 23, items 1 and 2), through the C ABI
(tests/online/c/status_writer.c) against local openwandb servers. Every check asserts on the
lines the program's log handler received, on wb_run_upload_status fields, and on what the
server stored.

  status.py wrongkey   STATUS_WRITER WANDB_MEDIA  a server refusing the key (401): the handler
                                                  gets "authentication failed (401) … check
                                                  WANDB_API_KEY" within 2 s of open while every
                                                  wb_run_log succeeds; status FAILED/401; finish
                                                  names the key and returns at once; the log on
                                                  disk is complete (`wandb-media sync` with the
                                                  right key uploads every row)
  status.py notfound   STATUS_WRITER              a base URL with a wrong path (404): named at
                                                  once, FAILED/404
  status.py outage     STATUS_WRITER              the server killed mid-run: RETRYING with
                                                  unreachable_since, progress lines during
                                                  finish (at most every few seconds), then
                                                  "reconnected to <host>" after the server is
                                                  restarted on the same port; every row arrives
  status.py plaintls   STATUS_WRITER              https:// against a plain-HTTP server: the
                                                  warning names the likely cause
  status.py bindings   STATUS_RUN_CPP STATUS_RUN_GO  Run::upload_status / (*Run).UploadStatus:
                                                  FINISHED with every row sent on a live
                                                  server, FAILED/401 naming the key on a
                                                  server refusing it
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_online import KEY, Server, check, done, free_port, counted, run_info, run_id_of, server_rows  # noqa: E402

FAILED, RETRYING, FINISHED = 5, 4, 6


def parse(out):
    logs, stats, result, events = [], [], None, []
    for line in out.splitlines():
        if line.startswith("LOG "):
            _, ms, level, msg = line.split(" ", 3)
            logs.append((float(ms), level, msg))
        elif line.startswith("STATUS "):
            p = line.split(" ", 9)
            stats.append({"ms": float(p[1]), "state": int(p[2]), "http": int(p[3]), "rows_sent": int(p[4]),
                          "rows_pending": int(p[5]), "files_sent": int(p[6]), "files_pending": int(p[7]),
                          "since": int(p[8]), "error": p[9] if len(p) > 9 else ""})
        elif line.startswith("RESULT "):
            result = json.loads(line[7:])
    return logs, stats, result


class Refuser:
    """A W&B API that refuses every request with 401 (a wrong API key on W&B cloud)."""

    def start(self):
        me = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def any(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                me.seen += 1
                body = b'{"errors":[{"message":"user is not logged in"}]}'
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_PUT = do_GET = any

        self.seen = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def writer(prog, root, n, pause, env):
    p = subprocess.run([prog, root, str(n), str(pause)], env=env, capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, f"status_writer exit {p.returncode}: {p.stderr[-800:]}")
    return parse(p.stdout)


def cmd_wrongkey(prog, cli):
    work = tempfile.mkdtemp(prefix="wbm-status-key-")
    gate = Refuser().start()
    s = Server(work, "server")
    try:
        base = f"http://127.0.0.1:{gate.port}"
        env = s.env(WANDB_MODE="online", WANDB_BASE_URL=base, WANDB_API_KEY="wrong" + "0" * 35)
        n = 30
        t0 = time.time()
        logs, stats, res = writer(prog, os.path.join(work, "r"), n, 50, env)
        wall = time.time() - t0
        auth = [(ms, lvl, m) for ms, lvl, m in logs if "authentication failed (401)" in m]
        check(auth, f"no 'authentication failed (401)' message reached the handler: {logs[:5]}")
        if auth:
            ms, lvl, m = auth[0]
            check(ms < 2000, f"the 401 message came {ms:.0f} ms after open (want < 2000)")
            check(lvl == "ERROR" and "WANDB_API_KEY" in m and "wandb login" in m and base in m,
                  f"the 401 message does not name the fix: {lvl} {m}")
            check("wandb-media sync" in m, f"the 401 message does not say how to upload later: {m}")
            print(f"  handler after {ms:.0f} ms: {lvl} {m[:160]}…")
        failed = [st for st in stats if st["state"] == FAILED]
        check(failed and failed[0]["http"] == 401 and "authentication failed (401)" in failed[0]["error"],
              f"status never FAILED/401: {stats[-1:]}")
        if failed:
            check(failed[0]["ms"] < 2500, f"status FAILED only after {failed[0]['ms']:.0f} ms")
            last = stats[-1]
            check(last["rows_pending"] >= n - 1, f"rows pending while failed: {last['rows_pending']} (logged {n})")
        check(len([st for st in stats]) >= n, "fewer status samples than rows")
        if res:
            msg = res["message"]
            check(res["finish"] != "WB_OK" and "WANDB_API_KEY" in msg and "wandb-media sync" in msg,
                  f"finish does not name the key: {res['finish']}: {msg[:300]}")
            check(res["finish_ms"] < 3000, f"finish waited {res['finish_ms']} ms after a permanent 401")
            check(res["state"] == FAILED and res["http_status"] == 401 and res["rows_pending"] == n,
                  f"final status {res}")
            print(f"  finish {res['finish']} after {res['finish_ms']:.0f} ms; {gate.seen} requests refused; wall {wall:.1f} s")
            # the log on disk is complete: a sync with the right key uploads every row
            s.start()
            q = subprocess.run([cli, "sync", res["dir"]], env=s.env(), capture_output=True, text=True, timeout=300)
            check(q.returncode == 0, f"wandb-media sync: {q.stderr[-500:]}")
            run, rows = server_rows(s, res["dir"])
            check(counted(rows, n), f"rows after sync: {len(rows)}")
            imgs = [r["img"]["path"] for r in rows if "img" in r]
            files = set(s.files(run_id_of(res["dir"])))
            check(len(imgs) == n // 10 and all(p in files for p in imgs), f"images after sync: {imgs} / {sorted(files)[:5]}")
            print(f"  sync with the right key: {len(rows)} rows, {len(imgs)} images on the server")
    finally:
        gate.stop()
        s.stop()
    done("wrongkey", work)


def cmd_notfound(prog):
    work = tempfile.mkdtemp(prefix="wbm-status-404-")
    s = Server(work, "server")
    try:
        s.start()
        env = s.env(WANDB_MODE="online", WANDB_BASE_URL=s.base + "/not-wandb")
        logs, stats, res = writer(prog, os.path.join(work, "r"), 10, 50, env)
        hit = [(ms, lvl, m) for ms, lvl, m in logs if "not found (404)" in m]
        check(hit and hit[0][0] < 2000 and "base URL" in hit[0][2] and s.base + "/not-wandb" in hit[0][2],
              f"no prompt 404 message naming the base URL: {logs[:3]}")
        check(res and res["state"] == FAILED and res["http_status"] == 404, f"final status {res}")
        if hit:
            print(f"  handler after {hit[0][0]:.0f} ms: {hit[0][2][:160]}…")
    finally:
        s.stop()
    done("notfound", work)


def cmd_outage(prog):
    work = tempfile.mkdtemp(prefix="wbm-status-outage-")
    s = Server(work, "server")
    n = 60
    try:
        s.start()
        env = s.env(WANDB_MODE="online", WBM_FINISH_TIMEOUT_MS="120000", WANDB_X_RETRY_MAX_SECONDS="1")
        p = subprocess.Popen([prog, os.path.join(work, "r"), str(n), "100"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        out = []
        killed_at = restarted_at = None
        for line in p.stdout:
            out.append(line)
            if line.startswith("ROW 15") and killed_at is None:
                s.stop()
                killed_at = time.time()
            if line.startswith("FINISHING"):
                # keep the server down for ~8 s of the finish wait, then restart it
                def later():
                    time.sleep(8)
                    s.start()
                    nonlocal restarted_at
                    restarted_at = time.time()
                threading.Thread(target=later, daemon=True).start()
        p.wait(timeout=300)
        check(p.returncode == 0, f"status_writer exit {p.returncode}: {p.stderr.read()[-800:]}")
        logs, stats, res = parse("".join(out))
        retry = [st for st in stats if st["state"] == RETRYING and st["since"] > 0]
        check(retry, f"status never RETRYING with unreachable_since: {stats[-3:]}")
        if retry:
            check(abs(retry[0]["since"] - killed_at) < 5, f"unreachable_since {retry[0]['since']} vs kill at {killed_at:.0f}")
            check(retry[-1]["rows_pending"] > 0, f"RETRYING with no rows pending: {retry[-1]}")
        prog_lines = [(ms, lvl, m) for ms, lvl, m in logs if m.startswith("waiting for uploads:")]
        down = [x for x in prog_lines if "server unreachable since" in x[2]]
        check(len(down) >= 1, f"no progress line naming the outage during finish: {prog_lines}")
        gaps = [b[0] - a[0] for a, b in zip(prog_lines, prog_lines[1:])]
        check(all(g >= 4500 for g in gaps), f"progress lines closer than every few seconds: {gaps}")
        if down:
            m = down[0][2]
            check(" rows, " in m and " files" in m, f"progress line without counts: {m}")
            print(f"  {len(prog_lines)} progress lines during finish, e.g. {down[0][1]} {m}")
        rec = [(ms, lvl, m) for ms, lvl, m in logs if m.startswith("reconnected to ")]
        check(rec and s.base in rec[0][2], f"no 'reconnected to {s.base}' line: {[m for _, _, m in logs][-6:]}")
        if rec:
            print(f"  {rec[0][1]} {rec[0][2]}")
        check(res and res["finish"] == "WB_OK", f"finish after the restart: {res}")
        check(res and res["state"] == FINISHED and res["rows_pending"] == 0 and res["files_pending"] == 0
              and res["rows_sent"] == n, f"final status {res}")
        if res:
            run, rows = server_rows(s, res["dir"])
            check(counted(rows, n), f"server rows {len(rows)}")
            print(f"  finish {res['finish']} after {res['finish_ms'] / 1000:.1f} s; {len(rows)} rows on the server; "
                  f"{len(retry)} RETRYING samples")
    finally:
        s.stop()
    done("outage", work)


def cmd_plaintls(prog):
    work = tempfile.mkdtemp(prefix="wbm-status-tls-")
    s = Server(work, "server")
    try:
        s.start()
        https = f"https://127.0.0.1:{s.port}"
        env = s.env(WANDB_MODE="online", WANDB_BASE_URL=https, WBM_FINISH_TIMEOUT_MS="3000")
        logs, stats, res = writer(prog, os.path.join(work, "r"), 5, 50, env)
        hit = [(ms, lvl, m) for ms, lvl, m in logs if "plain HTTP to a TLS request" in m]
        check(hit and f"is the base URL http://127.0.0.1:{s.port}?" in hit[0][2] and hit[0][0] < 2000,
              f"no message naming plain HTTP: {[m for _, _, m in logs][:3]}")
        check(any(st["state"] == RETRYING and "plain HTTP" in st["error"] for st in stats), "status error without the hint")
        check(res and "plain HTTP to a TLS request" in res["message"], f"finish message: {res and res['message'][:300]}")
        if hit:
            print(f"  handler after {hit[0][0]:.0f} ms: {hit[0][1]} {hit[0][2][:200]}")
    finally:
        s.stop()
    done("plaintls", work)


def cmd_bindings(cpp, go):
    """Run::upload_status (C++) and (*Run).UploadStatus (Go): FINISHED with every row sent
    against a live server; FAILED/401 naming the key against one refusing it."""
    work = tempfile.mkdtemp(prefix="wbm-status-bind-")
    gate = Refuser().start()
    s = Server(work, "server")
    n = 25
    try:
        s.start()
        for lang, prog in (("cpp", cpp), ("go", go)):
            for case, env in (("live", s.env(WANDB_MODE="online")),
                              ("401", s.env(WANDB_MODE="online", WANDB_BASE_URL=f"http://127.0.0.1:{gate.port}"))):
                p = subprocess.run([prog, os.path.join(work, lang + case), str(n)], env=env, capture_output=True,
                                   text=True, timeout=300)
                if not check(p.returncode == 0, f"{lang} {case}: exit {p.returncode}: {p.stderr[-500:]}"):
                    continue
                got = {}
                for line in p.stdout.splitlines():
                    tag, _, rest = line.partition(" ")
                    if tag in ("MID", "END"):
                        f = rest.split(" ", 7)
                        got[tag] = {"state": int(f[0]), "http": int(f[1]), "rows_sent": int(f[2]), "rows_pending": int(f[3]),
                                    "files_sent": int(f[4]), "files_pending": int(f[5]), "since": int(f[6]),
                                    "error": f[7] if len(f) > 7 else ""}
                    elif tag in ("FINISH", "DIR"):
                        got[tag] = rest
                mid, end = got.get("MID"), got.get("END")
                if not check(mid and end, f"{lang} {case}: output {p.stdout[-300:]}"):
                    continue
                if case == "live":
                    check(got["FINISH"] == "ok", f"{lang}: finish {got['FINISH']}")
                    check(mid["state"] in (2, 3) and mid["http"] == 0 and mid["since"] == 0, f"{lang}: mid-run status {mid}")
                    check(end["state"] == FINISHED and end["rows_sent"] == n and end["rows_pending"] == 0
                          and end["files_pending"] == 0 and end["files_sent"] >= 3, f"{lang}: end status {end}")
                    run = run_info(s, run_id_of(got["DIR"]))
                    check(run is not None and len(s.history(run)) == n, f"{lang}: server rows")
                else:
                    check(mid["state"] == FAILED and mid["http"] == 401 and "WANDB_API_KEY" in mid["error"]
                          and mid["rows_pending"] == n, f"{lang}: status with a refused key {mid}")
                    check("WANDB_API_KEY" in got["FINISH"] and end["state"] == FAILED, f"{lang}: finish {got['FINISH'][:200]} / {end}")
                print(f"  {lang} {case}: mid {mid['state']}/{mid['http']} rows {mid['rows_sent']}+{mid['rows_pending']}; "
                      f"end {end['state']} rows {end['rows_sent']}+{end['rows_pending']} files {end['files_sent']}+{end['files_pending']}")
    finally:
        gate.stop()
        s.stop()
    done("bindings", work)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"wrongkey": cmd_wrongkey, "notfound": cmd_notfound, "outage": cmd_outage, "plaintls": cmd_plaintls, "bindings": cmd_bindings}[cmd](*args)
