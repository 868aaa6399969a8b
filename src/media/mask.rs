//! `mask` (not built yet).
