//! Driver: `video` specs — `wandb.Video(data, caption=, fps=, format=)` through the C ABI.

use std::ptr;

use serde_json::Value as J;

use crate::util::{c, check, Handle, Tensor};
use crate::{set_caption, wrap, Ctx};
use wandb_media::ffi::image::wb_convert;
use wandb_media::ffi::value::wb_value;
use wandb_media::ffi::video::*;

const FIELDS: [&str; 6] = ["wb", "tensor", "file", "format", "fps", "caption"];

pub fn build(ctx: &Ctx, spec: &J) -> Result<Handle<wb_value>, String> {
    let m = spec.as_object().ok_or("video spec must be an object")?;
    if let Some(k) = m.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(format!("video spec: unknown field {k:?}"));
    }
    let mut out = ptr::null_mut();
    match (m.get("tensor"), m.get("file")) {
        (Some(_), Some(_)) => return Err("video spec: both tensor and file".into()),
        (None, Some(file)) => {
            if m.contains_key("format") {
                return Err("video spec: format is not allowed with file".into());
            }
            // fps is ignored for files, as in the SDK (it only warns).
            let p = c(&ctx.path(file.as_str().ok_or("video spec: file must be a string")?));
            check(|e| unsafe { wb_video_from_file(p.as_ptr(), &mut out, e) })?;
        }
        (Some(tensor), None) => {
            let mut opts = wb_video_options_default();
            // The SDK casts non-uint8 video data without scaling (§6.2).
            opts.convert = wb_convert::WB_CONVERT_CAST;
            if let Some(f) = m.get("format") {
                let name = c(f.as_str().ok_or("video spec: format must be a string")?);
                check(|e| unsafe {
                    wb_video_format_from_name(name.as_ptr(), &mut opts.format, e)
                })?;
            }
            if let Some(fps) = m.get("fps") {
                opts.fps = fps
                    .as_u64()
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or("video spec: fps must be a non-negative integer")?;
            }
            let t = Tensor::from_spec(ctx, tensor)?;
            check(|e| unsafe { wb_video_from_tensor(t.desc(), &opts, &mut out, e) })?;
        }
        (None, None) => return Err("video spec needs tensor or file".into()),
    }
    let v = wrap(out);
    set_caption(&v, spec)?;
    Ok(v)
}
