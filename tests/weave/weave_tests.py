#!/usr/bin/env python3
"""The weave suite (issue 20): every test starts its own fixture (tests/weave/server.py, a fresh
SQLite DB, 127.0.0.1) and reads back with the real Python client (tests/weave/readback.py).

    weave_tests.py --srv-python P --py-python P --bin DIR --cli PATH --work DIR [test ...]

Tests (default: all):
  fixture   the fixture itself: 401 for a wrong/missing key, expected_digest checked (400),
            injected 500 / 429+Retry-After / reset answered, stop+start keeps the DB
  python    weave 0.54.0 traces policy_step/preprocess (moviepy clip in, PIL image out) through
            the fixture; readback decodes the values sent
  c cpp go  weave_policy in C (target/demo/weave_policy), C++ and Go: 3 steps; readback
  traffic   the C program's recorded requests vs the Python client's for the same ops
  down      server down for the whole program: close reports pending, exit != 0; then the
            server starts and `wandb-media sync` of the spool delivers everything exactly once
  restart   the server is killed and restarted while the program runs
  e500 e429 reset  injected 500s, 429 with Retry-After, connection resets (before and after
            the server handled the request): everything exactly once
  kill      SIGKILL of the program mid-trace, then `wandb-media sync`: finished calls and files
            exactly once, open calls unfinished
  legacy    a server without calls/complete (404): the client falls back to /call/upsert_batch
  cppscope  wb::weave::Call scope objects: exception texts stored (unwinding, trace(),
            end_exception), implicit ends, children ended on another thread, 4 threads
Each prints PASS/FAIL with its time; the last line is "N passed, M failed".
"""

import argparse
import base64
import collections
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fixture import Fixture  # noqa: E402

A = None  # parsed arguments


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def run(cmd, env=None, timeout=300, ok=True, log=None, cwd=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                       cwd=cwd or A.work)
    out = p.stdout.decode("utf-8", "replace")
    if log:
        with open(log, "a") as f:
            f.write(f"$ {' '.join(cmd)}\n{out}\n[exit {p.returncode}]\n")
    if ok and p.returncode != 0:
        raise Fail(f"{os.path.basename(cmd[0])} {' '.join(cmd[1:3])} exited {p.returncode}:\n{out[-3000:]}")
    return p.returncode, out


def readback(fx, project, n, partial=False, audio=False, dump=None):
    cmd = [A.py_python, os.path.join(HERE, "readback.py"), project, "--policy", str(n)]
    if partial:
        cmd.append("--partial")
    if audio:
        cmd.append("--audio")
    if dump:
        cmd += ["--dump", dump]
    rc, out = run(cmd, env=fx.env(project), ok=False, log=os.path.join(fx.work, "readback.log"))
    line = [ln for ln in out.splitlines() if ln.startswith("readback:")]
    print("   ", line[-1] if line else out[-2000:])
    if rc != 0:
        raise Fail("readback failed:\n" + "\n".join(ln for ln in out.splitlines() if "FAIL" in ln)[:3000])
    return json.load(open(dump)) if dump else None


def new_fixture(name, **kw):
    work = os.path.join(A.work, name)
    shutil.rmtree(work, ignore_errors=True)
    return Fixture(work, A.srv_python, **kw)


def run_program(fx, kind, project, n, extra_env=None, ok=True, timeout=300):
    """Runs a weave_policy program in its own directory (its spool: DIR/weave)."""
    cwd = os.path.join(fx.work, f"prog-{kind}-{project.replace('/', '_')}")
    os.makedirs(cwd, exist_ok=True)
    env = dict(os.environ, **fx.env(project), **(extra_env or {}))
    p = subprocess.run([program(kind), str(n)], cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    with open(os.path.join(fx.work, "program.log"), "a") as f:
        f.write(f"$ {kind} {n} ({project})\n{out}\n[exit {p.returncode}]\n")
    if ok and p.returncode != 0:
        raise Fail(f"{kind} weave_policy exited {p.returncode}:\n{out[-3000:]}")
    return p.returncode, out, os.path.join(cwd, "weave")


def sync(fx, spool, project, ok=True):
    rc, out = run([A.cli, "sync", spool, "--timeout", "60"], env=fx.env(project), ok=False,
                  log=os.path.join(fx.work, "sync.log"))
    if ok and rc != 0:
        raise Fail(f"wandb-media sync exited {rc}:\n{out[-3000:]}")
    return rc, out


def program(kind):
    return {"c": os.path.join(A.bin, "weave_policy"), "cpp": os.path.join(A.bin, "weave_policy_cpp"),
            "go": os.path.join(A.bin, "weave_policy_go")}[kind]


def c_or_cpp():
    """The C demo (weave-core's examples/c/weave_policy.c) when built, else the C++ example."""
    return "c" if os.path.exists(program("c")) else "cpp"


def exactly_once(fx, project, n_roots, allow_dup_starts=False):
    """Every call id once in the DB, 2 per step; no file or call re-sent after it was acknowledged."""
    rows = fx.calls(project)
    ids = collections.Counter(r["id"] for r in rows)
    check(all(c == 1 for c in ids.values()), "duplicate call rows")
    check(len(rows) == 2 * n_roots, f"{len(rows)} calls on the server, expected {2 * n_roots}")
    st = fx.stats()
    if not allow_dup_starts:
        check(st["dup_call_starts"] == 0, f"{st['dup_call_starts']} calls were sent again after the server stored them")
    check(st["bad_digest"] == 0, f"{st['bad_digest']} files with a wrong expected_digest")
    # no file uploaded again after the server acknowledged it
    acked = collections.Counter()
    for req in fx.requests():
        if req["path"] == "/file/create" and req.get("status") == 200:
            fields = {p["name"]: p.get("value") for p in req["body"]["multipart"] if p["filename"] is None}
            if fields.get("project_id") == project:
                acked[[p for p in req["body"]["multipart"] if p["filename"]][0]["digest"]] += 1
    again = {d: c for d, c in acked.items() if c > 1}
    if not allow_dup_starts:
        check(not again, f"files uploaded again after the server stored them: {again}")
    # every file referenced by a call is on the server
    digests = {d for d, _ in fx.files(project)}
    for req in fx.requests():
        if req["path"].endswith("/calls/complete") and req.get("status") == 200:
            for call in req["body"]["batch"]:
                for d in referenced_digests(call):
                    check(d in digests, f"call {call['id']} references file {d} missing on the server")
    return st


def referenced_digests(obj):
    if isinstance(obj, dict):
        if obj.get("_type") == "CustomWeaveType":
            yield from obj.get("files", {}).values()
        for v in obj.values():
            yield from referenced_digests(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from referenced_digests(v)


# --------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------

def t_fixture():
    fx = new_fixture("fixture").start()
    try:
        url = fx.url

        def post(path, body, headers):
            r = urllib.request.Request(url + path, data=body, method="POST", headers=headers)
            try:
                with urllib.request.urlopen(r, timeout=10) as resp:
                    return resp.status, resp.headers, resp.read()
            except urllib.error.HTTPError as e:
                return e.code, e.headers, e.read()

        good = {"Authorization": "Basic " + base64.b64encode(f"api:{fx.key}".encode()).decode(),
                "Content-Type": "application/json"}
        bad = dict(good, Authorization="Basic " + base64.b64encode(b"api:" + b"x" * 40).decode())
        q = json.dumps({"project_id": "e/p"}).encode()
        check(post("/calls/stream_query", q, good)[0] == 200, "good key refused")
        check(post("/calls/stream_query", q, bad)[0] == 401, "wrong key not answered 401")
        check(post("/calls/stream_query", q, {"Content-Type": "application/json"})[0] == 401, "no key not 401")
        # multipart file/create with a right and a wrong expected_digest
        data = os.urandom(1000)
        dig = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")
        dig = dig.replace("-", "X").replace("_", "Y")

        def mp(expected):
            b = "XyZbOuNdArY"
            body = b"".join([
                f"--{b}\r\nContent-Disposition: form-data; name=\"project_id\"\r\n\r\ne/p\r\n".encode(),
                f"--{b}\r\nContent-Disposition: form-data; name=\"expected_digest\"\r\n\r\n{expected}\r\n".encode(),
                f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"image.png\"\r\n"
                f"Content-Type: image/png\r\n\r\n".encode(), data, f"\r\n--{b}--\r\n".encode()])
            return post("/file/create", body, dict(good, **{"Content-Type": f"multipart/form-data; boundary={b}"}))

        s, _, body = mp(dig)
        check(s == 200 and json.loads(body)["digest"] == dig, f"file/create: {s} {body[:200]}")
        s, _, body = mp("A" * 43)
        check(s == 400, f"a wrong expected_digest answered {s}")
        s, _, body = post("/file/content", json.dumps({"project_id": "e/p", "digest": dig}).encode(), good)
        check(s == 200 and body == data, "file/content does not return the bytes stored")
        # faults
        fx.ctl(faults=[{"kind": "500", "count": 2}, {"kind": "429", "count": 1, "retry_after": 3}])
        check(post("/calls/stream_query", q, good)[0] == 500, "injected 500 #1")
        check(post("/calls/stream_query", q, good)[0] == 500, "injected 500 #2")
        s, h, _ = post("/calls/stream_query", q, good)
        check(s == 429 and h.get("Retry-After") == "3", f"injected 429: {s} {h.get('Retry-After')}")
        check(post("/calls/stream_query", q, good)[0] == 200, "faults not consumed")
        fx.ctl(faults=[{"kind": "reset", "count": 1}])
        try:
            post("/calls/stream_query", q, good)
            raise Fail("injected reset did not reset")
        except (ConnectionError, urllib.error.URLError, OSError) as e:
            if isinstance(e, Fail):
                raise
        # a call, then down + up on the same DB keeps it
        call = {"project_id": "e/p", "id": "01a250d4-0000-7000-8000-000000000001",
                "trace_id": "01a250d4-0000-7000-8000-000000000002", "op_name": "x",
                "started_at": "2026-12-07T00:00:00.000000Z", "ended_at": "2026-12-07T00:00:01.000000Z",
                "attributes": {}, "inputs": {"a": 1}, "output": 2, "summary": {}}
        check(post("/v2/e/p/calls/complete", json.dumps({"batch": [call]}).encode(), good)[0] == 200, "complete")
        check(post("/v2/e/p/calls/complete", json.dumps({"batch": [call]}).encode(), good)[0] == 200, "dup")
        check(fx.stats()["dup_call_starts"] == 1, "a duplicate call id not counted")
        fx.stop()
        try:
            post("/calls/stream_query", q, good)
            raise Fail("server still answers after stop")
        except (ConnectionError, urllib.error.URLError, OSError) as e:
            if isinstance(e, Fail):
                raise
        fx.start()
        s, _, body = post("/calls/stream_query", q, good)
        rows = [json.loads(x) for x in body.splitlines() if x.strip()]
        check(s == 200 and [r["id"] for r in rows] == [call["id"]] and rows[0]["output"] == 2,
              f"after restart: {s} {rows}")
        check(len(fx.calls("e/p")) == 1, "DB does not hold the call once")
        req = [r for r in fx.requests() if r["path"] == "/file/create"]
        check(req and req[0]["body"]["multipart"][2]["filename"] == "image.png", "recording lacks multipart parts")
    finally:
        fx.stop()


def t_python():
    fx = new_fixture("python").start()
    try:
        run([A.py_python, os.path.join(HERE, "py_policy.py"), "3"], env=fx.env("wbm-test/py"),
            log=os.path.join(fx.work, "program.log"))
        readback(fx, "wbm-test/py", 3, dump=os.path.join(fx.work, "readback.json"))
        exactly_once(fx, "wbm-test/py", 3)
        # the reader must be able to fail: a missing step, a reversed clip, one pixel off
        try:
            readback(fx, "wbm-test/py", 4)
            raise Fail("readback passed with a step missing")
        except Fail as e:
            check("steps missing on the server: [3]" in str(e), f"readback: {e}")
        run([A.py_python, os.path.join(HERE, "py_policy.py"), "1"], env=dict(fx.env("wbm-test/bad"),
            WBM_WEAVE_PERTURB="1"), log=os.path.join(fx.work, "program.log"))
        try:
            readback(fx, "wbm-test/bad", 1)
            raise Fail("readback passed wrong values")
        except Fail as e:
            check("PSNR" in str(e) and "overlay pixels differ" in str(e), f"readback: {e}")
    finally:
        fx.stop()


def native(kind, audio):
    def t():
        fx = new_fixture(kind).start()
        try:
            project = f"wbm-test/{kind}"
            run_program(fx, kind, project, 3)
            readback(fx, project, 3, audio=audio, dump=os.path.join(fx.work, "readback.json"))
            exactly_once(fx, project, 3)
        finally:
            fx.stop()
    return t


def calls_in(reqs):
    """(request, call) for every call sent in a calls/complete batch, start or upsert item."""
    for r in reqs:
        body = r.get("body") or {}
        if r["path"].endswith("/calls/complete"):
            for c in body.get("batch", []):
                yield r, c
        elif r["path"].endswith("/call/upsert_batch"):
            for item in body.get("batch", []):
                if item.get("mode") == "start":
                    yield r, item["req"]["start"]


def envelopes(obj, path=""):
    if isinstance(obj, dict):
        if obj.get("_type") == "CustomWeaveType":
            yield path, obj
            return
        for k, v in obj.items():
            yield from envelopes(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from envelopes(v, f"{path}[{i}]")


def t_traffic():
    """The C program's requests vs the Python client's for the same ops (2 steps each)."""
    fx = new_fixture("traffic").start()
    try:
        kind = c_or_cpp()
        audio = {"WBM_WEAVE_AUDIO": "1"} if kind == "cpp" else {}
        run([A.py_python, os.path.join(HERE, "py_policy.py"), "2"], env=dict(fx.env("wbm-test/py"), **audio),
            log=os.path.join(fx.work, "program.log"))
        n_py = len(fx.requests())
        run_program(fx, kind, "wbm-test/c", 2)
        reqs = fx.requests()
        py, nat = reqs[:n_py], reqs[n_py:]
        report = {}

        def routes(rs):
            return collections.Counter((r["method"], r["path"].replace("wbm-test/py", "{e}/{p}")
                                        .replace("wbm-test/c", "{e}/{p}")) for r in rs)
        rp, rn = routes(py), routes(nat)
        report["routes_python"] = {f"{m} {p}": c for (m, p), c in rp.items()}
        report["routes_native"] = {f"{m} {p}": c for (m, p), c in rn.items()}
        # expected differences: Python publishes each op's source and load ops (/obj/create +
        # obj.py files) and asks GraphQL `Project`; a native client does neither
        expected_only_py = {("POST", "/obj/create"), ("POST", "/graphql"), ("POST", "/calls/query_stats"),
                            ("POST", "/file/content"), ("POST", "/calls/stream_query")}
        only_native = set(rn) - set(rp)
        check(not only_native, f"routes only the native client uses: {sorted(only_native)}")
        missing = set(rp) - set(rn) - expected_only_py
        check(not missing, f"routes Python uses that the native client does not: {sorted(missing)}")
        for r in nat:
            check(r.get("status") == 200, f"native request {r['method']} {r['path']} answered {r.get('status')}")
            check(r["headers"].get("authorization", "").startswith("Basic "), f"{r['path']} without Basic auth")
        # files: names, content types, digest == expected_digest == sha256-based digest of the bytes
        def files(rs):
            out = []
            for r in rs:
                if r["path"] == "/file/create":
                    parts = r["body"]["multipart"]
                    fields = {p["name"]: p.get("value") for p in parts if p["filename"] is None}
                    f = [p for p in parts if p["filename"] is not None][0]
                    out.append((f["filename"], f["content_type"], f["digest"], fields.get("expected_digest"), f["size"]))
            return out
        fp, fn = files(py), files(nat)
        for name, ctype, dig, exp, size in fn:
            check(exp == dig, f"native {name}: expected_digest {exp} != digest of the bytes {dig}")
        # expected: Python 0.54 wraps a wave.Wave_read output in its own Audio type (audio.wav +
        # _metadata.json); the native client writes the wave.Wave_read envelope (audio.wav
        # only), which Python reads back as wave.Wave_read (spec: both are readable)
        types_py = {(n, c) for n, c, *_ in fp if n not in ("obj.py", "_metadata.json")}
        types_nat = {(n, c) for n, c, *_ in fn}
        check(types_py == types_nat, f"file names/content types: python {sorted(types_py)} native {sorted(types_nat)}")
        report["files_python"] = sorted(types_py)
        # envelopes: same shape (keys, weave_type, file names); no load_op from the native client
        def env_shapes(rs):
            shapes = {}
            for _, call in calls_in(rs):
                op = call["op_name"].split("/op/")[-1].split(":")[0]
                for where, e in envelopes({"inputs": call.get("inputs"), "output": call.get("output")}):
                    shapes[(op, where)] = (sorted(k for k in e if k != "load_op"), e["weave_type"], sorted(e["files"]))
            return shapes
        sp, sn = env_shapes(py), env_shapes(nat)
        check(set(sp) == set(sn), f"media at different places: python {sorted(sp)} native {sorted(sn)}")
        audio_py = {"type": "weave.type_handlers.Audio.audio.Audio"}
        for k in sp:
            if sp[k][1] == audio_py:
                check(sn[k] == (["_type", "files", "weave_type"], {"type": "wave.Wave_read"}, ["audio.wav"]),
                      f"audio envelope {k}: native {sn[k]}")
                continue
            check(sp[k] == sn[k], f"envelope {k}: python {sp[k]} native {sn[k]}")
        for _, call in calls_in(nat):
            for where, e in envelopes(call):
                check("load_op" not in e, f"native envelope {where} carries a load_op")
        report["envelopes"] = {f"{a}{b}": v for (a, b), v in sp.items()}
        # call fields: the native calls carry every field the Python client sends
        kp = set().union(*[set(c) for _, c in calls_in(py)])
        kn = set().union(*[set(c) for _, c in calls_in(nat)])
        check(kp - kn <= {"otel_dump", "thread_id", "turn_id", "wb_run_step", "wb_run_step_end", "wb_user_id"},
              f"call fields Python sends and the native client does not: {sorted(kp - kn)}")
        report["call_fields_only_python"] = sorted(kp - kn)
        report["call_fields_only_native"] = sorted(kn - kp)
        # identical bytes -> identical digests: the overlay PNGs (PIL and the library write the
        # same bytes for the same pixels) must have the same digests, step by step
        def overlay_digests(rs):
            d = {}
            for _, call in calls_in(rs):
                if call["op_name"].split("/op/")[-1].split(":")[0] == "policy_step" and call.get("output"):
                    d[call["inputs"]["step"]] = call["output"]["overlay"]["files"]["image.png"]
            return d
        op_, on = overlay_digests(py), overlay_digests(nat)
        check(op_ and op_ == on, f"overlay PNG digests differ: python {op_} native {on}")
        report["same_png_digests"] = len(on)
        if audio:  # the same samples: Python's wave module and the library write the same WAV?
            def audio_digests(rs):
                return {c["inputs"]["step"]: c["output"]["audio"]["files"]["audio.wav"] for _, c in calls_in(rs)
                        if c.get("output") and isinstance(c["output"], dict) and "audio" in c["output"]}
            ap_, an = audio_digests(py), audio_digests(nat)
            check(ap_ and ap_ == an, f"audio WAV digests differ: python {ap_} native {an}")
            report["same_wav_digests"] = len(an)
        json.dump(report, open(os.path.join(A.work, "traffic-report.json"), "w"), indent=1)
        print("    routes (python):", dict(sorted(report["routes_python"].items())))
        print("    routes (native):", dict(sorted(report["routes_native"].items())))
        print("    expected differences: Python-only routes", sorted(f"{m} {p}" for m, p in set(rp) - set(rn)),
              "(op source/load-op objects, GraphQL Project, reads); Python-only files obj.py; call fields only Python:",
              report["call_fields_only_python"], "only native:", report["call_fields_only_native"],
              "; MP4 bytes differ (different H.264 encoders); audio: Python's Audio wrapper (+_metadata.json) vs "
              "the native wave.Wave_read envelope, same audio.wav bytes")
    finally:
        fx.stop()


def t_down():
    """Server down for the whole program; then up and `wandb-media sync`."""
    fx = new_fixture("down")
    project = "wbm-test/down"
    t0 = time.time()
    rc, out, spool = run_program(fx, "cpp", project, 3, extra_env={"WEAVE_CLOSE_TIMEOUT": "3"}, ok=False)
    took = time.time() - t0
    check(rc != 0, f"the program exited 0 although nothing was delivered:\n{out}")
    check(took < 30, f"the program took {took:.1f} s with the server down")
    check("pending" in out, f"close did not report what is pending:\n{out[-1500:]}")
    print(f"    down: exit {rc} after {took:.1f} s; {out.strip().splitlines()[-1][:300]}")
    fx.start()
    try:
        sync(fx, spool, project)
        readback(fx, project, 3, audio=True)
        exactly_once(fx, project, 3)
        sync(fx, spool, project)  # again: nothing new
        exactly_once(fx, project, 3)
    finally:
        fx.stop()


def t_restart():
    """The server is killed and restarted while the program traces."""
    fx = new_fixture("restart").start()
    project = "wbm-test/restart"
    try:
        cwd = os.path.join(fx.work, "prog")
        os.makedirs(cwd)
        env = dict(os.environ, **fx.env(project), WEAVE_POLICY_STEP_MS="100", WEAVE_CLOSE_TIMEOUT="90")
        n = 40
        p = subprocess.Popen([program("cpp"), str(n)], cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline and len(fx.calls(project)) < 2:
            time.sleep(0.05)
        check(len(fx.calls(project)) >= 2, "nothing delivered before the restart")
        fx.stop()
        check(p.poll() is None, "the program finished before the server went down")
        time.sleep(2.0)
        fx.start()
        out = p.communicate(timeout=180)[0].decode()
        check(p.returncode == 0, f"program exited {p.returncode}:\n{out[-2000:]}")
        readback(fx, project, n, audio=True)
        # a request in flight when the server was killed may have been stored without its answer
        # arriving: the client sends it again and the server keeps one copy (counted, allowed)
        st = exactly_once(fx, project, n, allow_dup_starts=True)
        print(f"    restart: duplicate starts {st['dup_call_starts']} (requests in flight at the kill)")
    finally:
        fx.stop()


def faults_test(name, faults, allow_dup=False, check_retry_after=None):
    def t():
        fx = new_fixture(name).start()
        project = f"wbm-test/{name}"
        try:
            fx.ctl(faults=faults)
            t0 = time.time()
            # shorter backoff bounds (the client's WANDB_X_RETRY_*; Retry-After still rules)
            run_program(fx, c_or_cpp(), project, 3,
                        extra_env={"WANDB_X_RETRY_MIN_SECONDS": "0.2", "WANDB_X_RETRY_MAX_SECONDS": "1"})
            took = time.time() - t0
            st = fx.stats()
            check(st["faults_fired"] == sum(f["count"] for f in faults),
                  f"only {st['faults_fired']} of the injected faults were hit")
            readback(fx, project, 3)
            st = exactly_once(fx, project, 3, allow_dup_starts=allow_dup)
            if check_retry_after:
                reqs = fx.requests()
                def key(x):  # the same request: route and, for uploads, the same file
                    parts = (x.get("body") or {}).get("multipart") or []
                    return x["path"], tuple(p.get("digest") for p in parts if p.get("filename"))
                for i, r in enumerate(reqs):
                    if r.get("status") == 429:
                        nxt = [x for x in reqs[i + 1:] if key(x) == key(r)]
                        check(nxt, "no retry after a 429")
                        gap = nxt[0]["t"] - r["t"]
                        check(gap >= check_retry_after * 0.9,
                              f"retried {r['path']} {gap:.2f} s after a 429 with Retry-After {check_retry_after}")
            print(f"    {name}: program {took:.1f} s, faults fired {st['faults_fired']}, duplicate starts {st['dup_call_starts']}")
        finally:
            fx.stop()
    return t


def t_cppscope():
    """wb::weave scope objects: exception texts, implicit ends, cross-thread ends, nesting."""
    fx = new_fixture("cppscope").start()
    project = "wbm-test/scope"
    try:
        cwd = os.path.join(fx.work, "prog")
        os.makedirs(cwd)
        run([os.path.join(A.bin, "weave_scope_cpp")], env=dict(fx.env(project)), log=os.path.join(fx.work, "program.log"),
            cwd=cwd)
        rows = {}
        for r in fx.calls(project):
            rows.setdefault(r["op_name"], []).append(r)
        one = {k: v[0] for k, v in rows.items() if len(v) == 1}
        check(one.get("unwound", {}).get("exception") == "unwound: left by a C++ exception while unwinding",
              f"unwound: {one.get('unwound')}")
        check(one.get("traced", {}).get("exception") == "bad frame", f"traced: {one.get('traced')}")
        check(one.get("explicit", {}).get("exception") == "gripper jammed", f"explicit: {one.get('explicit')}")
        imp = one.get("implicit", {})
        check(imp.get("ended_at") and imp.get("exception") is None, f"implicit: {imp}")
        workers, inners = rows.get("worker", []), rows.get("inner", [])
        check(len(workers) == 40 and len(inners) == 40, f"{len(workers)} worker / {len(inners)} inner calls")
        by_id = {w["id"]: w for w in workers}
        for c in inners:
            w = by_id.get(c["parent_id"])
            check(w is not None and w["trace_id"] == c["trace_id"] and c["ended_at"], f"inner call {c}")
        check(all(w["parent_id"] is None and w["ended_at"] for w in workers), "worker calls")
        check(len({w["trace_id"] for w in workers}) == 40, "worker calls share traces")
    finally:
        fx.stop()


def t_legacy():
    """A server without calls/complete (404): the client falls back to /call/upsert_batch."""
    fx = new_fixture("legacy").start()
    project = "wbm-test/legacy"
    try:
        fx.ctl(calls_complete=False)
        run_program(fx, c_or_cpp(), project, 3)
        readback(fx, project, 3)
        exactly_once(fx, project, 3)
        used = collections.Counter(r["path"] for r in fx.requests() if r.get("status") == 200)
        check(used["/call/upsert_batch"] > 0, f"no /call/upsert_batch request: {dict(used)}")
    finally:
        fx.stop()


def t_kill():
    """SIGKILL of the program mid-trace, then `wandb-media sync` of its spool."""
    fx = new_fixture("kill").start()
    project = "wbm-test/kill"
    try:
        cwd = os.path.join(fx.work, "prog")
        os.makedirs(cwd)
        env = dict(os.environ, **fx.env(project), WEAVE_POLICY_STEP_MS="400")
        n = 40
        p = subprocess.Popen([program("cpp"), str(n)], cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        lines = []
        target = 5
        while True:
            line = p.stdout.readline().decode()
            if not line:
                break
            lines.append(line.strip())
            if line.strip() == f"step {target} started":
                break
        time.sleep(0.1)  # inside step 5's think time: policy_step 5 is open, its child ended
        p.send_signal(signal.SIGKILL)
        p.wait()
        done = [ln for ln in lines if ln.endswith(" done")]
        check(len(done) == target, f"program output before the kill: {lines}")
        sync(fx, os.path.join(cwd, "weave"), project)
        d = readback(fx, project, n, partial=True, audio=True, dump=os.path.join(fx.work, "readback.json"))
        check(d["finished"] == target, f"{d['finished']} finished roots on the server, {target} finished before the kill")
        check(d["unfinished"] == 1, f"{d['unfinished']} unfinished roots, expected the 1 open at the kill")
        rows = fx.calls(project)
        check(len(rows) == 2 * target + 2, f"{len(rows)} calls on the server, expected {2 * target + 2}")
        st = fx.stats()
        print(f"    kill: {d['finished']} finished + {d['unfinished']} unfinished roots after sync; "
              f"duplicate starts {st['dup_call_starts']}")
        sync(fx, os.path.join(cwd, "weave"), project)  # again: nothing new
        check(len(fx.calls(project)) == 2 * target + 2, "a second sync changed the server")
    finally:
        fx.stop()


TESTS = collections.OrderedDict([
    ("fixture", t_fixture), ("python", t_python),
    ("c", native("c", False)), ("cpp", native("cpp", True)), ("go", native("go", True)),
    ("traffic", t_traffic), ("down", t_down), ("restart", t_restart),
    ("e500", faults_test("e500", [{"kind": "500", "count": 4}])),
    ("e429", faults_test("e429", [{"kind": "429", "count": 2, "retry_after": 2, "match": "/file/create"}], check_retry_after=2)),
    ("reset", faults_test("reset", [{"kind": "reset", "count": 3},
                                    {"kind": "reset_after", "count": 2, "match": "/calls/complete"}],
                          allow_dup=True)),
    ("kill", t_kill), ("legacy", t_legacy), ("cppscope", t_cppscope),
])


def main():
    global A
    ap = argparse.ArgumentParser()
    ap.add_argument("--srv-python", required=True)
    ap.add_argument("--py-python", required=True)
    ap.add_argument("--bin", default="")
    ap.add_argument("--cli", default="")
    ap.add_argument("--work", required=True)
    ap.add_argument("tests", nargs="*")
    A = ap.parse_args()
    A.bin, A.cli = os.path.abspath(A.bin), os.path.abspath(A.cli)
    A.py_python, A.srv_python = os.path.abspath(A.py_python), os.path.abspath(A.srv_python)
    os.makedirs(A.work, exist_ok=True)
    names = A.tests or list(TESTS)
    passed, failed = [], []
    for name in names:
        t0 = time.time()
        print(f"== {name}", flush=True)
        try:
            TESTS[name]()
            passed.append(name)
            print(f"PASS {name} ({time.time() - t0:.1f} s)", flush=True)
        except Exception as e:  # noqa: BLE001
            failed.append(name)
            msg = str(e) if isinstance(e, Fail) else traceback.format_exc()
            print(f"FAIL {name} ({time.time() - t0:.1f} s): {msg}", flush=True)
    if failed:
        print("failed:", " ".join(failed))
    print(f"{len(passed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
