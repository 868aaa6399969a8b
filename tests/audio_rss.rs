//! Issue 13 item 3: a streaming writer's audio track does not grow the process's memory with
//! its length (Opus packets are spooled like the video samples; the resampler keeps a bounded
//! history; only 4 bytes per 20 ms packet stay in RAM). One test in its own binary so that
//! nothing else allocates meanwhile.

use wandb_media::media::image::Convert;
use wandb_media::media::video::{VideoFormat, VideoWriter};
use wandb_media::{DType, TensorView};

#[path = "support/rss.rs"]
mod rss;
use rss::rss_bytes;

#[test]
#[cfg(all(target_os = "linux", feature = "opus", feature = "h264-source"))]
fn streaming_audio_rss_is_flat_over_five_minutes() {
    let mut writer = VideoWriter::new(16, 16, 3, 1, VideoFormat::Mp4, Convert::Auto).unwrap();
    writer.push_u8(&[40u8; 16 * 16 * 3]).unwrap();
    // one second of 44.1 kHz mono noise per block (resampled to 48 kHz; noise keeps the
    // Opus packets large: ~8 KB/s); 1.4 s in a release build
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut block = vec![0u8; 44_100 * 2];
    let mut push = |writer: &mut VideoWriter| {
        for s in block.chunks_mut(2) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            s.copy_from_slice(&((state as i16) / 4).to_ne_bytes());
        }
        let t = TensorView::new(&block, DType::I16, &[44_100]).unwrap();
        writer.push_audio(&t, 44_100).unwrap();
    };
    for _ in 0..60 {
        push(&mut writer);
    }
    let at_1min = rss_bytes();
    for _ in 60..300 {
        push(&mut writer);
    }
    let at_5min = rss_bytes();
    let growth = at_5min as i64 - at_1min as i64;
    println!("RSS after 1 min of audio {at_1min} B, after 5 min {at_5min} B; growth {growth} B");
    let video = writer.finish().unwrap();
    let bytes = video.file.bytes.len();
    println!("MP4 with 5 min of audio: {bytes} B");
    // 4 more minutes are ~2 MB of Opus packets: they must be on disk, not in RAM
    assert!(bytes > 2_000_000);
    assert!(
        growth < 1024 * 1024,
        "RSS grew by {growth} bytes over 4 minutes of audio"
    );
}
