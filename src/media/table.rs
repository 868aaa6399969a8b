//! `table` (not built yet).
