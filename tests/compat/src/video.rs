//! Driver: `video` specs (not built yet).

use serde_json::Value as J;

use crate::util::Handle;
use crate::Ctx;
use wandb_media::ffi::value::wb_value;

pub fn build(_ctx: &Ctx, _spec: &J) -> Result<Handle<wb_value>, String> {
    Err("not implemented: video".into())
}
