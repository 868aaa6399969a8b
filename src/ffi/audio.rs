//! C ABI: `audio` (not built yet).
