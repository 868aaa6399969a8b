//! C ABI: `run` (not built yet).
