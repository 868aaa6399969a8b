//! `plotly` (not built yet).
