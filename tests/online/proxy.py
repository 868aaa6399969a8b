"""A recording, fault-injecting reverse proxy for the online tests (loopback only).

Proxy(upstream_port).start() listens on 127.0.0.1:<free port> and forwards every request to
127.0.0.1:<upstream_port> with the Host header unchanged (so the upload URLs the server
derives from it point back at the proxy). Each forwarded request is recorded: method, path,
status, and the body (parsed JSON for GraphQL/file_stream, sha256 + size for uploads).

Faults are injected *before* forwarding (the server never sees a faulted request, so a
correct client delivers every row exactly once): `faults` maps a request number (1-based,
counting every request the proxy receives) to "reset" (TCP RST, no response), "500",
"429" (with Retry-After: 1) or "stall" (10 s, then forwarded). While the upstream server is
down (a restart), requests get 502 without being forwarded.

`tls=(cert, key)` makes it TLS-terminating (HTTPS to the client, plain HTTP upstream, with
X-Forwarded-Proto/Host so the server's upload URLs point back at https://<proxy>). The TLS
handshake runs in the handler thread, so a client that rejects the certificate only ends
its own connection; `tls_errors` counts those failed handshakes.

As a program (`proxy.py UPSTREAM_PORT [--tls CERT KEY]`) it prints its port and serves until
killed.
"""
import hashlib
import http.client
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class Proxy:
    def __init__(self, upstream_port, faults=None, stall_seconds=10.0, tls=None, resume_shim=False):
        self.tls = tls
        self.resume_shim = resume_shim
        self.shimmed = []
        self.tls_errors = 0
        self.upstream_port = upstream_port
        self.faults = dict(faults or {})
        self.stall_seconds = stall_seconds
        self.records = []
        self.injected = []
        self.count = 0
        self.lock = threading.Lock()
        self.server = None

    def start(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def setup(self):
                if proxy.tls:
                    try:
                        self.request.do_handshake()
                    except (OSError, ValueError):
                        with proxy.lock:
                            proxy.tls_errors += 1
                        raise
                super().setup()

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with proxy.lock:
                    proxy.count += 1
                    num = proxy.count
                    fault = proxy.faults.get(num)
                    if fault:
                        proxy.injected.append((num, fault, self.command, self.path))
                if fault == "reset":
                    # RST: SO_LINGER with a zero timeout, then close.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault in ("500", "429"):
                    msg = b'{"error":"injected"}'
                    self.send_response(int(fault))
                    if fault == "429":
                        self.send_header("Retry-After", "1")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                if fault == "stall":
                    time.sleep(proxy.stall_seconds)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "content-length"}
                if proxy.tls:
                    headers["X-Forwarded-Proto"] = "https"
                    headers["X-Forwarded-Host"] = self.headers.get("Host", "")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=120)
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    status, rheaders = resp.status, resp.getheaders()
                    conn.close()
                except (ConnectionError, OSError):
                    msg = b'{"error":"upstream down"}'
                    self.send_response(502)
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                    import gzip
                    body = gzip.decompress(body)
                if proxy.resume_shim and status == 200 and self.path.startswith("/graphql"):
                    data = proxy.shim_resume(body, data)
                proxy.record(self.command, self.path, body, status, self.headers)
                self.send_response(status)
                for k, v in rheaders:
                    if k.lower() not in HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = handle_any

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # clients closing connections (resets we caused, timeouts) are expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls:
            import ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def shim_resume(self, req, resp):
        """openwandb answers RunResumeStatus with historyLineCount 0, no historyTail and a
        summary without `_`-keys. With resume_shim, fill in what a W&B server reports, from
        the history openwandb stored: historyLineCount and historyTail (the last 10 lines)."""
        try:
            q = json.loads(req)
            if q.get("operationName") != "RunResumeStatus":
                return resp
            r = json.loads(resp)
            model = (r.get("data") or {}).get("model") or {}
            bucket = model.get("bucket")
            if not bucket:
                return resp
            conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
            conn.request("GET", f"/files/{model['entity']['name']}/{model['name']}/{bucket['name']}/wandb-history.jsonl")
            h = conn.getresponse()
            text = h.read().decode() if h.status == 200 else ""
            conn.close()
            lines = [l for l in text.splitlines() if l.strip()]
            bucket["historyLineCount"] = len(lines)
            bucket["historyTail"] = json.dumps(lines[-10:])
            self.shimmed.append((bucket["name"], len(lines)))
            return json.dumps(r).encode()
        except (ValueError, KeyError, TypeError, OSError):
            return resp

    def record(self, method, path, body, status, headers=None):
        rec = {"method": method, "path": path, "status": status, "t": time.time()}
        # shared mode's writer headers (X-WANDB-USE-ASYNC-FILESTREAM, X-WANDB-*CLIENT-ID)
        rec["wandb_headers"] = {k.lower(): v for k, v in (headers or {}).items() if k.lower().startswith("x-wandb-")}
        if method == "PUT":
            rec["sha256"] = hashlib.sha256(body).hexdigest()
            rec["size"] = len(body)
        elif body:
            try:
                rec["json"] = json.loads(body)
            except ValueError:
                rec["size"] = len(body)
        with self.lock:
            self.records.append(rec)

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()


if __name__ == "__main__":
    import sys
    args = sys.argv[1:]
    tls = None
    if "--tls" in args:
        i = args.index("--tls")
        tls = (args[i + 1], args[i + 2])
        del args[i:i + 3]
    p = Proxy(int(args[0]), tls=tls).start()
    print(p.port, flush=True)
    threading.Event().wait()
