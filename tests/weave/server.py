#!/usr/bin/env python3
"""A local Weave trace server for tests (issue 20).

Wraps the reference `SqliteTraceServer` of `weave==0.51.59` (test-only, from PyPI, in its own
venv: tests/weave/weave.sh makes it) in a small standard-library HTTP server on 127.0.0.1.
0.51.59's server has no HTTP app, no `calls/complete`, no `server_info` and no
`expected_digest` check: this wrapper adds them, plus

- the W&B GraphQL bits the Python client asks at init (`viewer`, `project`, `upsertModel`),
- auth: HTTP Basic `api:<key>` on every route (a wrong or missing key answers 401),
- duplicate handling: a call id started twice is stored once (`--dup ignore`, counted in
  /__ctl/stats) or refused with 409 (`--dup reject`),
- fault injection through `POST /__ctl` (JSON, never faulted, no auth):
  `{"faults": [{"kind": "500"|"429"|"reset"|"reset_after"|"stall", "count": N,
  "match": "<substring of the path>", "retry_after": S, "seconds": S}]}` appends faults
  consumed one per matching request ("reset" closes the connection before handling,
  "reset_after" handles the request and then resets, losing the answer);
  `{"clear": true}` drops them; `{"calls_complete": false}` answers 404 on
  /v2/{e}/{p}/calls/complete (an older server: clients fall back to /call/upsert_batch);
  `GET /__ctl/stats` → counters,
- request recording (`--record FILE`): one JSON line per request with method, path,
  headers, the JSON body (or the multipart parts: name, filename, content type, size, sha256,
  and the form fields), status.

The database is a file (`--db`): stopping and restarting the process on the same file and
port keeps everything (server "down" in the fault tests). Usage:

    server.py --db DB --port 0 --port-file F --key KEY [--record FILE] [--dup ignore|reject]
"""

import argparse
import base64
import email.parser
import email.policy
import hashlib
import http.server
import json
import os
import socket
import struct
import sys
import threading
import time
import traceback
import typing

from weave.trace_server import trace_server_interface as tsi
from weave.trace_server.errors import NotFoundError
from weave.trace_server.external_to_internal_trace_server_adapter import (
    ExternalTraceServer,
    IdConverter,
)
from weave.trace_server.sqlite_trace_server import SqliteTraceServer
from weave.trace_server.trace_server_interface_util import bytes_digest


class B64Ids(IdConverter):
    """External "entity/project" <-> internal base64 (as the hosted server's converter)."""

    def ext_to_int_project_id(self, project_id):
        return base64.b64encode(project_id.encode()).decode()

    def int_to_ext_project_id(self, project_id):
        return base64.b64decode(project_id.encode()).decode()

    def ext_to_int_run_id(self, run_id):
        return run_id

    def int_to_ext_run_id(self, run_id):
        return run_id

    def ext_to_int_user_id(self, user_id):
        return user_id

    def int_to_ext_user_id(self, user_id):
        return user_id


# POST route -> method of the trace server interface (request type from its annotation)
ROUTES = {
    "/call/start": "call_start",
    "/call/end": "call_end",
    "/call/read": "call_read",
    "/call/update": "call_update",
    "/calls/query": "calls_query",
    "/calls/query_stats": "calls_query_stats",
    "/calls/delete": "calls_delete",
    "/obj/create": "obj_create",
    "/obj/read": "obj_read",
    "/objs/query": "objs_query",
    "/obj/delete": "obj_delete",
    "/table/create": "table_create",
    "/table/update": "table_update",
    "/table/query": "table_query",
    "/table/query_stats": "table_query_stats",
    "/table/query_stats_batch": "table_query_stats_batch",
    "/refs/read_batch": "refs_read_batch",
    "/file/content": "file_content_read",
    "/files/query_stats": "files_stats",
    "/feedback/create": "feedback_create",
    "/feedback/query": "feedback_query",
    "/feedback/purge": "feedback_purge",
    "/feedback/replace": "feedback_replace",
    "/cost/create": "cost_create",
    "/cost/query": "cost_query",
    "/cost/purge": "cost_purge",
    "/project/stats": "project_stats",
}

ENTITY = "wbm-test"  # the viewer's default entity


class State:
    def __init__(self, args):
        self.args = args
        self.key = args.key
        self.lock = threading.Lock()  # one request at a time into SQLite
        self.ctl = threading.Lock()
        self.faults = []
        self.stats = {"requests": 0, "by_route": {}, "dup_call_starts": 0, "faults_fired": 0,
                      "bad_digest": 0, "unauthorized": 0}
        sqlite = SqliteTraceServer(args.db)
        sqlite.setup_tables()
        self.ts = ExternalTraceServer(sqlite, B64Ids())
        self.sqlite = sqlite
        self.rec = open(args.record, "a", buffering=1) if args.record else None
        self.rec_lock = threading.Lock()
        self.calls_complete = True  # False: an older server without /v2/.../calls/complete (404)

    def take_fault(self, path):
        with self.ctl:
            for f in self.faults:
                if f.get("count", 1) > 0 and f.get("match", "") in path:
                    f["count"] = f.get("count", 1) - 1
                    self.stats["faults_fired"] += 1
                    return dict(f)
        return None

    def started(self, project_id, call_id):
        """Whether the DB already holds a call with this id (for duplicate handling)."""
        from weave.trace_server.sqlite_trace_server import get_conn_cursor

        conn, cur = get_conn_cursor(self.args.db)
        pid = B64Ids().ext_to_int_project_id(project_id)
        cur.execute("SELECT 1 FROM calls WHERE project_id = ? AND id = ?", (pid, call_id))
        return cur.fetchone() is not None


def req_type(method_name):
    fn = getattr(tsi.TraceServerInterface, method_name)
    hints = typing.get_type_hints(fn)
    return hints["req"]


def jsonable(res):
    if hasattr(res, "model_dump"):
        return res.model_dump(mode="json")
    return res


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "wbm-weave-fixture"

    def log_message(self, fmt, *a):  # quiet
        if os.environ.get("WBM_WEAVE_FIXTURE_VERBOSE"):
            sys.stderr.write("fixture: " + (fmt % a) + "\n")

    # -- plumbing ------------------------------------------------------------------------
    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
            return data
        return self.rfile.read(n) if n else b""

    def _send(self, status, obj=None, raw=None, ctype="application/json", headers=()):
        data = raw if raw is not None else json.dumps(obj).encode()
        self._status = status
        if getattr(self, "_suppress", False):  # reset_after: handled, the answer never leaves
            return
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self._status = status

    def _reset(self):
        """Abort the connection with a TCP RST."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass
        self._status = "reset"

    def _record(self, body_info):
        st = self.server.state
        if not st.rec:
            return
        hdrs = {k.lower(): v for k, v in self.headers.items()}
        line = json.dumps({"t": time.time(), "method": self.command, "path": self.path,
                           "headers": hdrs, "body": body_info, "status": getattr(self, "_status", None)})
        with st.rec_lock:
            st.rec.write(line + "\n")

    def _authorized(self):
        auth = self.headers.get("Authorization", "")
        want = "Basic " + base64.b64encode(f"api:{self.server.state.key}".encode()).decode()
        if auth == want:
            return True
        # wandb's GraphQL client may send the key as user "api" in other casings; be strict.
        return False

    # -- verbs ---------------------------------------------------------------------------
    def do_GET(self):
        self._handle(b"")

    def do_POST(self):
        self._handle(self._body())

    def do_PUT(self):
        self._handle(self._body())

    def _handle(self, body):
        st = self.server.state
        path = self.path.split("?", 1)[0]
        if path.startswith("/__ctl"):
            return self._ctl(path, body)
        with st.ctl:
            st.stats["requests"] += 1
            st.stats["by_route"][path] = st.stats["by_route"].get(path, 0) + 1
        body_info = None
        try:
            ctype = self.headers.get("Content-Type", "")
            if ctype.startswith("multipart/"):
                body_info = {"multipart": self._parse_multipart(body, ctype, summary_only=True)}
            elif body:
                try:
                    body_info = json.loads(body)
                except ValueError:
                    body_info = {"raw_b64": base64.b64encode(body).decode()}
            fault = st.take_fault(path)
            if fault and fault["kind"] in ("reset", "500", "429", "stall"):
                k = fault["kind"]
                if k == "reset":
                    return self._reset()
                if k == "stall":
                    time.sleep(float(fault.get("seconds", 5)))
                elif k == "500":
                    return self._send(500, {"reason": "injected 500"})
                else:
                    ra = str(fault.get("retry_after", 1))
                    return self._send(429, {"reason": "injected 429"}, headers=[("Retry-After", ra)])
            if not self._authorized():
                with st.ctl:
                    st.stats["unauthorized"] += 1
                return self._send(401, {"reason": "invalid api key"})
            self._suppress = bool(fault and fault["kind"] == "reset_after")
            self._route(path, body, ctype)
            if self._suppress:
                # the request was handled and stored; its answer never arrives
                self._reset()
        except Exception as e:  # a handler bug or a bad request: answer, keep serving
            traceback.print_exc()
            try:
                self._send(400 if isinstance(e, (ValueError, KeyError, TypeError)) else 500,
                           {"reason": f"{type(e).__name__}: {e}"})
            except OSError:
                pass
        finally:
            self._record(body_info)

    def _ctl(self, path, body):
        st = self.server.state
        if path == "/__ctl/stats":
            with st.ctl:
                return self._send(200, {**st.stats, "faults": st.faults})
        req = json.loads(body or b"{}")
        with st.ctl:
            if req.get("clear"):
                st.faults = []
            st.faults.extend(req.get("faults", []))
            if "dup" in req:
                st.args.dup = req["dup"]
            if "calls_complete" in req:
                st.calls_complete = bool(req["calls_complete"])
        self._send(200, {"ok": True})

    def _parse_multipart(self, body, ctype, summary_only=False):
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        parts = []
        for part in msg.iter_parts():
            data = part.get_payload(decode=True) or b""
            info = {"name": part.get_param("name", header="content-disposition"),
                    "filename": part.get_filename(), "content_type": part.get_content_type()
                    if part.get("Content-Type") else None, "size": len(data)}
            if info["filename"] is None:
                info["value"] = data.decode("utf-8", "replace")
            else:
                info["sha256"] = hashlib.sha256(data).hexdigest()
                info["digest"] = bytes_digest(data)
            if not summary_only:
                info["data"] = data
            parts.append(info)
        return parts

    def _route(self, path, body, ctype):
        st = self.server.state
        if path in ("/server_info", "/health"):
            return self._send(200, {"min_required_weave_python_version": "0.0.0",
                                    "trace_server_version": "0.51.59-wbm-fixture"})
        if path == "/graphql":
            return self._graphql(json.loads(body or b"{}"))
        if path == "/file/create":
            parts = self._parse_multipart(body, ctype)
            fields = {p["name"]: p.get("value") for p in parts if p["filename"] is None}
            files = [p for p in parts if p["filename"] is not None]
            if len(files) != 1 or not fields.get("project_id"):
                return self._send(400, {"reason": "file/create needs project_id and one file part"})
            f = files[0]
            digest = bytes_digest(f["data"])
            exp = fields.get("expected_digest")
            if exp is not None and exp != digest:
                with st.ctl:
                    st.stats["bad_digest"] += 1
                return self._send(400, {"reason": f"expected_digest {exp} != computed {digest}"})
            with st.lock:
                res = st.ts.file_create(tsi.FileCreateReq(project_id=fields["project_id"],
                                                          name=f["filename"], content=f["data"]))
            return self._send(200, jsonable(res))
        req = json.loads(body or b"{}")
        parts = path.strip("/").split("/")
        if parts[0] == "v2" and len(parts) >= 4:
            project_id = f"{parts[1]}/{parts[2]}"
            sub = "/" + "/".join(parts[3:])
            if sub == "/calls/complete":
                if not st.calls_complete:
                    return self._send(404, {"reason": "Not Found"})
                return self._calls_complete(project_id, req.get("batch", []))
            if sub in ("/call/start", "/call/end"):
                key = sub.split("/")[-1]
                inner = req.get(key, req)
                inner.setdefault("project_id", project_id)
                req = {key: inner}
                path = sub
            else:
                return self._send(404, {"reason": f"no route {path}"})
        if path == "/call/upsert_batch":
            with st.lock:
                for item in req.get("batch", []):
                    if item["mode"] == "start":
                        self._start(item["req"]["start"])
                    else:
                        st.ts.call_end(tsi.CallEndReq.model_validate(item["req"]))
            return self._send(200, {"res": []})
        if path == "/call/start":
            with st.lock:
                res = self._start(req["start"])
            return self._send(200, res)
        if path == "/calls/stream_query":
            r = tsi.CallsQueryReq.model_validate(req)
            with st.lock:
                rows = [jsonable(c) for c in st.ts.calls_query_stream(r)]
            data = "".join(json.dumps(c) + "\n" for c in rows).encode()
            return self._send(200, raw=data, ctype="application/jsonl")
        if path == "/file/content":
            r = tsi.FileContentReadReq.model_validate(req)
            try:
                with st.lock:
                    res = st.ts.file_content_read(r)
            except NotFoundError as e:
                return self._send(404, {"reason": str(e)})
            return self._send(200, raw=res.content, ctype="application/octet-stream")
        name = ROUTES.get(path)
        if name is None:
            return self._send(404, {"reason": f"no route {path}"})
        r = req_type(name).model_validate(req)
        try:
            with st.lock:
                res = getattr(st.ts, name)(r)
        except NotFoundError as e:
            return self._send(404, {"reason": str(e)})
        return self._send(200, jsonable(res))

    def _start(self, start):
        """call_start with duplicate handling (the lock is held)."""
        st = self.server.state
        cid = start.get("id")
        if cid and st.started(start["project_id"], cid):
            with st.ctl:
                st.stats["dup_call_starts"] += 1
            if st.args.dup == "reject":
                raise DuplicateCall(cid)
            return {"id": cid, "trace_id": start.get("trace_id")}
        return jsonable(st.ts.call_start(tsi.CallStartReq.model_validate({"start": start})))

    def _calls_complete(self, project_id, batch):
        st = self.server.state
        start_keys = set(tsi.StartedCallSchemaForInsert.model_fields)
        end_keys = set(tsi.EndedCallSchemaForInsert.model_fields)
        try:
            with st.lock:
                for call in batch:
                    call = dict(call)
                    call.setdefault("project_id", project_id)
                    start = {k: v for k, v in call.items() if k in start_keys and v is not None}
                    start.setdefault("attributes", {})
                    start.setdefault("inputs", {})
                    end = {k: v for k, v in call.items() if k in end_keys}
                    end.setdefault("summary", {})
                    if end.get("summary") is None:
                        end["summary"] = {}
                    self._start(start)
                    st.ts.call_end(tsi.CallEndReq.model_validate({"end": end}))
        except DuplicateCall as d:
            return self._send(409, {"reason": f"duplicate call id {d}"})
        return self._send(200, {})

    def _graphql(self, req):
        q = req.get("query", "")
        v = req.get("variables") or {}
        data = {}
        if "viewer" in q:
            data["viewer"] = {"id": "VXNlcjox", "username": ENTITY, "entity": ENTITY,
                              "defaultEntity": {"id": "RW50aXR5OjE=", "name": ENTITY},
                              "teams": {"edges": []}, "flags": None, "admin": False}
        if "upsertModel" in q or "upsertProject" in q:
            name = v.get("name") or v.get("project") or "p"
            ent = v.get("entityName") or v.get("entity") or ENTITY
            data["upsertModel"] = {"project": {"id": "UHJvamVjdDox", "name": name,
                                               "entityName": ent, "description": None,
                                               "access": None, "views": None},
                                   "model": {"name": name, "entityName": ent}, "inserted": False}
        if "project(" in q or "project (" in q or "query Project" in q:
            name = v.get("name") or v.get("project") or v.get("projectName") or "p"
            ent = v.get("entityName") or v.get("entity") or ENTITY
            data["project"] = {"id": "UHJvamVjdDox", "name": name, "entity": {"id": "RW50aXR5OjE=",
                                                                               "name": ent}}
        if "serverInfo" in q:
            data["serverInfo"] = {"cliVersionInfo": {}, "latestLocalVersionInfo": None,
                                  "features": []}
        return self._send(200, {"data": data})


class DuplicateCall(Exception):
    pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--key", required=True)
    ap.add_argument("--record")
    ap.add_argument("--dup", choices=["ignore", "reject"], default="ignore")
    args = ap.parse_args()
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.state = State(args)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    print(f"weave fixture on 127.0.0.1:{port} db={args.db}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
