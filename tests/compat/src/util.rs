//! Driver plumbing: C strings, error checks, owned handles, case tensors.

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use serde_json::Value as J;
use wandb_media::ffi::{wb_dtype, wb_error, wb_status, wb_string_free, wb_tensor};

use crate::Ctx;

pub fn c(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap()
}

/// Call a C function with a fresh `wb_error`; turn a failure into its message.
pub fn check(f: impl FnOnce(*mut wb_error) -> wb_status) -> Result<(), String> {
    let mut err = wb_error {
        code: wb_status::WB_OK,
        message: [0; 512],
    };
    let st = f(&mut err);
    if st == wb_status::WB_OK {
        return Ok(());
    }
    let msg = unsafe { CStr::from_ptr(err.message.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    Err(format!("{st:?}: {msg}"))
}

/// Take ownership of a library string.
pub fn string_from_c(p: *mut c_char) -> String {
    let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    unsafe { wb_string_free(p) };
    s
}

/// An owned C handle freed on drop.
pub struct Handle<T> {
    p: *mut T,
    free: unsafe fn(*mut T),
}

impl<T> Handle<T> {
    pub fn new(p: *mut T, free: unsafe fn(*mut T)) -> Self {
        Handle { p, free }
    }
    pub fn ptr(&self) -> *mut T {
        self.p
    }
}

impl<T> Drop for Handle<T> {
    fn drop(&mut self) {
        unsafe { (self.free)(self.p) }
    }
}

fn b64_decode(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for ch in s.bytes() {
        let v = match ch {
            b'A'..=b'Z' => ch - b'A',
            b'a'..=b'z' => ch - b'a' + 26,
            b'0'..=b'9' => ch - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => return Err("bad base64".into()),
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

/// A case tensor with its bytes and a `wb_tensor` descriptor pointing at them.
#[allow(dead_code)]
pub struct Tensor {
    pub bytes: Vec<u8>,
    pub shape: Vec<i64>,
    pub dtype: wb_dtype,
    pub dtype_name: String,
    desc: Box<wb_tensor>,
}

impl Tensor {
    pub fn from_spec(ctx: &Ctx, spec: &J) -> Result<Tensor, String> {
        let dtype_name = spec["dtype"].as_str().ok_or("tensor.dtype")?.to_string();
        let dtype = match dtype_name.as_str() {
            "uint8" => wb_dtype::WB_DTYPE_U8,
            "int8" => wb_dtype::WB_DTYPE_I8,
            "uint16" => wb_dtype::WB_DTYPE_U16,
            "int16" => wb_dtype::WB_DTYPE_I16,
            "int32" => wb_dtype::WB_DTYPE_I32,
            "int64" => wb_dtype::WB_DTYPE_I64,
            "float32" => wb_dtype::WB_DTYPE_F32,
            "float64" => wb_dtype::WB_DTYPE_F64,
            "bool" => wb_dtype::WB_DTYPE_BOOL,
            other => return Err(format!("unknown dtype {other}")),
        };
        let shape: Vec<i64> = spec["shape"]
            .as_array()
            .ok_or("tensor.shape")?
            .iter()
            .map(|d| d.as_i64().ok_or("shape entry"))
            .collect::<Result<_, _>>()?;
        let bytes = if let Some(b) = spec.get("b64").and_then(J::as_str) {
            b64_decode(b)?
        } else if let Some(f) = spec.get("file").and_then(J::as_str) {
            std::fs::read(ctx.cases_dir.join(f)).map_err(|e| format!("{f}: {e}"))?
        } else {
            return Err("tensor needs b64 or file".into());
        };
        let mut t = Tensor {
            bytes,
            shape,
            dtype,
            dtype_name,
            desc: Box::new(wb_tensor {
                data: ptr::null(),
                dtype,
                ndim: 0,
                shape: ptr::null(),
                strides: ptr::null(),
            }),
        };
        t.desc = Box::new(wb_tensor {
            data: t.bytes.as_ptr().cast(),
            dtype,
            ndim: t.shape.len(),
            shape: t.shape.as_ptr(),
            strides: ptr::null(),
        });
        Ok(t)
    }
    pub fn desc(&self) -> *const wb_tensor {
        &*self.desc
    }

    /// `array.tolist()` as JSON text (nested by shape; a 0-d array is its scalar).
    /// Non-finite floats have no JSON form: an error here, never a silent `null`.
    pub fn tolist_json(&self) -> Result<String, String> {
        let size = match self.dtype_name.as_str() {
            "uint8" | "int8" | "bool" => 1,
            "uint16" | "int16" => 2,
            "int32" | "float32" => 4,
            _ => 8,
        };
        let items: Vec<J> = self
            .bytes
            .chunks_exact(size)
            .map(|b| -> Result<J, String> {
                Ok(match self.dtype_name.as_str() {
                    "uint8" => J::from(b[0]),
                    "int8" => J::from(b[0] as i8),
                    "bool" => J::from(b[0] != 0),
                    "uint16" => J::from(u16::from_le_bytes([b[0], b[1]])),
                    "int16" => J::from(i16::from_le_bytes([b[0], b[1]])),
                    "int32" => J::from(i32::from_le_bytes(b.try_into().unwrap())),
                    "int64" => J::from(i64::from_le_bytes(b.try_into().unwrap())),
                    "float32" | "float64" => {
                        let v = if size == 4 {
                            f32::from_le_bytes(b.try_into().unwrap()) as f64
                        } else {
                            f64::from_le_bytes(b.try_into().unwrap())
                        };
                        J::from(
                            serde_json::Number::from_f64(v)
                                .ok_or("non-finite value in a tensor passed as JSON")?,
                        )
                    }
                    other => return Err(format!("unknown dtype {other}")),
                })
            })
            .collect::<Result<_, _>>()?;
        fn nest(shape: &[i64], items: &[J]) -> J {
            match shape.split_first() {
                None => items.first().cloned().unwrap_or(J::Null),
                Some((&n, rest)) => {
                    let stride: usize = rest.iter().map(|&d| d as usize).product();
                    J::Array(
                        (0..n as usize)
                            .map(|i| nest(rest, &items[i * stride..(i + 1) * stride]))
                            .collect(),
                    )
                }
            }
        }
        Ok(nest(&self.shape, &items).to_string())
    }
}
