//! `wandb.ImageMask` (§4): one mask layer attached to an image — a 2-D class-id array
//! stored as an 8-bit grayscale PNG (`media/images/mask/<image key>_<step>_<hash20>.mask.png`,
//! Pillow-identical bytes), or an image file copied as-is. Array masks register their labels
//! as the run-config singleton `mask/class_labels` → `<image key>_wandb_delimeter_<layer>`.

use std::path::Path;

use crate::encode::png::{encode_png, PngMode};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::boxes::ClassLabels;
use crate::media::{file_json, BindCtx, MediaFile};
use crate::tensor::{Scalar, TensorView};

const LABELS_MSG: &str = "Class labels must be a dictionary of numbers to strings";

/// One mask layer (`masks={layer: {...}}` of `wandb.Image`).
#[derive(Debug, Clone)]
pub struct ImageMask {
    /// `.mask.png` for arrays; the source file (own extension) for file masks.
    pub file: MediaFile,
    /// Labels in effect (given, or `class_<v>` for the sorted unique values); `None` for a
    /// file mask, which has no labels, no config singleton and no classes contribution.
    pub class_labels: Option<ClassLabels>,
    /// Basename of the source file (file masks; names the artifact entry, §9.4).
    pub source_name: Option<String>,
}

impl ImageMask {
    /// `{"mask_data": array, "class_labels"?: {...}}`: a 2-D array of values in [0, 255]
    /// (floats allowed; stored truncated toward zero; bool → 0/1).
    pub fn from_tensor(t: &TensorView<'_>, class_labels: Option<&Json>) -> Result<ImageMask> {
        if t.ndim() != 2 {
            return Err(Error::invalid("mask_data must be a 2D array"));
        }
        let mut pixels = Vec::with_capacity(t.numel());
        for s in t.to_scalars()? {
            let v = match s {
                Scalar::Int(i) if (0..=255).contains(&i) => i as u8,
                Scalar::Bool(b) => b as u8,
                Scalar::F32(f) if (0.0..=255.0).contains(&f) => f as u8,
                Scalar::F64(f) if (0.0..=255.0).contains(&f) => f as u8,
                _ => {
                    return Err(Error::invalid(
                        "Mask data must be integers between 0 and 255",
                    ))
                }
            };
            pixels.push(v);
        }
        let labels = match class_labels {
            Some(j) => ClassLabels::from_json(j, LABELS_MSG)?,
            None => {
                // np.unique(mask).astype(int32): for in-range data = the sorted unique bytes.
                let mut seen = [false; 256];
                pixels.iter().for_each(|&p| seen[p as usize] = true);
                ClassLabels::defaults((0..256i64).filter(|&v| seen[v as usize]))
            }
        };
        let (h, w) = (t.shape()[0], t.shape()[1]);
        if h == 0 || w == 0 {
            return Err(Error::invalid(format!(
                "mask_data has an empty axis (shape [{h}, {w}]): tile cannot extend outside image"
            )));
        }
        if h > u32::MAX as usize || w > u32::MAX as usize {
            return Err(Error::overflow("mask dimensions exceed 2^32"));
        }
        let bytes = encode_png(&pixels, w as u32, h as u32, 1, PngMode::Pillow)
            .map_err(|e| Error::invalid(format!("mask encoding failed: {e}")))?;
        Ok(ImageMask {
            file: MediaFile::new(bytes, ".mask.png"),
            class_labels: Some(labels),
            source_name: None,
        })
    }

    /// `{"path": file}`: the file is copied unchanged with its own extension.
    pub fn from_file(path: &Path) -> Result<ImageMask> {
        let file = MediaFile::from_path(path)?;
        Ok(ImageMask {
            file,
            class_labels: None,
            source_name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        })
    }

    /// Bind under the image's key/step: place the file, register the labels (array masks)
    /// and return `{"_type": "mask", sha256, size, path}`.
    pub fn bind(&self, ctx: &BindCtx<'_>, layer_key: &str) -> Result<Json> {
        let path = ctx.place("media/images/mask", &self.file)?;
        if let Some(labels) = &self.class_labels {
            ctx.sink
                .add_class_labels("mask/class_labels", ctx.key, layer_key, labels.to_json());
        }
        Ok(Json::Object(file_json(None, "mask", &self.file, path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    #[test]
    fn spec_vector_mask_png() {
        // §20: uint8 4×6 zeros, columns 3–5 = 2, pixel (0,0) = 200 → dd4d8eb2…, 84 bytes.
        let mut m = [0u8; 24];
        for r in 0..4 {
            for c in 3..6 {
                m[r * 6 + c] = 2;
            }
        }
        m[0] = 200;
        let t = TensorView::new(&m, DType::U8, &[4, 6]).unwrap();
        let mask = ImageMask::from_tensor(&t, None).unwrap();
        assert_eq!(mask.file.size(), 84);
        assert!(mask.file.sha256.starts_with("dd4d8eb2d5557253d120"));
        assert_eq!(mask.file.ext, ".mask.png");
        assert_eq!(
            mask.class_labels.unwrap().to_json().to_compact(),
            r#"{"0":"class_0","2":"class_2","200":"class_200"}"#
        );
    }

    #[test]
    fn float_masks_truncate_and_labels_follow() {
        let f: Vec<u8> = [1.7f32, 2.5, 0.0, 254.9]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let t = TensorView::new(&f, DType::F32, &[2, 2]).unwrap();
        let mask = ImageMask::from_tensor(&t, None).unwrap();
        assert_eq!(
            mask.class_labels.unwrap().to_json().to_compact(),
            r#"{"0":"class_0","1":"class_1","2":"class_2","254":"class_254"}"#
        );
        let px = image::load_from_memory(&mask.file.bytes)
            .unwrap()
            .to_luma8();
        assert_eq!(px.into_raw(), vec![1, 2, 0, 254]);
    }

    #[test]
    fn rejects_like_the_sdk() {
        let z = [0u8; 32];
        let t = TensorView::new(&z, DType::U8, &[4, 4, 2]).unwrap();
        assert_eq!(
            ImageMask::from_tensor(&t, None).unwrap_err().message,
            "mask_data must be a 2D array"
        );
        let v: Vec<u8> = [0i32, 300, 1, 2]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let t = TensorView::new(&v, DType::I32, &[2, 2]).unwrap();
        assert_eq!(
            ImageMask::from_tensor(&t, None).unwrap_err().message,
            "Mask data must be integers between 0 and 255"
        );
        let v: Vec<u8> = [f64::NAN, 1.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let t = TensorView::new(&v, DType::F64, &[1, 2]).unwrap();
        assert!(ImageMask::from_tensor(&t, None).is_err());
        let t = TensorView::new(&z[..1], DType::U8, &[1, 1]).unwrap();
        assert!(
            ImageMask::from_tensor(&t, Some(&Json::parse(r#"{"a":"x"}"#).unwrap()))
                .unwrap_err()
                .message
                .starts_with(LABELS_MSG)
        );
    }
}
