"""A hostile W&B-protocol server for tests/hostile (Python stdlib only, 127.0.0.1 only).

One process serves every listener of a test:
  base    127.0.0.1:P        the run's base URL; answers the GraphQL subset the uploader uses
                             (ServerFeaturesQuery, UpsertBucket, CreateRunFiles,
                             CreateArtifact -> COMMITTED), file_stream and PUT uploads, or
                             misbehaves as MODE says
  other   127.0.0.1:Q        another port (redirect target, upload URLs)
  prefix  127.0.0.1:P*10+1   a port whose text starts with the base port's
                             ("http://127.0.0.1:6001" is a prefix of "http://127.0.0.1:60011")
  alias   127.0.0.2:P        another host on the same port
Every listener records every request (method, path, all headers, and whether any form of the
key occurred in the headers or the body, scanned as it streams); the base listener marks
requests to upload paths that stand for another origin (/foreign/...). State is written as
JSON to STATE on SIGTERM/SIGINT and every second.

Modes (argv MODE):
  ok            everything works (uploads are counted, bodies discarded while streaming)
  malformed     GraphQL answers truncated JSON
  big           GraphQL answers a 50 MB body (valid JSON start, then padding)
  errors        GraphQL answers {"errors": [...]} with HTTP 200
  redirect      every request to base is answered 307 to the other port
  up-port       upload URLs on http://127.0.0.1:Q/
  up-prefix     upload URLs on http://127.0.0.1:P*10+1/ (base URL is a text prefix)
  up-userinfo   upload URLs http://127.0.0.1:P@127.0.0.1:Q/ (userinfo looks like the base)
  up-alias      upload URLs on http://127.0.0.2:P/
  up-localhost  upload URLs on http://localhost:P/foreign/ (other host name, same socket)
  up-https      upload URLs on https://127.0.0.1:P/foreign/ (other scheme)
  up-file       upload URLs file:///etc/passwd
  up-ftp        upload URLs ftp://127.0.0.1:Q/
  slow          every answer dripped one byte every 0.3 s
  reset         every connection reset after the request was read
  401 403 404   every request answered with that status
Bounded: the process exits by itself after --max-seconds, and a slow drip stops after 60 s.
"""

import argparse
import base64
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"requests": [], "key_seen": [], "uploaded_bytes": 0, "errors": []}
LOCK = threading.Lock()


def key_forms(key):
    """The key as text and the stable middle of its base64 forms at each alignment (as it
    would appear inside any base64 text, e.g. Basic api:<key>), standard and URL-safe."""
    forms = {key.encode()}
    for raw in (key.encode(), b"api:" + key.encode()):
        for pad in range(3):
            for enc in (base64.b64encode, base64.urlsafe_b64encode):
                s = enc(b"\0" * pad + raw)
                forms.add(s[4:-4])
    return sorted(forms, key=len)


class Scanner:
    """Looks for any key form in a stream without keeping it (overlap = longest form)."""

    def __init__(self, forms):
        self.forms = forms
        self.keep = max(len(f) for f in forms)
        self.tail = b""
        self.found = False

    def feed(self, data):
        buf = self.tail + data
        if any(f in buf for f in self.forms):
            self.found = True
        self.tail = buf[-self.keep:]


class NoScan:
    found = False

    def feed(self, data):
        pass


def make_handler(name, args, ports, forms):
    mode = args.mode

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "hostile"

        def log_message(self, *a):
            pass

        def read_body(self, scan):
            n = 0
            te = (self.headers.get("Transfer-Encoding") or "").lower()
            if "chunked" in te:
                while True:
                    line = self.rfile.readline(1024)
                    size = int(line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline(1024)
                        break
                    left = size
                    while left:
                        b = self.rfile.read(min(left, 1 << 20))
                        if not b:
                            return n
                        scan.feed(b)
                        left -= len(b)
                        n += len(b)
                    self.rfile.readline(1024)
                return n
            left = int(self.headers.get("Content-Length") or 0)
            first = b""
            while left:
                b = self.rfile.read(min(left, 1 << 20))
                if not b:
                    break
                if len(first) < 65536:
                    first += b[: 65536 - len(first)]
                scan.feed(b)
                left -= len(b)
                n += len(b)
            self._first = first
            return n

        def record(self, nbytes, scan):
            hdr_text = "".join(f"{k}: {v}\n" for k, v in self.headers.items())
            hs = Scanner(forms)
            hs.feed(hdr_text.encode("utf-8", "surrogateescape"))
            hs.feed(self.path.encode("utf-8", "surrogateescape"))
            foreign = name != "base" or self.path.startswith("/foreign/")
            rec = {
                "listener": name,
                "method": self.command,
                "path": self.path[:300],
                "headers": dict(self.headers.items()),
                "auth": "Authorization" in self.headers,
                "key_in_headers": hs.found,
                "key_in_body": scan.found,
                "bytes": nbytes,
                "foreign": foreign,
            }
            with LOCK:
                STATE["requests"].append(rec)
                # (An Authorization header alone is not a leak: ureq sends a URL's own
                # userinfo as Basic auth; the key in any form is.)
                if foreign and (hs.found or scan.found):
                    STATE["key_seen"].append({k: rec[k] for k in ("listener", "method", "path", "auth")})
            return rec

        def send(self, status, body, ctype="application/json", extra=()):
            if isinstance(body, str):
                body = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def upload_base(self):
            P, Q = ports["base"], ports["other"]
            return {
                "up-port": f"http://127.0.0.1:{Q}/up/",
                "up-prefix": f"http://127.0.0.1:{ports['prefix']}/up/",
                "up-userinfo": f"http://127.0.0.1:{P}@127.0.0.1:{Q}/up/",
                "up-alias": f"http://127.0.0.2:{P}/up/",
                "up-localhost": f"http://localhost:{P}/foreign/",
                "up-https": f"https://127.0.0.1:{P}/foreign/",
                "up-file": "file:///etc/passwd#",
                "up-ftp": f"ftp://127.0.0.1:{Q}/up/",
            }.get(mode, f"http://127.0.0.1:{P}/storage/")

        def graphql(self):
            try:
                req = json.loads(getattr(self, "_first", b"") or b"{}")
            except ValueError:
                req = {}
            op = req.get("operationName", "")
            v = req.get("variables") or {}
            if op == "UpsertBucket":
                return {"upsertBucket": {"bucket": {
                    "id": "b1", "name": v.get("name") or "run", "displayName": "x",
                    "project": {"id": "p1", "name": v.get("project") or "uncategorized",
                                "entity": {"id": "e1", "name": v.get("entity") or "hostile"}},
                    "historyLineCount": 0}, "inserted": True}}
            if op == "CreateRunFiles":
                base = self.upload_base()
                return {"createRunFiles": {"runID": "r1", "uploadHeaders": [],
                        "files": [{"name": f, "uploadUrl": base + f.replace("/", "_")} for f in v.get("files", [])]}}
            if op == "CreateArtifact":
                return {"createArtifact": {"artifact": {"id": "a1", "state": "COMMITTED",
                        "artifactSequence": {"latestArtifact": None}}}}
            if op == "ServerFeaturesQuery":
                return {"serverInfo": {"features": []}}
            return {}

        def drip(self):
            text = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
            end = time.time() + 60
            try:
                for b in text:
                    if time.time() > end:
                        break
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass
            self.close_connection = True

        def reset(self):
            # SO_LINGER 0: close() sends RST.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True

        def handle_any(self):
            # Bodies are scanned where a leak would matter (another origin); the base
            # listener's uploads (up to 512 MiB) are only counted.
            foreign = name != "base" or self.path.startswith("/foreign/")
            scan = Scanner(forms) if foreign else NoScan()
            n = self.read_body(scan)
            self.record(n, scan)
            if name != "base":
                # Other origins accept whatever arrives (so a leak is not hidden by a failure).
                return self.send(200, "{}")
            if mode == "redirect":
                return self.send(307, "", extra=[("Location", f"http://127.0.0.1:{ports['other']}{self.path}")])
            if mode in ("401", "403", "404"):
                return self.send(int(mode), '{"error": "hostile %s"}' % mode)
            if mode == "slow":
                return self.drip()
            if mode == "reset":
                return self.reset()
            if self.command == "PUT":
                with LOCK:
                    STATE["uploaded_bytes"] += n
                return self.send(200, "")
            if self.path.startswith("/graphql"):
                if mode == "malformed":
                    return self.send(200, '{"data": {"upsertBucket": {"bucket": ')
                if mode == "big":
                    pad = b" " * (50 << 20)
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(pad) + 11))
                    self.end_headers()
                    self.wfile.write(b'{"data": {}' + pad)
                    return
                if mode == "errors":
                    return self.send(200, '{"errors": [{"message": "hostile: permission denied for this entity"}], "data": null}')
                return self.send(200, json.dumps({"data": self.graphql()}))
            if self.path.endswith("/file_stream"):
                return self.send(200, '{"exitcode": null, "limits": {}}')
            return self.send(404, '{"error": "no such path"}')

        do_GET = do_POST = do_PUT = do_HEAD = handle_any

    return H


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that hangs up on a 50 MB answer or a drip is what the modes provoke.
        with LOCK:
            STATE["errors"].append(f"{client_address}: {sys.exc_info()[1]!r}"[:200])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("--ports", required=True, help="JSON {base, other, prefix}")
    ap.add_argument("--key", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--max-seconds", type=float, default=120)
    args = ap.parse_args()
    ports = json.loads(args.ports)
    forms = key_forms(args.key)
    listeners = [("base", "127.0.0.1", ports["base"]), ("other", "127.0.0.1", ports["other"]),
                 ("prefix", "127.0.0.1", ports["prefix"]), ("alias", "127.0.0.2", ports["base"])]
    servers = []
    for name, host, port in listeners:
        s = Server((host, port), make_handler(name, args, ports, forms))
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)

    def dump():
        with LOCK:
            text = json.dumps(STATE)
        tmp = args.state + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.state)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    end = time.time() + args.max_seconds
    with open(args.state + ".ready", "w") as f:
        f.write("ready")
    while not stop.is_set() and time.time() < end:
        dump()
        stop.wait(0.5)
    dump()
    for s in servers:
        s.shutdown()
    sys.exit(0)


if __name__ == "__main__":
    main()
