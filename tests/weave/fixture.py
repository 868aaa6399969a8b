"""Start/stop/restart tests/weave/server.py and look into what it stored (stdlib only).

    fx = Fixture(work_dir, server_python)   # fresh SQLite DB under work_dir
    fx.start(); fx.env()  -> the environment a client needs
    fx.ctl(faults=[{"kind": "500", "count": 3}]); fx.stats()
    fx.stop(); fx.start()  # same port, same DB ("down" and "restart")
    fx.calls()  -> rows of the calls table; fx.files() -> (digest, size) rows
"""

import base64
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "local" + "0" * 35


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Fixture:
    def __init__(self, work, server_python, record=True, key=KEY):
        os.makedirs(work, exist_ok=True)
        self.work = work
        self.py = server_python
        self.db = os.path.join(work, "trace.sqlite")
        self.record = os.path.join(work, "requests.jsonl") if record else None
        self.key = key
        self.port = free_port()
        self.proc = None
        self.log = open(os.path.join(work, "server.log"), "ab")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        assert self.proc is None
        port_file = os.path.join(self.work, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        cmd = [self.py, os.path.join(HERE, "server.py"), "--db", self.db, "--port", str(self.port),
               "--port-file", port_file, "--key", self.key]
        if self.record:
            cmd += ["--record", self.record]
        deadline = time.time() + timeout
        while True:  # the port may linger briefly after a stop
            self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
            while time.time() < deadline and self.proc.poll() is None and not os.path.exists(port_file):
                time.sleep(0.05)
            if os.path.exists(port_file):
                return self
            if time.time() >= deadline:
                raise RuntimeError(f"fixture did not start (see {self.work}/server.log)")
            self.proc = None
            time.sleep(0.3)

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)  # like a crash: no goodbye to clients
            self.proc.wait()
            self.proc = None

    def env(self, project):
        return {"WF_TRACE_SERVER_URL": self.url, "WANDB_BASE_URL": self.url, "WANDB_API_KEY": self.key,
                "WANDB_PROJECT": project,
                "WEAVE_SERVER_CACHE_DIR": os.path.join(self.work, f"cache-{time.time_ns()}")}

    def _req(self, path, body=None, auth=False, key=None):
        data = None if body is None else json.dumps(body).encode()
        r = urllib.request.Request(self.url + path, data=data, method="POST" if data else "GET")
        r.add_header("Content-Type", "application/json")
        if auth:
            tok = base64.b64encode(f"api:{key or self.key}".encode()).decode()
            r.add_header("Authorization", "Basic " + tok)
        with urllib.request.urlopen(r, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def ctl(self, **body):
        return self._req("/__ctl", body)

    def stats(self):
        return self._req("/__ctl/stats")

    def _q(self, sql, args=()):
        con = sqlite3.connect(self.db, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def calls(self, project):
        pid = base64.b64encode(project.encode()).decode()
        rows = self._q("SELECT id, trace_id, parent_id, op_name, started_at, ended_at, exception "
                       "FROM calls WHERE project_id = ?", (pid,))
        keys = ["id", "trace_id", "parent_id", "op_name", "started_at", "ended_at", "exception"]
        return [dict(zip(keys, r)) for r in rows]

    def files(self, project):
        pid = base64.b64encode(project.encode()).decode()
        return self._q("SELECT digest, length(val) FROM files WHERE project_id = ?", (pid,))

    def requests(self):
        if not self.record or not os.path.exists(self.record):
            return []
        with open(self.record) as f:
            return [json.loads(line) for line in f if line.strip()]
