//! The value every loggable thing is: scalars, lists, dicts, arrays, histograms, media.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::json::{Json, MAX_DEPTH};

/// Nesting depth of a JSON value, iteratively (no stack proportional to the depth).
fn json_depth(j: &Json) -> usize {
    let mut max = 0;
    let mut stack = vec![(j, 0usize)];
    while let Some((j, d)) = stack.pop() {
        match j {
            Json::Array(a) => {
                max = max.max(d + 1);
                stack.extend(a.iter().map(|x| (x, d + 1)));
            }
            Json::Object(m) => {
                max = max.max(d + 1);
                stack.extend(m.iter().map(|(_, x)| (x, d + 1)));
            }
            _ => {}
        }
    }
    max
}
use crate::media::histogram::Histogram;
use crate::media::Media;
use crate::tensor::{DType, Scalar, TensorView};

/// A numpy array logged directly (no wandb class): §8.4. The elements are kept compactly
/// in their own dtype (C order, little-endian) and shared between clones, so a value costs
/// its input size once however often it is copied into lists, dicts and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct NdArray {
    /// Element type.
    pub dtype: DType,
    /// Shape (C order).
    pub shape: Vec<usize>,
    bytes: Arc<Vec<u8>>,
}

impl NdArray {
    /// Copies the elements (allocation failure → `Overflow`, never an abort).
    pub fn from_tensor(t: &TensorView<'_>) -> Result<NdArray> {
        let item = t.dtype().size();
        let mut bytes = crate::tensor::try_vec(t.numel() * item)?;
        match t.contiguous_bytes() {
            Some(b) => bytes.extend_from_slice(b),
            None => t.for_each_offset(|o| bytes.extend_from_slice(t.element_bytes(o))),
        }
        Ok(NdArray {
            dtype: t.dtype(),
            shape: t.shape().to_vec(),
            bytes: Arc::new(bytes),
        })
    }

    /// An array from widened elements (converted back to `dtype`).
    pub fn new(dtype: DType, shape: Vec<usize>, data: &[Scalar]) -> NdArray {
        let mut bytes = Vec::with_capacity(data.len() * dtype.size());
        for &s in data {
            let int = |s: Scalar| match s {
                Scalar::Int(i) => i,
                Scalar::Bool(b) => b as i64,
                other => other.as_f64() as i64,
            };
            match dtype {
                DType::U8 | DType::I8 => bytes.push(int(s) as u8),
                DType::Bool => bytes.push(u8::from(int(s) != 0 || s.as_f64() != 0.0)),
                DType::U16 | DType::I16 => bytes.extend_from_slice(&(int(s) as u16).to_le_bytes()),
                DType::U32 | DType::I32 => bytes.extend_from_slice(&(int(s) as u32).to_le_bytes()),
                DType::I64 => bytes.extend_from_slice(&int(s).to_le_bytes()),
                DType::U64 => {
                    let u = match s {
                        Scalar::UInt(u) => u,
                        other => int(other) as u64,
                    };
                    bytes.extend_from_slice(&u.to_le_bytes())
                }
                DType::F32 => bytes.extend_from_slice(&(s.as_f64() as f32).to_le_bytes()),
                DType::F64 => bytes.extend_from_slice(&s.as_f64().to_le_bytes()),
                DType::F16 => {
                    bytes.extend_from_slice(&half::f16::from_f64(s.as_f64()).to_le_bytes())
                }
                DType::BF16 => {
                    bytes.extend_from_slice(&half::bf16::from_f64(s.as_f64()).to_le_bytes())
                }
            }
        }
        NdArray {
            dtype,
            shape,
            bytes: Arc::new(bytes),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.bytes.len() / self.dtype.size()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The elements as a flat 1-D view (no copy).
    pub fn view(&self) -> TensorView<'_> {
        // The byte length is a whole number of elements by construction.
        TensorView::new(&self.bytes, self.dtype, &[self.len()])
            .unwrap_or_else(|_| unreachable!("NdArray bytes hold whole elements"))
    }

    /// Element `i` (C order), widened.
    pub fn get(&self, i: usize) -> Option<Scalar> {
        (i < self.len()).then(|| self.view().scalar_at(i * self.dtype.size()))
    }

    /// All elements widened, lazily.
    pub fn iter(&self) -> impl Iterator<Item = Scalar> + '_ {
        let v = self.view();
        let item = self.dtype.size();
        (0..self.len()).map(move |i| v.scalar_at(i * item))
    }

    /// All elements widened into a vector (for small arrays / nested-list output).
    pub fn scalars(&self) -> Vec<Scalar> {
        self.iter().collect()
    }

    /// Sub-array `i` along the first axis.
    pub fn sub(&self, i: usize) -> Option<NdArray> {
        let (_, rest) = self.shape.split_first()?;
        let n: usize = rest.iter().product::<usize>() * self.dtype.size();
        let b = self.bytes.get(i * n..(i + 1) * n)?;
        Some(NdArray {
            dtype: self.dtype,
            shape: rest.to_vec(),
            bytes: Arc::new(b.to_vec()),
        })
    }
}

/// Anything that can be logged.
#[derive(Debug, Clone)]
pub enum Value {
    /// `None`.
    Null,
    /// `bool`.
    Bool(bool),
    /// `int` (64-bit).
    Int(i64),
    /// `float`.
    Float(f64),
    /// `str`.
    Str(String),
    /// `list` (nesting bounded: [`Value::list_push`]).
    List(Vec<Value>),
    /// Keys in insertion order (Python dict).
    Dict(Vec<(String, Value)>),
    /// A numpy array: a list, or a histogram / summary statistics as the SDK decides.
    Array(NdArray),
    /// `wandb.Histogram`.
    Histogram(Histogram),
    /// A non-media W&B value that is plain JSON (graph `Node`/`Edge`, …).
    Json(Json),
    /// Any file-backed media (`Image`, `Video`, `Audio`, `Table`, …): `Value::from(media)`.
    Media(Arc<dyn Media>),
}

impl Value {
    /// Whether the SDK counts this as a `WBValue` (rule 4 of `val_to_json`).
    pub fn is_wb_value(&self) -> bool {
        matches!(self, Value::Histogram(_) | Value::Media(_))
    }

    /// Nesting depth: 0 for a scalar or media, 1 + the deepest item for lists and dicts
    /// (plain JSON values count their own nesting). Bounded by `MAX_DEPTH` for every value
    /// built through `list_push`/`dict_set`/`from_json`.
    pub fn depth(&self) -> usize {
        // Iterative: computing the depth costs no stack (it decides whether a call's work
        // moves to a big-stack thread, see `json::SHALLOW_DEPTH`).
        let mut max = 0;
        let mut stack = vec![(self, 0usize)];
        while let Some((v, d)) = stack.pop() {
            match v {
                Value::List(items) => {
                    max = max.max(d + 1);
                    stack.extend(items.iter().map(|x| (x, d + 1)));
                }
                Value::Dict(m) => {
                    max = max.max(d + 1);
                    stack.extend(m.iter().map(|(_, x)| (x, d + 1)));
                }
                Value::Json(j) => max = max.max(d + json_depth(j)),
                _ => {}
            }
        }
        max
    }

    /// Deeper than [`crate::json::SHALLOW_DEPTH`]: walks over it need a big stack.
    pub fn is_deep(&self) -> bool {
        self.depth() > crate::json::SHALLOW_DEPTH
    }

    fn check_nesting(item: &Value) -> Result<()> {
        if item.depth() + 1 > MAX_DEPTH {
            return Err(Error::invalid(format!(
                "value nested deeper than {MAX_DEPTH} levels (the nesting limit)"
            )));
        }
        Ok(())
    }

    /// Insert or replace a dict member (position of an existing key kept).
    pub fn dict_set(&mut self, key: &str, v: Value) -> Result<()> {
        if matches!(self, Value::Dict(_)) {
            Self::check_nesting(&v)?;
        }
        match self {
            Value::Dict(m) => {
                if let Some(slot) = m.iter_mut().find(|(k, _)| k == key) {
                    slot.1 = v;
                } else {
                    m.push((key.to_string(), v));
                }
                Ok(())
            }
            _ => Err(Error::invalid("value is not a dict")),
        }
    }

    /// Appends to a [`Value::List`] (an error for anything else, or past the nesting limit).
    pub fn list_push(&mut self, v: Value) -> Result<()> {
        if matches!(self, Value::List(_)) {
            Self::check_nesting(&v)?;
        }
        match self {
            Value::List(items) => {
                items.push(v);
                Ok(())
            }
            _ => Err(Error::invalid("value is not a list")),
        }
    }

    /// Mutable access to the media object, copying it first if it is shared.
    pub fn media_mut(&mut self) -> Option<&mut dyn Media> {
        match self {
            Value::Media(arc) => {
                if Arc::get_mut(arc).is_none() {
                    *arc = arc.clone_arc();
                }
                Arc::get_mut(arc)
            }
            _ => None,
        }
    }

    /// The concrete media type, if this is one.
    pub fn media_ref<T: 'static>(&self) -> Option<&T> {
        match self {
            Value::Media(arc) => arc.as_any().downcast_ref::<T>(),
            _ => None,
        }
    }

    /// Convert plain JSON into a value tree (objects → dicts, arrays → lists).
    pub fn from_json(j: &Json) -> Value {
        match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::Int(*i),
            Json::UInt(_) => Value::Json(j.clone()),
            Json::Float(f) => Value::Float(*f),
            Json::Str(s) => Value::Str(s.clone()),
            Json::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            Json::Object(m) => Value::Dict(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl<T: Media> From<T> for Value {
    fn from(m: T) -> Value {
        Value::Media(Arc::new(m))
    }
}
