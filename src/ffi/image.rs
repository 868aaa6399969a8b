//! C ABI: images.

use std::ffi::c_char;
use std::mem::{offset_of, size_of};

use super::value::{new_value, wb_value};
use super::{deref_mut, guard, tensor_view, utf8_arg, wb_error, wb_status, wb_tensor};
use crate::encode::png::PngMode;
use crate::error::{Error, Result};
use crate::media::image::{Convert, FileType, Image, ImageMode, ImageOptions};
use crate::tensor::TensorView;
use crate::value::Value;

/// Target Pillow mode of an image.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_image_mode {
    /// Guess from the (squeezed) shape like the SDK: 2-D → L, 3 channels → RGB, 4 → RGBA
    /// (RGB for JPEG); anything else is an error.
    WB_IMAGE_MODE_AUTO = 0,
    WB_IMAGE_MODE_L = 1,
    WB_IMAGE_MODE_LA = 2,
    WB_IMAGE_MODE_RGB = 3,
    WB_IMAGE_MODE_RGBA = 4,
}

/// Encoded file type (the SDK's `file_type`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_image_file_type {
    /// PNG, byte-identical to the SDK (default).
    WB_IMAGE_PNG = 0,
    /// JPEG quality 75, 4:2:0, `format` "jpg".
    WB_IMAGE_JPG = 1,
    /// Same bytes as JPG, `format` "jpeg".
    WB_IMAGE_JPEG = 2,
    /// BMP, byte-identical to the SDK (no LA).
    WB_IMAGE_BMP = 3,
}

/// How non-uint8 pixel data becomes 8-bit.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_convert {
    /// Default: float data as `WB_CONVERT_LEGACY` (a float image in [0,1] is visible),
    /// integer and bool data as `WB_CONVERT_CAST` (values kept).
    WB_CONVERT_AUTO = 0,
    /// Exactly wandb 0.31: plain uint8 cast (floats truncate, everything wraps mod 256,
    /// NaN/inf → 0). Float images in [0,1] come out black.
    WB_CONVERT_CAST = 1,
    /// wandb ≤ 0.18 `to_uint8`: if min < 0 rescale by the range; if max ≤ 1 multiply by
    /// 255; clip to 0..255.
    WB_CONVERT_LEGACY = 2,
}

/// PNG encoder choice.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_png_mode {
    /// Byte-identical to Pillow/the SDK (same sha256 and file name). Default.
    WB_PNG_PILLOW = 0,
    /// Much faster, valid PNG with the same pixels but other bytes (for 30 fps loops).
    WB_PNG_FAST = 1,
}

/// Options that change the encoded bytes. Always start from `wb_image_options_default()`
/// (it sets `struct_size`, so later library versions can add fields compatibly).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wb_image_options {
    /// `sizeof(wb_image_options)` as compiled by the caller.
    pub struct_size: usize,
    pub mode: wb_image_mode,
    pub file_type: wb_image_file_type,
    pub convert: wb_convert,
    pub png_mode: wb_png_mode,
}

/// Default image options (mode AUTO, PNG, convert AUTO, PNG byte-identical). Thread-safe.
#[no_mangle]
pub extern "C" fn wb_image_options_default() -> wb_image_options {
    wb_image_options {
        struct_size: size_of::<wb_image_options>(),
        mode: wb_image_mode::WB_IMAGE_MODE_AUTO,
        file_type: wb_image_file_type::WB_IMAGE_PNG,
        convert: wb_convert::WB_CONVERT_AUTO,
        png_mode: wb_png_mode::WB_PNG_PILLOW,
    }
}

/// A `wb_convert` value read as an integer.
pub(crate) fn convert_of(v: i32) -> Result<Convert> {
    Ok(match v {
        0 => Convert::Auto,
        1 => Convert::Cast,
        2 => Convert::Legacy,
        other => {
            return Err(Error::invalid(format!(
                "options.convert: unknown value {other}"
            )))
        }
    })
}

unsafe fn read_options(p: *const wb_image_options) -> Result<ImageOptions> {
    let mut o = ImageOptions::default();
    if p.is_null() {
        return Ok(o);
    }
    // SAFETY: non-NULL options pointer to at least `struct_size` readable bytes.
    let size = unsafe {
        super::versioned_size::<wb_image_options>(
            std::ptr::addr_of!((*p).struct_size),
            offset_of!(wb_image_options, png_mode) + 4,
            "options",
        )
    }?;
    macro_rules! field {
        ($f:ident) => {
            versioned_enum_field!(p, size, wb_image_options, $f)
        };
    }
    if let Some(m) = field!(mode) {
        o.mode = match m {
            0 => None,
            1 => Some(ImageMode::L),
            2 => Some(ImageMode::LA),
            3 => Some(ImageMode::Rgb),
            4 => Some(ImageMode::Rgba),
            v => return Err(Error::invalid(format!("options.mode: unknown value {v}"))),
        };
    }
    if let Some(f) = field!(file_type) {
        o.file_type = match f {
            0 => FileType::Png,
            1 => FileType::Jpg,
            2 => FileType::Jpeg,
            3 => FileType::Bmp,
            v => return Err(Error::invalid(format!("options.file_type: unknown value {v} (file_type must be one of ['png', 'jpg', 'jpeg', 'bmp'])"))),
        };
    }
    if let Some(c) = field!(convert) {
        o.convert = convert_of(c)?;
    }
    if let Some(m) = field!(png_mode) {
        o.png = match m {
            0 => PngMode::Pillow,
            1 => PngMode::Fast,
            v => {
                return Err(Error::invalid(format!(
                    "options.png_mode: unknown value {v}"
                )))
            }
        };
    }
    Ok(o)
}

/// Creates an image from packed 8-bit pixels, row-major, `channels` 1 (L), 3 (RGB) or 4
/// (RGBA): the common case, PNG byte-identical to `wandb.Image(np_array)`. The pixels are
/// read during the call only. Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_image_new_u8(
    pixels: *const u8,
    height: usize,
    width: usize,
    channels: usize,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        if !matches!(channels, 1 | 3 | 4) {
            return Err(Error::invalid(format!(
                "channels = {channels}: must be 1 (L), 3 (RGB) or 4 (RGBA)"
            )));
        }
        let n = height
            .checked_mul(width)
            .and_then(|v| v.checked_mul(channels))
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or_else(|| Error::overflow("height × width × channels overflows"))?;
        if n == 0 {
            return Err(Error::invalid(
                "image has an empty axis (height or width is 0)",
            ));
        }
        if pixels.is_null() {
            return Err(super::null_arg("pixels"));
        }
        // SAFETY: the caller guarantees height*width*channels readable bytes.
        let data = unsafe { std::slice::from_raw_parts(pixels, n) };
        new_value(out, || {
            Ok(Value::from(Image::from_u8(data, height, width, channels)?))
        })
    })
}

/// Creates an image from any tensor like `wandb.Image(np_array, mode=, file_type=)`: size-1
/// axes are squeezed when ndim > 2, the mode is guessed unless given, data is converted to
/// 8-bit per `options.convert`. HWC layout; pass strides to log CHW data without a copy.
/// `options` may be NULL (defaults). Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_image_from_tensor(
    tensor: *const wb_tensor,
    options: *const wb_image_options,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let opts = unsafe { read_options(options) }?;
        let t = unsafe { tensor_view(tensor, "tensor") }?;
        new_value(out, || Ok(Value::from(Image::from_tensor(&t, &opts)?)))
    })
}

/// Creates an image from a channels-first (C,H,W) tensor, as the SDK treats torch tensors
/// (mode guessed from C; no copy: the view is permuted). `options` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn wb_image_from_chw_tensor(
    tensor: *const wb_tensor,
    options: *const wb_image_options,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let opts = unsafe { read_options(options) }?;
        let t = unsafe { tensor_view(tensor, "tensor") }?;
        if t.ndim() != 3 {
            return Err(Error::invalid(format!(
                "tensor: a CHW image needs 3 axes, got {}",
                t.ndim()
            )));
        }
        let hwc: TensorView<'_> = t.permuted(&[1, 2, 0]);
        new_value(out, || Ok(Value::from(Image::from_tensor(&hwc, &opts)?)))
    })
}

/// Creates an image from a file (png, jpg, gif, webp, bmp, …): copied unchanged, `format`
/// = its extension as written (case kept), width/height read from the file. UTF-8 path.
#[no_mangle]
pub unsafe extern "C" fn wb_image_from_file(
    path: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let path = unsafe { utf8_arg(path, "path") }?;
        new_value(out, || {
            Ok(Value::from(Image::from_file(std::path::Path::new(path))?))
        })
    })
}

/// Sets an image's `grouping` (0 is dropped from the JSON, as in the SDK).
#[no_mangle]
pub unsafe extern "C" fn wb_image_set_grouping(
    image: *mut wb_value,
    grouping: i64,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let v = unsafe { deref_mut(image, "image") }?;
        let img = v
            .inner
            .media_mut()
            .and_then(|m| m.as_any_mut().downcast_mut::<Image>())
            .ok_or_else(|| Error::invalid("image: not an image value"))?;
        img.set_grouping(grouping);
        Ok(())
    })
}
