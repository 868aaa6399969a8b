//! C ABI: `video` (not built yet).
