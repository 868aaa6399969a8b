//! `video` (not built yet).
