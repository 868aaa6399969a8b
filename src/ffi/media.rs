//! C ABI: `media` (not built yet).
