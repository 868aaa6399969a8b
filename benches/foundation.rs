//! Foundation benchmark (not a test): PNG 1024×1024 RGB in both modes, histogram of 1M f64
//! with 64 bins, sha256 of 64 MiB — with ratios against wandb 0.31 measured in the same run
//! by `benches/foundation.sh` (which writes `target/bench/baseline.json` and the inputs).

use std::time::Instant;

use wandb_media::encode::png::{encode_png, PngMode};
use wandb_media::media::histogram::Histogram;
use wandb_media::media::image::Image;
use wandb_media::media::sha256_hex;
use wandb_media::{DType, Json, TensorView};

fn best<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (best, last.expect("n > 0"))
}

fn main() {
    let dir = std::env::var("WB_BENCH_DIR").unwrap_or_else(|_| "target/bench".into());
    let baseline = std::fs::read_to_string(format!("{dir}/baseline.json"))
        .ok()
        .and_then(|t| Json::parse(&t).ok())
        .unwrap_or(Json::Null);
    let base = |k: &str| baseline.get(k).and_then(Json::as_f64);
    let image = std::fs::read(format!("{dir}/image.raw")).unwrap_or_else(|_| {
        (0..1024 * 1024 * 3)
            .map(|i: usize| ((i % 3072) / 12 + (i * 7919 % 17)) as u8)
            .collect()
    });
    let randn: Vec<f64> = std::fs::read(format!("{dir}/randn.f64"))
        .map(|b| {
            b.chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                .collect()
        })
        .unwrap_or_else(|_| (0..1_000_000).map(|i| ((i as f64) * 0.618).sin()).collect());

    println!(
        "{:<44} {:>10} {:>12} {:>14}",
        "benchmark", "time", "throughput", "vs wandb 0.31"
    );
    let row = |name: &str, secs: f64, bytes: usize, base: Option<f64>| {
        let mbps = bytes as f64 / secs / 1e6;
        let ratio = base
            .map(|b| format!("{:.1}x faster", b / secs))
            .unwrap_or_else(|| "-".into());
        println!(
            "{name:<44} {:>8.2}ms {:>8.0} MB/s {ratio:>14}",
            secs * 1e3,
            mbps
        );
    };

    let t = TensorView::new(&image, DType::U8, &[1024, 1024, 3]).expect("image tensor");
    let (s, img) = best(7, || {
        Image::from_tensor(&t, &Default::default()).expect("png")
    });
    row(
        "Image 1024x1024 RGB (PNG, byte-identical)",
        s,
        image.len(),
        base("image_s"),
    );
    println!(
        "    size {} bytes, sha256 {}",
        img.file.size(),
        &img.file.sha256[..20]
    );
    let opts = wandb_media::media::image::ImageOptions {
        png: PngMode::Fast,
        ..Default::default()
    };
    let (s, fast) = best(15, || Image::from_tensor(&t, &opts).expect("fast png"));
    row(
        "Image 1024x1024 RGB (PNG, WB_PNG_FAST)",
        s,
        image.len(),
        base("image_s"),
    );
    println!("    size {} bytes", fast.file.size());
    if let Ok(noise) = std::fs::read(format!("{dir}/noise.raw")) {
        let nt = TensorView::new(&noise, DType::U8, &[1024, 1024, 3]).expect("noise tensor");
        let (s, _) = best(5, || {
            Image::from_tensor(&nt, &Default::default()).expect("png")
        });
        row(
            "Image 1024x1024 uniform noise (byte-identical)",
            s,
            noise.len(),
            base("noise_s"),
        );
        let (s, _) = best(9, || Image::from_tensor(&nt, &opts).expect("fast png"));
        row(
            "Image 1024x1024 uniform noise (WB_PNG_FAST)",
            s,
            noise.len(),
            base("noise_s"),
        );
    }
    let (s, _) = best(7, || {
        encode_png(&image, 1024, 1024, 3, PngMode::Pillow).expect("png")
    });
    row("  encode_png only (byte-identical)", s, image.len(), None);

    let bytes: Vec<u8> = randn.iter().flat_map(|v| v.to_le_bytes()).collect();
    let ht = TensorView::new(&bytes, DType::F64, &[randn.len()]).expect("hist tensor");
    let (s, _) = best(15, || Histogram::from_tensor(&ht, 64).expect("histogram"));
    row(
        "Histogram 1M f64, 64 bins",
        s,
        bytes.len(),
        base("histogram_s"),
    );
    let (s, _) = best(15, || {
        wandb_media::stats::np_histogram(wandb_media::stats::HistData::F64(&randn), 64)
    });
    row(
        "  numpy.histogram core only (no input copy)",
        s,
        bytes.len(),
        None,
    );

    let big: Vec<u8> = (0..64usize << 20).map(|i| (i * 31 % 251) as u8).collect();
    let (s, _) = best(5, || sha256_hex(&big));
    let vs = base("sha256_openssl_s")
        .map(|b| format!("{:.2}x OpenSSL", b / s))
        .unwrap_or_default();
    println!(
        "{:<44} {:>8.2}ms {:>8.0} MB/s {vs:>14}",
        "sha256 64 MiB",
        s * 1e3,
        big.len() as f64 / s / 1e6
    );
    if let Some(v) = baseline.get("wandb_version").and_then(Json::as_str) {
        println!(
            "baseline: wandb {v}, image {:.1} ms, histogram {:.1} ms, OpenSSL sha256 {:.0} MB/s",
            base("image_s").unwrap_or(0.0) * 1e3,
            base("histogram_s").unwrap_or(0.0) * 1e3,
            (64 << 20) as f64 / base("sha256_openssl_s").unwrap_or(1.0) / 1e6
        );
    }
}
