//! Offline run writer (not built yet).
