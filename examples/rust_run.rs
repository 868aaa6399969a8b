//! wandb-media from Rust: an offline run (online when `WANDB_API_KEY` is set, as
//! `wandb.init`) with scalars, an image and a histogram per step, and one row's JSON built
//! without a run — the same row as the C, C++ and Go consumers of `tests/packaging`.
//!
//! ```text
//! cargo run --release --example rust_run -- OUT_DIR
//! ```
//!
//! Prints the row's JSON, then `run: <run dir>` (upload it with `wandb sync <run dir>` or
//! `wandb-media sync <run dir>`). Exit status 1 with the error on failure.

use std::path::Path;
use std::process::ExitCode;

use wandb_media::media::histogram::Histogram;
use wandb_media::media::image::Image;
use wandb_media::row::convert_row;
use wandb_media::{DType, Run, RunDir, RunOptions, Step, TensorView, Value};

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "rust-run".to_string());
    match run(Path::new(&out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rust_run: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(out: &Path) -> wandb_media::Result<()> {
    // One row's JSON without a run (`wb_row_to_json`): media files go into `out/files`.
    let px: Vec<u8> = (0..18).map(|i| ((i * 37 + 11) % 256) as u8).collect();
    let dir = RunDir::new(out.join("files"))?;
    let row = vec![
        ("loss".to_string(), Value::Float(0.5)),
        ("img".to_string(), Image::from_u8(&px, 2, 3, 3)?.into()),
    ];
    println!("{}", convert_row(&row, &dir, Step::Num(0))?.to_compact());

    // A run (mode: WANDB_MODE, else online with an API key, else offline).
    let run = Run::open(
        out,
        RunOptions {
            project: Some("wandb-media-rust".into()),
            config: Some(wandb_media::Json::Object(vec![(
                "lr".into(),
                wandb_media::Json::Float(0.01),
            )])),
            ..Default::default()
        },
    )?;
    let pixels: Vec<u8> = (0..64 * 64 * 3).map(|i| (i % 256) as u8).collect();
    for step in 0..3u32 {
        let weights: Vec<u8> = (0..1000)
            .flat_map(|i| ((i as f32 * 0.01 + step as f32).sin()).to_le_bytes())
            .collect();
        let hist = Histogram::from_tensor(&TensorView::new(&weights, DType::F32, &[1000])?, 64)?;
        let row = vec![
            ("loss".to_string(), Value::Float(1.0 / f64::from(step + 1))),
            (
                "sample".to_string(),
                Image::from_u8(&pixels, 64, 64, 3)?.into(),
            ),
            ("weights".to_string(), Value::Histogram(hist)),
        ];
        run.log(&row, None, None)?;
    }
    run.summary_update(&[("best_loss".to_string(), Value::Float(1.0 / 3.0))])?;
    run.finish(0)?;
    println!("run: {}", run.dir().display());
    Ok(())
}
