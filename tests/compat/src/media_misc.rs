//! Driver: html, object3d, molecule, plotly, graph specs and image boxes/masks (not built yet).

use serde_json::Value as J;

use crate::util::Handle;
use crate::Ctx;
use wandb_media::ffi::value::wb_value;

pub fn build(_ctx: &Ctx, kind: &str, _spec: &J) -> Result<Handle<wb_value>, String> {
    Err(format!("not implemented: {kind}"))
}

pub fn attach_boxes_masks_classes(
    _ctx: &Ctx,
    _img: &Handle<wb_value>,
    spec: &J,
) -> Result<(), String> {
    if spec.get("boxes").is_some() || spec.get("masks").is_some() || spec.get("classes").is_some() {
        return Err("not implemented: boxes/masks/classes".into());
    }
    Ok(())
}
