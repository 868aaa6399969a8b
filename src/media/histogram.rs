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
    // Native dtype, borrowed without a copy when contiguous and aligned (numpy bins integer
    // data in float64 and float32 data in float32; bool as uint8 0/1).
    let h = match t.dtype() {
        DType::F64 => np_histogram(HistData::F64(&t.elems::<f64>()?), num_bins),
        DType::F32 => np_histogram(HistData::F32(&t.elems::<f32>()?), num_bins),
        DType::I8 => np_histogram(HistData::I8(&t.elems::<i8>()?), num_bins),
        DType::I16 => np_histogram(HistData::I16(&t.elems::<i16>()?), num_bins),
        DType::I32 => np_histogram(HistData::I32(&t.elems::<i32>()?), num_bins),
        DType::I64 => np_histogram(HistData::I64(&t.elems::<i64>()?), num_bins),
        DType::U8 => np_histogram(HistData::U8(&t.elems::<u8>()?), num_bins),
        DType::U16 => np_histogram(HistData::U16(&t.elems::<u16>()?), num_bins),
        DType::U32 => np_histogram(HistData::U32(&t.elems::<u32>()?), num_bins),
        DType::U64 => np_histogram(HistData::U64(&t.elems::<u64>()?), num_bins),
        DType::F16 => np_histogram(HistData::F16(&t.elems::<half::f16>()?), num_bins),
        // torch `.float()` first: the float32 histogram of the same values
        DType::BF16 => np_histogram(HistData::BF16(&t.elems::<u16>()?), num_bins),
        DType::Bool => {
            let raw = t.elems::<u8>()?;
            // Any nonzero byte is `True`; borrow as uint8 when the bytes are already 0/1.
            if raw.iter().all(|&b| b <= 1) {
                np_histogram(HistData::U8(&raw), num_bins)
            } else {
                let norm: Vec<u8> = raw.iter().map(|&b| (b != 0) as u8).collect();
                np_histogram(HistData::U8(&norm), num_bins)
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::tests::{random_data, random_view, rng};
    use crate::tensor::Scalar;

    /// The previous generic path: elements through the per-element iterator, ints as f64.
    fn reference(t: &TensorView<'_>, bins: usize) -> std::result::Result<NpHistogram, String> {
        let mut s = Vec::new();
        t.for_each_offset(|o| s.push(t.scalar_at(o)));
        match t.dtype() {
            DType::F32 => {
                let v: Vec<f32> = s
                    .iter()
                    .map(|x| match *x {
                        Scalar::F32(f) => f,
                        _ => unreachable!(),
                    })
                    .collect();
                np_histogram(HistData::F32(&v), bins)
            }
            _ => {
                let v: Vec<f64> = s.iter().map(|x| x.as_f64()).collect();
                np_histogram(HistData::F64(&v), bins)
            }
        }
    }
    use crate::stats::NpHistogram;

    #[test]
    fn native_dtype_histograms_match_the_generic_path() {
        let mut next = rng(99);
        let dts = [
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
        let mut compared = 0;
        for round in 0..4000 {
            let dt = dts[round % dts.len()];
            let n = 1 + (next() % 500) as usize;
            let mut data = random_data(&mut next, dt, n);
            match next() % 3 {
                // mostly finite floats so most cases reach the binning
                0 if dt == DType::F64 => data.chunks_exact_mut(8).for_each(|c| {
                    c.copy_from_slice(&((next() >> 11) as f64 / 9e12 - 300.0).to_le_bytes())
                }),
                0 if dt == DType::F32 => data.chunks_exact_mut(4).for_each(|c| {
                    c.copy_from_slice(&((next() >> 40) as f32 / 1e3 - 9.0).to_le_bytes())
                }),
                1 if dt == DType::Bool => data.iter_mut().for_each(|b| *b %= 3),
                _ => {}
            }
            let v = random_view(&mut next, &data, dt);
            let bins = [1, 3, 10, 64, 512][(next() % 5) as usize];
            let got = histogram_of(&v, bins).map_err(|e| e.message);
            let want = reference(&v, bins).map(|h| (h.counts, h.edges));
            match (&got, &want) {
                (Ok((c1, e1)), Ok((c2, e2))) => {
                    compared += 1;
                    assert_eq!(c1, c2, "{dt:?} {:?}", v.shape());
                    let b1: Vec<u64> = e1.iter().map(|e| e.to_bits()).collect();
                    let b2: Vec<u64> = e2.iter().map(|e| e.to_bits()).collect();
                    assert_eq!(b1, b2, "{dt:?}");
                }
                (Err(a), Err(b)) => assert_eq!(a, b),
                _ => panic!("{dt:?}: {got:?} vs {want:?}"),
            }
        }
        assert!(
            compared > 2500,
            "only {compared} successful histograms compared"
        );
    }

    #[test]
    fn small_integer_tables_match_the_generic_path() {
        let mut next = rng(7);
        for round in 0..60 {
            let dt = [DType::U8, DType::I8, DType::U16, DType::I16, DType::Bool][round % 5];
            let n = if dt.size() == 2 {
                70_000
            } else {
                300 + (next() % 5000) as usize
            };
            let mut data = random_data(&mut next, dt, n);
            let narrow = round % 3;
            for c in data.chunks_exact_mut(dt.size()) {
                if dt == DType::Bool {
                    c[0] %= 2;
                } else if narrow == 1 {
                    // a narrow range, so many values sit exactly on bin edges
                    c[0] %= 13;
                    if c.len() == 2 {
                        c[1] = 0;
                    }
                }
            }
            let v = TensorView::new(&data, dt, &[n]).unwrap();
            for bins in [1, 7, 64, 512] {
                let got = histogram_of(&v, bins).map_err(|e| e.message);
                let want = reference(&v, bins).map(|h| (h.counts, h.edges));
                assert_eq!(format!("{got:?}"), format!("{want:?}"), "{dt:?} {bins}");
            }
        }
    }
}
