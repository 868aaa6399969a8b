//! Shared by the RSS tests (`audio_rss`, `video_rss`, `video_rss_mmap`): each is its own test
//! binary so that nothing else allocates while it measures.
#![allow(dead_code)]

use wandb_media::media::video::VideoWriter;

/// Resident set size of this process (`VmRSS`), in bytes.
pub fn rss_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// Packed-RGB frames of `w`×`h` with xorshift noise in a 64×64 block (every frame costs a
/// few KB compressed), pushed one at a time.
pub struct NoiseFrames {
    w: usize,
    frame: Vec<u8>,
    state: u64,
}

impl NoiseFrames {
    pub fn new(w: usize, h: usize) -> Self {
        NoiseFrames {
            w,
            frame: vec![0u8; w * h * 3],
            state: 0x2545_F491_4F6C_DD1D,
        }
    }

    pub fn push(&mut self, writer: &mut VideoWriter) {
        for y in 0..64 {
            for x in 0..64 * 3 {
                self.state ^= self.state << 13;
                self.state ^= self.state >> 7;
                self.state ^= self.state << 17;
                self.frame[(y * self.w) * 3 + x] = self.state as u8;
            }
        }
        writer.push_u8(&self.frame).unwrap();
    }
}
