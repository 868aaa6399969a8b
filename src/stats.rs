//! STUB (replaced by the numeric helper): numpy.histogram and summary statistics.
pub enum HistData<'a> {
    F64(&'a [f64]),
    F32(&'a [f32]),
}
pub struct NpHistogram {
    pub counts: Vec<i64>,
    pub edges: Vec<f64>,
}
pub fn np_histogram(data: HistData<'_>, num_bins: usize) -> Result<NpHistogram, String> {
    let _ = (data, num_bins);
    Err("not implemented".into())
}
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
}
pub fn array_stats(data: HistData<'_>) -> ArrayStats {
    let _ = data;
    ArrayStats {
        var: 0.0,
        mean: 0.0,
        min: 0.0,
        max: 0.0,
        p10: 0.0,
        p25: 0.0,
        p75: 0.0,
        p90: 0.0,
        size: 0,
    }
}
