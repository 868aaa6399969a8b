//! The value every loggable thing is: scalars, lists, dicts, arrays, histograms, media.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::histogram::Histogram;
use crate::media::Media;
use crate::tensor::{DType, Scalar, TensorView};

/// A numpy array logged directly (no wandb class): §8.4.
#[derive(Debug, Clone, PartialEq)]
pub struct NdArray {
    pub dtype: DType,
    pub shape: Vec<usize>,
    /// Elements in C order, widened without loss.
    pub data: Vec<Scalar>,
}

impl NdArray {
    pub fn from_tensor(t: &TensorView<'_>) -> NdArray {
        NdArray {
            dtype: t.dtype(),
            shape: t.shape().to_vec(),
            data: t.to_scalars(),
        }
    }
}

/// Anything that can be logged.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Value>),
    /// Keys in insertion order (Python dict).
    Dict(Vec<(String, Value)>),
    Array(NdArray),
    Histogram(Histogram),
    /// A non-media W&B value that is plain JSON (graph `Node`/`Edge`, …).
    Json(Json),
    Media(Arc<dyn Media>),
}

impl Value {
    /// Whether the SDK counts this as a `WBValue` (rule 4 of `val_to_json`).
    pub fn is_wb_value(&self) -> bool {
        matches!(self, Value::Histogram(_) | Value::Media(_))
    }

    /// Insert or replace a dict member (position of an existing key kept).
    pub fn dict_set(&mut self, key: &str, v: Value) -> Result<()> {
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

    pub fn list_push(&mut self, v: Value) -> Result<()> {
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
