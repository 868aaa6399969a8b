//! Driver: `audio` specs → `wb_audio_from_tensor` / `wb_audio_from_file`.

use std::ptr;

use serde_json::Value as J;

use crate::util::{c, check, Handle, Tensor};
use crate::{set_caption, wrap, Ctx};
use wandb_media::ffi::audio::*;
use wandb_media::ffi::value::wb_value;

pub fn build(ctx: &Ctx, spec: &J) -> Result<Handle<wb_value>, String> {
    let sample_rate = match spec.get("sample_rate") {
        None => 0,
        Some(v) => v
            .as_u64()
            .filter(|&r| r > 0 && r <= u32::MAX as u64)
            .ok_or(format!("sample_rate {v} is not a positive 32-bit integer"))?
            as u32,
    };
    let mut out = ptr::null_mut();
    match (spec.get("tensor"), spec.get("file").and_then(J::as_str)) {
        (Some(t), None) => {
            let t = Tensor::from_spec(ctx, t)?;
            check(|e| unsafe { wb_audio_from_tensor(t.desc(), sample_rate, &mut out, e) })?;
        }
        (None, Some(f)) => {
            let p = c(&ctx.path(f));
            check(|e| unsafe { wb_audio_from_file(p.as_ptr(), sample_rate, &mut out, e) })?;
        }
        _ => return Err("wb=audio: needs exactly one of tensor / file".into()),
    }
    let v = wrap(out);
    set_caption(&v, spec)?;
    Ok(v)
}
