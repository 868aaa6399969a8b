//! Pure encoders: pixels/samples/values in, bytes out. They know nothing about runs, keys or JSON.
pub mod bmp;
pub mod jpeg;
pub mod png;
