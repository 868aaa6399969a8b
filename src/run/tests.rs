//! Unit tests of the run writer: records are decoded back with a minimal protobuf reader.

use super::*;
use crate::media::image::Image;

/// A decoded protobuf field.
#[derive(Debug, Clone)]
enum F {
    V(u64),
    B(Vec<u8>),
    /// A fixed64 field (value not needed by these tests).
    D,
}

fn varint(b: &[u8], pos: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let byte = b[*pos];
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return v;
        }
        shift += 7;
    }
}

fn decode(b: &[u8]) -> Vec<(u32, F)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let tag = varint(b, &mut pos);
        let field = (tag >> 3) as u32;
        match tag & 7 {
            0 => out.push((field, F::V(varint(b, &mut pos)))),
            1 => {
                pos += 8;
                out.push((field, F::D));
            }
            2 => {
                let n = varint(b, &mut pos) as usize;
                out.push((field, F::B(b[pos..pos + n].to_vec())));
                pos += n;
            }
            w => panic!("wire type {w}"),
        }
    }
    out
}

fn get(fields: &[(u32, F)], n: u32) -> Option<&F> {
    fields.iter().find(|(f, _)| *f == n).map(|(_, v)| v)
}

fn bytes(f: Option<&F>) -> Vec<u8> {
    match f {
        Some(F::B(b)) => b.clone(),
        _ => Vec::new(),
    }
}

fn string(f: Option<&F>) -> String {
    String::from_utf8(bytes(f)).unwrap()
}

/// (record type field, body fields) of every record in the log.
fn records(run_dir: &Path, id: &str) -> Vec<(u32, Vec<(u32, F)>)> {
    let data = fs::read(run_dir.join(format!("run-{id}.wandb"))).unwrap();
    let (recs, stop) = framing::read_records(&data).unwrap();
    assert_eq!(stop, framing::Stop::End);
    recs.iter()
        .map(|r| {
            let fields = decode(r);
            let (ty, body) = fields
                .iter()
                .find(|(f, _)| *f != proto::record::NUM && *f != proto::record::INFO)
                .map(|(f, v)| (*f, decode(&bytes(Some(v)))))
                .unwrap();
            (ty, body)
        })
        .collect()
}

/// History rows: (step, [(dotted key, value_json)]).
fn history_rows(recs: &[(u32, Vec<(u32, F)>)]) -> Vec<(i64, Vec<(String, String)>)> {
    recs.iter()
        .filter(|(t, _)| *t == proto::record::HISTORY)
        .map(|(_, body)| {
            let step = match get(&decode(&bytes(get(body, proto::history::STEP))), 1) {
                Some(F::V(v)) => *v as i64,
                _ => 0,
            };
            let items = body
                .iter()
                .filter(|(f, _)| *f == proto::history::ITEM)
                .map(|(_, it)| {
                    let it = decode(&bytes(Some(it)));
                    let key: Vec<String> = it
                        .iter()
                        .filter(|(f, _)| *f == proto::item::NESTED_KEY)
                        .map(|(_, v)| string(Some(v)))
                        .collect();
                    (key.join("."), string(get(&it, proto::item::VALUE_JSON)))
                })
                .collect();
            (step, items)
        })
        .collect()
}

fn value_of<'a>(items: &'a [(String, String)], key: &str) -> Option<&'a str> {
    items
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn tmp_root(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wbm-run-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn row(pairs: Vec<(&str, Value)>) -> Vec<(String, Value)> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

#[test]
fn layout_and_header() {
    let root = tmp_root("layout");
    let run = Run::open(
        &root,
        RunOptions {
            project: Some("p".into()),
            id: Some("abc123".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let dir = run.dir().to_path_buf();
    let name = dir.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("offline-run-") && name.ends_with("-abc123"),
        "{name}"
    );
    assert_eq!(name.len(), "offline-run-20260101_000000-abc123".len());
    assert_eq!(
        fs::read_link(root.join("wandb/latest-run")).unwrap(),
        PathBuf::from(&name)
    );
    for sub in ["files", "logs", "tmp"] {
        assert!(dir.join(sub).is_dir());
    }
    run.finish(3).unwrap();
    assert!(run.finish(0).is_err());
    assert!(run
        .log(&row(vec![("a", Value::Int(1))]), None, None)
        .is_err());
    let recs = records(&dir, "abc123");
    let types: Vec<u32> = recs.iter().map(|(t, _)| *t).collect();
    use proto::record as r;
    assert_eq!(
        types,
        [r::HEADER, r::RUN, r::ENVIRONMENT, r::SUMMARY, r::EXIT]
    );
    let exit = &recs[4].1;
    assert!(matches!(get(exit, proto::exit::EXIT_CODE), Some(F::V(3))));
    let runrec = &recs[1].1;
    assert_eq!(string(get(runrec, proto::run::RUN_ID)), "abc123");
    assert_eq!(string(get(runrec, proto::run::PROJECT)), "p");
    let data = fs::read(dir.join("run-abc123.wandb")).unwrap();
    assert_eq!(&data[..7], b":W&B\xe1\xbe\x00");
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn random_ids_are_8_base36_chars() {
    let a = random_run_id();
    assert_eq!(a.len(), 8);
    assert!(a
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
    assert_ne!(a, random_run_id());
    assert!(validate_id("a/b").is_err());
    assert!(validate_id("..").is_err());
    assert!(validate_id("run-1_x").is_ok());
}

/// The spec §15.4 table (plus a trailing uncommitted row flushed by finish), checked
/// against what wandb 0.31.0 wrote for the same calls.
#[test]
fn step_semantics_match_the_sdk() {
    let root = tmp_root("steps");
    let run = Run::open(&root, RunOptions::default()).unwrap();
    let img: Value = Image::from_u8(&[0u8; 4 * 6 * 3], 4, 6, 3).unwrap().into();
    type Call = (Vec<(String, Value)>, Option<i64>, Option<bool>);
    let calls: Vec<Call> = vec![
        (
            row(vec![("i", img.clone()), ("n", Value::Int(0))]),
            None,
            None,
        ),
        (
            row(vec![("i", img.clone()), ("n", Value::Int(1))]),
            Some(5),
            None,
        ),
        (
            row(vec![("i", img.clone()), ("n", Value::Int(2))]),
            None,
            None,
        ),
        (
            row(vec![("i", img.clone()), ("n", Value::Int(3))]),
            None,
            Some(false),
        ),
        (
            row(vec![("i2", img.clone()), ("n", Value::Int(4))]),
            None,
            None,
        ),
        (
            row(vec![("i", img.clone()), ("n", Value::Int(5))]),
            Some(2),
            None,
        ),
        (
            row(vec![("i", img.clone()), ("n", Value::Int(6))]),
            Some(10),
            Some(true),
        ),
        (
            row(vec![("i", img.clone()), ("n", Value::Int(7))]),
            Some(10),
            None,
        ),
        (row(vec![("m", Value::Int(8))]), Some(12), Some(false)),
        (row(vec![("m", Value::Int(9))]), Some(13), Some(false)),
        (row(vec![("m", Value::Int(10))]), None, Some(false)),
    ];
    for (r, step, commit) in &calls {
        run.log(r, *step, *commit).unwrap();
    }
    assert_eq!(run.dropped_rows(), 2);
    let dir = run.dir().to_path_buf();
    let id = run.id().to_string();
    run.finish(0).unwrap();
    let recs = records(&dir, &id);
    let rows = history_rows(&recs);
    let got: Vec<(i64, String, Option<String>)> = rows
        .iter()
        .map(|(s, items)| {
            let n = value_of(items, "n")
                .or(value_of(items, "m"))
                .unwrap()
                .to_string();
            let path = value_of(items, "i.path")
                .or(value_of(items, "i2.path"))
                .map(str::to_string);
            assert_eq!(value_of(items, "_step").unwrap(), s.to_string());
            assert!(value_of(items, "_runtime").is_some());
            assert!(value_of(items, "_timestamp").unwrap().contains("e+09"));
            (*s, n, path)
        })
        .collect();
    let p = |s: &str| Some(format!("\"media/images/{s}_d6a441bfe7e8f09712a9.png\""));
    assert_eq!(
        got,
        vec![
            (0, "0".into(), p("i_0")),
            // row 5: call 2's values (files named with local step 1) overwritten by call 3
            (5, "2".into(), p("i_5")),
            (6, "4".into(), p("i_6")),
            (10, "6".into(), p("i_7")),
            (12, "8".into(), None),
            (13, "10".into(), None),
        ]
    );
    // the step-6 row merged i (call 4) and i2 (call 5)
    assert_eq!(
        value_of(&rows[2].1, "i2.path").map(str::to_string),
        p("i2_6")
    );
    // every media file named in a row exists, and was announced before that row
    let mut announced = std::collections::HashSet::new();
    for (t, body) in &recs {
        if *t == proto::record::FILES {
            let it = decode(&bytes(get(body, proto::files::FILES)));
            announced.insert(string(get(&it, proto::files::PATH)));
        }
        if *t == proto::record::HISTORY {
            for (_, items) in history_rows(&[(*t, body.clone())]) {
                for (k, v) in items {
                    if k.ends_with(".path") {
                        let rel = v.trim_matches('"');
                        assert!(announced.contains(rel), "{rel} announced before its row");
                        assert!(dir.join("files").join(rel).is_file());
                    }
                }
            }
        }
    }
    // dropped rows still wrote their media (as the SDK does)
    assert!(dir
        .join("files/media/images/i_7_d6a441bfe7e8f09712a9.png")
        .is_file());
    let _ = fs::remove_dir_all(&root);
}

fn concurrent(async_queue: Option<usize>, name: &str) {
    let root = tmp_root(name);
    let run = Run::open(
        &root,
        RunOptions {
            async_queue,
            fsync: FsyncPolicy::Never,
            ..Default::default()
        },
    )
    .unwrap();
    const THREADS: i64 = 8;
    const PER: i64 = 150;
    std::thread::scope(|sc| {
        for t in 0..THREADS {
            let run = &run;
            sc.spawn(move || {
                for i in 0..PER {
                    let px = [(t * PER + i) as u8; 3];
                    let img: Value = Image::from_u8(&px, 1, 1, 3).unwrap().into();
                    let r = row(vec![
                        ("t", Value::Int(t)),
                        ("i", Value::Int(i)),
                        ("img", img),
                    ]);
                    run.log(&r, None, None).unwrap();
                }
            });
        }
    });
    run.flush().unwrap();
    let dir = run.dir().to_path_buf();
    let id = run.id().to_string();
    run.finish(0).unwrap();
    let rows = history_rows(&records(&dir, &id));
    assert_eq!(rows.len() as i64, THREADS * PER);
    let mut seen = std::collections::HashSet::new();
    for (n, (step, items)) in rows.iter().enumerate() {
        assert_eq!(*step, n as i64, "steps are contiguous in commit order");
        let t = value_of(items, "t").unwrap();
        let i = value_of(items, "i").unwrap();
        assert!(seen.insert((t.to_string(), i.to_string())), "row once");
        // media were named with the ticket's local step, which equals the row step here
        let path = value_of(items, "img.path").unwrap();
        assert!(
            path.contains(&format!("img_{step}_")),
            "{path} in row {step}"
        );
        assert!(dir.join("files").join(path.trim_matches('"')).is_file());
    }
    let _ = fs::remove_dir_all(&root);
}

#[test]
fn many_threads_sync() {
    concurrent(None, "mt-sync");
}

#[test]
fn many_threads_async() {
    concurrent(Some(4), "mt-async");
}

#[test]
fn summary_config_and_singletons() {
    let root = tmp_root("summary");
    let run = Run::open(
        &root,
        RunOptions {
            config: Some(Json::parse(r#"{"lr":0.1,"layers":[1,2]}"#).unwrap()),
            tags: vec!["a".into()],
            ..Default::default()
        },
    )
    .unwrap();
    run.summary_update(&row(vec![("best", Value::Float(0.5))]))
        .unwrap();
    run.config_update_json(r#"{"extra":"v"}"#).unwrap();
    assert!(run.config_update_json("[1]").is_err());
    run.run_dir().add_class_labels_for_test();
    run.log(&row(vec![("x", Value::Float(1e-5))]), None, None)
        .unwrap();
    let dir = run.dir().to_path_buf();
    let id = run.id().to_string();
    run.finish(0).unwrap();
    let recs = records(&dir, &id);
    let kinds: Vec<u32> = recs.iter().map(|(t, _)| *t).collect();
    use proto::record as r;
    assert_eq!(
        kinds,
        [
            r::HEADER,
            r::RUN,
            r::ENVIRONMENT,
            r::SUMMARY,
            r::CONFIG,
            r::CONFIG,
            r::SUMMARY,
            r::SUMMARY,
            r::HISTORY,
            r::SUMMARY,
            r::EXIT
        ]
    );
    let cfg_items = |body: &Vec<(u32, F)>| -> Vec<(String, String)> {
        body.iter()
            .map(|(_, it)| {
                let it = decode(&bytes(Some(it)));
                (
                    string(get(&it, proto::item::KEY)),
                    string(get(&it, proto::item::VALUE_JSON)),
                )
            })
            .collect()
    };
    let run_cfg = decode(&bytes(get(&recs[1].1, proto::run::CONFIG)));
    assert_eq!(
        cfg_items(&run_cfg),
        [
            ("_wandb".to_string(), "{}".to_string()),
            ("lr".into(), "0.1".into()),
            ("layers".into(), "[1,2]".into())
        ]
    );
    assert_eq!(
        cfg_items(&recs[3].1),
        [("best".to_string(), "0.5".to_string())]
    );
    assert_eq!(
        cfg_items(&recs[4].1),
        [("extra".to_string(), "\"v\"".to_string())]
    );
    assert_eq!(cfg_items(&recs[5].1)[0].0, "_wandb");
    assert!(cfg_items(&recs[5].1)[0]
        .1
        .starts_with("{\"mask/class_labels\":"));
    let rows = history_rows(&recs);
    assert_eq!(value_of(&rows[0].1, "x"), Some("1e-05"));
    let _ = fs::remove_dir_all(&root);
}

impl RunDir {
    fn add_class_labels_for_test(&self) {
        self.add_class_labels(
            "mask/class_labels",
            "img",
            "m",
            Json::object([("1", Json::str("a"))]),
        );
    }
}

#[test]
fn tables_create_one_run_table_artifact_per_binding() {
    use crate::media::table::{Table, TableOptions};
    let root = tmp_root("tables");
    let run = Run::open(
        &root,
        RunOptions {
            id: Some("tbltest1".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let mut t = Table::from_columns_json(
        &Json::parse(r#"["a","b"]"#).unwrap(),
        TableOptions::default(),
    )
    .unwrap();
    t.add_row(vec![Value::Int(1), Value::Str("x".into())])
        .unwrap();
    let t: Value = t.into();
    // logged twice: an IMMUTABLE table re-logged is the same binding (no second artifact)
    run.log(&row(vec![("my table", t.clone())]), None, None)
        .unwrap();
    run.log(&row(vec![("my table", t.clone())]), None, None)
        .unwrap();
    let dir = run.dir().to_path_buf();
    run.finish(0).unwrap();
    let recs = records(&dir, "tbltest1");
    let arts: Vec<&Vec<(u32, F)>> = recs
        .iter()
        .filter(|(t, _)| *t == proto::record::ARTIFACT)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(arts.len(), 1);
    let a = arts[0];
    assert_eq!(string(get(a, proto::artifact::TYPE)), "run_table");
    assert_eq!(
        string(get(a, proto::artifact::NAME)),
        "run-tbltest1-mytable-msmVUQ"
    );
    let manifest = decode(&bytes(get(a, proto::artifact::MANIFEST)));
    let entry = decode(&bytes(get(&manifest, proto::artifact::manifest::CONTENTS)));
    assert_eq!(
        string(get(&entry, proto::artifact::entry::PATH)),
        "my table.table.json"
    );
    let staged = PathBuf::from(string(get(&entry, proto::artifact::entry::LOCAL_PATH)));
    let text = fs::read_to_string(&staged).unwrap();
    assert!(text.starts_with("{\"_type\": \"table\""), "{text}");
    assert!(staged.starts_with(dir.join("tmp/artifacts")));
    // the artifact record comes right before the run copy's files record
    let i = recs
        .iter()
        .position(|(t, _)| *t == proto::record::ARTIFACT)
        .unwrap();
    assert_eq!(recs[i + 1].0, proto::record::FILES);
    let _ = fs::remove_dir_all(&root);
}
