#!/usr/bin/env python3
"""Online-mode and native-sync checks against local `openwandb` servers (127.0.0.1, a free
port and a fresh --data-dir per server). Run by tests/online/online.sh inside the pinned
test venv (wandb 0.31.0 + openwandb 0.5.25).

  check_online.py endstate   RUN_WRITER WANDB_MEDIA   C run online vs the same run offline
                                                      + real `wandb sync`, and offline +
                                                      `wandb-media sync`: server history,
                                                      summary, config, file list, media bytes
  check_online.py pysync     WANDB_MEDIA SAME_ROWS    a Python-SDK offline run: `wandb-media
                                                      sync` vs `wandb sync`; re-sync no-op
  check_online.py kill       RUN_WRITER WANDB_MEDIA   SIGKILL an online writer mid-run, then
                                                      `wandb-media sync` completes it
  check_online.py down       ONLINE_WRITER            server down for the whole run: finish
                                                      reports pending, wb_run_sync uploads all
  check_online.py traffic    RUN_WRITER SAME_ROWS    a recording proxy between client and
                                                      server: our requests vs the real SDK's
                                                      wandb.init(mode="online") for the same rows
  check_online.py faults     ONLINE_WRITER            resets, 500s, 429+Retry-After, a 10 s
                                                      stall and a server restart during a
                                                      2000-step run with images: every row and
                                                      file exactly once, p99 wb_run_log, RSS
  check_online.py disabled   ONLINE_WRITER            1M wb_run_log with an image: < 1 µs,
                                                      nothing written
  check_online.py bindings   CPP_RUN GO_RUN           a short online run through the C++ wrapper
                                                      and the Go package: server rows, config,
                                                      name, state, image bytes
  check_online.py resume     ONLINE_WRITER            resume=allow then must on an existing run:
                                                      server rows continue the step sequence,
                                                      summary and config merged; must on a
                                                      missing run fails
  check_online.py tls        ONLINE_WRITER            a TLS-terminating proxy (throwaway CA from
                                                      openssl): SSL_CERT_FILE / REQUESTS_CA_BUNDLE
                                                      trust it, no CA fails with a certificate
                                                      error; HTTPS_PROXY / HTTP_PROXY through a
                                                      forward proxy, NO_PROXY bypasses it

Every check asserts on what the server stored (REST API and file GETs).
"""
import glob
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

BIN = os.path.dirname(sys.executable)
WANDB = os.path.join(BIN, "wandb")
OPENWANDB = os.path.join(BIN, "openwandb")
KEY = "wbmtest" + "0" * 33
FAILS = []


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
        print("  FAIL:", msg)
    return cond


def done(name, work=None):
    """Ends the test: removes its work dir `work` if every check passed (keeps it otherwise)."""
    if work is not None:
        if FAILS:
            print("  kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if FAILS:
        print(f"{name}: {len(FAILS)} check(s) failed")
        sys.exit(1)
    print(f"{name}: ok")
    sys.exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=30):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Server:
    """openwandb serve on 127.0.0.1:<free port> with a fresh data dir."""

    def __init__(self, work, name, port=None):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [OPENWANDB, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", os.path.join(self.dir, "data")],
            stdout=open(os.path.join(self.dir, "server.log"), "a"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if http_get(self.base + "/api/v2/projects", timeout=2)[0] == 200:
                    return self
            except Exception:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        raise SystemExit(f"openwandb did not start on {self.base}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)

    def env(self, **extra):
        e = dict(os.environ)
        e.update(WANDB_BASE_URL=self.base, WANDB_API_KEY=KEY, WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL="1",
                 WANDB_X_RETRY_MIN_SECONDS="0.2", WANDB_X_RETRY_MAX_SECONDS="2")
        e.update(extra)
        return e

    def run(self, rid):
        st, body = http_get(f"{self.base}/api/v2/runs/{rid}")
        if st != 200:
            return None
        return json.loads(body)["run"]

    def file(self, run, path):
        return http_get(f"{self.base}/files/{run['entity']}/{run['project']}/{run['run_id']}/{path}")

    def files(self, rid):
        st, body = http_get(f"{self.base}/api/v1/runs/{rid}/files")
        return sorted(f["name"] for f in json.loads(body).get("files", [])) if st == 200 else []

    def history(self, run):
        st, body = self.file(run, "wandb-history.jsonl")
        if st != 200:
            return []
        return [json.loads(l) for l in body.decode().splitlines() if l.strip()]


def run_info(server, rid):
    """The server's view of a run: record, entity/project, history rows, files."""
    run = server.run(rid)
    if run is None:
        return None
    # openwandb lists projects per user; the run's storage path names entity and project:
    # <data>/files/<entity>/<project>/<run id>/<name>
    st, body = http_get(f"{server.base}/api/v1/runs/{rid}/files")
    run["entity"], run["project"] = "", ""
    for f in json.loads(body).get("files", []) if st == 200 else []:
        parts = f["path"].split("/")
        try:
            i = len(parts) - 1 - parts[::-1].index(rid)
        except ValueError:
            continue
        name = "/".join(parts[i + 1:])
        if name == f["name"]:
            run["entity"], run["project"] = parts[i - 2], parts[i - 1]
            break
    return run


MASK = {"_timestamp", "_runtime"}


def video_key(path):
    """GIF/MP4 bytes come from different encoders (moviepy in the SDK): compared tolerantly,
    by the step-named prefix of the file (as tests/run does)."""
    base = path.rsplit("/", 1)[-1]
    return path.rsplit("/", 1)[0] + "/" + base.rsplit("_", 1)[0] + "_<hash>." + base.rsplit(".", 1)[-1]


def norm(v):
    """Artifact client ids are random per run: keep the reference's shape, drop the id.
    Video files: hash, size and the hash in the name masked (different encoders)."""
    if isinstance(v, dict):
        if v.get("_type") == "video-file":
            v = {k: (video_key(x) if k == "path" else x) for k, x in v.items() if k not in ("sha256", "size")}
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, str) and v.startswith("wandb-client-artifact://"):
        rest = v[len("wandb-client-artifact://"):]
        ident, _, tail = rest.partition("/")
        return "wandb-client-artifact://<id%s>/%s" % (":latest" if ident.endswith(":latest") else "", tail)
    return v


def masked(row):
    return norm({k: v for k, v in row.items() if k not in MASK})


def same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def config_of(run):
    c = json.loads(run.get("config_json") or "{}")
    return {k: v for k, v in c.items() if k != "_wandb"}, c.get("_wandb")


def summary_of(run):
    s = json.loads(run.get("summary_json") or "{}")
    return {k: v for k, v in s.items() if not k.startswith("_")}


def compare_runs(label, sa, ra, sb, rb, media_only_equal=True):
    """Server A run ra (ours) against server B run rb (reference)."""
    a, b = run_info(sa, ra), run_info(sb, rb)
    if not check(a is not None and b is not None, f"{label}: run missing on a server ({ra}: {a is not None}, {rb}: {b is not None})"):
        return
    check(a["state"] == b["state"] == "finished", f"{label}: states {a['state']} / {b['state']}")
    for f in ("display_name", "notes"):
        check(a.get(f) == b.get(f), f"{label}: {f} {a.get(f)!r} != {b.get(f)!r}")
    check(sorted(a.get("tags") or []) == sorted(b.get("tags") or []), f"{label}: tags {a.get('tags')} != {b.get('tags')}")
    ca, wa = config_of(a)
    cb, wb = config_of(b)
    check(same(ca, cb), f"{label}: config {ca} != {cb}")
    check(wa is not None, f"{label}: config has no _wandb")
    sa_, sb_ = summary_of(a), summary_of(b)
    check(same(sa_, sb_), f"{label}: summary {json.dumps(sa_)[:300]} != {json.dumps(sb_)[:300]}")
    ha, hb = sa.history(a), sb.history(b)
    check(len(ha) == len(hb) and len(ha) > 0, f"{label}: history rows {len(ha)} != {len(hb)}")
    check([r.get("_step") for r in ha] == [r.get("_step") for r in hb], f"{label}: _step sequences differ")
    bad = [i for i, (x, y) in enumerate(zip(ha, hb)) if not same(masked(x), masked(y))]
    check(not bad, f"{label}: {len(bad)} rows differ, first {bad[:1]}: {json.dumps(masked(ha[bad[0]]))[:400] if bad else ''} vs {json.dumps(masked(hb[bad[0]]))[:400] if bad else ''}")
    for r in ha:
        check(all(k in r for k in ("_step", "_runtime", "_timestamp")), f"{label}: row without _step/_runtime/_timestamp: {list(r)[:8]}")
        check(isinstance(r.get("_timestamp"), float) and abs(r["_timestamp"] - time.time()) < 3600, f"{label}: _timestamp {r.get('_timestamp')}")
        break
    fa, fb = sa.files(ra), sb.files(rb)
    media_a = [f for f in fa if f.startswith("media/")]
    media_b = [f for f in fb if f.startswith("media/")]
    check(media_a == media_b and media_a, f"{label}: media files differ: only ours {sorted(set(media_a) - set(media_b))[:5]}, only reference {sorted(set(media_b) - set(media_a))[:5]}")
    nb = 0
    for f in media_a:
        if f in media_b:
            da, db = sa.file(a, f)[1], sb.file(b, f)[1]
            nb += len(da)
            check(da == db and len(da) > 0, f"{label}: {f}: bytes differ ({len(da)} vs {len(db)})")
    for f in ("wandb-summary.json", "config.yaml", "wandb-metadata.json"):
        check(f in fa, f"{label}: {f} not uploaded (files: {[x for x in fa if not x.startswith('media/')]})")
    other_b = sorted(f for f in fb if not f.startswith("media/"))
    other_a = sorted(f for f in fa if not f.startswith("media/"))
    check(set(other_b) <= set(other_a) | {"output.log", "requirements.txt", "wandb-metadata.json"}, f"{label}: reference uploaded {other_b}, we {other_a}")
    # wandb-summary.json and config.yaml: equal contents (runtime and _wandb masked)
    def summ(s, r):
        st, body = s.file(r, "wandb-summary.json")
        d = json.loads(body) if st == 200 else None
        if isinstance(d, dict):
            for k in ("_runtime", "_timestamp", "_wandb"):
                d.pop(k, None)
        return norm(d)
    check(summ(sa, a) is not None and same(summ(sa, a), summ(sb, b)), f"{label}: wandb-summary.json {json.dumps(summ(sa, a))[:300]} != {json.dumps(summ(sb, b))[:300]}")
    import yaml
    def conf(s, r):
        st, body = s.file(r, "config.yaml")
        d = yaml.safe_load(body) if st == 200 else None
        if isinstance(d, dict):
            d.pop("_wandb", None)
            d.pop("wandb_version", None)
        return d
    check(conf(sa, a) and same(conf(sa, a), conf(sb, b)), f"{label}: config.yaml {conf(sa, a)} != {conf(sb, b)}")
    print(f"  {label}: {len(ha)} rows, {len(media_a)} media files ({nb} bytes) equal; config, summary, tags, state equal; files ours {other_a} reference {other_b}")


def writer_dir(out):
    return out.strip().splitlines()[-1]


def run_id_of(d):
    return os.path.basename(d).rsplit("-", 1)[-1]


def server_rows(server, run_dir):
    """The server's run for a local run directory and its history rows ([] when the server
    has no such run)."""
    run = run_info(server, run_id_of(run_dir))
    return run, (server.history(run) if run else [])


def counted(rows, n):
    """Do the rows carry i = 0..n-1, in order (the writers' counter column)?"""
    return [r.get("i") for r in rows] in ([float(i) for i in range(n)], list(range(n)))


def cmd_endstate(run_writer, wandb_media):
    work = tempfile.mkdtemp(prefix="wbm-online-")
    a, b, c = Server(work, "online"), Server(work, "wandb-sync"), Server(work, "native-sync")
    try:
        for s in (a, b, c):
            s.start()
        # 1. online
        t0 = time.time()
        p = subprocess.run([run_writer, "basic", os.path.join(work, "on")], env=a.env(WANDB_MODE="online"),
                           capture_output=True, text=True, timeout=600)
        check(p.returncode == 0, f"online writer failed: {p.stderr[-500:]}")
        d_on = writer_dir(p.stdout)
        check(os.path.basename(d_on).startswith("run-"), f"online dir {d_on} is not wandb/run-<date>_<time>-<id>")
        check(os.path.exists(os.path.join(d_on, f"run-{run_id_of(d_on)}.wandb")), "online run has no .wandb log")
        print(f"  online run uploaded in {time.time() - t0:.1f} s")
        # 2. offline + real wandb sync
        p = subprocess.run([run_writer, "basic", os.path.join(work, "off")], capture_output=True, text=True, timeout=600)
        d_off = writer_dir(p.stdout)
        q = subprocess.run([WANDB, "sync", d_off], env=b.env(), capture_output=True, text=True, timeout=600, cwd=work)
        check(q.returncode == 0, f"wandb sync failed: {q.stdout[-300:]} {q.stderr[-500:]}")
        # 3. offline + wandb-media sync
        p = subprocess.run([run_writer, "basic", os.path.join(work, "off2")], capture_output=True, text=True, timeout=600)
        d_off2 = writer_dir(p.stdout)
        q = subprocess.run([wandb_media, "sync", d_off2], env=c.env(), capture_output=True, text=True, timeout=600)
        check(q.returncode == 0 and "synced" in q.stdout, f"wandb-media sync failed: {q.stdout[-300:]} {q.stderr[-500:]}")
        check(os.path.exists(os.path.join(d_off2, f"run-{run_id_of(d_off2)}.wandb.synced")), "no .synced marker")
        compare_runs("online vs wandb sync", a, run_id_of(d_on), b, run_id_of(d_off))
        compare_runs("wandb-media sync vs wandb sync", c, run_id_of(d_off2), b, run_id_of(d_off))
        # 4. re-sync is a no-op (openwandb would append the history again)
        before = len(c.history(run_info(c, run_id_of(d_off2))))
        q = subprocess.run([wandb_media, "sync", d_off2], env=c.env(), capture_output=True, text=True, timeout=600)
        after = len(c.history(run_info(c, run_id_of(d_off2))))
        check(q.returncode == 0 and "already synced" in q.stdout and before == after,
              f"re-sync: rc {q.returncode} {q.stdout.strip()!r}, history {before} -> {after}")
        # 5. the CLI's help
        h = subprocess.run([wandb_media, "--help"], capture_output=True, text=True)
        check(h.returncode == 0 and "wandb-media sync" in h.stdout, "wandb-media --help")
    finally:
        for s in (a, b, c):
            s.stop()
    done("endstate", work)


def cmd_pysync(wandb_media, same_rows):
    work = tempfile.mkdtemp(prefix="wbm-pysync-")
    a, b = Server(work, "native"), Server(work, "reference")
    try:
        a.start()
        b.start()
        p = subprocess.run([sys.executable, same_rows, os.path.join(work, "py")], capture_output=True, text=True,
                           timeout=900, cwd=work, env=dict(os.environ, WANDB_MODE="offline"))
        check(p.returncode == 0, f"same_rows.py failed: {p.stderr[-500:]}")
        d = p.stdout.strip().splitlines()[-1]
        d2 = os.path.join(work, "copy", os.path.basename(d))
        shutil.copytree(d, d2, symlinks=True)
        q = subprocess.run([wandb_media, "sync", d], env=a.env(), capture_output=True, text=True, timeout=600)
        check(q.returncode == 0, f"wandb-media sync of the Python run: {q.stdout[-300:]} {q.stderr[-800:]}")
        r = subprocess.run([WANDB, "sync", d2], env=b.env(), capture_output=True, text=True, timeout=600, cwd=work)
        check(r.returncode == 0, f"wandb sync: {r.stderr[-500:]}")
        rid = run_id_of(d)
        compare_runs("Python-SDK run: wandb-media sync vs wandb sync", a, rid, b, rid)
    finally:
        a.stop()
        b.stop()
    done("pysync", work)


def cmd_kill(online_writer, wandb_media):
    work = tempfile.mkdtemp(prefix="wbm-kill-")
    a = Server(work, "server")
    try:
        a.start()
        p = subprocess.Popen([online_writer, "kill", os.path.join(work, "k")], env=a.env(WANDB_MODE="online"),
                             stdout=subprocess.PIPE, text=True)
        d = p.stdout.readline().strip()
        check(p.stdout.readline().strip() == "logging", "the writer did not start logging")
        time.sleep(4)
        p.send_signal(signal.SIGKILL)
        p.wait()
        rid = run_id_of(d)
        before = run_info(a, rid)
        check(before is not None and before["state"] != "finished", f"killed run state {before and before['state']}")
        online_rows = len(a.history(before)) if before else 0
        check(online_rows > 0, "no rows reached the server live before the kill")
        q = subprocess.run([wandb_media, "sync", d], env=a.env(), capture_output=True, text=True, timeout=600)
        check(q.returncode == 0, f"wandb-media sync of the killed run: {q.stdout[-300:]} {q.stderr[-500:]}")
        after = run_info(a, rid)
        check(after is not None and after["state"] == "finished", f"after sync state {after and after['state']}")
        rows = a.history(after)
        steps = [r["_step"] for r in rows]
        # Live uploads before the kill + sync of the rest: every row of the log is there,
        # in order. openwandb appends history and ignores file_stream offsets, so a request
        # the server took but the killed client never saw acknowledged shows up once more
        # (a W&B server overwrites those lines at the same offsets): duplicates may only be
        # one contiguous range starting at the last acknowledged offset.
        uniq = sorted(set(steps))
        check(uniq == list(range(len(uniq))) and len(uniq) > online_rows, f"steps after kill+sync: {len(uniq)} distinct, {len(steps)} rows")
        first_dup = next((i for i in range(1, len(steps)) if steps[i] <= steps[i - 1]), None)
        if first_dup is not None:
            tail = steps[first_dup:]
            check(tail == list(range(tail[0], len(uniq))) and tail[0] <= online_rows, f"duplicated rows are not one resent range: restart at {tail[0]} ({online_rows} live)")
        files = set(a.files(rid))
        refs = set()
        for r in rows:
            for v in r.values():
                if isinstance(v, dict) and v.get("path"):
                    refs.add(v["path"])
        missing = sorted(refs - files)
        check(not missing and refs, f"{len(missing)} media files referenced by rows are not on the server: {missing[:3]}")
        print(f"  killed online run: {online_rows} rows live before SIGKILL; after sync {len(uniq)} distinct rows in order ({len(steps) - len(uniq)} resent of an unacknowledged request), {len(refs)} media files")
    finally:
        a.stop()
    done("kill", work)


def cmd_down(online_writer):
    work = tempfile.mkdtemp(prefix="wbm-down-")
    a = Server(work, "server")
    try:
        # the server is not running: the run completes on disk, finish reports what is pending
        env = a.env(WANDB_MODE="online", WBM_FINISH_TIMEOUT_MS="3000")
        p = subprocess.run([online_writer, "rows", os.path.join(work, "r"), "300", "10"], env=env,
                           capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, f"writer: {p.stderr[-500:]}")
        res = json.loads(p.stdout.strip().splitlines()[-1])
        check(res["finish"] == "WB_ERR_IO" and "wandb-media sync" in res["message"], f"finish with the server down: {res}")
        check(res["finish_ms"] < 15000, f"finish waited {res['finish_ms']} ms (timeout 3000)")
        check(res["p99_us"] < 5000, f"wb_run_log p99 {res['p99_us']} µs with the server down")
        print(f"  server down: finish {res['finish']} after {res['finish_ms']:.0f} ms; wb_run_log p50 {res['p50_us']} µs p99 {res['p99_us']} µs")
        a.start()
        q = subprocess.run([online_writer, "sync", res["dir"]], env=a.env(), capture_output=True, text=True, timeout=600)
        check(q.returncode == 0, f"wb_run_sync: {q.stderr[-500:]}")
        run, rows = server_rows(a, res["dir"])
        check(run is not None and run["state"] == "finished", f"state {run and run['state']}")
        check(counted(rows, 300), f"rows after sync: {len(rows)}")
        imgs = [r["img"]["path"] for r in rows if "img" in r]
        files = set(a.files(run_id_of(res["dir"])))
        check(len(imgs) == 30 and all(p in files for p in imgs), f"images {len(imgs)} / on server {len([p for p in imgs if p in files])}")
    finally:
        a.stop()
    done("down", work)


def cmd_valgrind(online_writer):
    """The online calls made from a C program's main thread leave nothing behind: wb_run_finish
    (waits for the uploader) and wb_run_sync (uploads on worker threads) under valgrind, with
    possibly-lost blocks counted as errors, as in make test-c."""
    work = tempfile.mkdtemp(prefix="wbm-valgrind-")
    a = Server(work, "server")
    vg = ["valgrind", "--error-exitcode=97", "--leak-check=full",
          "--errors-for-leak-kinds=definite,indirect,possible", "--quiet"]
    try:
        # 1) server down: the run completes on disk and finish gives up after its timeout
        env = a.env(WANDB_MODE="online", WBM_FINISH_TIMEOUT_MS="2000")
        p = subprocess.run(vg + [online_writer, "rows", os.path.join(work, "d"), "40", "10"], env=env,
                           capture_output=True, text=True, timeout=600)
        check(p.returncode == 0, f"valgrind writer (server down): rc {p.returncode} {p.stderr[-1500:]}")
        res = json.loads(p.stdout.strip().splitlines()[-1])
        check(res["finish"] == "WB_ERR_IO", f"finish with the server down: {res}")
        a.start()
        # 2) wb_run_sync of that run
        q = subprocess.run(vg + [online_writer, "sync", res["dir"]], env=a.env(), capture_output=True, text=True,
                           timeout=600)
        check(q.returncode == 0, f"valgrind wb_run_sync: rc {q.returncode} {q.stderr[-1500:]}")
        # 3) a live run with the server up
        p2 = subprocess.run(vg + [online_writer, "rows", os.path.join(work, "u"), "40", "10"],
                            env=a.env(WANDB_MODE="online"), capture_output=True, text=True, timeout=600)
        check(p2.returncode == 0, f"valgrind writer (server up): rc {p2.returncode} {p2.stderr[-1500:]}")
        res2 = json.loads(p2.stdout.strip().splitlines()[-1]) if p2.returncode == 0 else {"dir": "", "finish": "?"}
        check(res2["finish"] == "WB_OK", f"finish with the server up: {res2}")
        for d in (res["dir"], res2["dir"]):
            run = run_info(a, run_id_of(d)) if d else None
            check(run is not None and run["state"] == "finished", f"{d}: state {run and run['state']}")
            rows = a.history(run) if run else []
            check([int(r.get("i", -1)) for r in rows] == list(range(40)), f"{d}: rows on the server {len(rows)}")
            imgs = [r["img"]["path"] for r in rows if "img" in r]
            files = set(a.files(run_id_of(d))) if d else set()
            check(len(imgs) == 4 and all(x in files for x in imgs), f"{d}: images {imgs} on the server")
        print("  valgrind: wb_run_finish (server down and up) and wb_run_sync on the main thread: no leaks, "
              "rows and images on the server")
    finally:
        a.stop()
    done("valgrind", work)


def cmd_disabled(online_writer):
    work = tempfile.mkdtemp(prefix="wbm-disabled-")
    p = subprocess.run([online_writer, "disabled", work, "1000000"], capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, f"writer: {p.stderr[-300:]}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    check(res["ns_per_call"] < 1000, f"disabled wb_run_log costs {res['ns_per_call']} ns per call")
    check(not res["wandb_dir_exists"] and os.listdir(work) == [], f"disabled mode wrote {os.listdir(work)}")
    print(f"  disabled: {res['ns_per_call']:.1f} ns per wb_run_log with an image, nothing written")
    shutil.rmtree(work, ignore_errors=True)
    done("disabled")


class ForwardProxy:
    """A loopback forward proxy: CONNECT host:port (tunnel) and absolute-form requests
    (`GET http://host:port/path`, rewritten to origin-form). Records (method, target)."""

    def __init__(self):
        self.seen = []
        self.lock = threading.Lock()

    def start(self):
        import socketserver
        fp = self

        def relay(a, b):
            try:
                while True:
                    d = a.recv(65536)
                    if not d:
                        break
                    b.sendall(d)
            except OSError:
                pass
            finally:
                for x in (a, b):
                    try:
                        x.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        class H(socketserver.BaseRequestHandler):
            def handle(self):
                c = self.request
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    d = c.recv(4096)
                    if not d:
                        return
                    head += d
                line, _, rest = head.partition(b"\r\n")
                method, target, ver = line.decode().split(" ", 2)
                with fp.lock:
                    fp.seen.append((method, target))
                if method == "CONNECT":
                    host, port = target.rsplit(":", 1)
                    up = socket.create_connection((host, int(port)), timeout=60)
                    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    extra = head.split(b"\r\n\r\n", 1)[1]
                    if extra:
                        up.sendall(extra)
                else:
                    u = urllib.parse.urlsplit(target)
                    up = socket.create_connection((u.hostname, u.port or 80), timeout=60)
                    path = (u.path or "/") + ("?" + u.query if u.query else "")
                    up.sendall(f"{method} {path} {ver}\r\n".encode() + rest)
                t = threading.Thread(target=relay, args=(up, c), daemon=True)
                t.start()
                relay(c, up)
                t.join(120)
                up.close()

        class S(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = S(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def make_certs(d):
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it (openssl CLI)."""
    def ossl(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=d, timeout=60)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=wbm test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    open(os.path.join(d, "ext.cnf"), "w").write(
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
         "-days", "2", "-extfile", "ext.cnf")
    return os.path.join(d, "ca.pem"), os.path.join(d, "server.pem"), os.path.join(d, "server.key")


def cmd_tls(online_writer):
    work = tempfile.mkdtemp(prefix="wbm-tls-")
    s = Server(work, "server")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from proxy import Proxy
    clean = {k: v for k, v in os.environ.items()
             if k.upper() not in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")}
    px = fwd = None
    try:
        ca, cert, key = make_certs(work)
        s.start()
        px = Proxy(s.port, tls=(cert, key)).start()
        https = f"https://127.0.0.1:{px.port}"

        def online(tag, base, n=40, **extra):
            env = s.env(WANDB_MODE="online", WANDB_BASE_URL=base, WBM_FINISH_TIMEOUT_MS="60000")
            env = {k: v for k, v in env.items() if k in clean or k.startswith("WANDB_") or k.startswith("WBM_")}
            env.update(extra)
            p = subprocess.run([online_writer, "rows", os.path.join(work, tag), str(n), "10"], env=env,
                               capture_output=True, text=True, timeout=300)
            if not check(p.returncode == 0, f"{tag}: writer: {p.stderr[-500:]}"):
                return None, None
            return json.loads(p.stdout.strip().splitlines()[-1]), p.stderr

        def uploaded(tag, res, n=40):
            rid = run_id_of(res["dir"])
            run = run_info(s, rid)
            rows = s.history(run) if run else []
            check(res["finish"] == "WB_OK", f"{tag}: finish {res['finish']}: {res['message'][:300]}")
            check([r.get("_step") for r in rows] == list(range(n)) and [r.get("i") for r in rows] == [float(i) for i in range(n)],
                  f"{tag}: server rows {len(rows)}")
            imgs = [r["img"]["path"] for r in rows if "img" in r]
            ok = [p for p in imgs if s.file(run, p)[1] == open(os.path.join(res["dir"], "files", p), "rb").read()]
            check(len(imgs) == n // 10 and len(ok) == len(imgs), f"{tag}: images {len(ok)}/{len(imgs)} byte-equal on the server")
            check(run is not None and run["state"] == "finished", f"{tag}: state {run and run['state']}")
            return len(rows), len(ok)

        # 1. HTTPS through the TLS proxy, trusting the throwaway CA by either variable
        for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
            n0 = len(px.records)
            res, _ = online(var.lower(), https, **{var: ca})
            if res:
                nr, ni = uploaded(var, res)
                check(len(px.records) - n0 > 5, f"{var}: the TLS proxy forwarded {len(px.records) - n0} requests")
                print(f"  {var}: {nr} rows and {ni} images over HTTPS ({len(px.records) - n0} requests through the TLS proxy)")
        # 2. no CA: certificate error, the log is still written
        e0 = px.tls_errors
        t0 = time.time()
        res, err = online("noca", https, WBM_FINISH_TIMEOUT_MS="5000", WANDB_SILENT="false")
        check("certificate" in (err or "").lower() or "unknownissuer" in (err or "").lower(), f"no CA: no certificate warning on stderr: {(err or '')[-300:]}")
        if res:
            msg = res["message"].lower()
            check(res["finish"] == "WB_ERR_IO" and ("certificate" in msg or "unknownissuer" in msg),
                  f"no CA: finish {res['finish']}: {res['message'][:300]}")
            log = os.path.join(res["dir"], f"run-{run_id_of(res['dir'])}.wandb")
            check(os.path.exists(log) and os.path.getsize(log) > 1000, "no CA: the .wandb log was not written")
            check(run_info(s, run_id_of(res["dir"])) is None, "no CA: the run reached the server")
            check(px.tls_errors > e0, "no CA: the proxy saw no failed handshake")
            print(f"  no CA: finish {res['finish']} after {time.time() - t0:.1f} s: ...{res['message'][-200:]!r}; log {os.path.getsize(log)} bytes")
        # 3. HTTPS_PROXY (CONNECT) to the TLS proxy; HTTP_PROXY to the plain server
        fwd = ForwardProxy().start()
        purl = f"http://127.0.0.1:{fwd.port}"
        res, _ = online("httpsproxy", https, SSL_CERT_FILE=ca, HTTPS_PROXY=purl)
        if res:
            uploaded("HTTPS_PROXY", res)
            conn = [t for m, t in fwd.seen if m == "CONNECT"]
            check(conn and all(t == f"127.0.0.1:{px.port}" for t in conn), f"HTTPS_PROXY: forward proxy saw {fwd.seen[:5]}")
            print(f"  HTTPS_PROXY: {len(conn)} CONNECT tunnels to 127.0.0.1:{px.port}")
        fwd.seen.clear()
        res, _ = online("httpproxy", s.base, HTTP_PROXY=purl)
        if res:
            uploaded("HTTP_PROXY", res)
            check(fwd.seen and all(t.startswith(f"127.0.0.1:{s.port}") or t.startswith(f"{s.base}/") for _, t in fwd.seen),
                  f"HTTP_PROXY: forward proxy saw {fwd.seen[:5]}")
            print(f"  HTTP_PROXY: {len(fwd.seen)} proxied connections/requests ({sorted(set(m for m, _ in fwd.seen))})")
        # the proxy variable of the other scheme is not used (as Python's requests)
        fwd.seen.clear()
        res, _ = online("otherscheme", s.base, HTTPS_PROXY=purl)
        if res:
            uploaded("HTTPS_PROXY with an http URL", res)
            check(not fwd.seen, f"HTTPS_PROXY was used for an http:// server: {fwd.seen[:3]}")
        # NO_PROXY=127.0.0.1 bypasses it
        fwd.seen.clear()
        res, _ = online("noproxy", https, SSL_CERT_FILE=ca, HTTPS_PROXY=purl, HTTP_PROXY=purl, NO_PROXY="127.0.0.1")
        if res:
            uploaded("NO_PROXY", res)
            check(not fwd.seen, f"NO_PROXY: the forward proxy still saw {fwd.seen[:3]}")
            print("  NO_PROXY=127.0.0.1: no request through the forward proxy; rows arrived")
    finally:
        if fwd:
            fwd.stop()
        if px:
            px.stop()
        s.stop()
    done("tls", work)


def cmd_bindings(cpp_run, go_run):
    work = tempfile.mkdtemp(prefix="wbm-bindings-")
    s = Server(work, "server")
    n = 25
    try:
        s.start()
        for lang, prog in (("cpp", cpp_run), ("go", go_run)):
            p = subprocess.run([prog, os.path.join(work, lang), str(n)], env=s.env(), capture_output=True, text=True, timeout=300)
            if not check(p.returncode == 0, f"{lang}: {p.stderr[-500:]}"):
                continue
            d = writer_dir(p.stdout)
            check(os.path.basename(d).startswith("run-"), f"{lang}: {d} is not an online run dir")
            rid = run_id_of(d)
            run = run_info(s, rid)
            if not check(run is not None, f"{lang}: run {rid} not on the server"):
                continue
            rows = s.history(run)
            check([r.get("_step") for r in rows] == list(range(n)), f"{lang}: steps {[r.get('_step') for r in rows][:30]}")
            check([r.get("i") for r in rows] == [float(i) for i in range(n)] and
                  all(abs(r.get("loss", 0) - 1 / (i + 1)) < 1e-12 for i, r in enumerate(rows)), f"{lang}: row values")
            cfg, _ = config_of(run)
            cfg = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in cfg.items()}
            check(cfg == {"binding": lang}, f"{lang}: config {cfg}")
            check(run.get("display_name") == f"{lang}-online" and run["state"] == "finished" and run["project"] == "wbm-online",
                  f"{lang}: name {run.get('display_name')} state {run['state']} project {run['project']}")
            imgs = [r["img"]["path"] for r in rows if "img" in r]
            same_bytes = [f for f in imgs if s.file(run, f)[1] == open(os.path.join(d, "files", f), "rb").read()]
            check(len(imgs) == 3 and len(same_bytes) == 3 and all(f.endswith(".png") for f in imgs),
                  f"{lang}: images {imgs}, {len(same_bytes)} byte-equal on the server")
            print(f"  {lang}: {len(rows)} rows, config, name, state, {len(same_bytes)} PNGs byte-equal on the server")
    finally:
        s.stop()
    done("bindings", work)


def cmd_resume(online_writer):
    work = tempfile.mkdtemp(prefix="wbm-resume-")
    s = Server(work, "server")
    rid = "wbmresume01"
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from proxy import Proxy
    px = None
    try:
        s.start()
        # openwandb reports no history line count/tail: the proxy fills them in from the
        # history it stored, as a W&B server reports them (see Proxy.shim_resume)
        px = Proxy(s.port, resume_shim=True).start()

        def run(tag, n, resume, cfg, key, run_id=rid):
            env = s.env(WANDB_MODE="online", WANDB_BASE_URL=f"http://127.0.0.1:{px.port}", WANDB_RUN_ID=run_id, WBM_CONFIG_JSON=cfg, WBM_SUMMARY_KEY=key,
                        WBM_FINISH_TIMEOUT_MS="60000")
            if resume:
                env["WANDB_RESUME"] = resume
            p = subprocess.run([online_writer, "rows", os.path.join(work, tag), str(n), "10"], env=env,
                               capture_output=True, text=True, timeout=300)
            check(p.returncode == 0, f"{tag}: writer: {p.stderr[-500:]}")
            return json.loads(p.stdout.strip().splitlines()[-1])

        r1 = run("first", 30, None, '{"lr":0.01,"first":1}', "best1")
        r2 = run("allow", 20, "allow", '{"lr":0.02,"second":2}', "best2")
        r3 = run("must", 10, "must", '{"third":3}', "best3")
        for tag, r in (("first", r1), ("allow", r2), ("must", r3)):
            check(r["finish"] == "WB_OK", f"{tag}: finish {r['finish']}: {r['message'][:300]}")
        run_ = run_info(s, rid)
        rows = s.history(run_) if run_ else []
        steps = [r.get("_step") for r in rows]
        check(steps == list(range(60)), f"server steps after resume: {steps}")
        iv = [r.get("i") for r in rows]
        check(iv == [float(i) for i in list(range(30)) + list(range(20)) + list(range(10))], f"row values: {iv}")
        cfg, _ = config_of(run_) if run_ else ({}, None)
        cfg = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in cfg.items()}
        check(cfg == {"lr": 0.02, "first": 1, "second": 2, "third": 3}, f"config after resume: {cfg}")
        sm = json.loads(run_.get("summary_json") or "{}") if run_ else {}
        check(all(sm.get(k) == 0.5 for k in ("best1", "best2", "best3")) and sm.get("i") == 9,
              f"summary after resume: { {k: v for k, v in sm.items() if not isinstance(v, dict)} }")
        st, body = s.file(run_, "wandb-summary.json") if run_ else (0, b"{}")
        fs = json.loads(body) if st == 200 else {}
        check(fs.get("_step") == 59 and all(fs.get(k) == 0.5 for k in ("best1", "best2", "best3")), f"wandb-summary.json after resume: _step {fs.get('_step')}, keys {sorted(fs)}")
        sm["_step"] = fs.get("_step")
        check(run_ is not None and run_["state"] == "finished", "state")
        check(px.shimmed == [(rid, 30), (rid, 50)], f"RunResumeStatus answers: {px.shimmed}")
        # file_stream offsets: each run continues after the server's line count
        starts, end, offs = [], None, []
        for rec in px.records:
            h = ((rec.get("json") or {}).get("files") or {}).get("wandb-history.jsonl") if rec["path"].endswith("/file_stream") and isinstance(rec.get("json"), dict) else None
            if h:
                offs.append(h["offset"])
                if h["offset"] != end:
                    starts.append(h["offset"])
                end = h["offset"] + len(h["content"])
        # one contiguous 0..60 sequence across the three runs (a resumed run restarting at 0
        # would show as a second start)
        check(starts == [0] and end == 60 and 30 in offs and 50 in offs, f"file_stream history offsets {offs}: restarts at {starts}, end {end}")
        print(f"  resume: 30 + 20 (allow) + 10 (must) rows -> server steps 0..{steps[-1] if steps else None} in order; config {cfg}; summary _step {sm.get('_step')}, best1/2/3 kept; file_stream history offsets {offs} (contiguous to {end})")
        r4 = run("missing", 5, "must", '{"x":1}', "b", run_id="wbmnosuchrun")
        check(r4["finish"] != "WB_OK" and "must" in r4["message"], f"resume=must of a missing run: {r4['finish']} {r4['message'][:200]}")
        check(run_info(s, "wbmnosuchrun") is None, "resume=must created the missing run")
        print(f"  resume=must of a missing run: {r4['finish']}: ...{r4['message'][-120:]!r}")
    finally:
        if px:
            px.stop()
        s.stop()
    done("resume", work)


def graphql_ops(records):
    return [r["json"].get("operationName") for r in records
            if r["path"].startswith("/graphql") and isinstance(r.get("json"), dict)]


def upsert_params(records):
    """Merged UpsertBucket variables (later calls override) and the last config."""
    merged = {}
    for r in records:
        j = r.get("json")
        if isinstance(j, dict) and j.get("operationName") == "UpsertBucket":
            v = j.get("variables") or {}
            merged.update({k: x for k, x in v.items() if x is not None})
    cfg = json.loads(merged.pop("config", "{}") or "{}")
    cfg = {k: (x.get("value") if isinstance(x, dict) else x) for k, x in cfg.items() if k != "_wandb"}
    for k in ("name", "id", "host", "program", "commit", "repo"):
        merged.pop(k, None)
    return merged, cfg


def stream(records):
    """file_stream content: history lines in offset order, last summary, completion."""
    history, offsets_ok, summary, complete, uploaded = [], True, None, None, set()
    for r in records:
        if not r["path"].endswith("/file_stream") or not isinstance(r.get("json"), dict):
            continue
        j = r["json"]
        files = j.get("files") or {}
        h = files.get("wandb-history.jsonl")
        if h:
            offsets_ok &= h["offset"] == len(history)
            history += [json.loads(x) for x in h["content"]]
        sm = files.get("wandb-summary.json")
        if sm:
            summary = json.loads(sm["content"][-1])
        uploaded |= set(j.get("uploaded") or [])
        if j.get("complete"):
            complete = (j.get("complete"), j.get("exitcode"))
    return history, offsets_ok, summary, complete, uploaded


def puts(records):
    out = {}
    for r in records:
        if r["method"] == "PUT" and "/files/" in r["path"]:
            name = r["path"].split("/", 5)[-1]
            out[name] = r["sha256"]
    return out


def cmd_traffic(run_writer, same_rows):
    work = tempfile.mkdtemp(prefix="wbm-traffic-")
    s = Server(work, "server")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from proxy import Proxy
    try:
        s.start()
        # the real SDK, online, through proxy 1 (same_rows.py with mode="online")
        p1 = Proxy(s.port).start()
        src = open(same_rows).read().replace('mode="offline"', 'mode="online"')
        sdk_script = os.path.join(work, "same_rows_online.py")
        open(sdk_script, "w").write(src)
        env = s.env(WANDB_BASE_URL=f"http://127.0.0.1:{p1.port}")
        env.pop("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL")
        q = subprocess.run([sys.executable, sdk_script, os.path.join(work, "py")], env=env, capture_output=True,
                           text=True, timeout=900, cwd=work)
        check(q.returncode == 0, f"SDK online run failed: {q.stderr[-800:]}")
        p1.stop()
        # this library, online, through proxy 2
        p2 = Proxy(s.port).start()
        env = s.env(WANDB_MODE="online", WANDB_BASE_URL=f"http://127.0.0.1:{p2.port}")
        env.pop("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL")
        q = subprocess.run([run_writer, "basic", os.path.join(work, "c")], env=env, capture_output=True, text=True, timeout=900)
        check(q.returncode == 0, f"our online run failed: {q.stderr[-800:]}")
        p2.stop()
        sdk, ours = p1.records, p2.records
        json.dump({"sdk": sdk, "ours": ours}, open(os.path.join(work, "traffic.json"), "w"))
        ops_sdk, ops_ours = graphql_ops(sdk), graphql_ops(ours)
        dedup = lambda ops: [o for i, o in enumerate(ops) if i == 0 or ops[i - 1] != o]
        print(f"  SDK GraphQL ops:  {dedup(ops_sdk)}")
        print(f"  ours GraphQL ops: {dedup(ops_ours)}")
        extra = sorted(set(ops_ours) - set(ops_sdk))
        check(not extra, f"we send operations the SDK does not: {extra}")
        for op in ("UpsertBucket", "CreateRunFiles"):
            check(op in ops_ours and op in ops_sdk, f"{op} missing (SDK {op in ops_sdk}, ours {op in ops_ours})")
        check(ops_ours.index("UpsertBucket") < ops_ours.index("CreateRunFiles"), "CreateRunFiles before UpsertBucket")
        pa, ca = upsert_params(ours)
        pb, cb = upsert_params(sdk)
        check(pa == pb, f"UpsertBucket variables differ: ours {pa} SDK {pb}")
        check(same(ca, cb), f"UpsertBucket config differs: ours {ca} SDK {cb}")
        ha, oka, sa, ca_, ua = stream(ours)
        hb, okb, sb, cb_, ub = stream(sdk)
        check(oka and okb, f"file_stream offsets not contiguous (ours {oka}, SDK {okb})")
        check(len(ha) == len(hb) == 102, f"file_stream rows: ours {len(ha)} SDK {len(hb)}")
        bad = [i for i, (x, y) in enumerate(zip(ha, hb)) if not same(masked(x), masked(y))]
        check(not bad, f"{len(bad)} file_stream rows differ, first {bad[:1]}: {json.dumps(masked(ha[bad[0]]))[:300] if bad else ''} vs {json.dumps(masked(hb[bad[0]]))[:300] if bad else ''}")
        strip = lambda d: norm({k: v for k, v in (d or {}).items() if k not in ("_wandb", "_runtime", "_timestamp")})
        check(sa is not None and same(strip(sa), strip(sb)), f"last summaries differ: {json.dumps(strip(sa))[:300]} vs {json.dumps(strip(sb))[:300]}")
        check(ca_ == cb_ == (True, 0), f"completion: ours {ca_} SDK {cb_}")
        ma = {k: v for k, v in puts(ours).items() if k.startswith("media/") and not k.startswith("media/videos/")}
        mb = {k: v for k, v in puts(sdk).items() if k.startswith("media/") and not k.startswith("media/videos/")}
        va = sorted(video_key(k) for k in puts(ours) if k.startswith("media/videos/"))
        vb = sorted(video_key(k) for k in puts(sdk) if k.startswith("media/videos/"))
        check(va == vb, f"uploaded videos differ: {va} vs {vb}")
        check(ma == mb and ma, f"uploaded media differ: only ours {sorted(set(ma) - set(mb))[:3]}, only SDK {sorted(set(mb) - set(ma))[:3]}, different bytes {[k for k in ma if k in mb and ma[k] != mb[k]][:3]}")
        check({k for k in ua if k.startswith("media/")} == {k for k in puts(ours) if k.startswith("media/")}, "file_stream 'uploaded' does not list our media uploads")
        oth_a = sorted(k for k in puts(ours) if not k.startswith("media/"))
        oth_b = sorted(k for k in puts(sdk) if not k.startswith("media/"))
        print(f"  rows {len(ha)} value-equal; {len(ma)} media uploads byte-equal, {len(va)} videos by name; other files ours {oth_a} SDK {oth_b}")
        print(f"  requests: ours {len(ours)} ({sum(1 for r in ours if r['path'].endswith('file_stream'))} file_stream), SDK {len(sdk)} ({sum(1 for r in sdk if r['path'].endswith('file_stream'))} file_stream)")
    finally:
        s.stop()
    done("traffic", work)


def cmd_faults(online_writer):
    work = tempfile.mkdtemp(prefix="wbm-faults-")
    s = Server(work, "server")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from proxy import Proxy
    try:
        s.start()
        faults = {}
        for n in range(3, 4000):
            if n % 17 == 0:
                faults[n] = "reset"
            elif n % 19 == 0:
                faults[n] = "500"
            elif n % 23 == 0:
                faults[n] = "429"
        faults[41] = "stall"
        px = Proxy(s.port, faults).start()
        env = s.env(WANDB_MODE="online", WANDB_BASE_URL=f"http://127.0.0.1:{px.port}", WBM_FINISH_TIMEOUT_MS="300000")
        t0 = time.time()
        w = subprocess.Popen([online_writer, "rows", os.path.join(work, "r"), "2000", "10"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # restart the server while the run is uploading
        time.sleep(4)
        s.stop()
        time.sleep(2)
        s.start()
        out, err = w.communicate(timeout=900)
        check(w.returncode == 0, f"writer: {err[-500:]}")
        res = json.loads(out.strip().splitlines()[-1])
        rss_mb = res["maxrss_kb"] / 1024
        check(res["finish"] == "WB_OK", f"finish: {res}")
        rid = run_id_of(res["dir"])
        run, rows = server_rows(s, res["dir"])
        steps = [r.get("_step") for r in rows]
        check(steps == list(range(2000)), f"rows on the server: {len(steps)}, distinct {len(set(steps))}, in order {steps == sorted(steps)}")
        check(counted(rows, 2000), "row contents")
        files_dir = os.path.join(res["dir"], "files")
        imgs = [r["img"]["path"] for r in rows if "img" in r]
        st_files = s.files(rid)
        check(len(imgs) == 200 and sorted(set(f for f in st_files if f.startswith("media/"))) == sorted(imgs), f"images: {len(imgs)} referenced, {len([f for f in st_files if f.startswith('media/')])} on the server")
        check(len(st_files) == len(set(st_files)), "a file registered twice on the server")
        bad = [p for p in imgs[:200] if s.file(run, p)[1] != open(os.path.join(files_dir, p), "rb").read()]
        check(not bad, f"{len(bad)} images differ from the local files")
        check(run is not None and run["state"] == "finished", "state")
        kinds = {}
        for _, k, _, _ in px.injected:
            kinds[k] = kinds.get(k, 0) + 1
        check(all(kinds.get(k) for k in ("reset", "500", "429", "stall")), f"faults injected: {kinds}")
        check(res["p99_us"] < 5000, f"wb_run_log p99 {res['p99_us']} µs")
        # documented bound of the uploader (src/online/mod.rs MEMORY_BOUND, 36 MiB) on top of
        # the writer's own baseline (the same program offline: about 8 MiB)
        check(rss_mb < 16 + 36, f"writer max RSS {rss_mb:.0f} MiB")
        print(f"  faults injected {kinds} + a server restart; 2000 rows and 200 images exactly once, in order;"
              f" wb_run_log p50 {res['p50_us']} µs p99 {res['p99_us']} µs max {res['max_us']} µs;"
              f" writer max RSS {rss_mb:.0f} MiB; total {time.time() - t0:.0f} s (finish waited {res['finish_ms']:.0f} ms)")
        px.stop()
    finally:
        s.stop()
    done("faults", work)


SDK_BENCH = r"""
import sys, time, json
import numpy as np
import wandb
root, n, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
run = wandb.init(mode="online", dir=root, project="wbm-online", config={"lr": 0.01, "rows": 1})
lat = []
t_start = time.perf_counter()
for i in range(n):
    row = {"loss": 1.0 / (i + 1), "i": float(i)}
    if every > 0 and i % every == 0:
        px = ((np.arange(16 * 16 * 3) * 7 + i * 13) % 256).astype(np.uint8).reshape(16, 16, 3)
        row["img"] = wandb.Image(px)
    t0 = time.perf_counter()
    run.log(row)
    lat.append((time.perf_counter() - t0) * 1e6)
t_log = time.perf_counter() - t_start
t0 = time.perf_counter()
run.finish()
fin = (time.perf_counter() - t0) * 1e3
lat.sort()
print(json.dumps({"p50_us": lat[len(lat) // 2], "p99_us": lat[int(len(lat) * 0.99)], "log_s": t_log, "finish_ms": fin}))
"""


def cmd_bench(online_writer, n="2000", every="10"):
    """Not a test: rows/s and wb_run_log latency online, ours vs the Python SDK, same rows,
    same local server (images: a 16x16 RGB every `every` rows)."""
    work = tempfile.mkdtemp(prefix="wbm-bench-")
    s = Server(work, "server")
    try:
        s.start()
        env = s.env(WANDB_MODE="online")
        env.pop("WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL")
        t0 = time.time()
        q = subprocess.run([online_writer, "rows", os.path.join(work, "c"), n, every], env=env, capture_output=True, text=True, timeout=900)
        ours_total = time.time() - t0
        ours = json.loads(q.stdout.strip().splitlines()[-1])
        script = os.path.join(work, "sdk_bench.py")
        open(script, "w").write(SDK_BENCH)
        t0 = time.time()
        q = subprocess.run([sys.executable, script, os.path.join(work, "py"), n, every], env=env, capture_output=True, text=True, timeout=900, cwd=work)
        sdk_total = time.time() - t0
        if q.returncode != 0:
            print(q.stderr[-1000:])
        sdk = json.loads(q.stdout.strip().splitlines()[-1])
        n = int(n)
        ours_log_s = (ours_total * 1000 - ours["finish_ms"]) / 1000
        print(f"| client | log rows/s | wb_run_log / run.log p50 | p99 | finish (upload drain) | total wall |")
        print(f"|---|---|---|---|---|---|")
        print(f"| wandb-media (C, online) | {n / ours_log_s:,.0f} | {ours['p50_us']:.1f} µs | {ours['p99_us']:.1f} µs | {ours['finish_ms'] / 1000:.1f} s | {ours_total:.1f} s |")
        print(f"| wandb 0.31 SDK (Python, online) | {n / sdk['log_s']:,.0f} | {sdk['p50_us']:.1f} µs | {sdk['p99_us']:.1f} µs | {sdk['finish_ms'] / 1000:.1f} s | {sdk_total:.1f} s |")
    finally:
        s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"endstate": cmd_endstate, "pysync": cmd_pysync, "kill": cmd_kill, "down": cmd_down, "valgrind": cmd_valgrind,
     "disabled": cmd_disabled, "tls": cmd_tls, "resume": cmd_resume, "bindings": cmd_bindings, "traffic": cmd_traffic, "faults": cmd_faults, "bench": cmd_bench}[cmd](*args)
