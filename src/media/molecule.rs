//! `molecule` (not built yet).
