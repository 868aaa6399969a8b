//! Client-level tests: offline spooling from many threads, the call tree, abandoned
//! calls, and delivery (with the legacy fallback, 413 halving, duplicate answers and a
//! resumed spool) to a small recording HTTP server.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use super::*;
use crate::media::image::{Image, ImageOptions};
use crate::tensor::{DType, TensorView};

fn records(dir: &Path) -> Vec<Json> {
    let mut r = spool::SpoolReader::open(&dir.join(spool::LOG_NAME), 0).unwrap();
    let mut out = Vec::new();
    while let spool::Next::Record { payload, .. } = r.next_record().unwrap() {
        out.push(Json::parse(std::str::from_utf8(&payload).unwrap()).unwrap());
    }
    out
}

fn image(seed: u8) -> Value {
    let px: Vec<u8> = (0..8 * 8 * 3)
        .map(|i| (i as u8).wrapping_mul(seed))
        .collect();
    let t = TensorView::new(&px, DType::U8, &[8, 8, 3]).unwrap();
    Value::from(Image::from_tensor(&t, &ImageOptions::default()).unwrap())
}

fn offline(root: &Path) -> WeaveOptions {
    WeaveOptions {
        mode: Mode::Offline,
        spool_dir: Some(root.to_path_buf()),
        trace_server_url: Some("http://127.0.0.1:9".into()),
        base_url: Some("http://127.0.0.1:9".into()),
        ..Default::default()
    }
}

#[test]
fn offline_nested_calls_from_threads_spool_a_consistent_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let client = Client::open("ent/proj", &offline(tmp.path())).unwrap();
    let dir = client.spool_dir().unwrap().to_path_buf();
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let client = &client;
            s.spawn(move || {
                for i in 0..25i64 {
                    let inputs = Value::Dict(vec![
                        ("step".into(), Value::Int(i)),
                        ("img".into(), image(t % 2 + 1)),
                    ]);
                    let root = client
                        .start("policy_step", None, Some(&inputs), None)
                        .unwrap();
                    let child = client.start("preprocess", Some(&root), None, None).unwrap();
                    assert_eq!(child.trace_id, root.trace_id);
                    child.end(Some(&Value::Int(i)), None, None).unwrap();
                    assert!(child.end(None, None, None).is_err(), "ended twice");
                    root.end(
                        None,
                        Some("boom"),
                        Some(Json::object([("n", Json::Int(1))])),
                    )
                    .unwrap();
                }
            });
        }
    });
    let open = client.start("left_open", None, None, None).unwrap();
    let abandoned = client.start("abandoned", None, None, None).unwrap();
    drop(abandoned);
    let (st, r) = client.close(Duration::from_secs(5));
    r.unwrap();
    assert_eq!(st.calls_pending, 202, "{st:?}"); // 200 ended + 1 abandoned + 1 open at close
    assert_eq!(st.files_pending, 2, "two distinct images");
    assert_eq!(
        client.start("x", None, None, None).unwrap_err().kind,
        ErrorKind::State
    );
    drop(open);
    let recs = records(&dir);
    let kinds = |k: &str| {
        recs.iter()
            .filter(|r| r.get("k").and_then(Json::as_str) == Some(k))
            .count()
    };
    assert_eq!(
        (
            kinds("start"),
            kinds("end"),
            kinds("abandon"),
            kinds("file"),
            kinds("close")
        ),
        (202, 200, 1, 2, 1)
    );
    assert_eq!(spool_counts(&dir).unwrap(), (202, 200, 1, 2, true));
    // The tree: every preprocess has a policy_step parent with the same trace id.
    let mut by_id: HashMap<String, Json> = HashMap::new();
    for r in &recs {
        if let Some(c) = r
            .get("call")
            .filter(|_| r.get("k").unwrap().as_str() == Some("start"))
        {
            by_id.insert(c.get("id").unwrap().as_str().unwrap().into(), c.clone());
        }
    }
    let mut children = 0;
    for c in by_id.values() {
        if c.get("op_name").unwrap().as_str() == Some("preprocess") {
            let p = &by_id[c.get("parent_id").unwrap().as_str().unwrap()];
            assert_eq!(p.get("op_name").unwrap().as_str(), Some("policy_step"));
            assert_eq!(p.get("trace_id"), c.get("trace_id"));
            assert_ne!(p.get("id"), p.get("trace_id")); // as Python: a fresh trace id
            children += 1;
        }
        assert!(c
            .get("started_at")
            .unwrap()
            .as_str()
            .unwrap()
            .ends_with('Z'));
        assert!(c.get("attributes").unwrap().get("weave").is_some());
    }
    assert_eq!(children, 100);
    // Files are stored once, by digest, with the bytes the envelopes name.
    let files: Vec<_> = std::fs::read_dir(dir.join(spool::FILES_DIR))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 2);
    for f in files {
        let p = f.unwrap().path();
        let d = p.file_name().unwrap().to_str().unwrap().to_string();
        assert_eq!(ids::weave_digest(&std::fs::read(&p).unwrap()), d);
    }
}

#[test]
fn disabled_mode_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut o = offline(tmp.path());
    o.mode = Mode::Disabled;
    let c = Client::open("p", &o).unwrap();
    let call = c.start("op", None, None, None).unwrap();
    call.end(None, None, None).unwrap();
    assert_eq!(c.close(Duration::ZERO).0, Status::default());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    assert!(split_project("a/b/c").is_err() && split_project("/p").is_err());
    assert_eq!(split_project("p").unwrap(), (None, "p".into()));
}

/// A small HTTP/1.1 server recording (path, body) and answering by a rule.
struct Recorder {
    url: String,
    log: Arc<Mutex<Vec<(String, String)>>>,
}

type Rule = dyn Fn(&str, &str, usize) -> (u16, String) + Send + Sync;

fn serve(rule: Arc<Rule>) -> Recorder {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let log: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in l.incoming() {
            let Ok(mut s) = stream else { continue };
            let log = log2.clone();
            let rule = rule.clone();
            std::thread::spawn(move || loop {
                let mut r = BufReader::new(match s.try_clone() {
                    Ok(x) => x,
                    Err(_) => return,
                });
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let mut len = 0usize;
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap_or(0) == 0 {
                        return;
                    }
                    if h == "\r\n" {
                        break;
                    }
                    let lower = h.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                let body = String::from_utf8_lossy(&body).into_owned();
                let n = {
                    let mut g = log.lock().unwrap();
                    g.push((path.clone(), body.clone()));
                    g.iter().filter(|(p, _)| *p == path).count()
                };
                let (status, text) = rule(&path, &body, n);
                let resp = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
                    text.len()
                );
                if s.write_all(resp.as_bytes()).is_err() {
                    return;
                }
            });
        }
    });
    Recorder { url, log }
}

fn calls_in(log: &[(String, String)]) -> Vec<(String, Json)> {
    let mut out = Vec::new();
    for (p, b) in log {
        if !(p.ends_with("calls/complete")
            || p.ends_with("upsert_batch")
            || p.ends_with("call/start"))
        {
            continue;
        }
        let j = Json::parse(b).unwrap();
        match j.get("batch") {
            Some(Json::Array(items)) => {
                for it in items {
                    out.push((p.clone(), it.clone()));
                }
            }
            _ => out.push((p.clone(), j)),
        }
    }
    out
}

#[test]
fn delivers_with_fallbacks_and_a_synced_crash_spool_exactly_once() {
    std::env::set_var("WANDB_X_RETRY_MIN_SECONDS", "0.05");
    std::env::set_var("WANDB_X_RETRY_MAX_SECONDS", "0.2");
    // calls/complete: 404 (legacy server) → upsert_batch; its first answer is a 500, then
    // batches of more than 2 start/end pairs are too large (413).
    let rule: Arc<Rule> = Arc::new(|path: &str, body: &str, n: usize| {
        if path.ends_with("/calls/complete") {
            return (404, "{}".into());
        }
        if path == "/call/upsert_batch" {
            if n == 1 {
                return (500, "{}".into());
            }
            let items = Json::parse(body).unwrap();
            if let Some(Json::Array(a)) = items.get("batch") {
                if a.len() > 4 {
                    return (413, "{}".into());
                }
            }
        }
        if path == "/graphql" {
            return (
                200,
                r#"{"data":{"viewer":{"username":"u","defaultEntity":{"name":"team"}}}}"#.into(),
            );
        }
        (200, r#"{"digest":"x"}"#.into())
    });
    let srv = serve(rule);
    let tmp = tempfile::tempdir().unwrap();
    let opts = WeaveOptions {
        mode: Mode::Online,
        spool_dir: Some(tmp.path().to_path_buf()),
        trace_server_url: Some(srv.url.clone()),
        base_url: Some(srv.url.clone()),
        api_key: Some("k".repeat(40)),
        ..Default::default()
    };
    let client = Client::open("proj", &opts).unwrap();
    let mut ids = Vec::new();
    for i in 0..7 {
        let inputs = Value::Dict(vec![("img".into(), image(3))]);
        let c = client.start("op", None, Some(&inputs), None).unwrap();
        ids.push(c.id.clone());
        c.end(Some(&Value::Int(i)), None, None).unwrap();
    }
    let abandoned = client.start("abandoned", None, None, None).unwrap();
    let ab_id = abandoned.id.clone();
    drop(abandoned);
    let (st, r) = client.close(Duration::from_secs(30));
    r.unwrap();
    assert_eq!(
        (st.calls_sent, st.calls_pending, st.files_sent),
        (8, 0, 1),
        "{st:?}"
    );
    let log = srv.log.lock().unwrap().clone();
    let calls = calls_in(&log);
    let starts: Vec<&Json> = calls
        .iter()
        .filter(|(p, c)| {
            p == "/call/upsert_batch" && c.get("mode").unwrap().as_str() == Some("start")
        })
        .map(|(_, c)| c.get("req").unwrap().get("start").unwrap())
        .collect();
    // Every id started exactly once in the accepted answers (the 500'd and 413'd batches
    // were re-sent with the same ids).
    let mut seen: Vec<String> = starts
        .iter()
        .map(|s| s.get("id").unwrap().as_str().unwrap().to_string())
        .collect();
    seen.sort();
    seen.dedup();
    let mut want = ids.clone();
    want.push(ab_id.clone());
    want.sort();
    assert_eq!(seen, want);
    assert!(starts
        .iter()
        .all(|s| s.get("project_id").unwrap().as_str() == Some("team/proj")));
    // The file went first, with its digest.
    let first_call = log.iter().position(|(p, _)| p.contains("call")).unwrap();
    let file = log.iter().position(|(p, _)| p == "/file/create").unwrap();
    assert!(file < first_call);
    assert!(log[file].1.contains("name=\"expected_digest\""));
    assert!(log[file].1.contains("filename=\"image.png\""));
    // The abandoned call: a start without an end.
    let ends: Vec<String> = calls
        .iter()
        .filter(|(_, c)| c.get("mode").and_then(Json::as_str) == Some("end"))
        .map(|(_, c)| {
            c.get("req")
                .unwrap()
                .get("end")
                .unwrap()
                .get("id")
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(!ends.contains(&ab_id));
    assert!(ends.len() >= 7);
    assert!(client.spool_dir().unwrap().join(spool::DONE_NAME).exists());
    drop(client);

    // A crashed writer: a spool with calls, no close record, one call open, and an ack
    // saying the first two were delivered. Sync sends the rest once (the open call as
    // started-only), a second sync nothing.
    let rule2: Arc<Rule> = Arc::new(|path: &str, _b: &str, _n: usize| {
        if path.ends_with("/calls/complete") || path.ends_with("/call/start") {
            return (200, "{}".into());
        }
        (200, r#"{"digest":"x"}"#.into())
    });
    let srv2 = serve(rule2);
    let root2 = tempfile::tempdir().unwrap();
    let meta = Json::object([
        ("format", Json::str(spool::FORMAT)),
        ("version", Json::Int(1)),
        ("entity", Json::str("e")),
        ("project", Json::str("p")),
        ("trace_server_url", Json::str(srv2.url.clone())),
        ("base_url", Json::str(srv2.url.clone())),
    ]);
    let mut w = SpoolWriter::create(root2.path(), &meta).unwrap();
    let dir2 = w.dir.clone();
    let start = |id: &str| {
        Json::object([
            ("k", Json::str("start")),
            (
                "call",
                Json::object([("id", Json::str(id)), ("trace_id", Json::str(id))]),
            ),
        ])
    };
    let end = |id: &str| {
        Json::object([
            ("k", Json::str("end")),
            (
                "call",
                Json::object([("id", Json::str(id)), ("output", Json::Int(1))]),
            ),
        ])
    };
    for id in ["a", "b", "c", "d"] {
        w.append(&start(id)).unwrap();
    }
    w.append(&end("a")).unwrap();
    w.append(&end("b")).unwrap();
    w.append(&end("c")).unwrap();
    drop(w); // "d" stays open: the writer died
             // Ack after a and b: everything before end(c) handled, c and d open.
    let recs_off = {
        let mut r = spool::SpoolReader::open(&dir2.join(spool::LOG_NAME), 0).unwrap();
        let mut v = Vec::new();
        while let spool::Next::Record { start, .. } = r.next_record().unwrap() {
            v.push(start);
        }
        v
    };
    spool::Ack {
        offset: recs_off[6],
        open: vec![recs_off[2], recs_off[3]],
        calls_sent: 2,
        files_sent: 0,
    }
    .save(&dir2)
    .unwrap();
    let k = "k".repeat(40);
    let o = sync_spool(
        &dir2,
        Some(&srv2.url),
        Some(&srv2.url),
        Some(&k),
        Some(Duration::from_secs(20)),
    )
    .unwrap();
    assert_eq!(o.calls_sent, 2);
    let log2 = srv2.log.lock().unwrap().clone();
    let calls2 = calls_in(&log2);
    let got: Vec<(String, String, bool)> = calls2
        .iter()
        .map(|(p, c)| {
            let c = c.get("start").unwrap_or(c);
            (
                p.rsplit('/').next().unwrap().to_string(),
                c.get("id").unwrap().as_str().unwrap().to_string(),
                c.get("ended_at").is_some() || c.get("output").is_some(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("complete".to_string(), "c".to_string(), true),
            ("start".to_string(), "d".to_string(), false)
        ]
    );
    assert!(
        sync_spool(&dir2, Some(&srv2.url), None, Some(&k), None)
            .unwrap()
            .already_done
    );
    assert_eq!(srv2.log.lock().unwrap().len(), log2.len());
}
