//! Issue 11 item 6, literally: RSS after 100 vs 10 000 streamed MP4 frames within 2 MB, with
//! glibc's mmap threshold fixed (`mallopt(M_MMAP_THRESHOLD, 128 KiB)`, what
//! `MALLOC_MMAP_THRESHOLD_=131072` does for a whole process). With glibc's default dynamic
//! threshold the OpenH264 writer takes a one-time ≈6 MB step at its second GOP restart (see
//! `tests/video_rss.rs`, which checks the default from frame 1000 on); the library does not
//! change process-wide allocator settings itself, so this is the configuration a host that
//! needs the bound from the first frames can choose. Own binary: mallopt is process-wide.

use wandb_media::media::image::Convert;
use wandb_media::media::video::{VideoFormat, VideoWriter};

#[path = "support/rss.rs"]
mod rss;
use rss::{rss_bytes, NoiseFrames};

#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn streaming_mp4_rss_100_vs_10000_frames_with_a_fixed_mmap_threshold() {
    // SAFETY: mallopt only changes glibc's allocation policy for this test process.
    assert_eq!(
        unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024) },
        1
    );
    let (w, h) = (160usize, 96usize);
    let mut writer = VideoWriter::new(h, w, 3, 30, VideoFormat::Mp4, Convert::Auto).unwrap();
    let mut frames = NoiseFrames::new(w, h);
    let mut push = |writer: &mut VideoWriter| frames.push(writer);
    for _ in 0..100 {
        push(&mut writer);
    }
    let at_100 = rss_bytes();
    for _ in 100..10_000 {
        push(&mut writer);
    }
    let at_10000 = rss_bytes();
    let growth = at_10000 as i64 - at_100 as i64;
    println!("RSS after 100 frames {at_100} B, 10000 frames {at_10000} B; growth {growth} B");
    assert!(
        growth < 2 * 1024 * 1024,
        "RSS grew by {growth} bytes from 100 to 10000 frames"
    );
    let video = writer.finish().unwrap();
    assert!(video.file.bytes.len() > 20 * 1024 * 1024);
}
