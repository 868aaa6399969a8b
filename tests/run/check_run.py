"""Checks for runs written by wandb-media (driven by tests/run/run.sh).

Reads logs three ways: the real `wandb leet inspect` (JSON records and --summary), the real
`wandb sync` (--dry-run and an upload to an `openwandb` server on 127.0.0.1), and an
independent reader (framing per spec §16.2 + the wheel's protobuf classes) for the raw
`value_json` bytes.

usage:
  check_run.py basic  C_RUN_DIR PY_RUN_DIR   leet records, side by side, summary, dry-run
  check_run.py upload C_RUN_DIR              wandb sync to openwandb, checked over HTTP
  check_run.py stress RUN_DIR THREADS PER    every row once, media present, reader clean
  check_run.py kill   WRITER ROOT            SIGKILL a writer mid-run, check what is left
"""

import glob
import hashlib
import json
import math
import re
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
WANDB = os.path.join(BIN, "wandb")
OPENWANDB = os.path.join(BIN, "openwandb")

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg)
    return cond


def done(name):
    if failures:
        print(f"{name}: {len(failures)} failure(s)")
        sys.exit(1)
    print(f"{name}: ok")


def run_cmd(args, timeout=300, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


# ---------------------------------------------------------------- independent reader


def raw_records(path):
    """(records, stop reason) of a .wandb file, per spec §16.2, decoded with the wheel's
    protobuf classes."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = open(path, "rb").read()
    assert data[:7] == b":W&B\xe1\xbe\x00", data[:7]
    pos, block, out, buf, stop = 7, 32768, [], None, "end"
    while pos < len(data):
        left = block - pos % block
        if left < 7:
            if data[pos : pos + left] != b"\0" * left:
                stop = f"non-zero block padding at {pos}"
                break
            pos += left
            continue
        if pos + 7 > len(data):
            stop = "truncated header"
            break
        crc, n, typ = struct.unpack("<IHB", data[pos : pos + 7])
        payload = data[pos + 7 : pos + 7 + n]
        if len(payload) < n:
            stop = "truncated chunk"
            break
        if zlib.crc32(bytes([typ]) + payload) != crc:
            stop = f"bad crc at {pos}"
            break
        pos += 7 + n
        if typ == 1 and buf is None:
            out.append(payload)
        elif typ == 2 and buf is None:
            buf = payload
        elif typ == 3 and buf is not None:
            buf += payload
        elif typ == 4 and buf is not None:
            out.append(buf + payload)
            buf = None
        else:
            stop = f"bad chunk type {typ} at {pos}"
            break
    if buf is not None and stop == "end":
        stop = "truncated record"
    recs = []
    for p in out:
        r = pb.Record()
        r.ParseFromString(p)
        recs.append(r)
    return recs, stop


def wandb_file(run_dir):
    files = glob.glob(os.path.join(run_dir, "run-*.wandb"))
    assert len(files) == 1, files
    return files[0]


def leet_json(run_dir):
    p = run_cmd([WANDB, "leet", "inspect", "--json", run_dir])
    check(p.returncode == 0, f"leet inspect --json exit {p.returncode}: {p.stderr[-500:]}")
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def leet_summary(run_dir):
    p = run_cmd([WANDB, "leet", "inspect", "--summary", "--json", run_dir])
    check(p.returncode == 0, f"leet inspect --summary exit {p.returncode}: {p.stderr[-500:]}")
    return json.loads(p.stdout)


def history_rows_raw(recs):
    """History rows as {dotted key: value_json text} (raw core encoding)."""
    rows = []
    for r in recs:
        if r.WhichOneof("record_type") == "history":
            rows.append(
                (r.history.step.num, {".".join(i.nested_key) or i.key: i.value_json for i in r.history.item})
            )
    return rows


def sha256_file(p):
    return hashlib.sha256(open(p, "rb").read()).hexdigest()


def check_media(run_dir, recs, label):
    """Every media path in a history row exists (announced by an earlier files record) and
    has the sha256 the row names (or, for lists, the hash20 in its name)."""
    files_dir = os.path.join(run_dir, "files")
    announced = set()
    n = 0
    for r in recs:
        t = r.WhichOneof("record_type")
        if t == "files":
            announced.update(f.path for f in r.files.files)
        if t != "history":
            continue
        row = {}
        for i in r.history.item:
            row[tuple(i.nested_key) or (i.key,)] = json.loads(i.value_json)
        paths = []

        def collect(v):
            # media dicts nested in lists (audio/video lists, all_boxes, …)
            if isinstance(v, dict):
                if isinstance(v.get("path"), str) and v["path"].startswith("media/"):
                    paths.append((v["path"], v.get("sha256")))
                for x in v.values():
                    collect(x)
            elif isinstance(v, list):
                for x in v:
                    collect(x)

        for key, v in row.items():
            if key[-1] == "path" and isinstance(v, str) and v.startswith("media/"):
                paths.append((v, row.get(key[:-1] + ("sha256",))))
            if key[-1] == "filenames" and isinstance(v, list):
                paths += [(p, None) for p in v]
            collect(v)
        for p, sha in paths:
            n += 1
            full = os.path.join(files_dir, p)
            if not check(os.path.isfile(full), f"{label}: {p} missing"):
                continue
            check(p in announced, f"{label}: {p} not announced by a files record before its row")
            digest = sha256_file(full)
            if sha is not None:
                check(digest == sha, f"{label}: {p} sha256 {digest} != row's {sha}")
            stem = os.path.basename(p).split(".")[0]
            check(digest[:20] == stem.rsplit("_", 1)[-1], f"{label}: {p} name does not carry its hash20")
    return n


# ---------------------------------------------------------------- basic + side by side

ARTIFACT_ID = re.compile(r"wandb-client-artifact://[0-9a-z]{128}")


def mask_ids(v):
    """Artifact client ids are random (128 characters): mask them at any depth."""
    if isinstance(v, str):
        return ARTIFACT_ID.sub("wandb-client-artifact://<id>", v)
    if isinstance(v, dict):
        return {k: mask_ids(x) for k, x in v.items()}
    if isinstance(v, list):
        return [mask_ids(x) for x in v]
    return v


TOLERANT = re.compile(r"(media/videos/[^\"]*_)[0-9a-f]{20}(\.(gif|mp4))")


def tolerant_items(items):
    """GIF/MP4 bytes depend on the encoder (spec §18): mask their hash in paths and drop
    sha256/size of video-file dicts (flattened `key.path` / `key.sha256` / `key.size`)."""
    out = {}
    for k, v in items.items():
        if isinstance(v, str) and TOLERANT.search(v):
            v = TOLERANT.sub(r"\1<hash>\2", v)
        out[k] = v
    for k, v in list(out.items()):
        if k.endswith("._type") and v in ("video-file", '"video-file"'):
            p = k[: -len("._type")]
            if isinstance(out.get(p + ".path"), str) and "<hash>" in out[p + ".path"]:
                out.pop(p + ".sha256", None)
                out.pop(p + ".size", None)
    return out


IGNORED_TYPES = {"environment", "stats", "telemetry", "output_raw", "output", "metric"}
VOLATILE = {"_runtime", "_timestamp", "_wandb.runtime"}


def normalise(rec):
    """A leet --json record with ids, times, runtimes and host/env details removed, or None
    if the record is ignored in the comparison."""
    t = rec["type"]
    if t in IGNORED_TYPES:
        return None
    body = mask_ids(rec[t])
    if t == "header":
        return {"type": t}
    if t == "files":
        files = [mask_ids(tolerant_items(f)) for f in body.get("files", []) if f.get("type") not in ("WANDB",)]
        if not files:
            return None
        return {"type": t, "files": files}
    if t == "run":
        keep = {k: body.get(k) for k in ("entity", "project", "display_name", "tags", "notes")}
        keep["config"] = body.get("config")
        return {"type": t, **keep}
    if t in ("history", "summary"):
        key = "item" if t == "history" else "update"
        items = tolerant_items({k: v for k, v in body.get(key, {}).items() if k not in VOLATILE})
        if t == "summary" and not items and not body.get("remove"):
            return {"type": "summary-runtime"}
        out = {"type": t, key: items}
        if t == "history":
            out["step"] = body.get("step", {}).get("num", 0)
        return out
    if t == "config":
        upd = dict(body.get("update", {}))
        if "_wandb" in upd:
            w = {k: v for k, v in upd["_wandb"].items() if k not in ("t", "m", "cli_version", "python_version", "e")}
            if w:
                upd["_wandb"] = w
            else:
                del upd["_wandb"]
        if not upd:
            return None
        return {"type": t, "update": upd}
    if t == "exit":
        return {"type": t, "exit_code": body.get("exit_code", 0)}
    if t == "artifact":
        keep = {k: v for k, v in body.items() if k not in ("client_id", "sequence_client_id", "run_id", "name")}
        keep["name"] = body.get("name", "").replace(body.get("run_id", "?"), "<run>")
        for e in keep.get("manifest", {}).get("contents", []):
            e.pop("local_path", None)
        return {"type": t, t: keep}
    return {"type": t, t: body}


def same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def has_dict(v):
    if isinstance(v, dict):
        return True
    return isinstance(v, list) and any(has_dict(x) for x in v)


def raw_value_equal(a, b):
    """Leaf `value_json` texts: byte-equal, except that objects inside lists are written by
    wandb-core in Go map order (random), so those compare as parsed JSON."""
    if a is None or b is None:
        return a == b
    pa, pb = json.loads(a), json.loads(b)
    if has_dict(pa) or has_dict(pb):
        return same(pa, pb)
    return a == b


def raw_rows_equal(a, b):
    return a.keys() == b.keys() and all(raw_value_equal(a[k], b[k]) for k in a)


def cmd_basic(c_dir, py_dir):
    c_leet, py_leet = leet_json(c_dir), leet_json(py_dir)
    c_types = [r["type"] for r in c_leet]
    print(f"C run: {len(c_leet)} records; Python run: {len(py_leet)} records")
    for t in ("header", "run", "files", "history", "summary", "config", "exit"):
        check(t in c_types, f"leet shows no {t} record in the C run")
    check(c_types[0] == "header" and c_types[1] == "run", f"log starts {c_types[:2]}")
    check(c_types[-1] == "exit", f"log ends with {c_types[-1]}")

    a = [x for x in map(normalise, c_leet) if x is not None]
    b = [x for x in map(normalise, py_leet) if x is not None]
    # The SDK writes a runtime summary at finish and another when committing the pending
    # row; both are compared (they are records of the same kind on both sides).
    check(len(a) == len(b), f"side by side: {len(a)} vs {len(b)} comparable records")
    for i, (x, y) in enumerate(zip(a, b)):
        if not same(x, y):
            check(False, f"side by side: record {i} differs:\n  C : {json.dumps(x)[:600]}\n  Py: {json.dumps(y)[:600]}")
            break

    # Raw bytes of every history value (wandb-core's re-encoding) match the SDK's run.
    c_recs, c_stop = raw_records(wandb_file(c_dir))
    py_recs, _ = raw_records(wandb_file(py_dir))
    check(c_stop == "end", f"independent reader stopped: {c_stop}")
    c_rows, py_rows = history_rows_raw(c_recs), history_rows_raw(py_recs)
    check(len(c_rows) == len(py_rows) == 102, f"{len(c_rows)} / {len(py_rows)} history rows (want 102)")
    for (cs, cr), (ps, pr) in zip(c_rows, py_rows):
        cr = tolerant_items({k: mask_ids(v) for k, v in cr.items() if k not in VOLATILE})
        pr = tolerant_items({k: mask_ids(v) for k, v in pr.items() if k not in VOLATILE})
        if not check(cs == ps and raw_rows_equal(cr, pr), f"raw history row {cs} differs from the SDK's row {ps}"):
            for k in sorted(set(cr) | set(pr)):
                if not raw_value_equal(cr.get(k), pr.get(k)):
                    print(f"   {k}: C {cr.get(k)!r}  Py {pr.get(k)!r}")
            break
    # Media bytes are the SDK's bytes (same names, same sha256).
    n = check_media(c_dir, c_recs, "C run")
    check(n > 0, "no media checked")
    for r in c_recs:
        if r.WhichOneof("record_type") == "files":
            for f in r.files.files:
                if TOLERANT.search(f.path):
                    continue  # encoder-dependent bytes (checked against the row's sha256 above)
                pf = os.path.join(py_dir, "files", f.path)
                cf = os.path.join(c_dir, "files", f.path)
                check(os.path.isfile(pf) and open(pf, "rb").read() == open(cf, "rb").read(), f"{f.path}: bytes differ from the SDK's file")
    print(f"checked {n} media references")

    s = leet_summary(c_dir)
    check(s.get("state") == "finished", f"--summary state {s.get('state')}")
    check(s.get("exit_code") == 0, f"--summary exit code {s.get('exit_code')}")
    check(s.get("step") == 105, f"--summary step {s.get('step')}")
    summ, cfg = s.get("summary", {}), s.get("config", {})
    check(summ.get("best_acc") == 0.99 and summ.get("final") == {"loss": 0.01}, f"summary {summ.get('best_acc')} {summ.get('final')}")
    check(summ.get("loss") == 0.01 and summ.get("late2") == 2, "summary keeps the latest history values")
    check(summ.get("samples", {}).get("_type") == "images/separated", "summary has the last image list")
    check(cfg.get("lr") == 0.001 and cfg.get("extra") == "v" and cfg.get("optimizer") == {"name": "adam", "beta": 0.9}, f"config {cfg}")
    check(s.get("name") == "same-rows" and s.get("project") == "wbm-test" and s.get("entity") == "wbm", "run name/project/entity")

    root = os.path.dirname(os.path.dirname(c_dir))
    p = run_cmd([WANDB, "sync", "--dry-run", c_dir], cwd=root)
    out = p.stdout + p.stderr
    check(p.returncode == 0 and "Would sync 1 run" in out and os.path.basename(wandb_file(c_dir)) in out, f"sync --dry-run: {out[-400:]}")
    done("basic")


# ---------------------------------------------------------------- upload


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def cmd_upload(c_dir):
    if glob.glob(os.path.join(c_dir, "*.synced")):
        check(False, f"{c_dir} was already synced (wandb sync skips it): use a fresh run")
        done("upload")
    work = tempfile.mkdtemp(prefix="wbm-upload-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [OPENWANDB, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", os.path.join(work, "data")],
        stdout=open(os.path.join(work, "server.log"), "w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 90
        while True:
            try:
                if http_get(base + "/api/v2/projects", timeout=2)[0] == 200:
                    break
            except Exception:
                pass
            if time.time() > deadline or server.poll() is not None:
                check(False, "openwandb did not start")
                done("upload")
            time.sleep(0.5)
        env = dict(os.environ)
        env.update(
            WANDB_BASE_URL=base,
            WANDB_API_KEY="wbmtest" + "0" * 33,  # any 40-character key
            WANDB_CONFIG_DIR=os.path.join(work, "config"),
            WANDB_CACHE_DIR=os.path.join(work, "cache"),
            WANDB_DATA_DIR=os.path.join(work, "wbdata"),
        )
        p = run_cmd([WANDB, "sync", c_dir], env=env, timeout=300, cwd=work)
        check(p.returncode == 0, f"wandb sync exit {p.returncode}: {(p.stdout + p.stderr)[-800:]}")

        recs, _ = raw_records(wandb_file(c_dir))
        # The run was opened with a relative root and synced from another directory: every
        # artifact manifest entry must name its staged file by an absolute path that exists.
        arts_local = [r.artifact for r in recs if r.WhichOneof("record_type") == "artifact"]
        check(arts_local, "the run log has artifact records (run_table)")
        for a in arts_local:
            for ent in a.manifest.contents:
                lp = ent.local_path
                check(os.path.isabs(lp) and os.path.isfile(lp), f"artifact {a.name} entry {ent.path}: local_path {lp!r} is not an absolute existing file")
        run_rec = next(r.run for r in recs if r.WhichOneof("record_type") == "run")
        rid, entity, project = run_rec.run_id, run_rec.entity, run_rec.project
        st, body = http_get(f"{base}/api/v2/runs/{rid}")
        run = json.loads(body)["run"]
        check(run.get("state") == "finished", f"server run state {run.get('state')}")
        summ, cfg = run.get("summary", {}), run.get("config", {})
        # openwandb keeps only top-level scalars without a leading "_" in its summary column;
        # the whole summary arrives as the uploaded wandb-summary.json file.
        check(summ.get("best_acc") == 0.99 and summ.get("loss") == 0.01 and summ.get("late2") == 2, f"server summary {summ}")
        st, body = http_get(f"{base}/files/{entity}/{project}/{rid}/wandb-summary.json")
        full = json.loads(body)
        check(full.get("_step") == 105 and full.get("final") == {"loss": 0.01} and full.get("best_acc") == 0.99, f"wandb-summary.json {json.dumps(full)[:300]}")
        check(full.get("samples", {}).get("_type") == "images/separated", "wandb-summary.json has the last image list")
        cval = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in cfg.items()}
        check(cval.get("lr") == 0.001 and cval.get("extra") == "v" and cval.get("layers") == [64, 64], f"server config {cval}")

        st, body = http_get(f"{base}/files/{entity}/{project}/{rid}/wandb-history.jsonl")
        server_rows = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        local_rows = []
        for step, raw in history_rows_raw(recs):
            row = {}
            for k, v in raw.items():
                node = row
                parts = k.split(".")
                for part in parts[:-1]:
                    node = node.setdefault(part, {})
                node[parts[-1]] = json.loads(v)
            local_rows.append(row)
        check(len(server_rows) == len(local_rows), f"server history has {len(server_rows)} rows, log {len(local_rows)}")
        by_step = {r.get("_step"): r for r in server_rows}
        check(len(by_step) == len(server_rows), "server history steps are unique")
        for row in local_rows:
            srv = by_step.get(row["_step"])
            if not check(srv is not None and same(srv, row), f"server row {row['_step']} differs: {json.dumps(srv)[:300]} vs {json.dumps(row)[:300]}"):
                break
        media = set()

        def collect(v):
            if isinstance(v, dict):
                if isinstance(v.get("path"), str) and v["path"].startswith("media/"):
                    media.add((v["path"], v.get("sha256")))
                for f in v.get("filenames", []) or []:
                    if isinstance(f, str):
                        media.add((f if f.startswith("media/") else "media/object3D/" + f, None))
                for x in v.values():
                    collect(x)
            elif isinstance(v, list):
                for x in v:
                    collect(x)

        for row in local_rows:
            collect(row)
        for path, sha in sorted(media):
            st, data = http_get(f"{base}/files/{entity}/{project}/{rid}/{path}")
            local = open(os.path.join(c_dir, "files", path), "rb").read()
            check(data == local, f"server copy of {path} differs ({len(data)} vs {len(local)} bytes)")
            digest = hashlib.sha256(data).hexdigest()
            check(sha is None or digest == sha, f"{path}: server sha256 {digest} != row's {sha}")
            check(digest[:20] in path, f"{path}: hash20 not in the name")
        # The table's run_table artifact was created on the server.
        st, body = http_get(f"{base}/api/v2/runs/{rid}/artifacts")
        arts = json.loads(body).get("artifacts", [])
        names = sorted(str(a.get("name")) for a in arts)
        check(any(n.startswith(f"run-{rid}-tbl") for n in names), f"server artifacts {names}")
        print(f"uploaded run {entity}/{project}/{rid}: {len(server_rows)} rows, {len(media)} media files, artifacts {names} verified")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
        if not failures:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("server log kept in", work)
    done("upload")


# ---------------------------------------------------------------- stress


def cmd_stress(run_dir, threads, per):
    threads, per = int(threads), int(per)
    recs, stop = raw_records(wandb_file(run_dir))
    check(stop == "end", f"reader stopped: {stop}")
    rows = history_rows_raw(recs)
    check(len(rows) == threads * per, f"{len(rows)} rows, want {threads * per}")
    check([s for s, _ in rows] == list(range(len(rows))), "_step is 0..n-1 in order")
    seen = set()
    for s, r in rows:
        key = (r.get("thread"), r.get("i"))
        check(key not in seen, f"row {key} twice")
        seen.add(key)
        check(r.get("_step") == str(s), f"row {s}: _step item {r.get('_step')}")
    want = {(str(t), str(i)) for t in range(threads) for i in range(per)}
    check(seen == want, f"{len(want - seen)} rows missing")
    n = check_media(run_dir, recs, "stress")
    check(n == threads * per, f"{n} media references, want {threads * per}")
    leet = leet_json(run_dir)
    check(sum(1 for r in leet if r["type"] == "history") == threads * per, "leet sees every row")
    check(leet and leet[-1]["type"] == "exit", "leet sees the exit record")
    done("stress")


# ---------------------------------------------------------------- kill


def cmd_kill(writer, root):
    for attempt, delay in enumerate((0.05, 0.3, 1.0)):
        r = os.path.join(root, f"k{attempt}")
        p = subprocess.Popen([writer, "kill", r], stdout=subprocess.PIPE, text=True)
        run_dir = p.stdout.readline().strip()
        line = p.stdout.readline().strip()
        check(line == "logging", f"writer did not start logging ({line!r})")
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        check(p.returncode == -signal.SIGKILL, f"writer exit {p.returncode}")
        recs, stop = raw_records(wandb_file(run_dir))
        rows = history_rows_raw(recs)
        size = os.path.getsize(wandb_file(run_dir))
        print(f"killed after {delay}s: {size} bytes, {len(rows)} complete rows, reader stop: {stop}")
        check(len(rows) > 20, "rows before the kill are in the log")
        check(stop in ("end", "truncated header", "truncated chunk", "truncated record"), f"log is corrupt: {stop}")
        check([s for s, _ in rows] == list(range(len(rows))), "rows are contiguous")
        check_media(run_dir, recs, f"kill {delay}")
        leet = leet_json(run_dir)
        check(sum(1 for x in leet if x["type"] == "history") == len(rows), "leet reads every complete row")
        s = leet_summary(run_dir)
        check(s.get("state") in ("running", "crashed", "unknown") or s.get("state") != "finished", f"state {s.get('state')}")
        p = run_cmd([WANDB, "sync", "--dry-run", run_dir], cwd=r)
        check(p.returncode == 0 and "Would sync 1 run" in p.stdout + p.stderr, "sync --dry-run lists the killed run")
    # A kill between two writes leaves whole records; a torn write (power loss, a full
    # disk) leaves a partial one. Cut the last log at offsets inside records, chunk headers
    # and block paddings: the real reader must return exactly the complete records.
    data = open(wandb_file(run_dir), "rb").read()
    cuts = sorted({7 + 3, 32768 - 2, 32768 + 3, 65536 + 1000, len(data) // 3, len(data) // 2 + 11, len(data) - 1})
    for cut in cuts:
        if cut >= len(data):
            continue
        d = tempfile.mkdtemp(prefix="wbm-cut-")
        path = os.path.join(d, os.path.basename(wandb_file(run_dir)))
        open(path, "wb").write(data[:cut])
        want, stop = raw_records(path)
        leet = run_cmd([WANDB, "leet", "inspect", "--json", path])
        got = [json.loads(x) for x in leet.stdout.splitlines() if x.strip()]
        check(leet.returncode == 0, f"cut at {cut}: leet exit {leet.returncode}")
        check(len(got) == len(want), f"cut at {cut}: leet read {len(got)} records, {len(want)} complete ({stop})")
        check(not got or got[-1]["num"] == want[-1].num, f"cut at {cut}: last record differs")
        shutil.rmtree(d, ignore_errors=True)
    print(f"truncated copies at {len(cuts)} offsets read up to the last complete record")
    done("kill")


# ---------------------------------------------------------------- disk full


def cmd_fsfull(keep):
    """Runs logged until the disk was full (tests/robustness.rs, sync + async): the real
    reader gets every row that was written, up to the last one, and no torn record."""
    for name in ("full-sync", "full-async"):
        run_dir = os.path.join(keep, name)
        if not os.path.isdir(run_dir):
            print(f"{name}: not produced (tmpfs could not be mounted)")
            continue
        want = int(open(os.path.join(run_dir, "expected-rows")).read())
        recs, stop = raw_records(wandb_file(run_dir))
        check(stop == "end", f"{name}: reader stopped: {stop}")
        rows = history_rows_raw(recs)
        check(len(rows) == want, f"{name}: {len(rows)} rows, want {want}")
        leet = leet_json(run_dir)
        got = sum(1 for r in leet if r["type"] == "history")
        check(got == want, f"{name}: leet reads {got} rows, want {want}")
        check_media(run_dir, recs, name)
        print(f"{name}: leet inspect reads all {want} rows written before the disk was full")
    done("fsfull")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"basic": cmd_basic, "upload": cmd_upload, "stress": cmd_stress, "kill": cmd_kill, "fsfull": cmd_fsfull}[cmd](*args)
