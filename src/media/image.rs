//! `wandb.Image` (§2): tensors (squeeze → mode guess → uint8 → Pillow mode conversion →
//! PNG/JPEG/BMP) and image files (copied unchanged).

use std::path::Path;
use std::sync::Arc;

use crate::encode::png::PngMode;
use crate::encode::{bmp, jpeg, png};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::boxes::BoundingBoxes2D;
use crate::media::classes::Classes;
use crate::media::mask::ImageMask;
use crate::media::table::ArtifactFiles;
use crate::media::{downcast, file_json, BindCtx, Media, MediaFile};
use crate::tensor::{DType, TensorView};

/// `Image.MAX_ITEMS`: lists are pruned to this many images.
pub const MAX_ITEMS: usize = 108;

/// Pillow modes supported for conversion (spec §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageMode {
    L,
    LA,
    Rgb,
    Rgba,
}

impl ImageMode {
    pub fn channels(self) -> usize {
        match self {
            ImageMode::L => 1,
            ImageMode::LA => 2,
            ImageMode::Rgb => 3,
            ImageMode::Rgba => 4,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            ImageMode::L => "L",
            ImageMode::LA => "LA",
            ImageMode::Rgb => "RGB",
            ImageMode::Rgba => "RGBA",
        }
    }
    pub fn parse(s: &str) -> Result<ImageMode> {
        Ok(match s {
            "L" => ImageMode::L,
            "LA" => ImageMode::LA,
            "RGB" => ImageMode::Rgb,
            "RGBA" => ImageMode::Rgba,
            _ => {
                return Err(Error::unsupported(format!(
                    "image mode {s:?} is not supported (use L, LA, RGB or RGBA)"
                )))
            }
        })
    }
    fn from_channels(c: usize) -> Option<ImageMode> {
        Some(match c {
            1 => ImageMode::L,
            2 => ImageMode::LA,
            3 => ImageMode::Rgb,
            4 => ImageMode::Rgba,
            _ => return None,
        })
    }
}

/// The encoded file type (`file_type=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileType {
    #[default]
    Png,
    Jpg,
    Jpeg,
    Bmp,
}

impl FileType {
    pub fn name(self) -> &'static str {
        match self {
            FileType::Png => "png",
            FileType::Jpg => "jpg",
            FileType::Jpeg => "jpeg",
            FileType::Bmp => "bmp",
        }
    }
    /// Exactly the SDK's accepted names (case-sensitive).
    pub fn parse(s: &str) -> Result<FileType> {
        Ok(match s {
            "png" => FileType::Png,
            "jpg" => FileType::Jpg,
            "jpeg" => FileType::Jpeg,
            "bmp" => FileType::Bmp,
            _ => {
                return Err(Error::invalid(
                    "file_type must be one of ['png', 'jpg', 'jpeg', 'bmp']",
                ))
            }
        })
    }
    fn is_jpeg(self) -> bool {
        matches!(self, FileType::Jpg | FileType::Jpeg)
    }
}

/// How non-uint8 data becomes 8-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Convert {
    /// Float data: `Legacy`; integer/bool data: `Cast`. A float image in [0, 1] comes out
    /// visible (what users expect), integer images keep their values.
    #[default]
    Auto,
    /// What wandb 0.31 does: a plain numpy `astype(uint8)` (truncate, wrap mod 256).
    Cast,
    /// wandb ≤ 0.18 `to_uint8`: shift/scale negative data to \[0,1\], ×255 when max ≤ 1, clip.
    Legacy,
}

/// Options that change the encoded bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImageOptions {
    /// Target mode; `None` = guess from the shape like the SDK.
    pub mode: Option<ImageMode>,
    pub file_type: FileType,
    pub convert: Convert,
    pub png: PngMode,
}

/// Pixels in a Pillow mode, row-major interleaved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixels {
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub mode: ImageMode,
}

/// A `wandb.Image`.
#[derive(Debug, Clone)]
pub struct Image {
    pub file: MediaFile,
    /// `png`/`jpg`/`jpeg`/`bmp`, or a file's extension as written (maybe "").
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub caption: Option<Json>,
    pub grouping: Option<i64>,
    /// Box layers (`boxes={layer: …}`), in insertion order (§3).
    pub boxes: Vec<(String, BoundingBoxes2D)>,
    /// Mask layers (`masks={layer: …}`), in insertion order (§4).
    pub masks: Vec<(String, ImageMask)>,
    /// The explicit `classes=` argument (§5); never in run JSON.
    pub classes: Option<Classes>,
    /// Basename of the source file for images read from a file (artifact entry names).
    pub source_name: Option<String>,
}

impl Image {
    /// The common case: packed u8 pixels, `channels` 1 (L), 3 (RGB) or 4 (RGBA), PNG.
    pub fn from_u8(pixels: &[u8], height: usize, width: usize, channels: usize) -> Result<Image> {
        let shape = [height, width, channels];
        let t = TensorView::new(pixels, DType::U8, &shape)?;
        Image::from_tensor(&t, &ImageOptions::default())
    }

    /// `wandb.Image(array, mode=, file_type=)` for an (H,W), (H,W,C) or squeezable array.
    pub fn from_tensor(t: &TensorView<'_>, opts: &ImageOptions) -> Result<Image> {
        let px = tensor_to_pixels(t, opts)?;
        Image::from_pixels(&px, opts.file_type, opts.png)
    }

    /// Encode already prepared pixels.
    pub fn from_pixels(px: &Pixels, file_type: FileType, png_mode: PngMode) -> Result<Image> {
        let c = px.mode.channels() as u8;
        let bytes = match file_type {
            FileType::Png => png::encode_png(&px.data, px.width, px.height, c, png_mode),
            FileType::Bmp => {
                if px.mode == ImageMode::LA {
                    return Err(Error::invalid("cannot write mode LA as BMP"));
                }
                bmp::encode_bmp(&px.data, px.width, px.height, c)
            }
            FileType::Jpg | FileType::Jpeg => {
                if matches!(px.mode, ImageMode::LA | ImageMode::Rgba) {
                    return Err(Error::invalid(format!(
                        "cannot write mode {} as JPEG",
                        px.mode.name()
                    )));
                }
                jpeg::encode_jpeg(&px.data, px.width, px.height, c)
            }
        }
        .map_err(|e| Error::invalid(format!("image encoding failed: {e}")))?;
        Ok(Image {
            file: MediaFile::new(bytes, format!(".{}", file_type.name())),
            format: file_type.name().to_string(),
            width: px.width,
            height: px.height,
            caption: None,
            grouping: None,
            boxes: Vec::new(),
            masks: Vec::new(),
            classes: None,
            source_name: None,
        })
    }

    /// `wandb.Image(path)`: the file is kept byte-for-byte; its size is read from the header.
    pub fn from_file(path: &Path) -> Result<Image> {
        let file = MediaFile::from_path(path)?;
        let (width, height) = file_dimensions(&file.bytes).map_err(|e| {
            Error::invalid(format!(
                "cannot identify image file {}: {e}",
                crate::confine::path_text(path)
            ))
        })?;
        let format = file.ext.trim_start_matches('.').to_string();
        let source = path.file_name().map(|n| n.to_string_lossy().into_owned());
        Ok(Image {
            file,
            format,
            width,
            height,
            caption: None,
            grouping: None,
            boxes: Vec::new(),
            masks: Vec::new(),
            classes: None,
            source_name: source,
        })
    }

    pub fn set_grouping(&mut self, grouping: i64) {
        self.grouping = Some(grouping);
    }

    /// Adds (or replaces, keeping its position) the box layer `layer`.
    pub fn add_boxes(&mut self, layer: &str, boxes: BoundingBoxes2D) {
        match self.boxes.iter_mut().find(|(k, _)| k == layer) {
            Some(slot) => slot.1 = boxes,
            None => self.boxes.push((layer.to_string(), boxes)),
        }
    }

    /// Adds (or replaces, keeping its position) the mask layer `layer`.
    pub fn add_mask(&mut self, layer: &str, mask: ImageMask) {
        match self.masks.iter_mut().find(|(k, _)| k == layer) {
            Some(slot) => slot.1 = mask,
            None => self.masks.push((layer.to_string(), mask)),
        }
    }

    /// Sets the explicit class set (`classes=`).
    pub fn set_classes(&mut self, classes: Classes) {
        self.classes = Some(classes);
    }

    /// The image's class set (§5): box-layer labels (layer order), then array-mask labels,
    /// then the explicit classes; later names overwrite, order of first appearance.
    pub fn class_set(&self) -> Classes {
        let mut set = Classes::default();
        for (_, b) in &self.boxes {
            for (id, name) in &b.class_labels.0 {
                set.insert(id.to_json(), Json::str(name.clone()));
            }
        }
        for (_, m) in &self.masks {
            if let Some(labels) = &m.class_labels {
                for (id, name) in &labels.0 {
                    set.insert(id.to_json(), Json::str(name.clone()));
                }
            }
        }
        if let Some(c) = &self.classes {
            for (id, name) in &c.entries {
                set.insert(id.clone(), name.clone());
            }
        }
        set
    }

    /// Binds the image, then its box layers, then its masks (the SDK's order; the config
    /// singletons are registered in it). Returns the path and the `boxes`/`masks` JSON.
    fn bind_all(&self, ctx: &BindCtx<'_>) -> Result<(String, Option<Json>, Option<Json>)> {
        let path = ctx.place("media/images", &self.file)?;
        let boxes = if self.boxes.is_empty() {
            None
        } else {
            let mut m = Vec::with_capacity(self.boxes.len());
            for (layer, b) in &self.boxes {
                m.push((layer.clone(), b.bind(ctx, layer)?));
            }
            Some(Json::Object(m))
        };
        let masks = if self.masks.is_empty() {
            None
        } else {
            let mut m = Vec::with_capacity(self.masks.len());
            for (layer, mask) in &self.masks {
                m.push((layer.clone(), mask.bind(ctx, layer)?));
            }
            Some(Json::Object(m))
        };
        Ok((path, boxes, masks))
    }
}

impl Media for Image {
    fn class_name(&self) -> &'static str {
        "Image"
    }
    fn batchable(&self) -> bool {
        true
    }
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json> {
        let (path, boxes, masks) = self.bind_all(ctx)?;
        let mut m = file_json(self.caption.as_ref(), "image-file", &self.file, path);
        m.push(("format".into(), Json::str(self.format.clone())));
        m.push(("width".into(), Json::Int(self.width as i64)));
        m.push(("height".into(), Json::Int(self.height as i64)));
        if let Some(g) = self.grouping.filter(|&g| g != 0) {
            m.push(("grouping".into(), Json::Int(g)));
        }
        if let Some(b) = boxes {
            m.push(("boxes".into(), b));
        }
        if let Some(k) = masks {
            m.push(("masks".into(), k));
        }
        Ok(Json::Object(m))
    }
    fn list_to_json(&self, items: &[Arc<dyn Media>], ctx: &BindCtx<'_>) -> Result<Json> {
        let kept = &items[..items.len().min(MAX_ITEMS)];
        let mut filenames = Vec::with_capacity(kept.len());
        let mut captions = Vec::with_capacity(kept.len());
        let mut all_boxes = Vec::with_capacity(kept.len());
        let mut all_masks = Vec::with_capacity(kept.len());
        for item in kept {
            let img: &Image = downcast(item)?;
            let (path, boxes, masks) = img.bind_all(ctx)?;
            filenames.push(Json::str(path));
            captions.push(img.caption.clone().unwrap_or(Json::Null));
            all_boxes.push(boxes.unwrap_or(Json::Null));
            all_masks.push(masks.unwrap_or(Json::Null));
        }
        let first: &Image = downcast(&kept[0])?;
        let mut m = vec![
            ("_type".to_string(), Json::str("images/separated")),
            ("width".to_string(), Json::Int(first.width as i64)),
            ("height".to_string(), Json::Int(first.height as i64)),
            ("format".to_string(), Json::str(first.format.clone())),
            ("count".to_string(), Json::Int(kept.len() as i64)),
            ("filenames".to_string(), Json::Array(filenames)),
        ];
        if first.caption.as_ref().is_some_and(|c| *c != Json::Null) {
            m.push(("captions".to_string(), Json::Array(captions)));
        }
        if all_masks.iter().any(|j| *j != Json::Null) {
            m.push(("all_masks".to_string(), Json::Array(all_masks)));
        }
        if all_boxes.iter().any(|j| *j != Json::Null) {
            m.push(("all_boxes".to_string(), Json::Array(all_boxes)));
        }
        Ok(Json::Object(m))
    }
    media_caption_methods!();
    /// `Image.to_json(artifact)` (§9.4): caption?, path (artifact entry), sha256, _type,
    /// format, width, height, grouping?, classes?, boxes? (raw box data), masks?.
    fn artifact_json(&self, files: &mut ArtifactFiles) -> Result<Json> {
        let mut m = Vec::with_capacity(10);
        if let Some(c) = self.caption.as_ref().filter(|c| **c != Json::Null) {
            m.push(("caption".to_string(), c.clone()));
        }
        let path = files.add_media("media/images", &self.file, self.source_name.as_deref());
        m.push(("path".into(), Json::str(path)));
        m.push(("sha256".into(), Json::str(self.file.sha256.clone())));
        m.push(("_type".into(), Json::str("image-file")));
        m.push(("format".into(), Json::str(self.format.clone())));
        m.push(("width".into(), Json::Int(self.width as i64)));
        m.push(("height".into(), Json::Int(self.height as i64)));
        if let Some(g) = self.grouping.filter(|&g| g != 0) {
            m.push(("grouping".into(), Json::Int(g)));
        }
        let classes = self.class_set();
        if (!self.boxes.is_empty() || !self.masks.is_empty()) && classes.is_empty() {
            return Err(Error::invalid(
                "classes must be passed to wandb.Image which have masks or bounding boxes when adding to artifacts",
            ));
        }
        if !classes.is_empty() {
            let (name, bytes, digest) = classes.artifact_entry();
            // Always a copy, also for an image read from an artifact: the SDK's Image
            // rebuilds its Classes from the boxes/masks labels (a new object without the
            // `_artifact_source` of the one read), so `artifact.add` writes the file again.
            files.add_bytes(name.clone(), Arc::new(bytes));
            m.push((
                "classes".into(),
                Json::object([
                    ("type", Json::str("classes-file")),
                    ("path", Json::str(name)),
                    ("digest", Json::str(digest)),
                ]),
            ));
        }
        if !self.boxes.is_empty() {
            m.push((
                "boxes".into(),
                Json::Object(
                    self.boxes
                        .iter()
                        .map(|(k, b)| (k.clone(), Json::Array(b.box_data.clone())))
                        .collect(),
                ),
            ));
        }
        if !self.masks.is_empty() {
            let mut masks = Vec::with_capacity(self.masks.len());
            for (k, mask) in &self.masks {
                let path =
                    files.add_media("media/images/mask", &mask.file, mask.source_name.as_deref());
                masks.push((
                    k.clone(),
                    Json::object([
                        ("path", Json::str(path)),
                        ("sha256", Json::str(mask.file.sha256.clone())),
                        ("_type", Json::str("mask")),
                    ]),
                ));
            }
            m.push(("masks".into(), Json::Object(masks)));
        }
        Ok(Json::Object(m))
    }
    media_object_methods!();
}

/// The SDK's `guess_mode` on the squeezed numpy shape (§2.3).
/// Width and height of an image file the way `PIL.Image.open(path).size` reports them, for
/// the formats Pillow 11.3 opens that the `image` crate reads (PNG, JPEG, GIF, WebP, BMP,
/// TIFF, PPM/PGM/PBM, TGA, ICO, QOI) plus DDS, PCX, SGI, MSP, JPEG 2000, XBM and IM
/// (`image_header`): the format is found from the content like
/// Pillow does; a file no signature matches is tried as TGA (TGA has no magic, and Pillow
/// likewise tries its TGA plugin on anything). PAM (`P7`), which Pillow does not open, is
/// rejected.
pub(crate) fn file_dimensions(bytes: &[u8]) -> std::result::Result<(u32, u32), String> {
    use image::{ImageFormat, ImageReader};
    if let Some(dims) = super::image_header::dimensions(bytes) {
        return dims;
    }
    let reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let reader = match reader.format() {
        Some(ImageFormat::Pnm) if bytes.starts_with(b"P7") => {
            return Err("PAM (P7) is not a format Pillow opens".into())
        }
        Some(_) => reader,
        None => {
            let mut r = ImageReader::new(std::io::Cursor::new(bytes));
            r.set_format(ImageFormat::Tga);
            r
        }
    };
    reader.into_dimensions().map_err(|e| e.to_string())
}

fn guess_mode(shape: &[usize], file_type: FileType) -> Result<ImageMode> {
    let Some(&channels) = shape.last() else {
        return Err(Error::invalid(
            "cannot guess the mode of a 0-d array (IndexError: tuple index out of range)",
        ));
    };
    if shape.len() == 2 || channels == 1 {
        return Ok(ImageMode::L);
    }
    match channels {
        3 => Ok(ImageMode::Rgb),
        4 if file_type.is_jpeg() => {
            crate::diag::warn("JPEG format does not support transparency. Ignoring alpha channel.");
            Ok(ImageMode::Rgb)
        }
        4 => Ok(ImageMode::Rgba),
        _ => Err(Error::invalid(format!(
            "Un-supported shape for image conversion {}",
            shape_list(shape)
        ))),
    }
}

fn shape_list(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Tensor → pixels in the target mode, exactly as the SDK + Pillow do it.
pub fn tensor_to_pixels(t: &TensorView<'_>, opts: &ImageOptions) -> Result<Pixels> {
    let legacy = match opts.convert {
        Convert::Legacy => true,
        Convert::Cast => false,
        Convert::Auto => t.dtype().is_float(),
    };
    // The legacy conversion runs before the SDK sees the array, on the unsqueezed data.
    let legacy_buf;
    let view = if legacy && t.numel() > 0 {
        legacy_buf = legacy_to_u8(t)?;
        TensorView::new(&legacy_buf, DType::U8, t.shape())?
    } else {
        t.clone()
    };
    let view = if view.ndim() > 2 {
        view.squeezed()
    } else {
        view
    };
    let shape = view.shape().to_vec();
    let mode = match opts.mode {
        Some(m) => m,
        None => guess_mode(&shape, opts.file_type)?,
    };
    // Pillow's fromarray: native mode from the shape.
    let (height, width, native) = match shape.len() {
        1 => (shape[0], 1, ImageMode::L),
        2 => (shape[0], shape[1], ImageMode::L),
        3 => match ImageMode::from_channels(shape[2]).filter(|m| *m != ImageMode::L) {
            Some(m) => (shape[0], shape[1], m),
            None => {
                return Err(Error::invalid(format!(
                    "Cannot handle this data type: array of shape {} (channels must be 2, 3 or 4)",
                    shape_list(&shape)
                )))
            }
        },
        0 => return Err(Error::invalid("cannot make an image from a 0-d array")),
        _ => {
            return Err(Error::invalid(format!(
                "Cannot handle this data type: array of shape {} is not an image (too many non-trivial axes)",
                shape_list(&shape)
            )))
        }
    };
    if height == 0 || width == 0 {
        return Err(Error::invalid(format!(
            "image array has an empty axis: shape {}",
            shape_list(&shape)
        )));
    }
    if height > u32::MAX as usize || width > u32::MAX as usize {
        return Err(Error::overflow("image dimensions exceed 2^32"));
    }
    let data = view.to_u8_cast()?;
    let data = convert_mode(data, native, mode);
    Ok(Pixels {
        data,
        width: width as u32,
        height: height as u32,
        mode,
    })
}

/// Pillow's `Image.convert` between L, LA, RGB and RGBA (§2.4).
pub fn convert_mode(data: Vec<u8>, from: ImageMode, to: ImageMode) -> Vec<u8> {
    if from == to {
        return data;
    }
    let cin = from.channels();
    let cout = to.channels();
    let n = data.len() / cin;
    let mut out = Vec::with_capacity(n * cout);
    #[inline]
    fn luma(r: u8, g: u8, b: u8) -> u8 {
        ((r as u32 * 19595 + g as u32 * 38470 + b as u32 * 7471 + 0x8000) >> 16) as u8
    }
    for px in data.chunks_exact(cin) {
        let (v, rgb, a) = match from {
            ImageMode::L => (px[0], [px[0]; 3], 255),
            ImageMode::LA => (px[0], [px[0]; 3], px[1]),
            ImageMode::Rgb => (luma(px[0], px[1], px[2]), [px[0], px[1], px[2]], 255),
            ImageMode::Rgba => (luma(px[0], px[1], px[2]), [px[0], px[1], px[2]], px[3]),
        };
        match to {
            ImageMode::L => out.push(v),
            ImageMode::LA => out.extend_from_slice(&[v, a]),
            ImageMode::Rgb => out.extend_from_slice(&rgb),
            ImageMode::Rgba => out.extend_from_slice(&[rgb[0], rgb[1], rgb[2], a]),
        }
    }
    out
}

/// float → int32 as numpy on x86-64 (NaN/out of range → INT32_MIN). Branch-free.
#[inline(always)]
fn trunc_i32(v: f64) -> i64 {
    let in_range = v > -2147483649.0 && v < 2147483648.0;
    if in_range {
        v as i32 as i64
    } else {
        i32::MIN as i64
    }
}

#[inline(always)]
fn clip_u8_f(v: f64) -> u8 {
    // np.clip keeps NaN, and the uint8 cast makes it 0.
    crate::tensor::cast_f64_u8(v.clamp(0.0, 255.0))
}

#[inline(always)]
fn clip_u8_i(v: i64) -> u8 {
    v.clamp(0, 255) as u8
}

/// Float data in its own precision (numpy arithmetic of the input dtype).
trait LegacyFloat: crate::tensor::Elem + Copy {
    fn f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    fn sub(self, o: Self) -> Self;
    /// `(x - lowest) / ptp` in the dtype.
    fn norm(self, lowest: Self, ptp: Self) -> Self;
    /// `x * 255` in the dtype, widened.
    fn times_255(self) -> f64;
}
impl LegacyFloat for f32 {
    #[inline(always)]
    fn f64(self) -> f64 {
        self as f64
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn sub(self, o: Self) -> Self {
        self - o
    }
    #[inline(always)]
    fn norm(self, lowest: Self, ptp: Self) -> Self {
        (self - lowest) / ptp
    }
    #[inline(always)]
    fn times_255(self) -> f64 {
        (self * 255.0) as f64
    }
}
impl LegacyFloat for f64 {
    #[inline(always)]
    fn f64(self) -> f64 {
        self
    }
    fn from_f64(v: f64) -> Self {
        v
    }
    fn sub(self, o: Self) -> Self {
        self - o
    }
    #[inline(always)]
    fn norm(self, lowest: Self, ptp: Self) -> Self {
        (self - lowest) / ptp
    }
    #[inline(always)]
    fn times_255(self) -> f64 {
        self * 255.0
    }
}

impl LegacyFloat for half::f16 {
    #[inline(always)]
    fn f64(self) -> f64 {
        self.to_f64()
    }
    fn from_f64(v: f64) -> Self {
        half::f16::from_f64(v)
    }
    fn sub(self, o: Self) -> Self {
        self - o
    }
    #[inline(always)]
    fn norm(self, lowest: Self, ptp: Self) -> Self {
        (self - lowest) / ptp
    }
    #[inline(always)]
    fn times_255(self) -> f64 {
        (self * half::f16::from_f32(255.0)).to_f64()
    }
}

/// The float branch of `Image.to_uint8`: one min/max pass, then one mapping pass (the
/// normalisation and the final test are fused; numbers computed exactly as numpy does).
fn legacy_float<T: LegacyFloat>(d: &[T]) -> Vec<u8> {
    let (lowest, highest) = nan_min_max(d);
    if lowest < 0.0 {
        let lo = T::from_f64(lowest);
        // numpy: ptp = max - lowest in the dtype
        let ptp = T::from_f64(highest).sub(lo);
        let normed = |v: T| v.norm(lo, ptp);
        let (_, nmax) = nan_min_max_map(d, normed);
        if nmax <= 1.0 {
            d.iter()
                .map(|&v| clip_u8_i(trunc_i32(normed(v).times_255())))
                .collect()
        } else {
            d.iter().map(|&v| clip_u8_f(normed(v).f64())).collect()
        }
    } else if highest <= 1.0 {
        d.iter()
            .map(|&v| clip_u8_i(trunc_i32(v.times_255())))
            .collect()
    } else {
        d.iter().map(|&v| clip_u8_f(v.f64())).collect()
    }
}

/// numpy `(min, max)`: NaN if any element is NaN (vectorisable single pass).
fn nan_min_max<T: LegacyFloat>(d: &[T]) -> (f64, f64) {
    nan_min_max_map(d, |v| v)
}

#[inline(always)]
fn nan_min_max_map<T: LegacyFloat>(d: &[T], f: impl Fn(T) -> T) -> (f64, f64) {
    const N: usize = 8;
    let mut mn = [f64::INFINITY; N];
    let mut mx = [f64::NEG_INFINITY; N];
    let mut nan = [false; N];
    let chunks = d.chunks_exact(N);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..N {
            let v = f(c[j]).f64();
            nan[j] |= v.is_nan();
            mn[j] = if v < mn[j] { v } else { mn[j] };
            mx[j] = if v > mx[j] { v } else { mx[j] };
        }
    }
    let mut any_nan = nan.iter().any(|&b| b);
    let mut lo = mn.iter().fold(f64::INFINITY, |a, &b| a.min(b));
    let mut hi = mx.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    for &v in rest {
        let v = f(v).f64();
        any_nan |= v.is_nan();
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if any_nan {
        (f64::NAN, f64::NAN)
    } else {
        (lo, hi)
    }
}

/// wandb ≤ 0.18 `Image.to_uint8` in numpy arithmetic of the input dtype (compat README §1.3).
pub fn legacy_to_u8(t: &TensorView<'_>) -> Result<Vec<u8>> {
    Ok(match t.dtype() {
        DType::F32 => legacy_float(&t.elems::<f32>()?),
        DType::F64 => legacy_float(&t.elems::<f64>()?),
        DType::F16 => legacy_float(&t.elems::<half::f16>()?),
        // torch `.float()` first
        DType::BF16 => legacy_float(&t.map_elems(crate::tensor::bf16_to_f32)?),
        dt => {
            // Integer arithmetic wraps in the input dtype; true division gives float64.
            let bits = (dt.size() * 8) as u32;
            let signed = !matches!(
                dt,
                DType::U8 | DType::U16 | DType::U32 | DType::U64 | DType::Bool
            );
            let wrap = |v: i64| -> i64 {
                if bits == 64 {
                    v
                } else if signed {
                    (v << (64 - bits)) >> (64 - bits)
                } else {
                    v & ((1i64 << bits) - 1)
                }
            };
            // uint64 is never negative in numpy: values above i64::MAX must not wrap to
            // negatives here (that took the `min < 0` branch); saturating keeps every
            // comparison and `clip(0, 255)` exactly as numpy's uint64 arithmetic gives them.
            let vals: Vec<i64> = if dt == DType::U64 {
                t.map_elems(|v: u64| v.min(i64::MAX as u64) as i64)?
            } else {
                t.to_i64_vec()?
            };
            let lowest = vals.iter().copied().min().unwrap_or(0);
            let highest = vals.iter().copied().max().unwrap_or(0);
            if lowest < 0 {
                let ptp = wrap(highest.wrapping_sub(lowest)) as f64;
                let d: Vec<f64> = vals
                    .iter()
                    .map(|&v| wrap(v.wrapping_sub(lowest)) as f64 / ptp)
                    .collect();
                if nan_min_max(&d).1 <= 1.0 {
                    d.iter().map(|&v| clip_u8_i(trunc_i32(v * 255.0))).collect()
                } else {
                    d.iter().map(|&v| clip_u8_f(v)).collect()
                }
            } else if highest <= 1 {
                // bool * 255 promotes to int64; other ints multiply in their own width.
                let mul = |v: i64| {
                    if dt == DType::Bool {
                        v * 255
                    } else {
                        wrap(v.wrapping_mul(255))
                    }
                };
                vals.iter().map(|&v| clip_u8_i(wrap_i32(mul(v)))).collect()
            } else {
                vals.iter().map(|&v| clip_u8_i(v)).collect()
            }
        }
    })
}

fn wrap_i32(v: i64) -> i64 {
    v as i32 as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pre-fast-path implementation, kept verbatim as the reference.
    mod reference {
        use crate::tensor::{DType, Scalar, TensorView};
        /// float → int32 as numpy on x86-64 (NaN/out of range → INT32_MIN).
        fn trunc_i32(v: f64) -> i64 {
            if v.is_nan() || v <= -2147483649.0 || v >= 2147483648.0 {
                i32::MIN as i64
            } else {
                v as i32 as i64
            }
        }

        fn clip_u8_f(v: f64) -> u8 {
            // np.clip keeps NaN, and the uint8 cast makes it 0.
            crate::tensor::cast_f64_u8(v.clamp(0.0, 255.0))
        }

        fn clip_u8_i(v: i64) -> u8 {
            v.clamp(0, 255) as u8
        }

        /// wandb ≤ 0.18 `Image.to_uint8` in numpy arithmetic of the input dtype (compat README §1.3).
        pub fn legacy_to_u8(t: &TensorView<'_>) -> Vec<u8> {
            match t.dtype() {
                DType::F32 => {
                    let mut d = t.to_f32().unwrap();
                    let lowest = nan_min(d.iter().map(|&v| v as f64)) as f32;
                    if lowest < 0.0 {
                        let ptp = nan_max(d.iter().map(|&v| v as f64)) as f32 - lowest;
                        d.iter_mut().for_each(|v| *v = (*v - lowest) / ptp);
                    }
                    if nan_max(d.iter().map(|&v| v as f64)) <= 1.0 {
                        d.iter()
                            .map(|&v| clip_u8_i(trunc_i32((v * 255.0) as f64)))
                            .collect()
                    } else {
                        d.iter().map(|&v| clip_u8_f(v as f64)).collect()
                    }
                }
                DType::F64 => {
                    let mut d = t.to_f64().unwrap();
                    let lowest = nan_min(d.iter().copied());
                    if lowest < 0.0 {
                        let ptp = nan_max(d.iter().copied()) - lowest;
                        d.iter_mut().for_each(|v| *v = (*v - lowest) / ptp);
                    }
                    if nan_max(d.iter().copied()) <= 1.0 {
                        d.iter().map(|&v| clip_u8_i(trunc_i32(v * 255.0))).collect()
                    } else {
                        d.iter().map(|&v| clip_u8_f(v)).collect()
                    }
                }
                dt => {
                    // Integer arithmetic wraps in the input dtype; true division gives float64.
                    let bits = (dt.size() * 8) as u32;
                    let signed = !matches!(dt, DType::U8 | DType::U16 | DType::Bool);
                    let wrap = |v: i64| -> i64 {
                        if bits == 64 {
                            v
                        } else if signed {
                            (v << (64 - bits)) >> (64 - bits)
                        } else {
                            v & ((1i64 << bits) - 1)
                        }
                    };
                    let vals: Vec<i64> = t
                        .to_scalars()
                        .unwrap()
                        .into_iter()
                        .map(|s| match s {
                            Scalar::Int(i) => i,
                            Scalar::Bool(b) => b as i64,
                            other => other.as_f64() as i64,
                        })
                        .collect();
                    let lowest = vals.iter().copied().min().unwrap_or(0);
                    let highest = vals.iter().copied().max().unwrap_or(0);
                    if lowest < 0 {
                        let ptp = wrap(highest.wrapping_sub(lowest)) as f64;
                        let d: Vec<f64> = vals
                            .iter()
                            .map(|&v| wrap(v.wrapping_sub(lowest)) as f64 / ptp)
                            .collect();
                        if nan_max(d.iter().copied()) <= 1.0 {
                            d.iter().map(|&v| clip_u8_i(trunc_i32(v * 255.0))).collect()
                        } else {
                            d.iter().map(|&v| clip_u8_f(v)).collect()
                        }
                    } else if highest <= 1 {
                        // bool * 255 promotes to int64; other ints multiply in their own width.
                        let mul = |v: i64| {
                            if dt == DType::Bool {
                                v * 255
                            } else {
                                wrap(v.wrapping_mul(255))
                            }
                        };
                        vals.iter().map(|&v| clip_u8_i(wrap_i32(mul(v)))).collect()
                    } else {
                        vals.iter().map(|&v| clip_u8_i(v)).collect()
                    }
                }
            }
        }

        fn wrap_i32(v: i64) -> i64 {
            v as i32 as i64
        }

        /// numpy min/max: NaN if any element is NaN.
        fn nan_min(it: impl Iterator<Item = f64>) -> f64 {
            let mut m = f64::INFINITY;
            for v in it {
                if v.is_nan() {
                    return f64::NAN;
                }
                m = m.min(v);
            }
            m
        }

        fn nan_max(it: impl Iterator<Item = f64>) -> f64 {
            let mut m = f64::NEG_INFINITY;
            for v in it {
                if v.is_nan() {
                    return f64::NAN;
                }
                m = m.max(v);
            }
            m
        }
    }

    // --- fast paths vs the previous generic implementation -----------------------------------

    pub(crate) fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut st = seed | 1;
        move || {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            st
        }
    }

    #[test]
    fn legacy_conversion_matches_reference() {
        let mut next = rng(77);
        let dtypes = [
            DType::U8,
            DType::I8,
            DType::U16,
            DType::I16,
            DType::I32,
            DType::I64,
            DType::F32,
            DType::F64,
            DType::Bool,
        ];
        for round in 0..600 {
            let dt = dtypes[round % dtypes.len()];
            let n = 1 + (next() % 300) as usize;
            let mut data = vec![0u8; n * dt.size()];
            let style = next() % 6;
            for c in data.chunks_exact_mut(dt.size()) {
                let r = next();
                match (dt, style) {
                    (DType::F32, 0) => {
                        c.copy_from_slice(&((r % 1000) as f32 / 999.0).to_le_bytes())
                    }
                    (DType::F32, 1) => {
                        c.copy_from_slice(&((r % 1000) as f32 / 3.0 - 100.0).to_le_bytes())
                    }
                    (DType::F32, 2) if r.is_multiple_of(50) => {
                        c.copy_from_slice(&f32::NAN.to_le_bytes())
                    }
                    (DType::F64, 0) => {
                        c.copy_from_slice(&((r % 1000) as f64 / 999.0).to_le_bytes())
                    }
                    (DType::F64, 1) => {
                        c.copy_from_slice(&((r % 1000) as f64 / 7.0 - 30.0).to_le_bytes())
                    }
                    (DType::F64, 2) if r.is_multiple_of(50) => {
                        c.copy_from_slice(&f64::INFINITY.to_le_bytes())
                    }
                    (DType::Bool, _) => c[0] = (r % 2) as u8,
                    (_, 3) => c.fill(0),
                    (_, 4) => {
                        let b = r.to_le_bytes();
                        c.copy_from_slice(&b[..c.len()]);
                        c[c.len() - 1] &= 0x3f;
                        if c.len() == 1 {
                            c[0] %= 2;
                        }
                    }
                    _ => {
                        let b = r.to_le_bytes();
                        c.copy_from_slice(&b[..c.len()]);
                    }
                }
            }
            // contiguous, and a reversed strided view of the same data
            let t = TensorView::new(&data, dt, &[n]).unwrap();
            assert_eq!(
                legacy_to_u8(&t).unwrap(),
                reference::legacy_to_u8(&t),
                "{dt:?} style {style}"
            );
            let rev =
                TensorView::strided(&data, (n - 1) * dt.size(), dt, &[n], Some(&[-1])).unwrap();
            assert_eq!(
                legacy_to_u8(&rev).unwrap(),
                reference::legacy_to_u8(&rev),
                "{dt:?} reversed"
            );
        }
    }

    fn px(shape: &[usize], data: &[u8], mode: Option<ImageMode>) -> Result<Pixels> {
        let t = TensorView::new(data, DType::U8, shape).unwrap();
        tensor_to_pixels(
            &t,
            &ImageOptions {
                mode,
                ..Default::default()
            },
        )
    }

    #[test]
    fn squeeze_and_guess_follow_the_sdk() {
        // (1,W,3) → squeezed to (W,3) → L image of width 3, height W.
        let p = px(&[1, 5, 3], &[0; 15], None).unwrap();
        assert_eq!((p.width, p.height, p.mode), (3, 5, ImageMode::L));
        // (1,1,3) → (3,) → guessed RGB; Pillow makes a 1×3 L image, converted to RGB.
        let p = px(&[1, 1, 3], &[1, 2, 3], None).unwrap();
        assert_eq!((p.width, p.height, p.mode), (1, 3, ImageMode::Rgb));
        assert_eq!(p.data, vec![1, 1, 1, 2, 2, 2, 3, 3, 3]);
        assert!(px(&[5], &[0; 5], None)
            .unwrap_err()
            .message
            .contains("Un-supported shape for image conversion [5]"));
        assert!(px(&[2, 2, 2], &[0; 8], None).is_err());
        // (1,2,2) squeezes to (2,2): a 2-D L image, converted to LA.
        let p = px(&[1, 2, 2], &[10, 255, 20, 0], Some(ImageMode::LA)).unwrap();
        assert_eq!(p.data, vec![10, 255, 255, 255, 20, 255, 0, 255]);
    }

    fn spec_boxes_masks_image() -> Image {
        // §2.5 "With boxes and masks": zeros (4,6,3), two box layers, two identical masks.
        let mut img = Image::from_u8(&[0u8; 72], 4, 6, 3).unwrap();
        img.caption = Some(Json::str("scene"));
        let layer = |t: &str| BoundingBoxes2D::from_layer(&Json::parse(t).unwrap()).unwrap();
        img.add_boxes(
            "predictions",
            layer(
                r#"{"box_data":[{"position":{"minX":0.1,"maxX":0.2,"minY":0.3,"maxY":0.4},"class_id":1,"box_caption":"car","scores":{"acc":0.2,"loss":1.2}},{"position":{"middle":[150,20],"width":68,"height":112},"domain":"pixel","class_id":3,"box_caption":"a building","scores":{"acc":0.5,"loss":0.7}}],"class_labels":{"1":"car","3":"building"}}"#,
            ),
        );
        img.add_boxes(
            "gt",
            layer(
                r#"{"box_data":[{"position":{"minX":1,"maxX":2,"minY":3,"maxY":4},"class_id":7}]}"#,
            ),
        );
        let mut m = [0u8; 24];
        for r in 0..4 {
            for c in 3..6 {
                m[r * 6 + c] = 2;
            }
        }
        m[0] = 200;
        let t = TensorView::new(&m, DType::U8, &[4, 6]).unwrap();
        let labels = Json::parse(r#"{"0":"bg","2":"thing"}"#).unwrap();
        img.add_mask("pred", ImageMask::from_tensor(&t, Some(&labels)).unwrap());
        img.add_mask("gt2", ImageMask::from_tensor(&t, None).unwrap());
        img
    }

    #[test]
    fn boxes_and_masks_json_and_config() {
        let dir = std::env::temp_dir().join(format!("wbm-img-boxes-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let sink = crate::run_dir::RunDir::new(&dir).unwrap();
        let placed = std::sync::Mutex::new(Vec::new());
        let ctx = BindCtx {
            sink: &sink,
            key: "scene",
            step: crate::run_dir::Step::Num(3),
            placed: &placed,
        };
        let img = spec_boxes_masks_image();
        let j = img.to_json(&ctx).unwrap().to_compact();
        assert!(j.starts_with(r#"{"caption":"scene","_type":"image-file","sha256":"d6a441bfe7e8f09712a97927d56fc98879ffbce791ace14559d0442f2432ee14","size":69,"path":"media/images/scene_3_d6a441bfe7e8f09712a9.png","format":"png","width":6,"height":4,"boxes":{"predictions":{"_type":"boxes2D","sha256":"68a1f7deaf75fcbad97d"#), "{j}");
        assert!(j.contains(r#""size":326,"path":"media/metadata/boxes2D/scene_3_68a1f7deaf75fcbad97d.boxes2D.json"},"gt":{"_type":"boxes2D","sha256":"94f62d907884d342bedc"#), "{j}");
        assert!(
            j.contains(r#""masks":{"pred":{"_type":"mask","sha256":"dd4d8eb2d5557253d120"#),
            "{j}"
        );
        assert!(
            j.ends_with(
                r#""size":84,"path":"media/images/mask/scene_3_dd4d8eb2d5557253d120.mask.png"}}}"#
            ),
            "{j}"
        );
        assert_eq!(
            sink.config_json().to_compact(),
            r#"{"bounding_box/class_labels":{"scene_wandb_delimeter_predictions":{"type":"bounding_box/class_labels","key":"scene_wandb_delimeter_predictions","value":{"1":"car","3":"building"}},"scene_wandb_delimeter_gt":{"type":"bounding_box/class_labels","key":"scene_wandb_delimeter_gt","value":{"7":"class_7"}}},"mask/class_labels":{"scene_wandb_delimeter_pred":{"type":"mask/class_labels","key":"scene_wandb_delimeter_pred","value":{"0":"bg","2":"thing"}},"scene_wandb_delimeter_gt2":{"type":"mask/class_labels","key":"scene_wandb_delimeter_gt2","value":{"0":"class_0","2":"class_2","200":"class_200"}}}}"#
        );
        // §5: union of box labels, mask labels, explicit classes (first appearance order).
        let mut img2 = img.clone();
        img2.set_classes(
            Classes::from_json(
                &Json::parse(r#"[{"id":7,"name":"seven"},{"id":"s","name":"str"}]"#).unwrap(),
            )
            .unwrap(),
        );
        let set = crate::media::table::pyrepr::json_repr(&img2.class_set().class_set_json());
        assert_eq!(set, "[{'id': 1, 'name': 'car'}, {'id': 3, 'name': 'building'}, {'id': 7, 'name': 'seven'}, {'id': 0, 'name': 'class_0'}, {'id': 2, 'name': 'class_2'}, {'id': 200, 'name': 'class_200'}, {'id': 's', 'name': 'str'}]");
        // list JSON: all_masks before all_boxes, nulls for images without.
        let plain: Arc<dyn Media> = Arc::new(Image::from_u8(&[0u8; 72], 4, 6, 3).unwrap());
        let with: Arc<dyn Media> = Arc::new(img);
        let l = with
            .list_to_json(&[with.clone(), plain], &ctx)
            .unwrap()
            .to_compact();
        assert!(l.contains(r#""count":2,"filenames":["media/images/scene_3_d6a441bfe7e8f09712a9.png","media/images/scene_3_d6a441bfe7e8f09712a9.png"],"captions":["scene",null],"all_masks":[{"pred":"#), "{l}");
        assert!(
            l.contains(r#"}},null],"all_boxes":[{"predictions":"#),
            "{l}"
        );
        assert!(l.ends_with("}},null]}"), "{l}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn artifact_json_of_image_with_boxes() {
        let img = spec_boxes_masks_image();
        let mut files = crate::media::table::ArtifactFiles::default();
        let j = img.artifact_json(&mut files).unwrap().to_artifact();
        assert!(j.starts_with(r#"{"_type": "image-file", "boxes": {"gt": [{"class_id": 7, "position": {"maxX": 2, "maxY": 4, "minX": 1, "minY": 3}}], "predictions": [{"box_caption": "car""#), "{j}");
        assert!(j.contains(r#""classes": {"digest": ""#), "{j}");
        assert!(
            j.contains(r#""masks": {"gt2": {"_type": "mask", "path": "media/images/mask/"#),
            "{j}"
        );
        let names: Vec<&str> = files.entries().iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}"); // image, classes file, one mask png (same bytes twice)
                                                 // an image with a file mask only and no classes cannot go into an artifact
        let mut bare = Image::from_u8(&[0u8; 3], 1, 1, 3).unwrap();
        let mp = std::env::temp_dir().join(format!("wbm-mask-{}.png", std::process::id()));
        std::fs::write(&mp, &bare.file.bytes[..]).unwrap();
        bare.add_mask("m", ImageMask::from_file(&mp).unwrap());
        assert!(bare
            .artifact_json(&mut files)
            .unwrap_err()
            .message
            .starts_with("classes must be passed"));
        let _ = std::fs::remove_file(&mp);
    }

    #[test]
    fn pillow_mode_conversions() {
        let rgb = vec![255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
        assert_eq!(
            convert_mode(rgb, ImageMode::Rgb, ImageMode::L),
            vec![76, 150, 29, 18]
        );
        assert_eq!(
            convert_mode(vec![7, 9], ImageMode::LA, ImageMode::Rgba),
            vec![7, 7, 7, 9]
        );
        assert_eq!(
            convert_mode(vec![7], ImageMode::L, ImageMode::Rgba),
            vec![7, 7, 7, 255]
        );
    }

    #[test]
    fn legacy_u64_above_i64_max() {
        // numpy 2.4.6 (wandb ≤ 0.18 `to_uint8` on uint64 arrays):
        // [0, 5, 2**63+1, 2**64-1, 300, 255] → [0, 5, 255, 255, 255, 255]; [0, 1, 1] → [0, 255, 255]
        let u = |v: &[u64]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
        let b = u(&[0, 5, (1 << 63) + 1, u64::MAX, 300, 255]);
        let t = TensorView::new(&b, DType::U64, &[6]).unwrap();
        assert_eq!(legacy_to_u8(&t).unwrap(), vec![0, 5, 255, 255, 255, 255]);
        let b = u(&[0, 1, 1]);
        let t = TensorView::new(&b, DType::U64, &[3]).unwrap();
        assert_eq!(legacy_to_u8(&t).unwrap(), vec![0, 255, 255]);
        let b = u(&[u64::MAX]);
        let t = TensorView::new(&b, DType::U64, &[1]).unwrap();
        assert_eq!(legacy_to_u8(&t).unwrap(), vec![255]);
    }

    #[test]
    fn legacy_normalisation() {
        let f: Vec<u8> = [0.0f32, 0.5, 1.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let t = TensorView::new(&f, DType::F32, &[1, 3]).unwrap();
        assert_eq!(legacy_to_u8(&t).unwrap(), vec![0, 127, 255]);
        let f: Vec<u8> = [-1.0f64, 0.0, 1.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let t = TensorView::new(&f, DType::F64, &[3]).unwrap();
        assert_eq!(legacy_to_u8(&t).unwrap(), vec![0, 127, 255]);
        let f: Vec<u8> = [-2.0f64, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let t = TensorView::new(&f, DType::F64, &[2]).unwrap();
        assert_eq!(
            legacy_to_u8(&t).unwrap(),
            vec![0, 0],
            "constant negative: 0/0 = NaN → 0"
        );
        let b = [0u8, 1];
        let t = TensorView::new(&b, DType::Bool, &[2]).unwrap();
        assert_eq!(legacy_to_u8(&t).unwrap(), vec![0, 255]);
    }
}
