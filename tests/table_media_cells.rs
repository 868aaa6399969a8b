//! Every media type the SDK can put in a table cell reaches the table's artifact copy: the
//! `<key>.table.json` text and its entries (names and base64-MD5 digests) are byte-identical
//! to what wandb 0.31 stages for the same cells (`tests/data/table_media/gen_sdk.py`
//! generated `sdk_media_table*.json` with the SDK). Before 0.2 these cells were accepted by
//! `wb_table_add_row` and then failed at log time.

use std::path::PathBuf;

use wandb_media::json::Json;
use wandb_media::media::audio::Audio;
use wandb_media::media::html::Html;
use wandb_media::media::molecule::Molecule;
use wandb_media::media::object3d::Object3D;
use wandb_media::media::table::{Table, TableOptions};
use wandb_media::media::video::Video;
use wandb_media::media::Media;
use wandb_media::{DType, TensorView, Value};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/table_media")
        .join(name)
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn captioned<M: Media>(mut m: M, c: &str) -> Value {
    m.set_caption(Json::str(c)).unwrap();
    Value::from(m)
}

#[test]
fn media_cells_match_the_sdk_artifact_copy() {
    let cols =
        Json::parse(r#"["k","video","audio","html","mol_file","mol_str","points"]"#).unwrap();
    let mut t = Table::from_columns_json(&cols, TableOptions::default()).unwrap();

    let audio: Vec<f64> = (0..64).map(|i| i as f64 / 64.0 - 0.5).collect();
    let ab = f64_bytes(&audio);
    let at = TensorView::new(&ab, DType::F64, &[64]).unwrap();
    let pts = [0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 0.5, -1.0, 2.0];
    let pb = f64_bytes(&pts);
    let pt = TensorView::new(&pb, DType::F64, &[3, 3]).unwrap();
    let pdb = std::fs::read_to_string(data("mol.pdb")).unwrap();

    t.add_row(vec![
        Value::Int(1),
        captioned(Video::from_file(&data("clip.gif")).unwrap(), "v"),
        captioned(Audio::from_tensor(&at, Some(8000)).unwrap(), "a"),
        Value::from(Html::from_string("<p>hi</p>", false)),
        Value::from(Molecule::from_file(&data("mol.pdb")).unwrap()),
        Value::from(Molecule::from_text(&pdb, "pdb").unwrap()),
        Value::from(Object3D::from_tensor(&pt).unwrap()),
    ])
    .unwrap();

    let copy = t
        .artifact_copy()
        .expect("every media cell has an artifact form");
    let want = std::fs::read_to_string(data("sdk_media_table.json")).unwrap();
    assert_eq!(copy.json, want);

    // entries: the same names with the same digests (the table JSON itself is added by the
    // run writer, so it is compared through the text above)
    let want_entries =
        Json::parse(&std::fs::read_to_string(data("sdk_media_table_entries.json")).unwrap())
            .unwrap();
    let Json::Object(want_entries) = want_entries else {
        panic!("entries file is an object")
    };
    let mut got: Vec<(String, String)> = copy
        .files
        .entries()
        .iter()
        .map(|e| (e.name.clone(), e.digest.clone()))
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = want_entries
        .into_iter()
        .filter(|(k, _)| k != "tbl.table.json")
        .map(|(k, v)| (k, v.as_str().unwrap().to_string()))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn mesh_files_are_refused_like_the_sdk() {
    let dir = std::env::temp_dir().join(format!("wb-tbl-obj-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let obj = dir.join("m.obj");
    std::fs::write(&obj, "v 0 0 0\n").unwrap();
    let cols = Json::parse(r#"["o"]"#).unwrap();
    let mut t = Table::from_columns_json(&cols, TableOptions::default()).unwrap();
    t.add_row(vec![Value::from(Object3D::from_file(&obj).unwrap())])
        .unwrap();
    let e = t.artifact_copy().unwrap_err();
    assert_eq!(
        e.message,
        "Non-point cloud 3D objects are not yet supported with Artifacts"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
