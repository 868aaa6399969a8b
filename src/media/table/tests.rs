//! Unit tests of `media::table` (run copy, artifact copy, joined and incremental tables).
use super::*;
use crate::media::image::Image;
use crate::run_dir::{RunDir, Step};

fn s(x: &str) -> Value {
    Value::Str(x.into())
}

fn table(cols: &[&str]) -> Table {
    Table::new(
        cols.iter().map(|c| DictKey::Str(c.to_string())).collect(),
        TableOptions::default(),
    )
    .unwrap()
}

fn bind(v: &dyn Media, dir: &RunDir, key: &str, step: i64) -> Json {
    let placed = Mutex::new(Vec::new());
    let ctx = BindCtx {
        sink: dir,
        key,
        step: Step::Num(step),
        placed: &placed,
    };
    v.to_json(&ctx).unwrap()
}

fn tmp_dir(name: &str) -> (PathBuf, RunDir) {
    let p = std::env::temp_dir().join(format!("wbm-table-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    let rd = RunDir::new(&p).unwrap();
    (p, rd)
}

#[test]
fn spec_vector_run_copy() {
    // §20: Table(columns=["x","y"], data=np.array([[1,2],[3,4]])) → 4258fa77…, 42 bytes.
    let mut t = table(&["x", "y"]);
    t.add_row(vec![Value::Int(1), Value::Int(2)]).unwrap();
    t.add_row(vec![Value::Int(3), Value::Int(4)]).unwrap();
    let file = MediaFile::new(t.run_copy_json().unwrap().to_compact().into_bytes(), "");
    assert_eq!(file.size(), 42);
    assert!(
        file.sha256.starts_with("4258fa77b12ff507cdfa"),
        "{}",
        file.sha256
    );
}

#[test]
fn row_json_and_binding_once() {
    let (p, rd) = tmp_dir("bind");
    let mut t = table(&["a"]);
    t.add_row(vec![Value::Int(1)]).unwrap();
    t.add_row(vec![Value::Int(2)]).unwrap();
    let j = bind(&t, &rd, "tab", 123456);
    let text = j.to_compact();
    assert!(text.starts_with(
        r#"{"_type":"table-file","sha256":"7cad2a554f5ba00c989f1afd7ce1886691c7cb9a3b82a521b2dbff789a6628f9","size":34,"artifact_path":"wandb-client-artifact://"#
    ), "{text}");
    assert!(text.ends_with(
        r#"/tab.table.json","path":"media/table/tab_123456_7cad2a554f5ba00c989f.table.json","ncols":1,"nrows":2,"log_mode":"IMMUTABLE"}"#
    ), "{text}");
    let b = t.binding().unwrap();
    assert_eq!(b.client_id.len(), 128);
    assert!(b
        .client_id
        .bytes()
        .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
    assert_ne!(b.client_id, b.sequence_client_id);
    assert!(text.contains(&format!("{}:latest/tab.table.json", b.sequence_client_id)));
    // Bound once: the same JSON again, even after a row was added (IMMUTABLE).
    t.add_row(vec![Value::Int(3)]).unwrap();
    assert_eq!(bind(&t, &rd, "other", 7), j);
    // MUTABLE: a new binding after a mutation.
    let mut m = Table::new(
        vec![DictKey::Str("a".into())],
        TableOptions {
            log_mode: LogMode::Mutable,
            ..Default::default()
        },
    )
    .unwrap();
    m.add_row(vec![Value::Int(1)]).unwrap();
    let j1 = bind(&m, &rd, "m", 1);
    assert_eq!(bind(&m, &rd, "m", 2), j1);
    m.add_row(vec![Value::Int(2)]).unwrap();
    let j2 = bind(&m, &rd, "m", 2);
    assert_ne!(j1, j2);
    assert!(j2
        .to_compact()
        .contains(r#""nrows":2,"log_mode":"MUTABLE""#));
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn validation_errors() {
    let mut t = table(&["a", "b"]);
    assert_eq!(
        t.add_row(vec![Value::Int(3)]).unwrap_err().message,
        "This table expects 2 columns: ['a', 'b'], found 1"
    );
    t.add_row(vec![Value::Int(1), s("x")]).unwrap();
    let e = t.add_row(vec![s("y"), s("x")]).unwrap_err().message;
    assert!(e.starts_with("Data row contained incompatible types:\n{'a': 'y', 'b': 'x'} of type {'a': String, 'b': String} is not assignable to {'a': None or Number, 'b': None or String}\nKey 'a':\n\tString not assignable to None or Number"), "{e}");
    t.add_row(vec![Value::Float(f64::NAN), Value::Null])
        .unwrap();
    let h = crate::media::histogram::Histogram::from_np(
        vec![Json::Int(1)],
        vec![Json::Int(0), Json::Int(1)],
    )
    .unwrap();
    assert!(t
        .add_row(vec![Value::Histogram(h), Value::Null])
        .unwrap_err()
        .message
        .contains("Histogram is not JSON serializable"));
    assert_eq!(t.nrows(), 2);
    assert!(
        Table::from_columns_json(&Json::parse(r#"["a",1]"#).unwrap(), TableOptions::default())
            .is_err()
    );
    assert!(
        Table::from_columns_json(&Json::parse(r#"[true]"#).unwrap(), TableOptions::default())
            .is_err()
    );
    let mut mixed = Table::new(
        vec![DictKey::Str("a".into())],
        TableOptions {
            allow_mixed_types: true,
            ..Default::default()
        },
    )
    .unwrap();
    mixed.add_row(vec![Value::Int(1)]).unwrap();
    mixed.add_row(vec![s("x")]).unwrap();
    mixed.add_row(vec![Value::Null]).unwrap();
}

#[test]
fn artifact_copy_matches_sdk_for_scalars() {
    // Real SDK output (wandb 0.31.0, offline run, staged artifact file).
    let mut t = table(&["i", "f", "s", "b", "none", "list", "dict"]);
    let d = |k: &str, n: Value| Value::Dict(vec![("k".into(), s(k)), ("n".into(), n)]);
    t.add_row(vec![
        Value::Int(1),
        Value::Float(0.5),
        s("x"),
        Value::Bool(true),
        Value::Null,
        Value::List(vec![Value::Int(1), Value::Float(2.5)]),
        d("v", Value::Int(1)),
    ])
    .unwrap();
    t.add_row(vec![
        Value::Int(2),
        Value::Float(f64::NAN),
        s("ünï ✓"),
        Value::Bool(false),
        Value::Null,
        Value::List(vec![]),
        d("w", Value::Float(2.5)),
    ])
    .unwrap();
    let a = t.artifact_copy().unwrap();
    assert_eq!(
        a.json,
        r#"{"_type": "table", "column_types": {"params": {"type_map": {"b": {"params": {"allowed_types": [{"wb_type": "boolean"}, {"wb_type": "none"}]}, "wb_type": "union"}, "dict": {"params": {"allowed_types": [{"wb_type": "none"}, {"params": {"type_map": {"k": {"wb_type": "string"}, "n": {"wb_type": "number"}}}, "wb_type": "typedDict"}]}, "wb_type": "union"}, "f": {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "number"}]}, "wb_type": "union"}, "i": {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "number"}]}, "wb_type": "union"}, "list": {"params": {"allowed_types": [{"wb_type": "none"}, {"params": {"element_type": {"wb_type": "number"}, "length": 0}, "wb_type": "list"}]}, "wb_type": "union"}, "none": {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "unknown"}]}, "wb_type": "union"}, "s": {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "string"}]}, "wb_type": "union"}}}, "wb_type": "typedDict"}, "columns": ["i", "f", "s", "b", "none", "list", "dict"], "data": [[1, 0.5, "x", true, null, [1, 2.5], {"k": "v", "n": 1}], [2, null, "\u00fcn\u00ef \u2713", false, null, [], {"k": "w", "n": 2.5}]], "log_mode": "IMMUTABLE", "ncols": 7, "nrows": 2}"#
    );
    assert!(a.files.entries().is_empty());
}

#[test]
fn artifact_copy_int_columns_and_arrays() {
    let mut t = Table::new(
        vec![DictKey::Int(10), DictKey::Int(2)],
        TableOptions::default(),
    )
    .unwrap();
    let l = |a: i64, b: i64| Value::List(vec![Value::Int(a), Value::Int(b)]);
    t.add_row(vec![Value::Float(f64::INFINITY), l(1, 2)])
        .unwrap();
    t.add_row(vec![Value::Float(f64::NEG_INFINITY), l(2, 3)])
        .unwrap();
    assert_eq!(
        t.artifact_copy().unwrap().json,
        r#"{"_type": "table", "column_types": {"params": {"type_map": {"2": {"params": {"allowed_types": [{"wb_type": "none"}, {"params": {"element_type": {"wb_type": "number"}, "length": 2}, "wb_type": "list"}]}, "wb_type": "union"}, "10": {"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "number"}]}, "wb_type": "union"}}}, "wb_type": "typedDict"}, "columns": [10, 2], "data": [[Infinity, [1, 2]], [-Infinity, [2, 3]]], "log_mode": "IMMUTABLE", "ncols": 2, "nrows": 2}"#
    );
    assert_eq!(
        t.run_copy_json().unwrap().to_compact(),
        r#"{"columns":[10,2],"data":[[Infinity,[1,2]],[-Infinity,[2,3]]]}"#
    );
    // 1-D array column → fixed-length list type, inline data.
    let mut a = table(&["a"]);
    a.add_row(vec![array_value(
        vec![Scalar::Int(0), Scalar::Int(1), Scalar::Int(2)],
        crate::tensor::DType::I64,
    )])
    .unwrap();
    assert_eq!(
        a.artifact_copy().unwrap().json,
        r#"{"_type": "table", "column_types": {"params": {"type_map": {"a": {"params": {"element_type": {"wb_type": "number"}, "length": 3}, "wb_type": "list"}}}, "wb_type": "typedDict"}, "columns": ["a"], "data": [[[0, 1, 2]]], "log_mode": "IMMUTABLE", "ncols": 1, "nrows": 1}"#
    );
    assert_eq!(
        a.run_copy_json().unwrap().to_compact(),
        r#"{"columns":["a"],"data":[[[0,1,2]]]}"#
    );
}

#[test]
fn media_cells() {
    let (p, rd) = tmp_dir("media");
    let img = Image::from_u8(&[0u8; 12], 2, 2, 3).unwrap();
    let mut img = img;
    img.caption = Some(Json::str("ci"));
    let mut t = table(&["a", "img"]);
    t.add_row(vec![Value::Int(1), Value::from(img)]).unwrap();
    t.add_row(vec![Value::Null, Value::Null]).unwrap();
    assert_eq!(
        t.run_copy_json().unwrap().to_compact(),
        r#"{"columns":["a","img"],"data":[[1,"Image"],[null,null]]}"#
    );
    let j = bind(&t, &rd, "t", 4);
    assert_eq!(j.get("nrows"), Some(&Json::Int(2)));
    // only the run copy is written to the run directory
    let mut found = Vec::new();
    for e in walk(&p) {
        found.push(e);
    }
    assert_eq!(found.len(), 1, "{found:?}");
    let a = t.artifact_copy().unwrap();
    assert!(a.json.contains(r#"{"_type": "image-file", "caption": "ci", "format": "png", "height": 2, "path": "media/images/dc3f36c134870fcb08ff.png", "sha256": "7899d6ced52159786ff083934df42788da01a30b7ed9bb7756d7f3f5a94ef685", "width": 2}"#), "{}", a.json);
    assert_eq!(
        a.files.entries()[0].name,
        "media/images/dc3f36c134870fcb08ff.png"
    );
    assert_eq!(a.files.entries()[0].digest, "3D82wTSHD8sI/xuVeb/adw==");
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn artifact_copy_with_images_matches_the_sdk() {
    // tests/data/media_b/sdk_image_table.json: the staged artifact file of a real SDK run
    // (wandb 0.31.0); only `box_score_keys` (a Python set, hash order) is sorted.
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/media_b");
    let expected = std::fs::read_to_string(data.join("sdk_image_table.json")).unwrap();
    let mut img = Image::from_u8(&[0u8; 12], 2, 2, 3).unwrap();
    img.caption = Some(Json::str("ci"));
    let mut img2 = Image::from_u8(&[0u8; 12], 2, 2, 3).unwrap();
    let layer = |t: &str| {
        crate::media::boxes::BoundingBoxes2D::from_layer(&Json::parse(t).unwrap()).unwrap()
    };
    img2.add_boxes("pred", layer(r#"{"box_data":[{"position":{"minX":1,"maxX":2,"minY":3,"maxY":4},"class_id":1,"scores":{"acc":0.5,"b":1}}],"class_labels":{"1":"car"}}"#));
    img2.add_boxes("p2", layer(r#"{"box_data":[{"position":{"middle":[1,2],"width":3,"height":4},"class_id":5,"scores":{"z":2}}]}"#));
    let m = [0u8, 2, 2, 0];
    let t = crate::tensor::TensorView::new(&m, crate::tensor::DType::U8, &[2, 2]).unwrap();
    let labels = Json::parse(r#"{"0":"bg","2":"x"}"#).unwrap();
    img2.add_mask(
        "m",
        crate::media::mask::ImageMask::from_tensor(&t, Some(&labels)).unwrap(),
    );
    img2.add_mask(
        "mf",
        crate::media::mask::ImageMask::from_file(&data.join("mask_layer.png")).unwrap(),
    );
    img2.set_classes(
        crate::media::classes::Classes::from_json(
            &Json::parse(r#"[{"id":0,"name":"bg"}]"#).unwrap(),
        )
        .unwrap(),
    );
    img2.set_grouping(3);
    let mut img3 = Image::from_file(&data.join("photo.png")).unwrap();
    let one = [1u8];
    let t1 = crate::tensor::TensorView::new(&one, crate::tensor::DType::U8, &[1, 1]).unwrap();
    img3.add_mask(
        "m",
        crate::media::mask::ImageMask::from_tensor(&t1, None).unwrap(),
    );
    let mut t = table(&["a", "img"]);
    t.add_row(vec![Value::Int(1), Value::from(img)]).unwrap();
    t.add_row(vec![Value::Int(2), Value::from(img2)]).unwrap();
    t.add_row(vec![Value::Null, Value::Null]).unwrap();
    t.add_row(vec![Value::Int(3), Value::from(img3)]).unwrap();
    let a = t.artifact_copy().unwrap();
    assert_eq!(a.json, expected.trim_end());
    let names: Vec<&str> = a.files.entries().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "media/images/dc3f36c134870fcb08ff.png",
            "media/classes/210ae510ae19b4ccd4300c970a33f250_cls.classes.json",
            "media/images/mask/0b9fe0fe4c1f8add26e5.mask.png",
            "media/images/mask/416e66d804d8072f7faf/mask_layer.png",
            "media/images/bf31a076e8059dee0f35/photo.png",
            "media/classes/7b2a0a3e7101ba491ea0583920a70c66_cls.classes.json",
            "media/images/mask/333ac9fa5ce7039407ad.mask.png",
        ]
    );
    let cls = a
        .files
        .get("media/classes/210ae510ae19b4ccd4300c970a33f250_cls.classes.json")
        .unwrap();
    assert_eq!(cls.digest, "AwDzP8pIEcvEhEMfRWHbMA==");
}

#[test]
fn run_copy_keeps_10000_rows_and_counts_all() {
    let (p, rd) = tmp_dir("cap");
    let mut t = table(&["i", "f", "s", "b", "l"]);
    for i in 0..10_001i64 {
        t.add_row(vec![
            Value::Int(i),
            Value::Float(i as f64 * 0.5),
            s("row"),
            Value::Bool(i % 2 == 0),
            Value::List(vec![Value::Int(i), Value::Int(i + 1)]),
        ])
        .unwrap();
    }
    let j = bind(&t, &rd, "t", 0);
    assert_eq!(j.get("nrows"), Some(&Json::Int(10_001)));
    let path = j.get("path").and_then(Json::as_str).unwrap().to_string();
    let copy = Json::parse(&std::fs::read_to_string(p.join(&path)).unwrap()).unwrap();
    match copy.get("data") {
        Some(Json::Array(rows)) => {
            assert_eq!(rows.len(), 10_000);
            assert_eq!(
                rows[9_999].to_compact(),
                "[9999,4999.5,\"row\",false,[9999,10000]]"
            );
        }
        other => panic!("run copy data: {other:?}"),
    }
    let a = t.artifact_copy().unwrap();
    assert!(
        a.json.contains("\"nrows\": 10001"),
        "artifact copy keeps every row"
    );
    let _ = std::fs::remove_dir_all(&p);
}

/// Stands in for `wandb.Html` (another module) in the compat case `table_media`.
#[derive(Debug, Clone)]
struct FakeHtml;
impl Media for FakeHtml {
    fn class_name(&self) -> &'static str {
        "Html"
    }
    fn to_json(&self, _ctx: &BindCtx<'_>) -> Result<Json> {
        Err(Error::state("a media cell must not be bound to the run"))
    }
    media_object_methods!();
}

#[test]
fn compat_table_media_run_copy() {
    let (p, rd) = tmp_dir("tmedia");
    let img = |seed: u8| {
        let px: Vec<u8> = (0..48u8).map(|i| i.wrapping_mul(seed)).collect();
        Value::from(Image::from_u8(&px, 4, 4, 3).unwrap())
    };
    let mut t = table(&["id", "image", "score", "clip"]);
    t.add_row(vec![
        Value::Int(0),
        img(3),
        Value::Float(0.5),
        Value::from(FakeHtml),
    ])
    .unwrap();
    t.add_row(vec![
        Value::Int(1),
        img(5),
        Value::Float(f64::NAN),
        Value::Null,
    ])
    .unwrap();
    t.add_row(vec![
        Value::Int(2),
        Value::Null,
        Value::Float(1.0),
        Value::from(FakeHtml),
    ])
    .unwrap();
    let j = bind(&t, &rd, "t", 4);
    // expected/table_media/row.json (ids masked)
    assert_eq!(
        j.get("sha256"),
        Some(&Json::str(
            "b0dd9b52f0e3cb6025f6962af7a6f73be45d53273e5499835b1659f0563f98f6"
        ))
    );
    assert_eq!(j.get("size"), Some(&Json::Int(114)));
    assert_eq!(
        j.get("path"),
        Some(&Json::str(
            "media/table/t_4_b0dd9b52f0e3cb6025f6.table.json"
        ))
    );
    assert_eq!(walk(&p).len(), 1);
    // html cells have no artifact JSON yet
    assert_eq!(
        t.artifact_copy().unwrap_err().kind,
        crate::error::ErrorKind::Unsupported
    );
    let _ = std::fs::remove_dir_all(&p);
}

fn walk(p: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn joined_table() {
    let (p, rd) = tmp_dir("joined");
    let mut a = table(&["id"]);
    a.add_row(vec![Value::Int(1)]).unwrap();
    let b = a.clone();
    let j = JoinedTable::new(a, b, JoinKey::One("id".into())).unwrap();
    let json = bind(&j, &rd, "jt", 0).to_compact();
    assert!(
        json.starts_with(r#"{"_type":"joined-table","artifact_path":"wandb-client-artifact://"#)
    );
    assert!(json.ends_with(r#"/jt.joined-table.json"}"#));
    assert_eq!(json.len(), r#"{"_type":"joined-table","artifact_path":"wandb-client-artifact:///jt.joined-table.json"}"#.len() + 128);
    let files = j.artifact_files("jt").unwrap();
    let names: Vec<&str> = files.entries().iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.len(), 3);
    let joined = std::str::from_utf8(&files.get("jt.joined-table.json").unwrap().bytes)
        .unwrap()
        .to_string();
    assert_eq!(
        joined,
        format!(
            r#"{{"_type": "joined-table", "join_key": "id", "table1": "{}", "table2": "{}"}}"#,
            names[0], names[1]
        )
    );
    assert!(names[0].starts_with("t1_") && names[1].starts_with("t2_"));
    assert!(walk(&p).is_empty(), "no run file");
    let _ = std::fs::remove_dir_all(&p);
}

#[test]
fn incremental_tables_log_their_new_rows() {
    let dir = tempfile::tempdir().unwrap();
    let rd = RunDir::new(dir.path()).unwrap();
    let mut t = Table::new(
        vec![DictKey::Str("a".into())],
        TableOptions {
            log_mode: LogMode::Incremental,
            ..Default::default()
        },
    )
    .unwrap();
    t.add_row(vec![Value::Int(1)]).unwrap();
    t.add_row(vec![Value::Int(2)]).unwrap();
    let j0 = bind(&t, &rd, "k", 0);
    assert_eq!(
        j0.get("_type").unwrap().as_str(),
        Some("incremental-table-file")
    );
    assert_eq!(j0.get("increment_num"), Some(&Json::Int(0)));
    assert_eq!(j0.get("nrows"), Some(&Json::Int(2)));
    let p0 = j0
        .get("artifact_path")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    // The first entry is named before the number is set, as the SDK does.
    assert!(
        p0.contains("/None-") && p0.ends_with(".k.table.json"),
        "{p0}"
    );
    let a0 = t.artifact_copy().unwrap().json;
    assert!(a0.contains(r#""data": [[1], [2]], "increment_num": 0, "log_mode": "INCREMENTAL", "ncols": 1, "nrows": 2, "previous_increments_paths": []}"#), "{a0}");
    // Unchanged: the same value again.
    assert_eq!(bind(&t, &rd, "k", 1), j0);
    t.add_row(vec![Value::Int(3)]).unwrap();
    let j1 = bind(&t, &rd, "k", 2);
    assert_eq!(j1.get("increment_num"), Some(&Json::Int(1)));
    assert_eq!(j1.get("nrows"), Some(&Json::Int(3)));
    assert_eq!(
        j1.get("previous_increments_paths"),
        Some(&Json::Array(vec![Json::str(p0.clone())]))
    );
    let p1 = j1.get("artifact_path").unwrap().as_str().unwrap();
    assert!(p1.contains("/1-"), "{p1}");
    let run_copy = std::fs::read_to_string(
        rd.files_dir()
            .join(j1.get("path").unwrap().as_str().unwrap()),
    )
    .unwrap();
    assert_eq!(run_copy, r#"{"columns":["a"],"data":[[3]]}"#);
    let a1 = t.artifact_copy().unwrap().json;
    assert!(a1.contains(r#""data": [[3]], "increment_num": 1"#), "{a1}");
    // One run only.
    let other = tempfile::tempdir().unwrap();
    let rd2 = RunDir::new(other.path()).unwrap();
    t.add_row(vec![Value::Int(4)]).unwrap();
    let placed = Mutex::new(Vec::new());
    let ctx = BindCtx {
        sink: &rd2,
        key: "k",
        step: Step::Num(0),
        placed: &placed,
    };
    let e = t.to_json(&ctx).unwrap_err();
    assert!(
        e.message.contains("only be logged to one Run"),
        "{}",
        e.message
    );
}
