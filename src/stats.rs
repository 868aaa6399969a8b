//! Bit-exact re-implementations of the numpy 2.4.6 numerics used by the wandb SDK 0.31.0:
//!
//! * [`np_histogram`] — `numpy.histogram(a, bins=n)` (integer bin count, no `range`, no
//!   `weights`), used by `wandb.Histogram` (spec §8.2) and by the automatic 32-bin histograms of
//!   history arrays (§8.4).
//! * [`array_stats`] — the statistics dict that `wandb.util.maybe_compress_summary` builds for a
//!   numpy array with more than 32 elements logged to the summary (§8.4):
//!   `np.var(a).item()`, `np.mean(a).item()`, `np.amin(a).item()`, `np.amax(a).item()`,
//!   `np.percentile(a, 10/25/75/90)` and `a.size`.
//!
//! The input is the flattened array in logical (C) order, passed in its *native* dtype
//! (see [`HistData`]); numpy's type promotion rules are reproduced per dtype:
//!
//! * float64 data is processed in float64, float32 data in float32 (histogram range expansion
//!   `min ± 0.5`, `linspace` edges, index computation, pairwise sums, percentile
//!   interpolation), exactly as numpy does (NEP 50 promotion).
//! * integer and bool data: histogram edges and bin assignment in float64 (bool is converted
//!   to uint8 first, as numpy does); the index denominator is the exact integer difference
//!   `max - min` converted once to float64 (numpy's `_unsigned_subtract`). The ±1 index
//!   corrections make the resulting histogram identical to the one of the float64-converted
//!   data (also beyond ±2^53; 3000 random int64 trials showed no difference), so callers may
//!   pass integers either way for histograms.
//! * statistics need the native dtype: integer sums for mean/var are float64 pairwise sums over
//!   numpy's buffered casts of 8192 elements (different rounding than one pairwise sum over a
//!   float64 copy once n > 8192 and the sum exceeds 2^53), percentiles interpolate with the
//!   integer difference `b - a` computed in the array's own width (int8 `127 - (-128)` wraps
//!   to `-1` in numpy too), `min`/`max` are Python ints (exact beyond 2^53), and bool arrays
//!   make the SDK raise.
//!
//! Machine-dependent details are reproduced for the reference platform (x86-64 with AVX-512,
//! where numpy 2.4.6 dispatches its AVX-512 kernels): `min`/`max` follow numpy's
//! 8-accumulator SIMD reduction (only observable as the sign of a zero result when the data
//! contains both `0.0` and `-0.0` — it decides e.g. whether the last edge prints as `-0.0`);
//! float-to-index conversion follows `cvttsd2si` (NaN / out-of-range → `i64::MIN`).
//! Percentiles port numpy's scalar introselect (`np.partition` with several kth values), so
//! even the sign of a zero percentile matches.
//!
//! Not covered: float16 data (numpy would compute in float16), and non-C-contiguous numpy
//! arrays (numpy sums those in memory order; pass the data in memory order to match `mean`
//! and `var` bit-for-bit — histograms and percentiles do not depend on the order except for
//! the sign of zero).
//!
//! Performance: the histogram makes one vectorisable pass for min/max and one for the bins;
//! bin indices are predicted without a division per element and recomputed exactly (numpy's
//! formula) for the rare elements near a bin edge (see `assign`).

use std::ops::{Add, Div, Mul, Sub};

/// Input data, already flattened in logical (C) order, in its native numpy dtype.
///
/// Integer and bool arrays should be passed with their own variant (not converted to `f64`):
/// the histogram is the same for values within ±2^53 either way, but the summary statistics
/// report integer `min`/`max` (`"min":0`), use integer-width percentile arithmetic and
/// buffered float64 sums only when the integer dtype is known.
#[derive(Clone, Copy, Debug)]
pub enum HistData<'a> {
    /// numpy float64
    F64(&'a [f64]),
    /// numpy float32 (computed in float32, like numpy)
    F32(&'a [f32]),
    /// numpy int8
    I8(&'a [i8]),
    /// numpy int16
    I16(&'a [i16]),
    /// numpy int32
    I32(&'a [i32]),
    /// numpy int64
    I64(&'a [i64]),
    /// numpy uint8
    U8(&'a [u8]),
    /// numpy uint16
    U16(&'a [u16]),
    /// numpy uint32
    U32(&'a [u32]),
    /// numpy uint64
    U64(&'a [u64]),
    /// numpy bool (histogram: converted to uint8, as numpy does with a RuntimeWarning)
    Bool(&'a [bool]),
    /// numpy float16 (histogram computed in float16, like numpy; summary statistics: not
    /// supported, an error)
    F16(&'a [half::f16]),
    /// bfloat16 bits (torch): the float32 histogram of the widened values, as after torch's
    /// `.float()`; summary statistics: those of the float32 values
    BF16(&'a [u16]),
}

impl HistData<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            HistData::F64(v) => v.len(),
            HistData::F32(v) => v.len(),
            HistData::I8(v) => v.len(),
            HistData::I16(v) => v.len(),
            HistData::I32(v) => v.len(),
            HistData::I64(v) => v.len(),
            HistData::U8(v) => v.len(),
            HistData::U16(v) => v.len(),
            HistData::U32(v) => v.len(),
            HistData::U64(v) => v.len(),
            HistData::Bool(v) => v.len(),
            HistData::F16(v) => v.len(),
            HistData::BF16(v) => v.len(),
        }
    }

    /// True when there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Result of [`np_histogram`]: `counts` (numpy int64) and `edges` (`num_bins + 1` values).
/// For float32 data the edges are float32 values widened exactly to `f64` (so they print as
/// Python prints `edge.tolist()`, e.g. `0.10000000149011612`).
#[derive(Clone, Debug, PartialEq)]
pub struct NpHistogram {
    pub counts: Vec<i64>,
    pub edges: Vec<f64>,
}

/// Largest accepted bin count (2^28; the SDK itself rejects more than 512 bins).
pub const MAX_BINS: usize = 1 << 28;

/// `numpy.histogram(data, bins=num_bins)` with numpy 2.4.6 semantics (uniform-bins fast path).
///
/// Errors carry numpy's messages:
/// * ``"`bins` must be positive, when an integer"`` (`num_bins == 0`),
/// * `"autodetected range of [nan, nan] is not finite"` (any NaN/±inf; numbers formatted like
///   numpy scalars, e.g. `[1.0, inf]`),
/// * `"Too many bins for data range. Cannot create N finite-sized bins."`,
/// * (only for ranges overflowing the float type) numpy's `IndexError` text,
/// * `num_bins > MAX_BINS` (where numpy would raise `MemoryError` or be impractically large).
pub fn np_histogram(data: HistData<'_>, num_bins: usize) -> Result<NpHistogram, String> {
    if num_bins == 0 {
        return Err("`bins` must be positive, when an integer".to_string());
    }
    if num_bins > MAX_BINS {
        // numpy would try to allocate the edges and fail with MemoryError.
        return Err(format!(
            "Unable to allocate the bin edges: num_bins = {num_bins} exceeds {MAX_BINS}"
        ));
    }
    match data {
        HistData::F64(v) => hist_float(v, num_bins),
        HistData::F32(v) => hist_float(v, num_bins),
        HistData::I8(v) => hist_int(v, num_bins),
        HistData::I16(v) => hist_int(v, num_bins),
        HistData::I32(v) => hist_int(v, num_bins),
        HistData::I64(v) => hist_int(v, num_bins),
        HistData::U8(v) => hist_int(v, num_bins),
        HistData::U16(v) => hist_int(v, num_bins),
        HistData::U32(v) => hist_int(v, num_bins),
        HistData::U64(v) => hist_int(v, num_bins),
        HistData::Bool(v) => hist_int(v, num_bins),
        HistData::F16(v) => hist_f16(v, num_bins),
        HistData::BF16(v) => hist_bf16(v, num_bins),
    }
}

/// A scalar as returned by numpy's `.item()`: JSON int for integer arrays, `true`/`false` for
/// bool arrays, float otherwise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StatValue {
    /// Python float (float32 results are widened exactly)
    Float(f64),
    /// Python int from a signed integer array
    Int(i64),
    /// Python int from an unsigned integer array (uint64 may exceed `i64::MAX`)
    UInt(u64),
    /// Python bool from a bool array
    Bool(bool),
}

impl StatValue {
    /// The value as a float (integers rounded to the nearest f64, bool → 0/1).
    pub fn as_f64(self) -> f64 {
        match self {
            StatValue::Float(v) => v,
            StatValue::Int(v) => v as f64,
            StatValue::UInt(v) => v as f64,
            StatValue::Bool(v) => f64::from(u8::from(v)),
        }
    }
}

/// The statistics of spec §8.4 (`maybe_compress_summary`), in the SDK's key order:
/// `var, mean, min, max, 10%, 25%, 75%, 90%, size`.
///
/// `var`, `mean` and the percentiles are Python floats (float32 results widened exactly; the
/// SDK emits them through `.item()` / numpy scalar → float, so they print as the widened
/// double). `NaN`/`±inf` are possible (NaN in the data makes everything but `size` NaN; all
/// NaNs are the canonical quiet NaN).
///
/// `min`/`max` are the numeric values as f64; `min_value`/`max_value` carry the exact Python
/// scalar the SDK emits (`np.amin(a).item()`): a JSON int for integer arrays (exact, also
/// beyond 2^53), a bool for bool arrays, a float otherwise. Use the `*_value` fields for JSON.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArrayStats {
    pub var: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub p10: f64,
    pub p25: f64,
    pub p75: f64,
    pub p90: f64,
    pub size: usize,
    pub min_value: StatValue,
    pub max_value: StatValue,
}

/// Summary statistics exactly as numpy 2.4.6 computes them for the SDK (see [`ArrayStats`]).
///
/// Infallible convenience wrapper of [`try_array_stats`]: for inputs on which the SDK raises
/// (empty or bool arrays) it returns all-NaN statistics (`size` = number of elements).
/// Pass integer arrays with their integer variant: integer means/variances use numpy's
/// buffered float64 sums and integer-width percentile arithmetic, and `min_value`/`max_value`
/// become JSON ints.
pub fn array_stats(data: HistData<'_>) -> ArrayStats {
    try_array_stats(data).unwrap_or(ArrayStats {
        var: f64::NAN,
        mean: f64::NAN,
        min: f64::NAN,
        max: f64::NAN,
        p10: f64::NAN,
        p25: f64::NAN,
        p75: f64::NAN,
        p90: f64::NAN,
        size: data.len(),
        min_value: StatValue::Float(f64::NAN),
        max_value: StatValue::Float(f64::NAN),
    })
}

/// Summary statistics exactly as numpy 2.4.6 computes them for the SDK (see [`ArrayStats`]).
///
/// Errors (the SDK would raise): empty data (`np.amin` of a zero-size array) and bool data
/// (`np.percentile` of a bool array raises numpy's boolean-subtract `TypeError`).
pub fn try_array_stats(data: HistData<'_>) -> Result<ArrayStats, String> {
    if data.is_empty() {
        return Err(
            "zero-size array to reduction operation minimum which has no identity".to_string(),
        );
    }
    match data {
        HistData::F64(v) => Ok(stats_float(v)),
        HistData::F32(v) => Ok(stats_float(v)),
        HistData::I8(v) => Ok(stats_int(v)),
        HistData::I16(v) => Ok(stats_int(v)),
        HistData::I32(v) => Ok(stats_int(v)),
        HistData::I64(v) => Ok(stats_int(v)),
        HistData::U8(v) => Ok(stats_int(v)),
        HistData::U16(v) => Ok(stats_int(v)),
        HistData::U32(v) => Ok(stats_int(v)),
        HistData::U64(v) => Ok(stats_int(v)),
        HistData::BF16(v) => {
            let mut w: Vec<f32> = Vec::new();
            w.try_reserve_exact(v.len())
                .map_err(|_| format!("cannot allocate {} float32 values", v.len()))?;
            w.extend(v.iter().map(|&b| crate::tensor::bf16_to_f32(b)));
            Ok(stats_float(&w))
        }
        HistData::F16(_) => Err(
            "summary statistics of float16 arrays are not supported (numpy computes them in \
             float16); convert to float32"
                .to_string(),
        ),
        HistData::Bool(_) => Err(
            "numpy boolean subtract, the `-` operator, is not supported, \
                                  use the bitwise_xor, the `^` operator, or the logical_xor \
                                  function instead."
                .to_string(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Float abstraction (f32 / f64 arithmetic exactly in the numpy dtype)
// ---------------------------------------------------------------------------------------------

trait NpFloat:
    Copy
    + Send
    + Sync
    + PartialOrd
    + PartialEq
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
{
    /// AVX-512 lanes of numpy's min/max reduction kernel for this type.
    const LANES: usize;
    /// Unit roundoff of this type (2^-53 / 2^-24).
    const UNIT_ROUNDOFF: f64;
    /// Smallest subnormal of this type (absolute rounding error bound near zero).
    const TINY: f64;
    const ZERO: Self;
    const NEG_ZERO: Self;
    const HALF: Self;
    const NAN: Self;
    /// C conversion of an integer count to this type (round to nearest).
    fn from_usize(n: usize) -> Self;
    /// C conversion of a double (round to nearest).
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn is_nan(self) -> bool;
    fn is_finite(self) -> bool;
    /// `str()` of the numpy scalar.
    fn np_str(self) -> String;
    /// Minimum / maximum of two NaN-free values, in whichever form LLVM vectorises best for
    /// this type (the sign of a zero result is unspecified).
    fn fast_min(self, other: Self) -> Self;
    fn fast_max(self, other: Self) -> Self;
}

impl NpFloat for f64 {
    const LANES: usize = 8;
    const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;
    const TINY: f64 = 5e-324;
    const ZERO: Self = 0.0;
    const NEG_ZERO: Self = -0.0;
    const HALF: Self = 0.5;
    const NAN: Self = f64::NAN;
    fn from_usize(n: usize) -> Self {
        n as f64
    }
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn np_str(self) -> String {
        py_float_repr(self)
    }
    #[inline(always)]
    fn fast_min(self, other: Self) -> Self {
        if other < self {
            other
        } else {
            self
        }
    }
    #[inline(always)]
    fn fast_max(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }
}

impl NpFloat for f32 {
    const LANES: usize = 16;
    const UNIT_ROUNDOFF: f64 = f32::EPSILON as f64 / 2.0;
    const TINY: f64 = 1.401_298_464_324_817e-45;
    const ZERO: Self = 0.0;
    const NEG_ZERO: Self = -0.0;
    const HALF: Self = 0.5;
    const NAN: Self = f32::NAN;
    fn from_usize(n: usize) -> Self {
        n as f32
    }
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    fn np_str(self) -> String {
        // numpy's float32 `__format__` goes through Python float: repr of the widened value.
        (self as f64).np_str()
    }
    #[inline(always)]
    fn fast_min(self, other: Self) -> Self {
        if other < self {
            other
        } else {
            self
        }
    }
    #[inline(always)]
    fn fast_max(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }
}

impl NpFloat for half::f16 {
    // numpy has no SIMD min/max kernel for float16 (the scalar loop keeps the first of equal
    // values); `simd_reduce` is not used for it (see `hist_f16`).
    const LANES: usize = 1;
    const UNIT_ROUNDOFF: f64 = 1.0 / 2048.0;
    const TINY: f64 = 5.960_464_477_539_063e-8;
    const ZERO: Self = half::f16::ZERO;
    const NEG_ZERO: Self = half::f16::NEG_ZERO;
    const HALF: Self = half::f16::from_bits(0x3800);
    const NAN: Self = half::f16::NAN;
    fn from_usize(n: usize) -> Self {
        half::f16::from_f64(n as f64)
    }
    fn from_f64(x: f64) -> Self {
        half::f16::from_f64(x)
    }
    fn to_f64(self) -> f64 {
        half::f16::to_f64(self)
    }
    fn is_nan(self) -> bool {
        half::f16::is_nan(self)
    }
    fn is_finite(self) -> bool {
        half::f16::is_finite(self)
    }
    fn np_str(self) -> String {
        // numpy prints the shortest float16 digits; only reached for ±inf in error messages
        py_float_repr(half::f16::to_f64(self))
    }
    fn fast_min(self, other: Self) -> Self {
        if other < self {
            other
        } else {
            self
        }
    }
    fn fast_max(self, other: Self) -> Self {
        if other > self {
            other
        } else {
            self
        }
    }
}

/// `(np.var(a), np.mean(a), np.amin(a), np.amax(a))` of a non-empty float16 array, as numpy
/// computes them (widened to f64):
/// * mean: `umr_sum(a, dtype=float32)` (buffered cast: pairwise sums of 8192-element chunks
///   accumulated in float32), divided by the intp count in float64, rounded to float32 and
///   then to float16;
/// * var: the mean of `_var` is a float16 sum (float16 add.reduce = one float32 pairwise sum
///   rounded to float16) divided in float64 and rounded to float16; `x = a - mean` and `x*x`
///   in float16 (squares overflow to inf above 65504), their float16 sum, divided likewise;
/// * min/max: numpy's scalar loop keeps the first of equal values (sign of a zero result).
pub fn f16_var_mean_min_max(x: &[half::f16]) -> (f64, f64, f64, f64) {
    use half::f16;
    let n = x.len() as f64;
    let to32 = |v: f16| v.to_f32();
    let mut acc = 0.0f32;
    for chunk in x.chunks(NPY_BUFSIZE) {
        acc += pairwise(chunk, &to32);
    }
    let mean = f16::from_f32((acc as f64 / n) as f32);
    let sum16 = f16::from_f32(0.0f32 + pairwise(x, &to32));
    let arrmean = f16::from_f64(sum16.to_f64() / n);
    let sq: Vec<f16> = x
        .iter()
        .map(|&v| {
            let d = v - arrmean;
            d * d
        })
        .collect();
    let ssum = f16::from_f32(0.0f32 + pairwise(&sq, &to32));
    let var = f16::from_f64(ssum.to_f64() / n);
    let mut mn = x[0];
    let mut mx = x[0];
    for &v in &x[1..] {
        if !(mn <= v || mn.is_nan()) {
            mn = v;
        }
        if !(mx >= v || mx.is_nan()) {
            mx = v;
        }
    }
    (var.to_f64(), mean.to_f64(), mn.to_f64(), mx.to_f64())
}

/// `numpy.histogram` of float16 data, computed in float16 like numpy (every operation is
/// done in float32 and rounded to float16, as numpy's half loops and the `half` crate do).
/// float16 has only 65 536 values, so the data are reduced to a count per bit pattern and
/// every distinct value is binned once with numpy's exact per-element formula.
fn hist_f16(x: &[half::f16], n: usize) -> Result<NpHistogram, String> {
    use half::f16;
    if x.is_empty() {
        return hist_empty::<f16>(n);
    }
    // A count per bit pattern: u32 tables per chunk of < 2^32 elements (on every core above
    // PAR_MIN), summed into u64 (half the memory of u64 tables, which cost ~1 ms per call
    // to clear and sum).
    let bits = {
        use half::slice::HalfFloatSliceExt;
        x.reinterpret_cast()
    };
    let mut total = vec![0u64; 1 << 16];
    for big in bits.chunks(u32::MAX as usize) {
        for part in par_map(big, bf16_pattern_counts) {
            for (t, &c) in total.iter_mut().zip(part.iter()) {
                *t += c as u64;
            }
        }
    }
    let present: Vec<(f16, u64)> = total
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(b, &c)| (f16::from_bits(b as u16), c))
        .collect();
    if present.iter().any(|(v, _)| v.is_nan()) {
        return Err(NAN_RANGE.to_string());
    }
    let mut mn = present[0].0;
    let mut mx = present[0].0;
    for &(v, _) in &present {
        if v < mn {
            mn = v;
        }
        if v > mx {
            mx = v;
        }
    }
    // numpy's scalar reduction keeps the first of equal values: the sign of a zero result is
    // that of the first zero in the data.
    if mn == f16::ZERO || mx == f16::ZERO {
        let z = x
            .iter()
            .copied()
            .find(|v| *v == f16::ZERO)
            .unwrap_or(f16::ZERO);
        if mn == f16::ZERO {
            mn = z;
        }
        if mx == f16::ZERO {
            mx = z;
        }
    }
    if !(mn.is_finite() && mx.is_finite()) {
        return Err(format!(
            "autodetected range of [{}, {}] is not finite",
            mn.np_str(),
            mx.np_str()
        ));
    }
    let (first, last) = if mn == mx {
        (mn - f16::HALF, mx + f16::HALF)
    } else {
        (mn, mx)
    };
    let edges = linspace(first, last, n);
    check_edges(&edges, n)?;
    let denom = last - first;
    let nt = f16::from_usize(n);
    let mut counts = vec![0i64; n];
    for &(v, c) in &present {
        let Some(k) = exact_bin(v, first, denom, nt, &edges, n) else {
            // degenerate range: numpy's literal block loop decides (errors included)
            let counts = assign_exact(x, &|v: f16| v, first, denom, &edges, n)?;
            return Ok(NpHistogram {
                counts,
                edges: edges.iter().map(|e| e.to_f64()).collect(),
            });
        };
        counts[k] += c as i64;
    }
    Ok(NpHistogram {
        counts,
        edges: edges.iter().map(|e| e.to_f64()).collect(),
    })
}

/// Python's `repr(float)` (what numpy scalars give in an f-string), from the crate's one
/// float formatter.
fn py_float_repr(x: f64) -> String {
    crate::json::py_float_repr(x)
}

/// `(npy_intp)f` on x86-64 (`cvttsd2si`/`cvttss2si`): truncation, NaN and out-of-range values
/// give `i64::MIN`.
fn to_intp(f: f64) -> i64 {
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

// ---------------------------------------------------------------------------------------------
// Integer abstraction
// ---------------------------------------------------------------------------------------------

trait NpInt: Copy + Ord + Send + Sync {
    /// Bit width of the numpy dtype (bool → 8, as uint8).
    const BITS: u32;
    const SIGNED: bool;
    fn to_i128(self) -> i128;
    /// C conversion to double (round to nearest for 64-bit values).
    fn to_f64(self) -> f64;
    fn stat_value(self) -> StatValue;
}

macro_rules! np_int {
    ($t:ty, $bits:expr, $signed:expr, $sv:expr) => {
        impl NpInt for $t {
            const BITS: u32 = $bits;
            const SIGNED: bool = $signed;
            fn to_i128(self) -> i128 {
                self as i128
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn stat_value(self) -> StatValue {
                #[allow(clippy::redundant_closure_call)]
                ($sv)(self)
            }
        }
    };
}

np_int!(i8, 8, true, |v: i8| StatValue::Int(v as i64));
np_int!(i16, 16, true, |v: i16| StatValue::Int(v as i64));
np_int!(i32, 32, true, |v: i32| StatValue::Int(v as i64));
np_int!(i64, 64, true, StatValue::Int);
np_int!(u8, 8, false, |v: u8| StatValue::UInt(v as u64));
np_int!(u16, 16, false, |v: u16| StatValue::UInt(v as u64));
np_int!(u32, 32, false, |v: u32| StatValue::UInt(v as u64));
np_int!(u64, 64, false, StatValue::UInt);

impl NpInt for bool {
    const BITS: u32 = 8;
    const SIGNED: bool = false;
    fn to_i128(self) -> i128 {
        self as i128
    }
    fn to_f64(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
    fn stat_value(self) -> StatValue {
        StatValue::Bool(self)
    }
}

/// `(min, max)` of non-empty integer data: 16 independent lanes in the native type, so the
/// pass vectorises (packed integer min/max).
#[inline(always)]
fn int_min_max<I: NpInt>(x: &[I]) -> (I, I) {
    const N: usize = 16;
    let mut mn = [x[0]; N];
    let mut mx = [x[0]; N];
    let chunks = x.chunks_exact(N);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..N {
            mn[j] = mn[j].min(c[j]);
            mx[j] = mx[j].max(c[j]);
        }
    }
    let mut lo = mn.iter().copied().min().unwrap_or(x[0]);
    let mut hi = mx.iter().copied().max().unwrap_or(x[0]);
    for &v in rest {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo, hi)
}

/// `b - a` computed in the integer dtype (wrapping like numpy), as a mathematical integer.
fn wrap_sub<I: NpInt>(b: I, a: I) -> i128 {
    let d = b.to_i128() - a.to_i128();
    if I::BITS >= 128 {
        return d;
    }
    let m = 1i128 << I::BITS;
    let mut r = d.rem_euclid(m);
    if I::SIGNED && r >= m / 2 {
        r -= m;
    }
    r
}

/// C conversion of a (≤ 64-bit) integer value to double.
fn i128_to_f64(v: i128) -> f64 {
    if v < 0 {
        v as i64 as f64
    } else {
        v as u64 as f64
    }
}

// ---------------------------------------------------------------------------------------------
// Reductions: min/max (numpy AVX-512 kernel), pairwise sum
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum MinMax {
    Min,
    Max,
}

/// One lane of `npyv_minn/maxn` (x86 `minpd`/`maxpd` with NaN propagation from `a`): returns
/// `b` on ties, which is what decides the sign of a zero result.
#[inline]
fn lane_op<T: NpFloat>(kind: MinMax, a: T, b: T) -> T {
    let take_a = match kind {
        MinMax::Min => a < b,
        MinMax::Max => a > b,
    };
    if a.is_nan() || take_a {
        a
    } else {
        b
    }
}

/// numpy's contiguous `minimum.reduce` / `maximum.reduce` as dispatched on AVX-512 machines
/// (`simd_reduce_c_{min,max}_{f32,f64}` + GCC's `_mm512_reduce_{min,max}_p{s,d}`), exact also in
/// which of `0.0` / `-0.0` is returned. The first element is the initial value; the kernel runs
/// over the rest. Only needed when the result is a zero (otherwise the value is unique).
fn simd_reduce<T: NpFloat>(x: &[T], kind: MinMax) -> T {
    let init = x[0];
    let ip = &x[1..];
    if ip.is_empty() {
        return init;
    }
    let l = T::LANES;
    let mut acc = vec![init; l];
    let w = l * 8;
    let mut i = 0;
    let mut tmp = vec![init; l * 8];
    while ip.len() - i >= w {
        tmp.copy_from_slice(&ip[i..i + w]);
        for lane in 0..l {
            let v = |k: usize| tmp[k * l + lane];
            let r01 = lane_op(kind, v(0), v(1));
            let r23 = lane_op(kind, v(2), v(3));
            let r45 = lane_op(kind, v(4), v(5));
            let r67 = lane_op(kind, v(6), v(7));
            let inner = lane_op(kind, lane_op(kind, r01, r23), lane_op(kind, r45, r67));
            acc[lane] = lane_op(kind, acc[lane], inner);
        }
        i += w;
    }
    while ip.len() - i >= l {
        for lane in 0..l {
            acc[lane] = lane_op(kind, acc[lane], ip[i + lane]);
        }
        i += l;
    }
    // npyv_reduce_{min,max}n: NaN anywhere → NaN, else the GCC reduction tree.
    let mut r = if acc.iter().any(|v| v.is_nan()) {
        T::NAN
    } else {
        let mut a = acc;
        let stop = if l == 8 { 2 } else { 4 };
        while a.len() > stop {
            let h = a.len() / 2;
            a = (0..h).map(|j| lane_op(kind, a[h + j], a[j])).collect();
        }
        if a.len() == 2 {
            lane_op(kind, a[0], a[1])
        } else {
            // __T8 = op(T6, shuffle{2,3,0,1}); __T10 = op(T8, shuffle{1,0,3,2}); lane 0
            let t8_0 = lane_op(kind, a[0], a[2]);
            let t8_1 = lane_op(kind, a[1], a[3]);
            lane_op(kind, t8_0, t8_1)
        }
    };
    while i < ip.len() {
        r = lane_op(kind, r, ip[i]);
        i += 1;
    }
    r
}

/// `(a.min(), a.max())` for a non-empty float array, exactly as numpy returns them.
fn np_min_max<T: NpFloat>(x: &[T]) -> (T, T) {
    if x.iter().any(|v| v.is_nan()) {
        return (T::NAN, T::NAN);
    }
    min_max_nan_free(x)
}

/// Value-only min/max pass with `N` independent lanes (vectorisable).
#[inline(always)]
fn min_max_lanes<T: NpFloat, const N: usize>(x: &[T]) -> (T, T) {
    min_max_conv::<T, T, N>(x, |v| v)
}

/// Value-only min/max of `conv(x)` with `N` independent lanes (vectorisable); NaN-free data
/// (a NaN may come out or be skipped; callers detect NaN separately).
#[inline(always)]
fn min_max_conv<S: Copy, T: NpFloat, const N: usize>(x: &[S], conv: impl Fn(S) -> T) -> (T, T) {
    let first = conv(x[0]);
    let mut mn = [first; N];
    let mut mx = [first; N];
    let chunks = x.chunks_exact(N);
    let rest = chunks.remainder();
    for c in chunks {
        // One fixed-size block, both reductions in one loop: LLVM then emits plain packed
        // min/max (two separate loops over the slice produced mask shuffles, ~2× slower).
        let c: &[S; N] = c.try_into().expect("chunks_exact yields N elements");
        for j in 0..N {
            let v = conv(c[j]);
            mn[j] = mn[j].fast_min(v);
            mx[j] = mx[j].fast_max(v);
        }
    }
    let mut lo = mn.iter().fold(mn[0], |l, &v| l.fast_min(v));
    let mut hi = mx.iter().fold(mx[0], |h, &v| h.fast_max(v));
    for &v in rest {
        let v = conv(v);
        lo = lo.fast_min(v);
        hi = hi.fast_max(v);
    }
    (lo, hi)
}

/// `np_min_max` for data known to be NaN-free. With NaNs present the result is unspecified
/// (NaNs are skipped unless `x[0]` is NaN) — callers detect NaN separately.
#[inline(always)]
fn min_max_nan_free<T: NpFloat>(x: &[T]) -> (T, T) {
    let (mut lo, mut hi) = float_min_max_isa(x);
    // Only the sign of a zero result depends on numpy's kernel structure.
    if lo == T::ZERO {
        lo = simd_reduce(x, MinMax::Min);
    }
    if hi == T::ZERO {
        hi = simd_reduce(x, MinMax::Max);
    }
    (lo, hi)
}

/// numpy's `pairwise_sum` (loops_utils.h.src): 8 accumulators, 128-element blocks.
fn pairwise<S: Copy, T: NpFloat>(a: &[S], f: &impl Fn(S) -> T) -> T {
    let n = a.len();
    if n < 8 {
        let mut res = T::NEG_ZERO;
        for &v in a {
            res = res + f(v);
        }
        res
    } else if n <= 128 {
        let mut r = [T::ZERO; 8];
        for (j, rj) in r.iter_mut().enumerate() {
            *rj = f(a[j]);
        }
        let full = n - n % 8;
        let mut i = 8;
        while i < full {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj = *rj + f(a[i + j]);
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res = res + f(a[i]);
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2], f) + pairwise(&a[n2..], f)
    }
}

/// `np.add.reduce` of a contiguous float array in its own dtype (identity 0 + pairwise sum).
fn np_sum<S: Copy, T: NpFloat>(a: &[S], f: &impl Fn(S) -> T) -> T {
    T::ZERO + pairwise(a, f)
}

/// numpy's default ufunc buffer size (elements) used when a reduction casts its input.
const NPY_BUFSIZE: usize = 8192;

/// `np.add.reduce(a, dtype=float64)` for an integer/bool array: buffered cast in chunks of
/// 8192 elements, each chunk pairwise-summed into the running total.
fn np_sum_cast_f64<I: NpInt>(a: &[I]) -> f64 {
    let mut acc = 0.0f64;
    for chunk in a.chunks(NPY_BUFSIZE) {
        acc += pairwise(chunk, &|v: I| v.to_f64());
    }
    acc
}

// ---------------------------------------------------------------------------------------------
// Histogram
// ---------------------------------------------------------------------------------------------

/// `np.linspace(first, last, n + 1, endpoint=True)` computed in `T`.
fn linspace<T: NpFloat>(first: T, last: T, n: usize) -> Vec<T> {
    let div = T::from_usize(n);
    let delta = last - first;
    let step = delta / div;
    let mut y: Vec<T> = if step == T::ZERO {
        (0..=n)
            .map(|i| (T::from_usize(i) / div) * delta + first)
            .collect()
    } else {
        (0..=n).map(|i| T::from_usize(i) * step + first).collect()
    };
    y[n] = last;
    y
}

fn check_edges<T: NpFloat>(edges: &[T], n: usize) -> Result<(), String> {
    if edges.windows(2).any(|w| w[0] >= w[1]) {
        return Err(format!(
            "Too many bins for data range. Cannot create {n} finite-sized bins."
        ));
    }
    Ok(())
}

/// Histogram of an empty array: range (0, 1), edges computed by linspace in float64 (Python int
/// endpoints) and cast to the bin dtype `T`.
fn hist_empty<T: NpFloat>(n: usize) -> Result<NpHistogram, String> {
    let e64 = linspace(0.0f64, 1.0f64, n);
    let edges: Vec<T> = e64.iter().map(|&e| T::from_f64(e)).collect();
    check_edges(&edges, n)?;
    Ok(NpHistogram {
        counts: vec![0; n],
        edges: edges.iter().map(|e| e.to_f64()).collect(),
    })
}

/// Python-style index into an array of length `len` (negative wraps), or numpy's IndexError.
fn np_index(k: i64, len: usize) -> Result<usize, String> {
    let l = len as i64;
    if k >= 0 && k < l {
        Ok(k as usize)
    } else if k < 0 && k >= -l {
        Ok((k + l) as usize)
    } else {
        Err(format!(
            "index {k} is out of bounds for axis 0 with size {len}"
        ))
    }
}

/// numpy's uniform-bin assignment loop (`histogram`, `BLOCK = 65536`), all arithmetic in `T`.
/// `conv` maps an element to the bin dtype (`tmp_a.astype(bin_edges.dtype)`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn assign<S: Copy, T: NpFloat>(
    data: &[S],
    conv: impl Fn(S) -> T,
    first: T,
    last: T,
    denom: T,
    edges: &[T],
    n: usize,
) -> Result<Vec<i64>, String> {
    const CHUNK: usize = 256;
    let nt = T::from_usize(n);
    // Fast path without a division per element. With u the unit roundoff of T and positions
    // measured in bins (p = (x - first)·n/(last - first), E = max(|first|, |last|)):
    // * numpy's f = ((x - first) / denom) · n (in T) is within 4u·p + u·E·n/denom of p
    //   (for integer data denom is the exact difference, the edges use f64(max) - f64(min));
    // * the prediction q = x·inv - first·inv (f64, inv = n/denom) is within
    //   2^-53·(3·E·inv + n + 2) + 2u·p of p;
    // * edges[k] = first + k·step (linspace in T) is within 3u·n + u·E·n/denom bins of its
    //   exact position; in the subnormal range every operation adds up to TINY/2 absolute
    //   error, multiplied by up to n through k·step.
    // So if q is at least ~10u(n+1) + 4u·E·n/denom (+ the TINY terms) away from every
    // integer, trunc(f) == floor(q) and x lies strictly inside bin floor(q): neither ±1
    // correction fires. `margin` is 32× the u-terms (≥ 3× that bound). Everything else (near
    // an edge, NaN, subnormal ranges, huge offsets relative to the range) takes the exact
    // numpy path. (A factor of 1, or 0.25, produced mismatches in the differential test; 32
    // gives none.)
    let inv = n as f64 / denom.to_f64();
    let e_abs = first.to_f64().abs().max(last.to_f64().abs());
    let nf1 = n as f64 + 1.0;
    let margin = 32.0 * (T::UNIT_ROUNDOFF * (nf1 + e_abs * inv) + T::TINY * nf1 * inv);
    // With a finite positive `inv`, every q lies in [0, n·(1 + tiny)] (the data are within
    // [first, last]), so only the distance to the nearest integer needs checking; q ≥ n can
    // only be within `margin` of n and is never "good".
    let use_fast = margin < 0.25 && inv.is_finite() && inv > 0.0 && n < (i32::MAX as usize) / 2;
    let half_width = 0.5 - margin;
    let offset = first.to_f64() * inv + 0.5;
    // 1.5 · 2^52: for |y| < 2^51, (y + MAGIC) lies in [2^52, 2^53) where the spacing is 1,
    // so the addition rounds y to an integer that sits in the low mantissa bits.
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    // Four count arrays (element i counts into array i mod 4) avoid store→load chains on
    // runs in one bin; slot n of each is a dummy for elements that need the exact path.
    let dummy = n as u32;
    let mut c = [
        vec![0i64; n + 1],
        vec![0i64; n + 1],
        vec![0i64; n + 1],
        vec![0i64; n + 1],
    ];
    let mut seen_bad = 0i64;
    // The bin-index buffer is placed 2 KiB (mod 4 KiB) away from the chunk being read. With a
    // fixed buffer, a 4-byte input (f32/i32, read at the rate the u32 indices are written)
    // whose address happened to sit just above the buffer's mod 4 KiB kept every load
    // waiting on an unrelated store ("4K aliasing"): measured 0.68 vs 1.79 ms for the same
    // 1M-float32 histogram, depending only on where the allocator put the data.
    // (f64 bits of a value, its bin) for values that took the exact path; the initial key is
    // a NaN pattern, and NaN values return before the lookup.
    let mut memo = [(u64::MAX, 0u32); 512];
    let mut kstore = [0u32; CHUNK + 1024];
    let kbase = kstore.as_ptr() as usize;
    for chunk in data.chunks(CHUNK) {
        let want = (chunk.as_ptr() as usize).wrapping_add(2048);
        let o = (want.wrapping_sub(kbase) % 4096) / 4;
        let kb = &mut kstore[o..o + chunk.len()];
        if use_fast {
            // Phase 1 (vectorisable): bin of each element, or the dummy slot.
            for (k, &s) in kb.iter_mut().zip(chunk) {
                // y = q - 0.5 with q = (x - first)·inv, folded into one multiply-subtract
                // (its extra rounding, ≤ u·(|x|·inv + n), is covered by `margin`).
                let y = conv(s).to_f64() * inv - offset;
                // t = MAGIC + round(y); its low mantissa bits are floor(q) when q is not
                // within `margin` of an integer (no ties then).
                let t = y + MAGIC;
                // y - round(y) = frac(q) - 0.5
                let good = (y - (t - MAGIC)).abs() <= half_width;
                // Clamped to the dummy slot, so phase 2 indexes in bounds by construction.
                *k = if good {
                    (t.to_bits() as u32).min(dummy)
                } else {
                    dummy
                };
            }
        } else {
            kb.iter_mut().for_each(|k| *k = dummy);
        }
        // Phase 2: count. Raw pointers so the four bases stay in registers (with slices and
        // bounds checks this scalar loop cost ~6 instructions per element, half the pass).
        let [c0, c1, c2, c3] = &mut c;
        let (p0, p1, p2, p3) = (
            c0.as_mut_ptr(),
            c1.as_mut_ptr(),
            c2.as_mut_ptr(),
            c3.as_mut_ptr(),
        );
        let quads = kb.chunks_exact(4);
        // SAFETY (both loops): every k is ≤ dummy = n (clamped above, or set to dummy) and each
        // count array has n + 1 elements; the four arrays are distinct allocations, borrowed
        // mutably for the whole loop, and nothing else accesses them meanwhile.
        for &k in quads.remainder() {
            unsafe { *p0.add(k as usize) += 1 };
        }
        for q in quads {
            unsafe {
                *p0.add(q[0] as usize) += 1;
                *p1.add(q[1] as usize) += 1;
                *p2.add(q[2] as usize) += 1;
                *p3.add(q[3] as usize) += 1;
            }
        }
        let bad = c0[n] + c1[n] + c2[n] + c3[n];
        if bad == seen_bad {
            continue;
        }
        seen_bad = bad;
        // Exact numpy computation for the flagged elements, found 16 at a time with a
        // vectorisable test (bf16 data, coarse and repeated, flags a few elements in many
        // chunks; a scalar scan of each such chunk cost a fifth of the pass).
        for (kq, sq) in kb.chunks(16).zip(chunk.chunks(16)) {
            if !kq.iter().fold(false, |a, &k| a | (k == dummy)) {
                continue;
            }
            for (&k, &s) in kq.iter().zip(sq) {
                if k != dummy {
                    continue;
                }
                let v = conv(s);
                if v.is_nan() {
                    return Err(NAN_RANGE.to_string());
                }
                // The bin is a pure function of the value; quantised data (bf16, integers)
                // repeat the same on-edge values many times, so remember recent ones.
                let bits = v.to_f64().to_bits();
                let slot = (bits ^ (bits >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 55;
                let m = &mut memo[slot as usize];
                if m.0 == bits {
                    c0[m.1 as usize] += 1;
                    continue;
                }
                let Some(k) = exact_bin(v, first, denom, nt, edges, n) else {
                    return assign_exact(data, &conv, first, denom, edges, n);
                };
                *m = (bits, k as u32);
                c0[k] += 1;
            }
        }
    }
    Ok((0..n)
        .map(|k| c[0][k] + c[1][k] + c[2][k] + c[3][k])
        .collect())
}

/// numpy's bin for one value `v` of the range `[first, first + denom]` split into `n` bins:
/// the index `trunc((v - first) / denom * n)` in the float type, then numpy's ±1 corrections
/// against `edges`. `None` when the index leaves `0..=n` or falls below bin 0 (degenerate
/// ranges overflowing to inf: numpy's literal block loop, [`assign_exact`], decides).
#[inline]
fn exact_bin<T: NpFloat>(v: T, first: T, denom: T, nt: T, edges: &[T], n: usize) -> Option<usize> {
    let ki = to_intp((((v - first) / denom) * nt).to_f64());
    if ki < 0 || ki as u64 > n as u64 {
        return None;
    }
    let last_bin = n - 1;
    let mut k = (ki as usize).min(last_bin);
    if v < edges[k] {
        if k == 0 {
            return None;
        }
        k -= 1;
    } else if k != last_bin && v >= edges[k + 1] {
        k += 1;
    }
    Some(k)
}

/// numpy's block loop (`BLOCK = 65536`) with the literal per-block emulation; used only when
/// an index falls outside `0..=n` or below bin 0 (degenerate ranges overflowing to inf), so
/// that numpy's errors (IndexError, bincount) come out in numpy's order.
fn assign_exact<S: Copy, T: NpFloat>(
    data: &[S],
    conv: &impl Fn(S) -> T,
    first: T,
    denom: T,
    edges: &[T],
    n: usize,
) -> Result<Vec<i64>, String> {
    if data.iter().any(|&s| conv(s).is_nan()) {
        return Err(NAN_RANGE.to_string());
    }
    let mut counts = vec![0i64; n];
    for block in data.chunks(65536) {
        let local = assign_block_exact(block, conv, first, denom, edges, n)?;
        for (c, l) in counts.iter_mut().zip(local) {
            *c += l;
        }
    }
    Ok(counts)
}

/// Literal vectorised emulation of one numpy block (only reached for degenerate float ranges,
/// e.g. a range overflowing to inf), including Python-style negative indexing and errors.
fn assign_block_exact<S: Copy, T: NpFloat>(
    block: &[S],
    conv: &impl Fn(S) -> T,
    first: T,
    denom: T,
    edges: &[T],
    n: usize,
) -> Result<Vec<i64>, String> {
    let nt = T::from_usize(n);
    let vals: Vec<T> = block.iter().map(|&s| conv(s)).collect();
    let mut idx: Vec<i64> = vals
        .iter()
        .map(|&v| {
            let k = to_intp((((v - first) / denom) * nt).to_f64());
            if k == n as i64 {
                k - 1
            } else {
                k
            }
        })
        .collect();
    let mut dec = Vec::with_capacity(vals.len());
    for (&v, &k) in vals.iter().zip(&idx) {
        dec.push(v < edges[np_index(k, edges.len())?]);
    }
    for (k, d) in idx.iter_mut().zip(&dec) {
        if *d {
            *k = k.wrapping_sub(1);
        }
    }
    let mut inc = Vec::with_capacity(vals.len());
    for (&v, &k) in vals.iter().zip(&idx) {
        let e = edges[np_index(k.wrapping_add(1), edges.len())?];
        inc.push(v >= e && k != n as i64 - 1);
    }
    for (k, i) in idx.iter_mut().zip(&inc) {
        if *i {
            *k = k.wrapping_add(1);
        }
    }
    if idx.iter().any(|&k| k < 0) {
        return Err("'list' argument must have no negative elements".to_string());
    }
    let mx = idx.iter().copied().max().unwrap_or(0);
    if mx >= n as i64 {
        return Err(format!(
            "operands could not be broadcast together with shapes ({n},) ({},) ({n},) ",
            mx.saturating_add(1)
        ));
    }
    let mut local = vec![0i64; n];
    for k in idx {
        local[k as usize] += 1;
    }
    Ok(local)
}

/// numpy's message when the data contain a NaN (`a.min()` and `a.max()` are both NaN).
const NAN_RANGE: &str = "autodetected range of [nan, nan] is not finite";

#[inline(always)]
fn hist_float<T: NpFloat>(x: &[T], n: usize) -> Result<NpHistogram, String> {
    if x.is_empty() {
        return hist_empty::<T>(n);
    }
    let (mn, mx) = par_min_max_nan_free(x);
    hist_float_ranged(x, |v| v, mn, mx, n)
}

/// `numpy.histogram` of `conv(x)` (float data in the float type `T`) once the NaN-free
/// min/max pass has given `(mn, mx)`.
#[inline(always)]
fn hist_float_ranged<S: Copy + Sync, T: NpFloat>(
    x: &[S],
    conv: impl Fn(S) -> T + Copy + Sync,
    mn: T,
    mx: T,
    n: usize,
) -> Result<NpHistogram, String> {
    // NaNs are detected lazily (on every error path and in the assignment pass, where a NaN
    // always takes the exact path), so the common case reads the data only twice.
    let has_nan = || x.iter().any(|&v| conv(v).is_nan());
    if !(mn.is_finite() && mx.is_finite()) {
        if mn.is_nan() || mx.is_nan() || has_nan() {
            return Err(NAN_RANGE.to_string());
        }
        return Err(format!(
            "autodetected range of [{}, {}] is not finite",
            mn.np_str(),
            mx.np_str()
        ));
    }
    let (first, last) = if mn == mx {
        (mn - T::HALF, mx + T::HALF)
    } else {
        (mn, mx)
    };
    let edges = linspace(first, last, n);
    if let Err(e) = check_edges(&edges, n) {
        return Err(if has_nan() { NAN_RANGE.to_string() } else { e });
    }
    let denom = last - first;
    let counts = par_counts(x, |c| assign_isa(c, conv, first, last, denom, &edges, n))?;
    Ok(NpHistogram {
        counts,
        edges: edges.iter().map(|e| e.to_f64()).collect(),
    })
}

/// Histogram of bfloat16 data = the float32 histogram of the widened values, without
/// materialising them: the min/max pass widens a block at a time into a stack buffer and the
/// assignment pass widens inside its (vectorised) loop. A NaN or a zero min/max (whose sign
/// depends on numpy's reduction order over the whole array) takes the widened-copy path.
fn hist_bf16(x: &[u16], n: usize) -> Result<NpHistogram, String> {
    use crate::tensor::bf16_to_f32;
    if x.is_empty() {
        return hist_empty::<f32>(n);
    }
    if x.len() >= BF16_TABLE_MIN && x.len() <= u32::MAX as usize {
        if let Some(h) = hist_bf16_table(x, n) {
            return Ok(h);
        }
    }
    let mut range: Option<(f32, f32)> = None;
    for (a, b) in par_map(x, bf16_min_max_isa) {
        if a.is_nan() || b.is_nan() {
            range = None;
            break;
        }
        range = Some(match range {
            None => (a, b),
            Some((lo, hi)) => (lo.fast_min(a), hi.fast_max(b)),
        });
    }
    match range {
        Some((lo, hi)) if lo != 0.0 && hi != 0.0 => hist_float_ranged(x, bf16_to_f32, lo, hi, n),
        _ => {
            let mut w: Vec<f32> = Vec::new();
            w.try_reserve_exact(x.len())
                .map_err(|_| format!("cannot allocate {} float32 values", x.len()))?;
            w.extend(x.iter().map(|&b| bf16_to_f32(b)));
            hist_float(&w, n)
        }
    }
}

/// bfloat16 inputs at least this long go through a table of bit-pattern counts (below, the
/// 256 KiB table costs more than it saves). The table path is safe code, and Miri's tests stay
/// below this size (interpreting the 65 536-entry tables took minutes per call).
const BF16_TABLE_MIN: usize = 1 << 17;

/// Histogram of bfloat16 data through a count per bit pattern: bfloat16 has only 65 536
/// values, and quantised model data uses a few thousand of them, so each distinct value is
/// binned once with numpy's exact float32 formula (the one [`assign`]'s fast path is proven
/// equal to; the same steps as [`hist_f16`]). Measured on 1M normal values: 3 607 distinct
/// values, of which the on-edge ones had sent ~1 % of the elements to `assign`'s slow exact
/// path. `None` (the caller takes the general path, which also produces every error) for
/// NaN, ±inf, a zero min/max (its sign follows numpy's reduction order), too many bins for
/// the range, or an index outside `0..=n`.
fn hist_bf16_table(x: &[u16], n: usize) -> Option<NpHistogram> {
    use crate::tensor::bf16_to_f32;
    let mut total = vec![0u64; 1 << 16];
    for part in par_map(x, bf16_pattern_counts) {
        for (t, &c) in total.iter_mut().zip(part.iter()) {
            *t += c as u64;
        }
    }
    let present = || {
        total
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(b, &c)| (bf16_to_f32(b as u16), c))
    };
    let (mut mn, mut mx) = (f32::INFINITY, f32::NEG_INFINITY);
    for (v, _) in present() {
        if v.is_nan() {
            return None;
        }
        mn = mn.min(v);
        mx = mx.max(v);
    }
    if !(mn.is_finite() && mx.is_finite()) || mn == 0.0 || mx == 0.0 {
        return None;
    }
    let (first, last) = if mn == mx {
        (mn - 0.5, mx + 0.5)
    } else {
        (mn, mx)
    };
    let edges = linspace(first, last, n);
    check_edges(&edges, n).ok()?;
    let denom = last - first;
    let nt = f32::from_usize(n);
    let mut counts = vec![0i64; n];
    for (v, c) in present() {
        counts[exact_bin(v, first, denom, nt, &edges, n)?] += c as i64;
    }
    Some(NpHistogram {
        counts,
        edges: edges.iter().map(|&e| e as f64).collect(),
    })
}

/// Count of each of the 65 536 bit patterns in `x` (fewer than 2^32 elements; bfloat16 and
/// float16 data), two tables so that runs of one value do not serialise on one counter.
fn bf16_pattern_counts(x: &[u16]) -> Vec<u32> {
    let mut t = vec![0u32; 2 << 16];
    let (a, b) = t.split_at_mut(1 << 16);
    let t0: &mut [u32; 1 << 16] = a.try_into().expect("65 536 entries");
    let t1: &mut [u32; 1 << 16] = b.try_into().expect("65 536 entries");
    let pairs = x.chunks_exact(2);
    for &v in pairs.remainder() {
        t0[v as usize] += 1;
    }
    for p in pairs {
        t0[p[0] as usize] += 1;
        t1[p[1] as usize] += 1;
    }
    for (c0, &c1) in t0.iter_mut().zip(t1.iter()) {
        *c0 += c1;
    }
    t.truncate(1 << 16);
    t
}

/// Min/max of bfloat16 data as float32, computed on the 16-bit patterns: mapped to keys
/// whose unsigned order is the float order (negative: all bits flipped; positive: sign bit
/// set), so the pass is packed 16-bit integer min/max (32 lanes per AVX-512 register). Any
/// NaN sorts outside ±inf, so it always shows up as the min or the max (the caller then takes
/// the widened-copy path); −0 and +0 get different keys, and a zero result also goes there.
#[inline(always)]
fn bf16_min_max(x: &[u16]) -> (f32, f32) {
    const N: usize = 64;
    #[inline(always)]
    fn key(b: u16) -> u16 {
        b ^ ((((b as i16) >> 15) as u16) | 0x8000)
    }
    #[inline(always)]
    fn unkey(k: u16) -> u16 {
        if k & 0x8000 != 0 {
            k ^ 0x8000
        } else {
            !k
        }
    }
    let k0 = key(x[0]);
    let mut mn = [k0; N];
    let mut mx = [k0; N];
    let chunks = x.chunks_exact(N);
    let rest = chunks.remainder();
    for c in chunks {
        let c: &[u16; N] = c.try_into().expect("chunks_exact yields N elements");
        for j in 0..N {
            let k = key(c[j]);
            mn[j] = mn[j].min(k);
            mx[j] = mx[j].max(k);
        }
    }
    let mut lo = mn.iter().copied().min().unwrap_or(k0);
    let mut hi = mx.iter().copied().max().unwrap_or(k0);
    for &b in rest {
        lo = lo.min(key(b));
        hi = hi.max(key(b));
    }
    (
        crate::tensor::bf16_to_f32(unkey(lo)),
        crate::tensor::bf16_to_f32(unkey(hi)),
    )
}

// ---------------------------------------------------------------------------------------------
// Vector ISA dispatch for the hot histogram loops
// ---------------------------------------------------------------------------------------------
//
// The kernels below are `#[inline(always)]` generic loops written to auto-vectorise; each is
// also instantiated inside a `#[target_feature]` function for AVX2 and for AVX-512, chosen at
// run time. The dispatch has to happen here, per kernel call, because the kernels run inside
// `par_map`'s thread closures, which never inherit an outer function's target features
// (measured: the old whole-histogram AVX2 wrapper left these loops as SSE2 code). Only the
// vector width changes — the same IEEE operations, no FMA contraction (Rust never contracts) —
// so every ISA gives bit-identical results (checked by `isa_variants_agree`).

/// Vector instruction set for the kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    Base,
    Avx2,
    Avx512,
}

/// Test hook: 0 = detect, 1/2/3 = force Base/Avx2/Avx512 (only if the CPU has it).
#[cfg(test)]
static FORCE_ISA: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

#[inline]
fn isa() -> Isa {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        let avx512 = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512bw");
        let avx2 = std::arch::is_x86_feature_detected!("avx2");
        #[cfg(test)]
        match FORCE_ISA.load(std::sync::atomic::Ordering::Relaxed) {
            1 => return Isa::Base,
            2 if avx2 => return Isa::Avx2,
            3 if avx512 => return Isa::Avx512,
            _ => {}
        }
        if avx512 {
            return Isa::Avx512;
        }
        if avx2 {
            return Isa::Avx2;
        }
    }
    Isa::Base
}

/// Defines `$name` (dispatching on [`isa`]) over the `#[inline(always)]` kernel `$kernel`,
/// with AVX2 and AVX-512 instances.
macro_rules! isa_dispatch {
    ($(#[$doc:meta])* fn $name:ident<$($g:ident: $b:path),*>($($a:ident: $t:ty),*) -> $r:ty = $kernel:expr;) => {
        $(#[$doc])*
        #[inline]
        fn $name<$($g: $b),*>($($a: $t),*) -> $r {
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2<$($g: $b),*>($($a: $t),*) -> $r {
                    $kernel($($a),*)
                }
                #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
                unsafe fn avx512<$($g: $b),*>($($a: $t),*) -> $r {
                    $kernel($($a),*)
                }
                match isa() {
                    // SAFETY: `isa()` reports AVX-512 F/DQ/VL/BW only when the CPU has them.
                    Isa::Avx512 => return unsafe { avx512($($a),*) },
                    // SAFETY: `isa()` reports AVX2 only when the CPU has it.
                    Isa::Avx2 => return unsafe { avx2($($a),*) },
                    Isa::Base => {}
                }
            }
            $kernel($($a),*)
        }
    };
}

/// Bound alias so the dispatch macro can name `Fn(S) -> T + Copy` as one path.
trait Conv<S, T>: Fn(S) -> T + Copy {}
impl<S, T, F: Fn(S) -> T + Copy> Conv<S, T> for F {}

isa_dispatch! {
    /// [`assign`] on the best vector ISA.
    fn assign_isa<S: Copy, T: NpFloat, F: Conv<S, T>>(
        data: &[S], conv: F, first: T, last: T, denom: T, edges: &[T], n: usize
    ) -> Result<Vec<i64>, String> = assign;
}
isa_dispatch! {
    /// Value-only float min/max ([`min_max_lanes`]) on the best vector ISA.
    fn float_min_max_isa<T: NpFloat>(x: &[T]) -> (T, T) = min_max_lanes::<T, 32>;
}
isa_dispatch! {
    /// [`int_min_max`] on the best vector ISA.
    fn int_min_max_isa<I: NpInt>(x: &[I]) -> (I, I) = int_min_max;
}
isa_dispatch! {
    /// [`bf16_min_max`] on the best vector ISA.
    fn bf16_min_max_isa<>(x: &[u16]) -> (f32, f32) = bf16_min_max;
}

/// Inputs at least this long are split over the machine's cores (below, thread start-up
/// costs more than it saves). Under Miri a small size, so its tests reach the threaded path
/// with inputs it can interpret in seconds.
const PAR_MIN: usize = if cfg!(miri) { 1 << 10 } else { 1 << 21 };

/// Runs `f` on one contiguous chunk of `x` per core (one chunk for short inputs or one core),
/// in order. Every per-element result of the histogram is independent of the split (bin
/// counts add up; min/max combine), so the output is the same for any thread count.
fn par_map<S: Sync, R: Send>(x: &[S], f: impl Fn(&[S]) -> R + Sync) -> Vec<R> {
    let threads = if x.len() < PAR_MIN {
        1
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 16)
    };
    if threads <= 1 {
        return vec![f(x)];
    }
    let chunk = x.len().div_ceil(threads);
    let f = &f;
    crate::par::scope(|scope| {
        let handles: Vec<_> = x.chunks(chunk).map(|c| scope.spawn(move || f(c))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Bin counts of `x` from per-chunk counts; the first chunk's error (in element order) wins,
/// as in a serial pass.
fn par_counts<S: Sync>(
    x: &[S],
    f: impl Fn(&[S]) -> Result<Vec<i64>, String> + Sync,
) -> Result<Vec<i64>, String> {
    let mut total: Option<Vec<i64>> = None;
    for part in par_map(x, f) {
        let part = part?;
        match &mut total {
            None => total = Some(part),
            Some(t) => t.iter_mut().zip(part).for_each(|(a, b)| *a += b),
        }
    }
    Ok(total.unwrap_or_default())
}

/// [`min_max_nan_free`] over chunks in parallel. A NaN in any chunk, or a zero result (whose
/// sign depends on numpy's kernel order), falls back to the serial pass over all of `x`.
fn par_min_max_nan_free<T: NpFloat>(x: &[T]) -> (T, T) {
    if x.len() < PAR_MIN {
        return min_max_nan_free(x);
    }
    let parts = par_map(x, float_min_max_isa);
    let mut it = parts.into_iter();
    let Some((mut lo, mut hi)) = it.next() else {
        return min_max_nan_free(x);
    };
    for (a, b) in it {
        if a.is_nan() || b.is_nan() || lo.is_nan() || hi.is_nan() {
            return min_max_nan_free(x);
        }
        lo = lo.fast_min(a);
        hi = hi.fast_max(b);
    }
    if lo.is_nan() || hi.is_nan() || lo == T::ZERO || hi == T::ZERO {
        return min_max_nan_free(x);
    }
    (lo, hi)
}

#[inline(always)]
fn hist_int<I: NpInt>(x: &[I], n: usize) -> Result<NpHistogram, String> {
    if x.is_empty() {
        return hist_empty::<f64>(n);
    }
    let (mn, mx) = par_map(x, int_min_max_isa)
        .into_iter()
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
        .unwrap_or((x[0], x[0]));
    let (first, last, denom) = if mn.to_i128() == mx.to_i128() {
        let first = mn.to_f64() - 0.5;
        let last = mx.to_f64() + 0.5;
        (first, last, last - first)
    } else {
        // _unsigned_subtract: exact difference in the unsigned type, then to float64.
        let diff = (mx.to_i128() - mn.to_i128()) as u64;
        (mn.to_f64(), mx.to_f64(), diff as f64)
    };
    let edges = linspace(first, last, n);
    check_edges(&edges, n)?;
    if I::BITS <= 16 && x.len() >= 1 << I::BITS {
        if let Some(counts) = small_int_counts(x, mn, mx, first, denom, &edges, n) {
            return Ok(NpHistogram { counts, edges });
        }
    }
    let counts = par_counts(x, |c| {
        assign_isa(c, |v: I| v.to_f64(), first, last, denom, &edges, n)
    })?;
    Ok(NpHistogram { counts, edges })
}

/// Histogram of ≤16-bit integer data through a table of value counts: every distinct value
/// is binned once with numpy's exact per-element formula (index, then the ±1 edge
/// corrections), so the result is the same as binning every element. `None` if an index
/// leaves `0..=n` (cannot happen for a finite integer range; the general path then decides).
#[inline(always)]
fn small_int_counts<I: NpInt>(
    x: &[I],
    mn: I,
    mx: I,
    first: f64,
    denom: f64,
    edges: &[f64],
    n: usize,
) -> Option<Vec<i64>> {
    let lo = mn.to_i128();
    let span = (mx.to_i128() - lo) as usize + 1;
    // four tables so runs of equal values do not serialise on one counter
    let mut t = vec![0u64; 4 * span];
    let (t0, rest) = t.split_at_mut(span);
    let (t1, rest) = rest.split_at_mut(span);
    let (t2, t3) = rest.split_at_mut(span);
    let idx = |v: I| (v.to_i128() - lo) as usize;
    let quads = x.chunks_exact(4);
    for &v in quads.remainder() {
        t0[idx(v)] += 1;
    }
    for q in quads {
        t0[idx(q[0])] += 1;
        t1[idx(q[1])] += 1;
        t2[idx(q[2])] += 1;
        t3[idx(q[3])] += 1;
    }
    let nt = n as f64;
    let mut counts = vec![0i64; n];
    for j in 0..span {
        let c = t0[j] + t1[j] + t2[j] + t3[j];
        if c == 0 {
            continue;
        }
        let v = i128_to_f64(lo + j as i128);
        counts[exact_bin(v, first, denom, nt, edges, n)?] += c as i64;
    }
    Some(counts)
}

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

/// `q / 100` for the SDK's percentiles 10, 25, 75, 90 (`np.true_divide(q, 100)` in float64).
const QS: [f64; 4] = [10.0 / 100.0, 25.0 / 100.0, 75.0 / 100.0, 90.0 / 100.0];

/// numpy's index bookkeeping for the linear method: `(prev, next, gamma)` where indices may be
/// `-1` (= last element) when `virtual_index >= n - 1`, and gamma is computed against the
/// *modified* previous index (numpy quirk).
fn quantile_indices(n: usize, q: f64) -> (i64, i64, f64) {
    let vi = (n - 1) as f64 * q;
    let (prev, next) = if vi >= (n - 1) as f64 {
        (-1i64, -1i64)
    } else {
        let p = vi.floor();
        (p as i64, p as i64 + 1)
    };
    (prev, next, vi - prev as f64)
}

fn resolve(k: i64, n: usize) -> usize {
    if k < 0 {
        n - 1
    } else {
        k as usize
    }
}

/// Sorted-order values at the given positions (like numpy's partition; ties between equal
/// values are indistinguishable except for the sign of zero).
fn select_positions<T: Copy>(
    data: &mut [T],
    positions: &[usize],
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering + Copy,
) -> Vec<T> {
    let mut pos: Vec<usize> = positions.to_vec();
    pos.sort_unstable();
    pos.dedup();
    let mut lo = 0usize;
    let mut out = Vec::with_capacity(pos.len());
    for &p in &pos {
        let (_, nth, _) = data[lo..].select_nth_unstable_by(p - lo, cmp);
        out.push((p, *nth));
        lo = p;
    }
    positions
        .iter()
        .map(|p| {
            out.iter()
                .find(|(q, _)| q == p)
                .map(|(_, v)| *v)
                .unwrap_or(data[*p])
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// np.partition (numpy's scalar introselect, selection.cpp) — used for float percentiles so that
// the choice between equal values (0.0 / -0.0) is the same as numpy's.
// ---------------------------------------------------------------------------------------------

const MAX_PIVOT_STACK: usize = 50;

struct Pivots {
    stack: [isize; MAX_PIVOT_STACK],
    n: usize,
}

/// numpy's `DOUBLE_LT`/`FLOAT_LT`: NaN sorts last.
fn float_less<T: NpFloat>(a: T, b: T) -> bool {
    a < b || (b.is_nan() && !a.is_nan())
}

/// `arr.partition(kth)` for an array with several kth values (numpy only dispatches to the
/// SIMD quickselect for a single kth; percentiles always pass at least `[0, -1]`): kth values
/// are normalised (negative + n), sorted, and each is selected with the shared pivot stack.
fn np_partition<T: Copy>(
    v: &mut [T],
    raw_kth: &[i64],
    less: &impl Fn(T, T) -> bool,
    inexact: bool,
) {
    let n = v.len() as i64;
    let mut raw: Vec<i64> = raw_kth.to_vec();
    raw.sort_unstable();
    raw.dedup(); // np.unique
    let mut kth: Vec<i64> = raw.iter().map(|&k| if k < 0 { k + n } else { k }).collect();
    kth.sort_unstable();
    let mut piv = Pivots {
        stack: [0; MAX_PIVOT_STACK],
        n: 0,
    };
    for &k in &kth {
        if k >= 0 && k < n {
            introselect(v, k as isize, Some(&mut piv), less, inexact);
        }
    }
}

fn store_pivot(pivot: isize, kth: isize, piv: &mut Option<&mut Pivots>) {
    if let Some(p) = piv.as_deref_mut() {
        if pivot == kth && p.n == MAX_PIVOT_STACK {
            p.stack[p.n - 1] = pivot;
        } else if pivot >= kth && p.n < MAX_PIVOT_STACK {
            p.stack[p.n] = pivot;
            p.n += 1;
        }
    }
}

fn get<T: Copy>(v: &[T], i: isize) -> Option<T> {
    usize::try_from(i).ok().and_then(|i| v.get(i).copied())
}

fn swap<T>(v: &mut [T], a: isize, b: isize) {
    if a >= 0 && b >= 0 && (a as usize) < v.len() && (b as usize) < v.len() {
        v.swap(a as usize, b as usize);
    }
}

fn median3_swap<T: Copy>(
    v: &mut [T],
    low: isize,
    mid: isize,
    high: isize,
    less: &impl Fn(T, T) -> bool,
) {
    let lt = |v: &[T], a: isize, b: isize| match (get(v, a), get(v, b)) {
        (Some(x), Some(y)) => less(x, y),
        _ => false,
    };
    if lt(v, high, mid) {
        swap(v, high, mid);
    }
    if lt(v, high, low) {
        swap(v, high, low);
    }
    if lt(v, low, mid) {
        swap(v, low, mid);
    }
    swap(v, mid, low + 1);
}

fn median5<T: Copy>(v: &mut [T], less: &impl Fn(T, T) -> bool) -> isize {
    let lt = |v: &[T], a: isize, b: isize| match (get(v, a), get(v, b)) {
        (Some(x), Some(y)) => less(x, y),
        _ => false,
    };
    if lt(v, 1, 0) {
        swap(v, 1, 0);
    }
    if lt(v, 4, 3) {
        swap(v, 4, 3);
    }
    if lt(v, 3, 0) {
        swap(v, 3, 0);
    }
    if lt(v, 4, 1) {
        swap(v, 4, 1);
    }
    if lt(v, 2, 1) {
        swap(v, 2, 1);
    }
    if lt(v, 3, 2) {
        if lt(v, 3, 1) {
            1
        } else {
            3
        }
    } else {
        2
    }
}

fn unguarded_partition<T: Copy>(
    v: &mut [T],
    pivot: T,
    ll: &mut isize,
    hh: &mut isize,
    less: &impl Fn(T, T) -> bool,
) {
    loop {
        loop {
            *ll += 1;
            match get(v, *ll) {
                Some(x) if less(x, pivot) => {}
                _ => break,
            }
        }
        loop {
            *hh -= 1;
            match get(v, *hh) {
                Some(x) if less(pivot, x) => {}
                _ => break,
            }
        }
        if *hh < *ll {
            break;
        }
        swap(v, *ll, *hh);
    }
}

fn median_of_median5<T: Copy>(
    v: &mut [T],
    num: isize,
    less: &impl Fn(T, T) -> bool,
    inexact: bool,
) -> isize {
    let nmed = num / 5;
    let mut subleft = 0isize;
    for i in 0..nmed {
        let m = match v.get_mut(subleft as usize..subleft as usize + 5) {
            Some(block) => median5(block, less),
            None => 0,
        };
        swap(v, subleft + m, i);
        subleft += 5;
    }
    if nmed > 2 {
        if let Some(head) = v.get_mut(..nmed as usize) {
            introselect(head, nmed / 2, None, less, inexact);
        }
    }
    nmed / 2
}

fn dumb_select<T: Copy>(v: &mut [T], kth: isize, less: &impl Fn(T, T) -> bool) {
    let num = v.len() as isize;
    let mut i = 0isize;
    while i <= kth && i < num {
        let mut minidx = i;
        let mut minval = v[i as usize];
        for k in (i + 1)..num {
            if less(v[k as usize], minval) {
                minidx = k;
                minval = v[k as usize];
            }
        }
        swap(v, i, minidx);
        i += 1;
    }
}

/// Port of numpy's `introselect_` (median-of-3 quickselect, median-of-medians fallback,
/// `dumb_select` for small kth, max scan for `kth == num - 1` on floats).
fn introselect<T: Copy>(
    v: &mut [T],
    kth: isize,
    mut piv: Option<&mut Pivots>,
    less: &impl Fn(T, T) -> bool,
    inexact: bool,
) {
    let num = v.len() as isize;
    let mut low = 0isize;
    let mut high = num - 1;
    if let Some(p) = piv.as_deref_mut() {
        while p.n > 0 {
            let top = p.stack[p.n - 1];
            if top > kth {
                high = top - 1;
                break;
            } else if top == kth {
                return;
            }
            low = top + 1;
            p.n -= 1;
        }
    }
    if kth - low < 3 {
        if low >= 0 && high >= low && (high as usize) < v.len() {
            dumb_select(&mut v[low as usize..=high as usize], kth - low, less);
        }
        store_pivot(kth, kth, &mut piv);
        return;
    } else if inexact && kth == num - 1 {
        let mut maxidx = low;
        let Some(mut maxval) = get(v, low) else {
            return;
        };
        for k in (low + 1)..num {
            let x = v[k as usize];
            if !less(x, maxval) {
                maxidx = k;
                maxval = x;
            }
        }
        swap(v, kth, maxidx);
        return;
    }
    let mut depth_limit = 2 * (usize::BITS - 1 - (num.max(1) as usize).leading_zeros()) as i64;
    while low + 1 < high {
        let mut ll = low + 1;
        let mut hh = high;
        if depth_limit > 0 || hh - ll < 5 {
            let mid = low + (high - low) / 2;
            median3_swap(v, low, mid, high, less);
        } else {
            let off = match v.get_mut(ll as usize..) {
                Some(tail) => median_of_median5(tail, hh - ll, less, inexact),
                None => 0,
            };
            swap(v, ll + off, low);
            ll -= 1;
            hh += 1;
        }
        depth_limit -= 1;
        let Some(pivot) = get(v, low) else {
            return;
        };
        unguarded_partition(v, pivot, &mut ll, &mut hh, less);
        swap(v, low, hh);
        if hh != kth {
            store_pivot(hh, kth, &mut piv);
        }
        if hh >= kth {
            high = hh - 1;
        }
        if hh <= kth {
            low = ll;
        }
    }
    if high == low + 1 {
        if let (Some(a), Some(b)) = (get(v, high), get(v, low)) {
            if less(a, b) {
                swap(v, high, low);
            }
        }
    }
    store_pivot(kth, kth, &mut piv);
}

/// Any NaN as the canonical quiet NaN (Python/JSON cannot tell NaNs apart; numpy's own NaN
/// sign depends on how it arose).
fn canon_nan(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else {
        x
    }
}

fn stats_float<T: NpFloat>(x: &[T]) -> ArrayStats {
    let n = x.len();
    let nf = n as f64;
    let sum = np_sum(x, &|v: T| v);
    // ret.dtype.type(ret / rcount): rcount is an intp scalar → float64 division, cast back.
    let mean = T::from_f64(sum.to_f64() / nf);
    let sq = np_sum(x, &|v: T| {
        let d = v - mean;
        d * d
    });
    let var = T::from_f64(sq.to_f64() / nf);
    let (mn, mx) = np_min_max(x);

    let mut ps = [f64::NAN; 4];
    // NaN sorts last; numpy then returns the NaN as every percentile.
    if !x.iter().any(|v| v.is_nan()) {
        let idx: Vec<(i64, i64, f64)> = QS.iter().map(|&q| quantile_indices(n, q)).collect();
        // Values that compare equal are bit-identical unless both 0.0 and -0.0 occur; only
        // then does numpy's exact partition order matter (one fresh copy per np.percentile
        // call, as the SDK makes four calls). Otherwise any selection gives numpy's values.
        let mixed_zeros = x
            .iter()
            .any(|&v| v == T::ZERO && v.to_f64().is_sign_positive())
            && x.iter()
                .any(|&v| v == T::ZERO && v.to_f64().is_sign_negative());
        let ab: Vec<(T, T)> = if mixed_zeros {
            idx.iter()
                .map(|&(prev, next, _)| {
                    let mut work = x.to_vec();
                    np_partition(
                        &mut work,
                        &[0, -1, prev, next],
                        &|a: T, b: T| float_less(a, b),
                        true,
                    );
                    (work[resolve(prev, n)], work[resolve(next, n)])
                })
                .collect()
        } else {
            let positions: Vec<usize> = idx
                .iter()
                .flat_map(|&(p, nx, _)| [resolve(p, n), resolve(nx, n)])
                .collect();
            let mut work = x.to_vec();
            let vals = select_positions(&mut work, &positions, |a: &T, b: &T| {
                a.to_f64().total_cmp(&b.to_f64())
            });
            vals.chunks(2).map(|c| (c[0], c[1])).collect()
        };
        for (j, (&(_, _, t), &(a, b))) in idx.iter().zip(&ab).enumerate() {
            let diff = b - a;
            let mut r = a + diff * T::from_f64(t);
            if t >= 0.5 {
                r = b - diff * T::from_f64(1.0 - t);
            }
            ps[j] = r.to_f64();
        }
    }
    ArrayStats {
        var: canon_nan(var.to_f64()),
        mean: canon_nan(mean.to_f64()),
        min: canon_nan(mn.to_f64()),
        max: canon_nan(mx.to_f64()),
        p10: canon_nan(ps[0]),
        p25: canon_nan(ps[1]),
        p75: canon_nan(ps[2]),
        p90: canon_nan(ps[3]),
        size: n,
        min_value: StatValue::Float(canon_nan(mn.to_f64())),
        max_value: StatValue::Float(canon_nan(mx.to_f64())),
    }
}

fn stats_int<I: NpInt>(x: &[I]) -> ArrayStats {
    let n = x.len();
    let nf = n as f64;
    let sum = np_sum_cast_f64(x);
    let mean = sum / nf;
    // x = arr - arrmean (float64 array, no buffering), squared, pairwise-summed.
    let sq = np_sum(x, &|v: I| {
        let d = v.to_f64() - mean;
        d * d
    });
    let var = sq / nf;
    let (mn, mx) = int_min_max(x);
    let idx: Vec<(i64, i64, f64)> = QS.iter().map(|&q| quantile_indices(n, q)).collect();
    let positions: Vec<usize> = idx
        .iter()
        .flat_map(|&(p, nx, _)| [resolve(p, n), resolve(nx, n)])
        .collect();
    let mut work = x.to_vec();
    let vals = select_positions(&mut work, &positions, |a: &I, b: &I| {
        a.to_i128().cmp(&b.to_i128())
    });
    let mut ps = [0.0f64; 4];
    for (j, &(_, _, t)) in idx.iter().enumerate() {
        let a = vals[2 * j];
        let b = vals[2 * j + 1];
        let diff = i128_to_f64(wrap_sub(b, a));
        let mut r = a.to_f64() + diff * t;
        if t >= 0.5 {
            r = b.to_f64() - diff * (1.0 - t);
        }
        ps[j] = r;
    }
    ArrayStats {
        var,
        mean,
        min: mn.stat_value().as_f64(),
        max: mx.stat_value().as_f64(),
        p10: ps[0],
        p25: ps[1],
        p75: ps[2],
        p90: ps[3],
        size: n,
        min_value: mn.stat_value(),
        max_value: mx.stat_value(),
    }
}

#[cfg(test)]
mod tests {
    //! Expected values were produced by numpy 2.4.6 (x86-64, AVX-512) and the wandb 0.31.0
    //! SDK code paths (`np.histogram`, `maybe_compress_summary`); floats are written as Python
    //! printed them (`repr`), which Rust parses to the identical f64.
    use super::*;

    #[test]
    fn parallel_histogram_equals_serial_pass() {
        // 3M elements (above PAR_MIN; 3000 under Miri, where PAR_MIN is 1024): per-chunk
        // min/max and counts must give exactly the serial pass's result, including the values
        // sitting on bin edges.
        let n = if cfg!(miri) { 3_000 } else { 3_000_000 };
        let mut st = 12345u64;
        let mut next = || {
            st = st
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (st >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut x: Vec<f32> = (0..n).map(|_| (next() * 10.0 - 3.0) as f32).collect();
        x[n / 2] = -3.0;
        x[n - 1] = 7.0;
        for k in 0..64 {
            x[k * (n / 3000) * 1000 / 64 + 7] = -3.0 + 10.0 * k as f32 / 64.0;
        }
        let (mn, mx) = min_max_nan_free(&x);
        let edges = linspace(mn, mx, 64);
        let serial = assign(&x, |v| v, mn, mx, mx - mn, &edges, 64).unwrap();
        let h = np_histogram(HistData::F32(&x), 64).unwrap();
        assert_eq!(h.counts, serial);
        assert_eq!(h.counts.iter().sum::<i64>(), n as i64);
        let xi: Vec<i64> = x.iter().map(|&v| (v * 1000.0) as i64).collect();
        let (a, b) = int_min_max(&xi);
        let (fa, fb) = (a as f64, b as f64);
        let edges = linspace(fa, fb, 64);
        let serial = assign(&xi, |v| v as f64, fa, fb, (b - a) as f64, &edges, 64).unwrap();
        assert_eq!(np_histogram(HistData::I64(&xi), 64).unwrap().counts, serial);
        // a NaN anywhere is numpy's range error, whichever chunk holds it
        x[n - 10] = f32::NAN;
        assert_eq!(
            np_histogram(HistData::F32(&x), 64).unwrap_err(),
            "autodetected range of [nan, nan] is not finite"
        );
    }

    /// `Ok((counts, edge bits))` or the error text, for exact comparisons.
    fn outcome(r: Result<NpHistogram, String>) -> Result<(Vec<i64>, Vec<u64>), String> {
        r.map(|h| (h.counts, bits(&h.edges)))
    }

    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut st = seed | 1;
        move || {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            st
        }
    }

    /// bf16 test inputs: (name, bit patterns) — model-like normal data, arbitrary finite bit
    /// patterns, integers on bin edges, one value, tiny/huge ranges, signed zeros, and each
    /// with a NaN or an infinity planted.
    fn bf16_cases(len: usize, seed: u64) -> Vec<(String, Vec<u16>)> {
        let mut r = xorshift(seed);
        let mut normal = || {
            // sum of 4 uniforms, scaled: roughly normal, like weights
            let u: f64 = (0..4)
                .map(|_| (r() >> 11) as f64 / (1u64 << 53) as f64)
                .sum();
            (((u - 2.0) * 1.7) as f32).to_bits()
        };
        let bf = |f: u32| (f >> 16) as u16;
        let mut out: Vec<(String, Vec<u16>)> = Vec::new();
        out.push(("normal".into(), (0..len).map(|_| bf(normal())).collect()));
        let mut r2 = xorshift(seed ^ 0x55);
        out.push((
            "finite bit patterns".into(),
            (0..len)
                .map(|_| (r2() >> 40) as u16)
                .map(|b| {
                    if (b >> 7) & 0xff == 0xff {
                        b & 0x807f
                    } else {
                        b
                    }
                })
                .collect(),
        ));
        out.push((
            "small integers".into(),
            (0..len)
                .map(|i| bf(((i % 129) as f32 + 1.0).to_bits()))
                .collect(),
        ));
        out.push(("one value".into(), vec![bf(3.5f32.to_bits()); len]));
        out.push((
            "subnormal range".into(),
            (0..len).map(|i| (1 + i % 100) as u16).collect(),
        ));
        out.push((
            "huge range".into(),
            (0..len)
                .map(|i| if i % 2 == 0 { 0x7f7f } else { 0xff7f } ^ (i % 7) as u16)
                .collect(),
        ));
        out.push((
            "signed zeros".into(),
            (0..len).map(|i| [0x8000, 0x0000, 0x3f80][i % 3]).collect(),
        ));
        out.push((
            "positive with a zero min".into(),
            (0..len)
                .map(|i| {
                    if i == len / 3 {
                        0
                    } else {
                        0x3f80 + (i % 50) as u16
                    }
                })
                .collect(),
        ));
        // Every bfloat16 value between two bounds (the bounds become the min and max), for
        // ranges where numpy's index needs its +1 (first three, all bin counts) or −1 (last
        // three, 64/512 bins; 0x02c8..0x0e13 with 7) edge correction for some value — found
        // with numpy float32 arithmetic over random ranges.
        for (ka, kb) in [
            (0x3d7bu16, 0x48c0u16),
            (0x4195, 0x4ce0),
            (0x3ed0, 0x49ee),
            (0x388b, 0x4438),
            (0x54c1, 0x602c),
            (0x02c8, 0x0e13),
        ] {
            let all: Vec<u16> = (ka..=kb).collect();
            out.push((
                format!("every value in {ka:#x}..={kb:#x}"),
                all.iter()
                    .cycle()
                    .take(len.max(all.len()))
                    .copied()
                    .collect(),
            ));
        }
        let base = out[0].1.clone();
        for (name, planted) in [
            ("NaN", 0x7fc1u16),
            ("-NaN", 0xffc1),
            ("+inf", 0x7f80),
            ("-inf", 0xff80),
        ] {
            let mut v = base.clone();
            let at = (seed as usize).wrapping_mul(7919) % len;
            v[at] = planted;
            out.push((format!("normal with {name}"), v));
        }
        out
    }

    #[test]
    fn bfloat16_histogram_is_the_float32_histogram_of_the_widened_values() {
        // Both bf16 paths (below and above BF16_TABLE_MIN, and the parallel table path)
        // against the float32 path on the widened copy: same counts, edges and errors.
        let sizes: &[usize] = if cfg!(miri) {
            &[1, 300]
        } else {
            &[1, 2, 1000, BF16_TABLE_MIN - 1, BF16_TABLE_MIN, 3_000_000]
        };
        // (Miri: 64 bins and every third case — the table path alone is ~10^5 interpreted
        // steps per call)
        let bin_counts: &[usize] = if cfg!(miri) { &[64] } else { &[1, 7, 64, 512] };
        let mut checked = 0;
        for (si, &len) in sizes.iter().enumerate() {
            let cases = bf16_cases(len, 0x9e37 + si as u64);
            for (name, mut b) in cases.into_iter().step_by(step_of_cases()) {
                if cfg!(miri) {
                    b.truncate(600);
                }
                let w: Vec<f32> = b.iter().map(|&v| crate::tensor::bf16_to_f32(v)).collect();
                for &bins in bin_counts {
                    assert_eq!(
                        outcome(np_histogram(HistData::BF16(&b), bins)),
                        outcome(np_histogram(HistData::F32(&w), bins)),
                        "{name}, {len} values, {bins} bins"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(
            checked,
            sizes.len() * 18usize.div_ceil(step_of_cases()) * bin_counts.len()
        );
    }

    fn step_of_cases() -> usize {
        if cfg!(miri) {
            3
        } else {
            1
        }
    }

    #[test]
    fn isa_variants_agree() {
        // Base (SSE2), AVX2 and AVX-512 instances of the kernels: identical results for every
        // dtype, including values on bin edges, NaN (errors) and ±0 (only the ISAs this CPU
        // has are forced; the others fall back to detection and repeat a checked variant).
        let len = if cfg!(miri) { 600 } else { 300_000 };
        let mut r = xorshift(77);
        let f64s: Vec<f64> = (0..len)
            .map(|i| match i % 97 {
                0 => -3.0,
                1 => 5.0,
                2 => -3.0 + 8.0 * (i % 64) as f64 / 64.0,
                _ => (r() >> 11) as f64 / (1u64 << 53) as f64 * 8.0 - 3.0,
            })
            .collect();
        let f32s: Vec<f32> = f64s.iter().map(|&v| v as f32).collect();
        let i64s: Vec<i64> = f64s.iter().map(|&v| (v * 1e6) as i64).collect();
        let i32s: Vec<i32> = f64s.iter().map(|&v| (v * 1e3) as i32).collect();
        let u64s: Vec<u64> = i64s.iter().map(|&v| (v as u64) << 1).collect();
        let bf: Vec<u16> = f32s.iter().map(|v| (v.to_bits() >> 16) as u16).collect();
        let mut with_nan = f32s.clone();
        with_nan[len / 2] = f32::NAN;
        let mut zeros = f64s.clone();
        zeros.iter_mut().for_each(|v| *v = v.max(0.0));
        zeros[3] = -0.0;
        let run = || {
            let mut all = Vec::new();
            for bins in [1usize, 64, 500] {
                all.push(outcome(np_histogram(HistData::F64(&f64s), bins)));
                all.push(outcome(np_histogram(HistData::F32(&f32s), bins)));
                all.push(outcome(np_histogram(HistData::I64(&i64s), bins)));
                all.push(outcome(np_histogram(HistData::I32(&i32s), bins)));
                all.push(outcome(np_histogram(HistData::U64(&u64s), bins)));
                all.push(outcome(np_histogram(HistData::BF16(&bf), bins)));
                all.push(outcome(np_histogram(
                    HistData::BF16(&bf[..len.min(1000)]),
                    bins,
                )));
                all.push(outcome(np_histogram(HistData::F32(&with_nan), bins)));
                all.push(outcome(np_histogram(HistData::F64(&zeros), bins)));
            }
            all
        };
        let mut results = Vec::new();
        // (under Miri `isa()` is always Base: one pass)
        let forced: &[u8] = if cfg!(miri) { &[1] } else { &[1, 2, 3] };
        for &force in forced {
            FORCE_ISA.store(force, std::sync::atomic::Ordering::Relaxed);
            results.push((force, isa(), run()));
        }
        FORCE_ISA.store(0, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(results[0].1, Isa::Base);
        for (force, which, res) in &results[1..] {
            assert!(
                res == &results[0].2,
                "forced {force} ({which:?}) differs from Base"
            );
        }
        assert!(results[0].2.iter().filter(|r| r.is_err()).count() >= 3);
    }

    fn hist(d: HistData<'_>, n: usize) -> (Vec<i64>, Vec<f64>) {
        let h = np_histogram(d, n).unwrap();
        (h.counts, h.edges)
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn spec_8_2_table() {
        let (c, e) = hist(HistData::I64(&[1, 2, 3, 4]), 3);
        assert_eq!((c, e), (vec![1, 1, 2], vec![1.0, 2.0, 3.0, 4.0]));
        let (c, e) = hist(HistData::F64(&[]), 4);
        assert_eq!((c, e), (vec![0; 4], vec![0.0, 0.25, 0.5, 0.75, 1.0]));
        let (c, e) = hist(HistData::I64(&[5]), 4);
        assert_eq!((c, e), (vec![0, 0, 1, 0], vec![4.5, 4.75, 5.0, 5.25, 5.5]));
        let (c, e) = hist(HistData::I64(&[0, 0]), 2);
        assert_eq!((c, e), (vec![0, 2], vec![-0.5, 0.0, 0.5]));
        let (c, e) = hist(HistData::F64(&[-3.0, -1.0, 0.5, 2.0]), 5);
        assert_eq!(
            (c, e),
            (vec![1, 0, 1, 1, 1], vec![-3.0, -2.0, -1.0, 0.0, 1.0, 2.0])
        );
        let grid = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
        let (c, e) = hist(HistData::F64(&grid), 10);
        assert_eq!(c, vec![1, 1, 2, 0, 1, 2, 1, 0, 1, 2]);
        let exp = [
            0.0,
            0.1,
            0.2,
            0.30000000000000004,
            0.4,
            0.5,
            0.6000000000000001,
            0.7000000000000001,
            0.8,
            0.9,
            1.0,
        ];
        assert_eq!(bits(&e), bits(&exp));
        let (c, e) = hist(HistData::F32(&[0.1, 0.2, 0.7]), 3);
        assert_eq!(c, vec![2, 0, 1]);
        let exp = [
            0.10000000149011612,
            0.29999998211860657,
            0.4999999701976776,
            0.699999988079071,
        ];
        assert_eq!(bits(&e), bits(&exp));
        let (c, e) = hist(HistData::F64(&[1.0, 1.0 + 1e-15]), 4);
        assert_eq!(c, vec![1, 0, 0, 1]);
        let exp = [
            1.0,
            1.0000000000000002,
            1.0000000000000004,
            1.0000000000000009,
            1.000000000000001,
        ];
        assert_eq!(bits(&e), bits(&exp));
    }

    #[test]
    fn spec_8_4_history_and_summary() {
        let ones = [1.0f64; 36];
        let (c, e) = hist(HistData::F64(&ones), 32);
        let mut exp = vec![0i64; 32];
        exp[16] = 36;
        assert_eq!(c, exp);
        assert_eq!((e[0], e[1], e[31], e[32]), (0.5, 0.53125, 1.46875, 1.5));

        let a: Vec<i64> = (0..40).collect();
        let s = try_array_stats(HistData::I64(&a)).unwrap();
        assert_eq!(
            s,
            ArrayStats {
                var: 133.25,
                mean: 19.5,
                min: 0.0,
                max: 39.0,
                p10: 3.9000000000000004,
                p25: 9.75,
                p75: 29.25,
                p90: 35.1,
                size: 40,
                min_value: StatValue::Int(0),
                max_value: StatValue::Int(39),
            }
        );
    }

    #[test]
    fn errors_match_numpy() {
        assert_eq!(
            np_histogram(HistData::F64(&[1.0]), 0).unwrap_err(),
            "`bins` must be positive, when an integer"
        );
        assert_eq!(
            np_histogram(HistData::F64(&[1.0, f64::NAN]), 3).unwrap_err(),
            "autodetected range of [nan, nan] is not finite"
        );
        assert_eq!(
            np_histogram(HistData::F64(&[-f64::INFINITY, 1e20]), 3).unwrap_err(),
            "autodetected range of [-inf, 1e+20] is not finite"
        );
        // float32 scalars are formatted through Python float (widened value).
        assert_eq!(
            np_histogram(HistData::F32(&[1e20, -f32::INFINITY]), 3).unwrap_err(),
            "autodetected range of [-inf, 1.0000000200408773e+20] is not finite"
        );
        // float32 min == max: the ±0.5 expansion happens in float32 (1e8 ± 0.5 == 1e8).
        assert_eq!(
            np_histogram(HistData::F32(&[1e8]), 2).unwrap_err(),
            "Too many bins for data range. Cannot create 2 finite-sized bins."
        );
        let (c, e) = hist(HistData::F64(&[1e8]), 2);
        assert_eq!(
            (c, e),
            (vec![0, 1], vec![99999999.5, 100000000.0, 100000000.5])
        );
        assert!(try_array_stats(HistData::F64(&[])).is_err());
        assert_eq!(array_stats(HistData::F64(&[])).size, 0);
        assert!(try_array_stats(HistData::Bool(&[true; 40])).is_err());
        assert!(array_stats(HistData::Bool(&[true; 40])).var.is_nan());
        // Range overflowing to inf with one bin: numpy raises IndexError.
        assert!(np_histogram(HistData::F64(&[-1e308, 1e308]), 1).is_err());
    }

    #[test]
    fn dtype_specific_edges() {
        let (c, e) = hist(HistData::F32(&[]), 7);
        assert_eq!(c, vec![0; 7]);
        let exp = [
            0.0,
            0.1428571492433548,
            0.2857142984867096,
            0.4285714328289032,
            0.5714285969734192,
            0.7142857313156128,
            0.8571428656578064,
            1.0,
        ];
        assert_eq!(bits(&e), bits(&exp));
        let (c, e) = hist(HistData::Bool(&[true, false, true]), 3);
        assert_eq!(
            (c, e),
            (
                vec![1, 0, 2],
                vec![0.0, 0.3333333333333333, 0.6666666666666666, 1.0]
            )
        );
        let (c, e) = hist(HistData::U64(&[u64::MAX, 0, 1 << 63, 12345]), 4);
        assert_eq!(c, vec![2, 0, 1, 1]);
        assert_eq!(
            e,
            vec![
                0.0,
                4.611686018427388e+18,
                9.223372036854776e+18,
                1.3835058055282164e+19,
                1.8446744073709552e+19
            ]
        );
        // Sign of a zero max decides the sign of the last edge (numpy's AVX-512 reduction).
        let (_, e) = hist(HistData::F64(&[-1.0, 0.0, -0.0].repeat(20)), 4);
        assert_eq!(e[4].to_bits(), (-0.0f64).to_bits());
        let (_, e) = hist(HistData::F64(&[-1.0, -0.0, 0.0].repeat(20)), 4);
        assert_eq!(e[4].to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn signed_zero_min_max() {
        let s = try_array_stats(HistData::F64(&[0.0, -0.0].repeat(20))).unwrap();
        assert_eq!(s.min_value, StatValue::Float(-0.0));
        assert!(matches!(s.min_value, StatValue::Float(v) if v.is_sign_negative()));
        assert!(matches!(s.max_value, StatValue::Float(v) if v.is_sign_negative()));
        let s = try_array_stats(HistData::F64(&[-0.0, 0.0].repeat(20))).unwrap();
        assert!(matches!(s.min_value, StatValue::Float(v) if v.is_sign_positive()));
        assert!(matches!(s.max_value, StatValue::Float(v) if v.is_sign_positive()));
    }

    /// Deterministic data, exact in both languages: uniform(-0.5, 0.5) · 2^(k−20).
    fn lcg_f64(n: usize) -> Vec<f64> {
        let mut s: u64 = 777;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let k = ((s >> 3) % 40) as i64 - 20;
                let scale = f64::from_bits(((1023 + k) as u64) << 52);
                ((s >> 11) as f64 / 9007199254740992.0 - 0.5) * scale
            })
            .collect()
    }

    #[test]
    fn pairwise_sums_and_percentiles_f64() {
        let x = lcg_f64(3000);
        let s = try_array_stats(HistData::F64(&x)).unwrap();
        // naive left-to-right summation would give a mean of -394.66851419442366
        assert_eq!(s.mean, -394.6685141944244);
        assert_eq!(s.var, 740243284.4581305);
        assert_eq!(s.min_value, StatValue::Float(-250936.56597709708));
        assert_eq!(s.min, -250936.56597709708);
        assert_eq!(s.max_value, StatValue::Float(250228.20866625226));
        assert_eq!(
            [s.p10, s.p25, s.p75, s.p90],
            [
                -482.4342633015239,
                -0.11290932847453959,
                0.17619693117657784,
                558.2649919814069
            ]
        );
        let (c, e) = hist(HistData::F64(&x), 16);
        assert_eq!(
            c,
            vec![7, 2, 8, 8, 8, 19, 40, 229, 2598, 37, 13, 10, 9, 2, 3, 7]
        );
        assert_eq!(e[8], -354.17865542240907);
        assert_eq!(e[9], 30968.619759786932);
    }

    #[test]
    fn float32_statistics() {
        let x: Vec<f32> = lcg_f64(3000).iter().map(|&v| v as f32).collect();
        let s = try_array_stats(HistData::F32(&x)).unwrap();
        // naive float32 summation would give -394.668212890625
        assert_eq!(s.mean, -394.66845703125);
        assert_eq!(s.var, 740243264.0);
        assert_eq!(
            [s.p10, s.p25, s.p75, s.p90],
            [
                -482.43426513671875,
                -0.11290933191776276,
                0.17619693279266357,
                558.2650146484375
            ]
        );
    }

    #[test]
    fn integer_statistics() {
        // int8 percentile arithmetic wraps like numpy: 127 - (-128) == -1 in int8.
        let mut a = vec![-128i8; 10];
        a.extend([127i8; 28]);
        let s = try_array_stats(HistData::I8(&a)).unwrap();
        assert_eq!(s.var, 12608.725761772854);
        assert_eq!(s.mean, 59.89473684210526);
        assert_eq!(
            (s.min_value, s.max_value),
            (StatValue::Int(-128), StatValue::Int(127))
        );
        assert_eq!(
            [s.p10, s.p25, s.p75, s.p90],
            [-128.0, -128.25, 127.0, 127.0]
        );

        let u = [u64::MAX, 0, 1 << 63].repeat(12);
        let s = try_array_stats(HistData::U64(&u)).unwrap();
        assert_eq!(s.var, 5.671372782015641e+37);
        assert_eq!(s.mean, 9.223372036854776e+18);
        assert_eq!(
            (s.min_value, s.max_value),
            (StatValue::UInt(0), StatValue::UInt(u64::MAX))
        );
        assert_eq!(
            [s.p10, s.p25, s.p75, s.p90],
            [0.0, 0.0, 1.8446744073709552e+19, 1.8446744073709552e+19]
        );

        let i = [i64::MAX, i64::MIN, 5].repeat(12);
        let s = try_array_stats(HistData::I64(&i)).unwrap();
        assert_eq!(s.mean, 0.1388888888888889);
        assert_eq!(s.var, 5.671372782015641e+37);
        assert_eq!(
            (s.min_value, s.max_value),
            (StatValue::Int(i64::MIN), StatValue::Int(i64::MAX))
        );
        assert_eq!(
            [s.p10, s.p25, s.p75, s.p90],
            [
                -9.223372036854776e+18,
                -9.223372036854776e+18,
                9.223372036854776e+18,
                9.223372036854776e+18
            ]
        );
    }

    #[test]
    fn no_panics_on_odd_inputs() {
        for n in [1usize, 2, 3, 64, 513, 5000] {
            for d in [
                vec![f64::MAX, f64::MIN],
                vec![f64::MIN_POSITIVE, -f64::MIN_POSITIVE, 5e-324],
                vec![0.0, -0.0],
                vec![f64::INFINITY],
                vec![1e300; 3],
            ] {
                let _ = np_histogram(HistData::F64(&d), n);
                let _ = array_stats(HistData::F64(&d));
            }
            let _ = np_histogram(HistData::F32(&[f32::MAX, f32::MIN]), n);
            let _ = np_histogram(HistData::F32(&[1e-45, -1e-45, 0.0]), n);
        }
    }
}
