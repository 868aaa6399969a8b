//! `html` (not built yet).
