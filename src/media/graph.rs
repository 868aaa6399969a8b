//! `graph` (not built yet).
