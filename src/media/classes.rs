//! `classes` (not built yet).
