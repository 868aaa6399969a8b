//! `wandb.Histogram` (§8): from data (numpy.histogram semantics) or from (values, edges).

use crate::error::{Error, Result};
use crate::json::Json;
use crate::stats::{np_histogram, HistData};
use crate::tensor::{DType, TensorView};

/// The SDK's `Histogram.MAX_LENGTH`.
pub const MAX_LENGTH: usize = 512;
/// The SDK's default `num_bins`.
pub const DEFAULT_BINS: usize = 64;

/// A histogram value: counts and bin edges, kept as the JSON numbers the SDK emits
/// (np_histogram lists are kept verbatim, so integer edges stay integers).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub values: Vec<Json>,
    pub bins: Vec<Json>,
}

/// numpy.histogram of a tensor (flattened) with `num_bins` bins, as counts and f64 edges.
pub fn histogram_of(t: &TensorView<'_>, num_bins: usize) -> Result<(Vec<i64>, Vec<f64>)> {
    let h = match (t.dtype(), t.as_f64_slice()) {
        (_, Some(direct)) => np_histogram(HistData::F64(direct), num_bins),
        (DType::F32, _) => np_histogram(HistData::F32(&t.to_f32()?), num_bins),
        _ => np_histogram(HistData::F64(&t.to_f64()?), num_bins),
    }
    .map_err(Error::invalid)?;
    Ok((h.counts, h.edges))
}

impl Histogram {
    /// `wandb.Histogram(sequence, num_bins=num_bins)`.
    pub fn from_tensor(t: &TensorView<'_>, num_bins: usize) -> Result<Histogram> {
        // Checked before computing (the SDK checks after np.histogram, which would first
        // allocate and fill up to `num_bins` counts).
        if num_bins > MAX_LENGTH {
            return Err(Error::invalid("The maximum length of a histogram is 512"));
        }
        let (counts, edges) = histogram_of(t, num_bins)?;
        Histogram::from_np(
            counts.into_iter().map(Json::Int).collect(),
            edges.into_iter().map(Json::Float).collect(),
        )
    }

    /// `wandb.Histogram(np_histogram=(values, bins))`: lists kept as given.
    pub fn from_np(values: Vec<Json>, bins: Vec<Json>) -> Result<Histogram> {
        if values.len() > MAX_LENGTH {
            return Err(Error::invalid("The maximum length of a histogram is 512"));
        }
        if bins.len() != values.len() + 1 {
            return Err(Error::invalid("len(bins) must be len(histogram) + 1"));
        }
        Ok(Histogram { values, bins })
    }

    pub fn to_json(&self) -> Json {
        Json::object([
            ("_type", Json::str("histogram")),
            ("values", Json::Array(self.values.clone())),
            ("bins", Json::Array(self.bins.clone())),
        ])
    }
}
