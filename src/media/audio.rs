//! `audio` (not built yet).
