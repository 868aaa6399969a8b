//! Driver: html, object3d, molecule, plotly, graph specs and image boxes/masks (not built yet).

use serde_json::Value as J;

use crate::util::Handle;
use crate::Ctx;
use wandb_media::ffi::value::wb_value;

pub fn build(_ctx: &Ctx, kind: &str, _spec: &J) -> Result<Handle<wb_value>, String> {
    Err(format!("not implemented: {kind}"))
}

pub fn attach_boxes_masks_classes(
    ctx: &Ctx,
    img: &Handle<wb_value>,
    spec: &J,
) -> Result<(), String> {
    use crate::util::{c, check, Tensor};
    use wandb_media::ffi::boxes::*;
    if let Some(boxes) = spec.get("boxes") {
        let layers = boxes
            .as_object()
            .ok_or("Images \"boxes\" argument must be a dictionary")?;
        for (layer, val) in layers {
            let key = c(layer);
            let text = c(&val.to_string());
            check(|e| unsafe {
                wb_image_add_boxes_layer(img.ptr(), key.as_ptr(), text.as_ptr(), e)
            })?;
        }
    }
    if let Some(masks) = spec.get("masks") {
        let layers = masks
            .as_object()
            .ok_or("Images \"masks\" argument must be a dictionary")?;
        for (layer, val) in layers {
            let key = c(layer);
            if let Some(file) = val.get("file").and_then(J::as_str) {
                let p = c(&ctx.path(file));
                check(|e| unsafe {
                    wb_image_add_mask_file(img.ptr(), key.as_ptr(), p.as_ptr(), e)
                })?;
                continue;
            }
            let t = Tensor::from_spec(
                ctx,
                val.get("mask_data").ok_or("mask layer needs mask_data")?,
            )?;
            let labels = val.get("class_labels").map(|l| c(&l.to_string()));
            let labels_ptr = labels.as_ref().map_or(std::ptr::null(), |l| l.as_ptr());
            check(|e| unsafe {
                wb_image_add_mask(img.ptr(), key.as_ptr(), t.desc(), labels_ptr, e)
            })?;
        }
    }
    if let Some(classes) = spec.get("classes") {
        let text = c(&classes.to_string());
        check(|e| unsafe { wb_image_set_classes(img.ptr(), text.as_ptr(), e) })?;
    }
    Ok(())
}
