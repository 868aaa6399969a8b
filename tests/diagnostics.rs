//! Every place where the SDK warns and carries on reports through the diagnostics handler
//! (`wb_set_log_handler` / `diag::set_handler`) with the SDK's text. One test per process
//! state: the handler is process-wide, so this file holds a single test.

use std::sync::{Arc, Mutex};

use wandb_media::diag::{self, Level};
use wandb_media::json::Json;
use wandb_media::media::image::{FileType, Image, ImageOptions};
use wandb_media::media::table::{Table, TableOptions, MAX_ROWS};
use wandb_media::{DType, TensorView, Value};

#[test]
fn sdk_warnings_reach_the_handler() {
    let seen: Arc<Mutex<Vec<(Level, String)>>> = Arc::default();
    let sink = seen.clone();
    diag::set_handler(
        Some(Box::new(move |l, m| {
            sink.lock().unwrap().push((l, m.to_string()))
        })),
        Level::Warn,
    );

    // RGBA pixels as JPEG: the alpha channel is dropped, with the SDK's warning
    let px = vec![7u8; 4 * 4 * 4];
    let t = TensorView::new(&px, DType::U8, &[4, 4, 4]).unwrap();
    let opts = ImageOptions {
        file_type: FileType::Jpg,
        ..ImageOptions::default()
    };
    let img = Image::from_tensor(&t, &opts).unwrap();
    assert_eq!(img.format, "jpg");

    // more rows than Table.MAX_ROWS: the run copy keeps 10 000, with the SDK's warning
    let cols = Json::parse(r#"["i"]"#).unwrap();
    let mut table = Table::from_columns_json(&cols, TableOptions::default()).unwrap();
    for i in 0..(MAX_ROWS + 1) {
        table.add_row(vec![Value::Int(i as i64)]).unwrap();
    }
    let copy = table.run_copy_json().unwrap();
    let rows = copy.get("data").and_then(|d| match d {
        Json::Array(a) => Some(a.len()),
        _ => None,
    });
    assert_eq!(rows, Some(MAX_ROWS));

    diag::set_handler(None, Level::Warn);
    let seen = seen.lock().unwrap();
    assert_eq!(
        *seen,
        vec![
            (
                Level::Warn,
                "JPEG format does not support transparency. Ignoring alpha channel.".to_string()
            ),
            (
                Level::Warn,
                "Truncating wandb.Table object to 10000 rows.".to_string()
            ),
        ]
    );
}
