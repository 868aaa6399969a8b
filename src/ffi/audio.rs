//! C ABI: audio.

use std::ffi::c_char;

use super::value::{new_value, wb_value};
use super::{guard, tensor_view, utf8_arg, wb_error, wb_status, wb_tensor};
use crate::media::audio::Audio;
use crate::value::Value;

/// Creates `wandb.Audio(array, sample_rate=sample_rate)`: a 1-D tensor is mono, a 2-D tensor
/// is (frames, channels) (not transposed; 1 to 1024 channels); dtype float32, float64, int16
/// or int32 (others are the SDK's `dtype must be one of [...]` error). Written as 16-bit PCM
/// WAV byte-identical to the SDK (floats: floor(x·32768) clamped, NaN → −32768; int32: >> 16).
/// `sample_rate` must be 1 … 2^31−1 (0 is the SDK's "sample_rate is required" error).
/// A single audio's JSON has no sample rate or duration; lists report `sampleRates` and
/// `durations` (frames / sample_rate). Set a caption with `wb_value_set_caption`.
/// The tensor is read during the call only. `*out`: free with `wb_value_free`.
/// Thread-safe (independent calls).
#[no_mangle]
pub unsafe extern "C" fn wb_audio_from_tensor(
    tensor: *const wb_tensor,
    sample_rate: u32,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let t = unsafe { tensor_view(tensor, "tensor") }?;
        let sr = (sample_rate != 0).then_some(sample_rate);
        new_value(out, || Ok(Value::from(Audio::from_tensor(&t, sr)?)))
    })
}

/// Creates `wandb.Audio(path, sample_rate=)` from any file (wav, flac, mp3, …; never
/// validated): copied unchanged with its own extension (case kept). `sample_rate` 0 means
/// "not given"; otherwise it is reported in list `sampleRates` (durations stay `null`).
/// UTF-8 path, read during the call. `*out`: free with `wb_value_free`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_audio_from_file(
    path: *const c_char,
    sample_rate: u32,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let path = unsafe { utf8_arg(path, "path") }?;
        let sr = (sample_rate != 0).then_some(sample_rate);
        new_value(out, || {
            Ok(Value::from(Audio::from_file(
                std::path::Path::new(path),
                sr,
            )?))
        })
    })
}
