//! `wandb.Audio` (§7): tensors (1-D mono or 2-D (frames, channels); f32/f64/i16/i32) encoded
//! as 16-bit PCM WAV with soundfile's conversions, or any file copied unchanged. Lists become
//! the `audio` JSON of §15.2 (`sampleRates`, `durations`, `captions`).

use std::path::Path;
use std::sync::Arc;

use crate::encode::wav::{encode_wav, Samples};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::{downcast, file_json, BindCtx, Media, MediaFile};
use crate::tensor::{DType, TensorView};

/// libsndfile's channel limit for WAV (`SF_MAX_CHANNELS`).
pub const MAX_CHANNELS: usize = 1024;

/// The exact message of the SDK when a tensor comes without a sample rate.
pub const SAMPLE_RATE_REQUIRED: &str =
    "Argument \"sample_rate\" is required when instantiating wandb.Audio with raw data.";

/// A `wandb.Audio`.
#[derive(Debug, Clone)]
pub struct Audio {
    pub file: MediaFile,
    /// As given (reported in list `sampleRates`; `null` when absent).
    pub sample_rate: Option<u32>,
    /// `frames / sample_rate` for tensors; `None` (JSON `null`) for files.
    pub duration: Option<f64>,
    pub caption: Option<Json>,
}

impl Audio {
    /// `wandb.Audio(array, sample_rate=sr)`. `sample_rate` `None` is the SDK's error; the
    /// remaining checks follow soundfile's order: 0-d, channel count, ndim > 2, dtype.
    pub fn from_tensor(t: &TensorView<'_>, sample_rate: Option<u32>) -> Result<Audio> {
        let sr = sample_rate.ok_or_else(|| Error::invalid(SAMPLE_RATE_REQUIRED))?;
        if sr == 0 || sr > i32::MAX as u32 {
            return Err(Error::invalid(format!(
                "sample_rate = {sr}: must be between 1 and {} (libsndfile: Error opening: Internal error : SF_INFO struct incomplete)",
                i32::MAX
            )));
        }
        let shape = t.shape();
        let (frames, channels) = match shape.len() {
            0 => {
                return Err(Error::invalid(
                    "audio tensor must be 1-D (mono) or 2-D (frames, channels), got a 0-d array (IndexError: tuple index out of range)",
                ))
            }
            1 => (shape[0], 1),
            _ => (shape[0], shape[1]),
        };
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(Error::invalid(format!(
                "audio tensor has {channels} channels (shape[1]); libsndfile accepts 1 to {MAX_CHANNELS} (Error opening: Format not recognised)"
            )));
        }
        if shape.len() > 2 {
            return Err(Error::invalid(format!(
                "Invalid shape: {} (too many dimensions): audio must be 1-D (mono) or 2-D (frames, channels)",
                shape_tuple(shape)
            )));
        }
        let bytes = match t.dtype() {
            DType::F32 => encode_wav(Samples::F32(&t.elems::<f32>()?), channels as u16, sr),
            DType::F64 => encode_wav(Samples::F64(&t.elems::<f64>()?), channels as u16, sr),
            // torch `.float()` first (a float16 numpy array is soundfile's dtype error below)
            DType::BF16 => encode_wav(
                Samples::F32(&t.map_elems(crate::tensor::bf16_to_f32)?),
                channels as u16,
                sr,
            ),
            DType::I16 => encode_wav(Samples::I16(&t.elems::<i16>()?), channels as u16, sr),
            DType::I32 => encode_wav(Samples::I32(&t.elems::<i32>()?), channels as u16, sr),
            other => {
                return Err(Error::invalid(format!(
                    "dtype must be one of ['float32', 'float64', 'int16', 'int32'] and not '{}'",
                    other.name()
                )))
            }
        }
        .map_err(|e| Error::invalid(format!("WAV encoding failed: {e}")))?;
        Ok(Audio {
            file: MediaFile::new(bytes, ".wav"),
            sample_rate: Some(sr),
            // Python: len(data) / float(sample_rate).
            duration: Some(frames as f64 / sr as f64),
            caption: None,
        })
    }

    /// `wandb.Audio(path, sample_rate=)`: any file, never validated, copied with its own
    /// extension (case kept). The sample rate is only reported in list JSON; no duration.
    pub fn from_file(path: &Path, sample_rate: Option<u32>) -> Result<Audio> {
        Ok(Audio {
            file: MediaFile::from_path(path)?,
            sample_rate,
            duration: None,
            caption: None,
        })
    }
}

/// Python's tuple repr of a shape: `(3, 2, 2)`, `(5,)`.
fn shape_tuple(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

impl Media for Audio {
    fn class_name(&self) -> &'static str {
        "Audio"
    }
    fn batchable(&self) -> bool {
        true
    }
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json> {
        let path = ctx.place("media/audio", &self.file)?;
        Ok(Json::Object(file_json(
            self.caption.as_ref(),
            "audio-file",
            &self.file,
            path,
        )))
    }
    /// §15.2: `sampleRates`/`durations` always (nulls for unknown); `captions` when any item
    /// has one, missing ones as `""`.
    fn list_to_json(&self, items: &[Arc<dyn Media>], ctx: &BindCtx<'_>) -> Result<Json> {
        let mut jsons = Vec::with_capacity(items.len());
        let mut rates = Vec::with_capacity(items.len());
        let mut durations = Vec::with_capacity(items.len());
        let mut captions = Vec::with_capacity(items.len());
        let mut any_caption = false;
        for item in items {
            let a: &Audio = downcast(item)?;
            jsons.push(a.to_json(ctx)?);
            rates.push(a.sample_rate.map_or(Json::Null, |r| Json::Int(r as i64)));
            durations.push(a.duration.map_or(Json::Null, Json::Float));
            match a.caption.as_ref().filter(|c| **c != Json::Null) {
                Some(c) => {
                    any_caption = true;
                    captions.push(c.clone());
                }
                None => captions.push(Json::str("")),
            }
        }
        let mut m = vec![
            ("_type".to_string(), Json::str("audio")),
            ("count".to_string(), Json::Int(items.len() as i64)),
            ("audio".to_string(), Json::Array(jsons)),
        ];
        if !items.is_empty() {
            m.push(("sampleRates".to_string(), Json::Array(rates)));
            m.push(("durations".to_string(), Json::Array(durations)));
        }
        if any_caption {
            m.push(("captions".to_string(), Json::Array(captions)));
        }
        Ok(Json::Object(m))
    }
    media_caption_methods!();
    /// `Media.to_json(artifact)`: the file entry (spec §9.4).
    fn artifact_json(&self, files: &mut crate::media::table::ArtifactFiles) -> Result<Json> {
        Ok(Json::Object(crate::media::file_artifact_json(
            self.caption.as_ref(),
            "media/audio",
            "audio-file",
            &self.file,
            files,
        )))
    }
    media_object_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::convert_row;
    use crate::run_dir::{RunDir, Step};
    use crate::value::Value;

    fn f64_bytes(v: &[f64]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    #[test]
    fn sdk_errors() {
        let b = f64_bytes(&[0.0; 8]);
        let t = TensorView::new(&b, DType::F64, &[8]).unwrap();
        assert_eq!(
            Audio::from_tensor(&t, None).unwrap_err().message,
            SAMPLE_RATE_REQUIRED
        );
        assert!(Audio::from_tensor(&t, Some(0)).is_err());
        assert!(Audio::from_tensor(&t, Some(1u32 << 31)).is_err());
        let u = [0u8; 8];
        let t = TensorView::new(&u, DType::U8, &[8]).unwrap();
        assert_eq!(
            Audio::from_tensor(&t, Some(8000)).unwrap_err().message,
            "dtype must be one of ['float32', 'float64', 'int16', 'int32'] and not 'uint8'"
        );
        let t = TensorView::new(&b, DType::I64, &[8]).unwrap();
        assert!(Audio::from_tensor(&t, Some(8000))
            .unwrap_err()
            .message
            .ends_with("and not 'int64'"));
        // soundfile's order: channel count (shape[1]) before ndim before dtype.
        let t = TensorView::new(&u, DType::U8, &[2, 2, 2]).unwrap();
        assert!(Audio::from_tensor(&t, Some(8000))
            .unwrap_err()
            .message
            .starts_with("Invalid shape: (2, 2, 2)"));
        let t = TensorView::new(&[], DType::F64, &[3, 0]).unwrap();
        assert!(Audio::from_tensor(&t, Some(8000))
            .unwrap_err()
            .message
            .contains("0 channels"));
        let t = TensorView::new(&b[..8], DType::F64, &[]).unwrap();
        assert!(Audio::from_tensor(&t, Some(8000)).is_err());
    }

    #[test]
    fn list_json_rules() {
        let dir = std::env::temp_dir().join(format!("wbm-audio-{}", std::process::id()));
        let src = dir.join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("a.FLAC"), b"fLaC").unwrap();
        std::fs::write(src.join("b.xyz"), b"xyz").unwrap();
        let a = Audio::from_file(&src.join("a.FLAC"), Some(22050)).unwrap();
        let mut b = Audio::from_file(&src.join("b.xyz"), None).unwrap();
        let sink = RunDir::new(dir.join("files")).unwrap();
        let row = vec![(
            "al".to_string(),
            Value::List(vec![Value::from(a.clone()), Value::from(b.clone())]),
        )];
        let j = convert_row(&row, &sink, Step::Num(3)).unwrap().to_compact();
        let (ha, hb) = (&a.file.sha256, &b.file.sha256);
        assert_eq!(
            j,
            format!(
                r#"{{"al":{{"_type":"audio","count":2,"audio":[{{"_type":"audio-file","sha256":"{ha}","size":4,"path":"media/audio/al_3_{}.FLAC"}},{{"_type":"audio-file","sha256":"{hb}","size":3,"path":"media/audio/al_3_{}.xyz"}}],"sampleRates":[22050,null],"durations":[null,null]}}}}"#,
                &ha[..20],
                &hb[..20]
            )
        );
        assert_eq!(
            b.file.sha256,
            "3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282"
        );
        assert!(dir
            .join("files/media/audio")
            .join(format!("al_3_{}.FLAC", &a.file.sha256[..20]))
            .is_file());
        // Any caption → captions for all, missing ones as "".
        b.set_caption(Json::str("second")).unwrap();
        let row = vec![(
            "al".to_string(),
            Value::List(vec![Value::from(a), Value::from(b)]),
        )];
        let j = convert_row(&row, &sink, Step::Num(3)).unwrap().to_compact();
        assert!(
            j.ends_with(
                r#""sampleRates":[22050,null],"durations":[null,null],"captions":["","second"]}}"#
            ),
            "{j}"
        );
        assert!(j.contains(r#"{"caption":"second","_type":"audio-file""#));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn wav_spec_vectors() {
        let b = f64_bytes(&[0.0; 8]);
        let t = TensorView::new(&b, DType::F64, &[8]).unwrap();
        let a = Audio::from_tensor(&t, Some(8000)).unwrap();
        assert_eq!(a.file.size(), 60);
        assert_eq!(
            a.file.sha256,
            "86b5f5a4a69b226cef532cb4019df8ff0c08a804fa919af5d116e6e257cd9eac"
        );
        assert_eq!(a.file.ext, ".wav");
        assert_eq!(a.duration, Some(0.001));
        let b = f64_bytes(&[-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, -1.5, 1.0 / 65536.0, 0.99999]);
        let t = TensorView::new(&b, DType::F64, &[9]).unwrap();
        let a = Audio::from_tensor(&t, Some(8000)).unwrap();
        assert_eq!(a.file.size(), 62);
        assert_eq!(&a.file.sha256[..20], "b31ab39ecb863fc67ff1");
    }

    #[test]
    fn wav_layout_frames_by_channels() {
        // (2 frames, 3 channels) int16: interleaved as given, header for 3 channels.
        let v: Vec<u8> = [1i16, 2, 3, -4, -5, -6]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let t = TensorView::new(&v, DType::I16, &[2, 3]).unwrap();
        let a = Audio::from_tensor(&t, Some(11025)).unwrap();
        let w = a.file.bytes.as_slice();
        assert_eq!(w.len(), 44 + 12);
        assert_eq!(&w[22..24], &3u16.to_le_bytes(), "channels");
        assert_eq!(&w[24..28], &11025u32.to_le_bytes(), "sample rate");
        assert_eq!(&w[28..32], &(11025u32 * 6).to_le_bytes(), "byte rate");
        assert_eq!(&w[44..], v.as_slice());
        assert_eq!(a.duration, Some(2.0 / 11025.0));
        // int32 → int16 is an arithmetic shift by 16.
        let v: Vec<u8> = [65536i32, -1, 32767, -65537]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let t = TensorView::new(&v, DType::I32, &[4]).unwrap();
        let a = Audio::from_tensor(&t, Some(8000)).unwrap();
        let s: Vec<i16> = a.file.bytes[44..]
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(s, vec![1, -1, 0, -2]);
    }
}
