//! `object3d` (not built yet).
