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


def run(cmd, env=None, timeout=300, ok=True, log=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
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


def native_env(fx, project, spool):
    e = fx.env(project)
    e["WEAVE_SPOOL_DIR"] = spool
    return e


def program(kind):
    return {"c": os.path.join(A.bin, "weave_policy"), "cpp": os.path.join(A.bin, "weave_policy_cpp"),
            "go": os.path.join(A.bin, "weave_policy_go")}[kind]


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
    finally:
        fx.stop()


TESTS = collections.OrderedDict([("fixture", t_fixture), ("python", t_python)])


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
