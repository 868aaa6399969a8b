//! Pure encoders: pixels/samples/values in, bytes out. They know nothing about runs, keys or JSON.
pub mod bmp;
pub mod gif;
pub mod h264_backend;
pub mod jpeg;
pub mod mp4;
pub mod png;
pub mod wav;
