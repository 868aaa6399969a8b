#!/usr/bin/env python3
"""The run's URL and uncaught C++ exceptions (issue 23, items 3 and 4) against a local
openwandb (tests/online/online.sh "url" and "terminate"; helpers from check_online.py).

  check_url.py url URL_RUN WANDB_MEDIA   an online C run: "View run at <url>" logged once the
                                         server answered and "View run <name> at: <url>" at
                                         finish (log handler and the default stderr), the URL
                                         returned by wb_run_url equal to the real SDK's
                                         Settings.run_url for the same base URL, entity,
                                         project and id (the entity the server used: GET
                                         /api/v2/runs/<id> and its files agree, openwandb's
                                         own run page for them exists); WANDB_APP_URL
                                         overrides; offline: WB_ERR_UNSUPPORTED, no string;
                                         `wandb-media sync` prints the app URL
  check_url.py terminate TERMINATE_RUN   a C++ program whose exception nothing catches:
                                         with wb::install_terminate_handler() the server
                                         shows the run finished, every row logged before it,
                                         and the last file_stream request says exit code 1
                                         (a recording proxy: openwandb does not store exit
                                         codes); without it the run stays unfinished

openwandb does not serve the W&B app's routes (`/<entity>/<project>/runs/<id>` is 404 there,
also for the SDK's own URL), so the URL is checked as the SDK derives it, and its parts
against what the server stored.
"""
import os
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_online import Server, check, done, counted, http_get, run_info  # noqa: E402


def sdk_run_url(base, entity, project, rid, app_url=None):
    """The real SDK's run URL (wandb 0.31 Settings.run_url) for these values."""
    from wandb.sdk.wandb_settings import Settings

    kw = dict(base_url=base, entity=entity, project=project, run_id=rid)
    if app_url:
        kw["app_url_override"] = app_url
    return Settings(**kw).run_url


def tagged(out, tag):
    return [line[len(tag) + 1:] for line in out.splitlines() if line.startswith(tag + " ")]


def cmd_url(url_run, wandb_media):
    work = tempfile.mkdtemp(prefix="wbm-url-")
    s = Server(work, "server")
    try:
        s.start()
        # 1. online, log handler
        p = subprocess.run([url_run, "online", os.path.join(work, "a"), "5"], env=s.env(),
                           capture_output=True, text=True, timeout=300)
        if check(p.returncode == 0, f"online run failed: {p.stderr[-800:]}"):
            url, entity, rid = tagged(p.stdout, "URL")[0], tagged(p.stdout, "ENTITY")[0], tagged(p.stdout, "ID")[0]
            first = tagged(p.stdout, "FIRST")[0]
            check(first in ("WB_ERR_STATE", "WB_OK"), f"wb_run_url right after open: {first}")
            run = run_info(s, rid)
            check(run is not None and run["state"] == "finished", f"run {rid} on the server: {run and run['state']}")
            if run:
                check(run["entity"] == entity and run["project"] == "wbm-url",
                      f"server stored {run['entity']}/{run['project']}, wb_run_entity {entity}")
                # openwandb's own page of that entity/project/id exists (302 to its login), a
                # wrong id is 404: the three parts name the run the server has.
                ok_page = http_get(f"{s.base}/runs/{entity}/wbm-url/{rid}")[0]
                bad_page = http_get(f"{s.base}/runs/{entity}/wbm-url/{rid}x")[0]
                check(ok_page in (200, 302, 303, 307) and bad_page == 404,
                      f"openwandb run page: {ok_page}, wrong id {bad_page}")
            expect = f"{s.base}/{entity}/wbm-url/runs/{rid}"
            sdk = sdk_run_url(s.base, entity, "wbm-url", rid)
            check(url == expect == sdk, f"URL {url!r}, expected {expect!r}, SDK {sdk!r}")
            logs = tagged(p.stdout, "LOG")
            want_open, want_finish = f"1 View run at {url}", f"1 View run url-run at: {url}"
            check(logs.count(want_open) == 1 and logs.count(want_finish) == 1
                  and logs.index(want_open) < logs.index(want_finish),
                  f"log handler messages {logs}")
            check(tagged(p.stdout, "AFTER") == [url], f"wb_run_url after finish: {tagged(p.stdout, 'AFTER')}")
            print(f"  online: {url} (= SDK Settings.run_url); entity {entity!r} as stored; logged at open and finish")
        # 2. the default handler prints both lines to stderr (not under WANDB_SILENT)
        env = s.env()
        env.pop("WANDB_SILENT", None)
        p = subprocess.run([url_run, "online", os.path.join(work, "b"), "2", "stderr"], env=env,
                           capture_output=True, text=True, timeout=300)
        if check(p.returncode == 0, f"stderr run failed: {p.stderr[-800:]}"):
            url = tagged(p.stdout, "URL")[0]
            lines = p.stderr.splitlines()
            check(f"wandb: View run at {url}" in lines and f"wandb: View run url-run at: {url}" in lines,
                  f"default handler stderr: {p.stderr[-800:]}")
            env["WANDB_SILENT"] = "true"
            q = subprocess.run([url_run, "online", os.path.join(work, "b2"), "1", "stderr"], env=env,
                               capture_output=True, text=True, timeout=300)
            check(q.returncode == 0 and "View run" not in q.stderr, f"WANDB_SILENT: {q.stderr[-300:]}")
            print("  default handler: both lines on stderr; silent under WANDB_SILENT")
        # 3. WANDB_APP_URL overrides the derived app URL (as the SDK's app_url_override)
        p = subprocess.run([url_run, "online", os.path.join(work, "c"), "1"],
                           env=s.env(WANDB_APP_URL="https://ui.example.test/"), capture_output=True, text=True, timeout=300)
        if check(p.returncode == 0, f"WANDB_APP_URL run failed: {p.stderr[-800:]}"):
            url, entity, rid = tagged(p.stdout, "URL")[0], tagged(p.stdout, "ENTITY")[0], tagged(p.stdout, "ID")[0]
            sdk = sdk_run_url(s.base, entity, "wbm-url", rid, app_url="https://ui.example.test")
            check(url == f"https://ui.example.test/{entity}/wbm-url/runs/{rid}" == sdk, f"WANDB_APP_URL: {url!r} SDK {sdk!r}")
        # 4. offline: a clear status, no string; `wandb-media sync` prints the app URL
        p = subprocess.run([url_run, "offline", os.path.join(work, "off")], env=s.env(WANDB_MODE="offline"),
                           capture_output=True, text=True, timeout=300)
        if check(p.returncode == 0, f"offline run failed: {p.stderr[-800:]}"):
            for tag in ("URL", "ENTITY"):
                v = tagged(p.stdout, tag)
                check(len(v) == 1 and v[0].startswith("WB_ERR_UNSUPPORTED an offline run has no URL"), f"offline {tag}: {v}")
            d = tagged(p.stdout, "DIR")[0]
            q = subprocess.run([wandb_media, "sync", d], env=s.env(), capture_output=True, text=True, timeout=300)
            m = re.search(r": synced (\S+) \((\d+) rows", q.stdout)
            if check(q.returncode == 0 and m, f"sync: {q.stdout} {q.stderr[-500:]}"):
                rid = d.rsplit("-", 1)[-1]
                run = run_info(s, rid)
                want = f"{s.base}/{run['entity']}/wbm-url/runs/{rid}" if run else None
                check(run is not None and m.group(1) == want == sdk_run_url(s.base, run["entity"], "wbm-url", rid),
                      f"sync printed {m.group(1)}, expected {want}")
                print(f"  offline: WB_ERR_UNSUPPORTED; sync printed {m.group(1)}")
    finally:
        s.stop()
    done("url", work)


def cmd_terminate(terminate_run):
    from proxy import Proxy

    work = tempfile.mkdtemp(prefix="wbm-terminate-")
    s = Server(work, "server")
    n = 12
    try:
        s.start()
        for mode in ("handler", "nohandler"):
            px = Proxy(s.port).start()
            p = subprocess.run([terminate_run, os.path.join(work, mode), str(n), mode],
                               env=s.env(WANDB_BASE_URL=f"http://127.0.0.1:{px.port}"),
                               capture_output=True, text=True, timeout=300)
            px.stop()
            check(p.returncode == -signal.SIGABRT, f"{mode}: exit {p.returncode} (expected SIGABRT): {p.stderr[-500:]}")
            check("terminate called after throwing an instance of 'std::runtime_error'" in p.stderr,
                  f"{mode}: the previous terminate handler did not run: {p.stderr[-500:]}")
            urls, d = tagged(p.stdout, "URL"), tagged(p.stdout, "DIR")
            if not check(len(urls) == 1 and len(d) == 1, f"{mode}: output {p.stdout!r}"):
                continue
            rid = d[0].rsplit("-", 1)[-1]
            check(urls[0].endswith(f"/wbm-terminate/runs/{rid}") and tagged(p.stdout, "ENTITY"),
                  f"{mode}: C++ url()/entity(): {urls[0]}")
            run = run_info(s, rid)
            completes = [(r["json"].get("complete"), r["json"].get("exitcode")) for r in px.records
                         if r["path"].endswith("/file_stream") and isinstance(r.get("json"), dict) and r["json"].get("complete")]
            if mode == "handler":
                check(run is not None and run["state"] == "finished", f"handler: state {run and run['state']}")
                rows = s.history(run) if run else []
                check(counted(rows, n), f"handler: rows {[r.get('i') for r in rows]}")
                check(completes == [(True, 1)], f"handler: completion requests {completes}")
                print(f"  handler: SIGABRT after the previous handler; run finished, exit code 1, {len(rows)} rows on the server")
            else:
                check(run is not None and run["state"] != "finished", f"nohandler: state {run and run['state']}")
                check(completes == [], f"nohandler: completion requests {completes}")
                print(f"  nohandler: the run stays {run and run['state']!r} (no exit record, no completion)")
    finally:
        s.stop()
    done("terminate", work)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"url": cmd_url, "terminate": cmd_terminate}[cmd](*args)
