//! C ABI: `table` (not built yet).
