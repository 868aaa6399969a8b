//! `boxes` (not built yet).
