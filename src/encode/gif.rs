//! STUB (replaced by the video-encoder helper).
pub struct GifEncoder {}
impl GifEncoder {
    pub fn new(width: u32, height: u32, fps: u32) -> Result<Self, String> {
        let _ = (width, height, fps);
        Err("not implemented: gif".into())
    }
    pub fn push_frame(&mut self, rgb: &[u8]) -> Result<(), String> {
        let _ = rgb;
        Err("not implemented: gif".into())
    }
    pub fn finish(self) -> Result<Vec<u8>, String> {
        Err("not implemented: gif".into())
    }
}
pub fn encode_gif(frames: &[&[u8]], width: u32, height: u32, fps: u32) -> Result<Vec<u8>, String> {
    let _ = (frames, width, height, fps);
    Err("not implemented: gif".into())
}
