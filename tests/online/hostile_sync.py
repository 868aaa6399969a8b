#!/usr/bin/env python3
"""Sync of hostile run directories against a real server (issue 22), run by
tests/online/online.sh hostile (`make test-hostile-sync`): `wandb-media sync --timeout T`
of crafted run directories, truncations and bit flips of a real log, against one local
openwandb server (127.0.0.1, fresh data dir). For every case: the process ends by itself
(no signal, no hang: each call is bounded by its --timeout plus a margin), the exit status
and the `.synced` marker agree (marker only after exit 0; a run reported synced is on the
server), output has no raw control characters, and at the end no byte of the canary files
placed next to the runs is anywhere in the server's data directory.

  hostile_sync.py WANDB_MEDIA ONLINE_WRITER
"""
import os
import random
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_online as c  # noqa: E402

CANARY = b"CANARY-7f3a9-must-never-reach-the-server"
TIMEOUT = 8  # --timeout of every sync
MARGIN = 12  # process start + finish work beyond the timeout


# --- a minimal .wandb writer (framing as run/framing.rs, records as run/proto.rs) ---

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def fbytes(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return varint(field << 3 | 2) + varint(len(data)) + data


def fint(field, v):
    return varint(field << 3) + varint(v & (2**64 - 1))


def frame(records):
    out = bytearray(b":W&B\xe1\xbe\x00")
    block = 32 * 1024
    for rec in records:
        rest, first = rec, True
        while True:
            left = block - len(out) % block
            if left < 7:
                out += b"\0" * left
                left = block
            n = min(len(rest), left - 7)
            frag, rest = rest[:n], rest[n:]
            last = not rest
            ty = 1 if first and last else 2 if first else 4 if last else 3
            out += struct.pack("<IHB", zlib.crc32(bytes([ty]) + frag), n, ty) + frag
            first = False
            if last:
                break
    return bytes(out)


def reseal(data):
    """Recomputes the chunk checksums of a log whose framing is intact (after an edit)."""
    b, i, block = bytearray(data), 7, 32 * 1024
    while i + 7 <= len(b):
        left = block - i % block
        if left < 7:
            i += left
            continue
        n, ty = struct.unpack_from("<HB", b, i + 4)
        if (n == 0 and ty == 0) or i + 7 + n > len(b) or 7 + n > left:
            break
        struct.pack_into("<I", b, i, zlib.crc32(bytes([ty]) + bytes(b[i + 7:i + 7 + n])))
        i += 7 + n
    return bytes(b)


def run_rec(rid):
    return fbytes(17, fbytes(1, rid) + fbytes(3, "hostile"))


def item(path, value_json):
    b = fbytes(1, path[0]) if len(path) == 1 else b"".join(fbytes(2, k) for k in path)
    return b + fbytes(16, value_json)


def history_rec(items):
    return fbytes(2, b"".join(fbytes(1, item(p, v)) for p, v in items))


def files_rec(paths):
    return fbytes(6, b"".join(fbytes(1, fbytes(1, p)) for p in paths))


def exit_rec(code=0):
    return fbytes(18, fint(1, code))


def base_log(rid, extra=()):
    return frame([run_rec(rid), history_rec([(["_step"], "0"), (["loss"], "0.5")]), *extra, exit_rec()])


# --- running one case ---

CONTROL = set(range(0x20)) - {0x0A} | {0x7F}
results = []


def sync(name, d, server, wandb_media, expect_rc=None, expect_in=None, expect_not_in=()):
    t0 = time.time()
    try:
        p = subprocess.run([wandb_media, "sync", "--timeout", str(TIMEOUT), d], env=server.env(),
                           capture_output=True, timeout=TIMEOUT + MARGIN)
    except subprocess.TimeoutExpired:
        c.check(False, f"{name}: sync did not end within {TIMEOUT + MARGIN} s (hang)")
        return None
    dt = time.time() - t0
    out = (p.stdout + p.stderr)
    text = out.decode("utf-8", "replace")
    rc = p.returncode
    results.append((name, rc, dt))
    c.check(rc in (0, 1), f"{name}: exit status {rc} (a crash or signal): {text[-400:]}")
    raw = sorted({b for b in out if b in CONTROL})
    c.check(not raw, f"{name}: raw control characters {raw} in the output: {text[-300:]!r}")
    markers = [f for f in os.listdir(d) if f.endswith(".wandb.synced")] if os.path.isdir(d) else []
    c.check(bool(markers) == (rc == 0), f"{name}: exit {rc} but .synced markers {markers}")
    if rc == 0:
        c.check("synced" in text and "complete on disk" not in text, f"{name}: {text[-300:]}")
    else:
        c.check(" synced " not in text.replace("not synced", ""), f"{name}: failed sync reported as synced: {text[-300:]}")
    if expect_rc is not None:
        c.check(rc == expect_rc, f"{name}: exit {rc}, expected {expect_rc}: {text[-400:]}")
    if expect_in:
        c.check(expect_in in text, f"{name}: {expect_in!r} not in {text[-400:]!r}")
    for s in expect_not_in:
        c.check(s not in text, f"{name}: {s!r} in {text[-400:]!r}")
    return rc, text


def new_case(work, name, log=None):
    d = os.path.join(work, "cases", name, "run")
    os.makedirs(os.path.join(d, "files"), exist_ok=True)
    with open(os.path.join(work, "cases", name, "canary.txt"), "wb") as f:
        f.write(CANARY)
    if log is not None:
        with open(os.path.join(d, f"run-{name}.wandb"), "wb") as f:
            f.write(log)
    return d


def main(wandb_media, online_writer):
    work = tempfile.mkdtemp(prefix="wbm-hostile-")
    with open(os.path.join(work, "canary.txt"), "wb") as f:
        f.write(CANARY)
    server = c.Server(work, "server").start()
    crafted = 0
    try:
        # 1. Logs that are not logs (items 4, 7, 10): no hang, no sync, no "complete on disk".
        not_logs = {
            "empty": b"",
            "headeronly": frame([]),
            "garbage": b"\x00\x01garbage, not a wandb log\n" * 40,
            "norunrecord": frame([history_rec([(["loss"], "1")]), exit_rec()]),
        }
        for name, log in not_logs.items():
            d = new_case(work, name, log)
            sync(name, d, server, wandb_media, expect_rc=1, expect_not_in=("complete on disk", "files////"))
            crafted += 1
        d = new_case(work, "fifolog")
        os.mkfifo(os.path.join(d, "run-fifolog.wandb"))
        sync("fifolog", d, server, wandb_media, expect_rc=1, expect_in="FIFO")
        d = new_case(work, "zerolog")
        os.symlink("/dev/zero", os.path.join(d, "run-zerolog.wandb"))
        sync("zerolog", d, server, wandb_media, expect_rc=1)
        crafted += 2
        # 2. Files records pointing out of the run, through links, at FIFOs and devices
        #    (items 4, 6): never uploaded, never a hang; the canary never reaches the server.
        out_cases = {
            "abspath": lambda d: os.path.abspath(os.path.join(d, "..", "canary.txt")),
            "dotdot": lambda d: "../canary.txt",
            "dotdot2": lambda d: "../../cases/dotdot2/canary.txt",
            "etcpasswd": lambda d: "/etc/passwd",
            "linkfile": lambda d: (os.symlink(os.path.join(d, "..", "canary.txt"), os.path.join(d, "files", "leak.txt")), "leak.txt")[1],
            "linkdir": lambda d: (os.symlink(os.path.join(d, ".."), os.path.join(d, "files", "up")), "up/canary.txt")[1],
            "fifotarget": lambda d: (os.mkfifo(os.path.join(d, "files", "fifo")), "fifo")[1],
            "zerotarget": lambda d: (os.symlink("/dev/zero", os.path.join(d, "files", "zero")), "zero")[1],
            "ctrlpath": lambda d: "bad\nname\x1b[31m\x07.txt",
        }
        for name, mk in out_cases.items():
            d = new_case(work, name)
            target = mk(d)
            with open(os.path.join(d, f"run-{name}.wandb"), "wb") as f:
                f.write(base_log(name, [files_rec([target])]))
            r = sync(name, d, server, wandb_media, expect_rc=1)
            if r and name == "ctrlpath":
                c.check("bad\\nname\\x1b[31m\\x07.txt" in r[1], f"ctrlpath: escaped path not printed: {r[1][-300:]!r}")
            # The rest of the run still arrived (only the bad file was refused).
            run = c.run_info(server, name)
            c.check(run is not None and len(server.history(run)) == 1, f"{name}: run/history missing on the server")
            crafted += 1
        # 3. Deep and huge records (items 2, 8): a 30 000-element nested_key, a value nested
        #    5000 deep (refused, clear error), one nested 900 deep (uploaded as a list).
        deep_key = [f"k{i}" for i in range(30000)]
        deep = lambda n: "[" * n + "1" + "]" * n  # noqa: E731
        for name, extra, rc in [
            ("nestedkey", [history_rec([(deep_key, "1")])], 1),
            ("deep5000", [history_rec([(["x"], deep(5000))])], 1),
            ("deep900", [history_rec([(["_step"], "1"), (["x"], deep(900))])], 0),
            # a config key path of 900 components (0.2.0: a block-style YAML quadratic in it)
            ("deepconfig", [fbytes(5, fbytes(1, item([f"k{i}" for i in range(900)], "1")))], 0),
        ]:
            d = new_case(work, name, base_log(name, extra))
            r = sync(name, d, server, wandb_media, expect_rc=rc)
            crafted += 1
            if name == "nestedkey" and r:
                c.check("nested_key" in r[1], f"nestedkey: no clear error: {r[1][-300:]!r}")
            if name == "deep900" and r and r[0] == 0:
                rows = server.history(c.run_info(server, name))
                v = rows[-1].get("x") if rows else None
                depth = 0
                while isinstance(v, list) and len(v) == 1:
                    depth, v = depth + 1, v[0]
                c.check(depth == 900 and v == 1, f"deep900: server row x has list depth {depth} ({type(v).__name__})")
            if name == "deepconfig" and r and r[0] == 0:
                run = c.run_info(server, name)
                st, body = server.file(run, "config.yaml")
                # input: 900 keys of ~5 bytes; linear output stays within a small multiple
                c.check(st == 200 and len(body) < 20 * 6 * 900, f"deepconfig: config.yaml {st}, {len(body)} bytes")
        # 4. Planted links where sync writes (config.yaml, the progress file): never
        #    followed out of the run; a /dev/zero progress file never hangs.
        d = new_case(work, "plantedwrites", base_log("plantedwrites"))
        victim = os.path.join(work, "victim.txt")
        with open(victim, "wb") as f:
            f.write(b"victim")
        for n in ("config.yaml", "wandb-summary.json", "wandb-metadata.json"):
            os.symlink(victim, os.path.join(d, "files", n))
        os.makedirs(os.path.join(d, "logs"))
        os.symlink("/dev/zero", os.path.join(d, "logs", "wandb-media-upload.txt"))
        sync("plantedwrites", d, server, wandb_media, expect_rc=0)
        c.check(open(victim, "rb").read() == b"victim", "plantedwrites: a file outside the run was written")
        crafted += 1
        # 5. A Python-SDK run with a 40-deep list (item 8): uploaded as a list, as `wandb sync`.
        py = os.path.join(work, "pyrun")
        script = (
            "import wandb\n"
            "def n(d):\n v = 1\n for _ in range(d): v = [v]\n return v\n"
            f"r = wandb.init(mode='offline', project='hostile', dir={py!r}, id='pydeep40')\n"
            "r.log({'x': n(40)}); r.finish()\n"
        )
        os.makedirs(py)
        q = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true"))
        c.check(q.returncode == 0, f"python run: {q.stderr[-400:]}")
        pyd = [os.path.join(py, "wandb", x) for x in os.listdir(os.path.join(py, "wandb")) if x.startswith("offline-run-")]
        if c.check(len(pyd) == 1, f"python run dir: {pyd}"):
            sync("pydeep40", pyd[0], server, wandb_media, expect_rc=0)
            rows = server.history(c.run_info(server, "pydeep40"))
            v, depth = rows[-1].get("x") if rows else None, 0
            while isinstance(v, list) and len(v) == 1:
                depth, v = depth + 1, v[0]
            c.check(depth == 40 and v == 1, f"pydeep40: the 40-deep list arrived as depth {depth} {type(v).__name__}")
        # 6. Truncations and bit flips of a real log written by this library.
        src = os.path.join(work, "writer")
        p = subprocess.run([online_writer, "rows", src, "6", "2"], capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, WANDB_MODE="offline"))
        c.check(p.returncode == 0, f"online_writer: {p.stderr[-300:]}")
        import json
        rdir = json.loads(p.stdout.strip().splitlines()[-1])["dir"]
        rid = c.run_id_of(rdir)
        log = open(os.path.join(rdir, f"run-{rid}.wandb"), "rb").read()
        rng = random.Random(20261207)
        offsets = sorted({0, 3, 7, len(log) - 1, *rng.sample(range(8, len(log) - 1), 14)})
        variants = [(f"t{o}", o, None) for o in offsets]
        variants += [(f"f{i}", None, [(rng.randrange(len(log)), 1 << rng.randrange(8)) for _ in range(rng.randint(1, 3))])
                     for i in range(16)]
        for name, cut, flips in variants:
            # A fresh run id per variant (openwandb appends re-uploads): same length, the
            # checksums resealed, then the truncation or the flips.
            vid = (name + "x" * len(rid))[: len(rid)]
            data = bytearray(reseal(log.replace(rid.encode(), vid.encode())))
            if cut is not None:
                data = data[:cut]
            for at, bit in flips or []:
                data[at] ^= bit
            data = bytes(data)
            d = new_case(work, name)
            import shutil
            shutil.copytree(os.path.join(rdir, "files"), os.path.join(d, "files"), dirs_exist_ok=True, symlinks=True)
            with open(os.path.join(d, f"run-{vid}.wandb"), "wb") as f:
                f.write(data)
            r = sync(name, d, server, wandb_media)
            if r and os.environ.get("WBM_HOSTILE_VERBOSE"):
                print(f"  {name}: exit {r[0]}: {r[1].strip()[-300:]}")
            if r and r[0] == 0:
                c.check(c.run_info(server, vid) is not None, f"{name}: reported synced but not on the server")
        # 7. Nothing of any canary anywhere on the server.
        leaked = []
        for root, _dirs, files in os.walk(os.path.join(server.dir, "data")):
            for f in files:
                p = os.path.join(root, f)
                if os.path.isfile(p) and CANARY in open(p, "rb").read():
                    leaked.append(p)
        c.check(not leaked, f"the canary reached the server: {leaked}")
    finally:
        server.stop()
    worst = max((dt for _n, _rc, dt in results), default=0)
    print(f"  {len(results)} syncs ({crafted} crafted, {len(offsets)} truncation offsets, 16 bit-flip variants), "
          f"slowest {worst:.1f} s, exits: {sum(1 for r in results if r[1] == 0)} ok / {sum(1 for r in results if r[1] == 1)} failed")
    c.done("hostile", work)


if __name__ == "__main__":
    main(*sys.argv[1:3])
