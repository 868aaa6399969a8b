//! STUB (replaced by the numeric helper).
pub enum Samples<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
    I16(&'a [i16]),
    I32(&'a [i32]),
}
pub fn encode_wav(
    samples: Samples<'_>,
    channels: u16,
    sample_rate: u32,
) -> Result<Vec<u8>, String> {
    let _ = (samples, channels, sample_rate);
    Err("not implemented: wav".into())
}
