//! C ABI: bounding boxes, masks and class sets attached to images.

use std::ffi::c_char;

use super::value::wb_value;
use super::{deref_mut, guard, tensor_view, utf8_arg, wb_error, wb_status, wb_tensor};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::boxes::BoundingBoxes2D;
use crate::media::classes::Classes;
use crate::media::image::Image;
use crate::media::mask::ImageMask;

/// The image inside a value (copied first if the value is shared), or an error.
unsafe fn image_mut<'a>(v: *mut wb_value) -> Result<&'a mut Image> {
    let v = unsafe { deref_mut(v, "image") }?;
    v.inner
        .media_mut()
        .and_then(|m| m.as_any_mut().downcast_mut::<Image>())
        .ok_or_else(|| Error::invalid("image: not an image value"))
}

unsafe fn json_arg(p: *const c_char, name: &str) -> Result<Json> {
    let text = unsafe { utf8_arg(p, name) }?;
    Json::parse(text).map_err(|e| Error::invalid(format!("{name}: {}", e.message)))
}

/// Attaches a bounding-box layer `layer_key` to an image, like
/// `wandb.Image(…, boxes={layer_key: {"box_data": …, "class_labels": …}})`.
///
/// * `box_data_json`: a JSON array of boxes, each `{"position": {"minX","maxX","minY","maxY"}
///   or {"middle": [x, y], "width", "height"}, "class_id"?: int, "box_caption"?: str,
///   "scores"?: {str: number}, "domain"?: "pixel", …}`. Written verbatim (unknown keys and
///   int/float spelling kept) to `media/metadata/boxes2D/<image key>_<step>_<hash>.boxes2D.json`.
/// * `class_labels_json`: NULL, or a JSON object `{"<int id>": "name", …}`. When NULL every
///   box needs a `class_id` and the labels default to `class_<id>`.
///
/// Validated like the SDK (e.g. "Each box must contain a position with: middle, width, and
/// height or minX, maxX, minY, maxY."). An existing layer of the same name is replaced.
/// Logging the image also registers the labels under `bounding_box/class_labels` in the run
/// config (`wb_run_dir_config_json`). Strings are copied; `image` must not be used by another
/// thread during the call.
#[no_mangle]
pub unsafe extern "C" fn wb_image_add_boxes(
    image: *mut wb_value,
    layer_key: *const c_char,
    box_data_json: *const c_char,
    class_labels_json: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let layer = unsafe { utf8_arg(layer_key, "layer_key") }?;
        let box_data = unsafe { json_arg(box_data_json, "box_data_json") }?;
        let labels = if class_labels_json.is_null() {
            None
        } else {
            Some(unsafe { json_arg(class_labels_json, "class_labels_json") }?)
        };
        let img = unsafe { image_mut(image) }?;
        let boxes = BoundingBoxes2D::new(box_data, labels)?;
        img.add_boxes(layer, boxes);
        Ok(())
    })
}

/// Like `wb_image_add_boxes`, with the whole layer dict as one JSON object
/// (`{"box_data": [...], "class_labels"?: {...}, …}`; other members are kept in the file).
#[no_mangle]
pub unsafe extern "C" fn wb_image_add_boxes_layer(
    image: *mut wb_value,
    layer_key: *const c_char,
    layer_json: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let layer = unsafe { utf8_arg(layer_key, "layer_key") }?;
        let dict = unsafe { json_arg(layer_json, "layer_json") }?;
        let img = unsafe { image_mut(image) }?;
        let boxes = BoundingBoxes2D::from_layer(&dict)?;
        img.add_boxes(layer, boxes);
        Ok(())
    })
}

/// Attaches a segmentation mask layer from a 2-D tensor of class ids in [0, 255] (any
/// dtype; floats are truncated, bool is 0/1), like `masks={layer_key: {"mask_data": …}}`.
/// Stored as an 8-bit grayscale PNG (`media/images/mask/<image key>_<step>_<hash>.mask.png`,
/// byte-identical to the SDK). `class_labels_json`: NULL (labels `class_<v>` for the sorted
/// unique values) or `{"<int id>": "name", …}`. Errors: "mask_data must be a 2D array",
/// "Mask data must be integers between 0 and 255". The tensor is read during the call only.
/// An existing layer of the same name is replaced. Logging registers the labels under
/// `mask/class_labels` in the run config.
#[no_mangle]
pub unsafe extern "C" fn wb_image_add_mask(
    image: *mut wb_value,
    layer_key: *const c_char,
    mask: *const wb_tensor,
    class_labels_json: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let layer = unsafe { utf8_arg(layer_key, "layer_key") }?;
        let t = unsafe { tensor_view(mask, "mask") }?;
        let labels = if class_labels_json.is_null() {
            None
        } else {
            Some(unsafe { json_arg(class_labels_json, "class_labels_json") }?)
        };
        let img = unsafe { image_mut(image) }?;
        let m = ImageMask::from_tensor(&t, labels.as_ref())?;
        img.add_mask(layer, m);
        Ok(())
    })
}

/// Attaches a mask layer from an image file (UTF-8 path), like `masks={layer_key: {"path":
/// …}}`: the file is read now and copied unchanged with its own extension
/// (`media/images/mask/<image key>_<step>_<hash>.<ext>`); no labels, no config entry.
#[no_mangle]
pub unsafe extern "C" fn wb_image_add_mask_file(
    image: *mut wb_value,
    layer_key: *const c_char,
    path: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let layer = unsafe { utf8_arg(layer_key, "layer_key") }?;
        let path = unsafe { utf8_arg(path, "path") }?;
        let img = unsafe { image_mut(image) }?;
        let m = ImageMask::from_file(std::path::Path::new(path))?;
        img.add_mask(layer, m);
        Ok(())
    })
}

/// Sets an image's class set (`classes=[{"id": …, "name": …}, …]`, a JSON array; every
/// entry needs both keys). Never written to run JSON; it names the classes of boxes/masks
/// when the image is stored in a table artifact. Replaces an earlier set.
#[no_mangle]
pub unsafe extern "C" fn wb_image_set_classes(
    image: *mut wb_value,
    classes_json: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let j = unsafe { json_arg(classes_json, "classes_json") }?;
        let classes = Classes::from_json(&j)?;
        let img = unsafe { image_mut(image) }?;
        img.set_classes(classes);
        Ok(())
    })
}
