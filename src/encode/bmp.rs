//! STUB (replaced by the image-encoder helper).
pub fn encode_bmp(pixels: &[u8], width: u32, height: u32, channels: u8) -> Result<Vec<u8>, String> {
    let _ = (pixels, width, height, channels);
    Err("not implemented".into())
}
