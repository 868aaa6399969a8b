//! Where the H.264 encoder comes from, chosen by cargo features:
//!
//! * `h264-source` (default): OpenH264 compiled from its bundled source by the `openh264`
//!   crate and linked into the library.
//! * `h264-dynamic`: Cisco's prebuilt `libopenh264` (or `openh264-<ver>-win64.dll`), loaded
//!   at run time from the path in the environment variable [`LIBRARY_ENV`]. Only files whose
//!   SHA-256 is one of Cisco's published 2.6.0 binaries are loaded (the `openh264` crate's
//!   list), unless [`ALLOW_UNKNOWN_ENV`]`=1` (own builds, e.g. the tests' source-built stand-in).
//!   The library is loaded once per process and kept.
//! * neither: no H.264 encoder; MP4 encoding fails with `WB_ERR_UNSUPPORTED` and this message,
//!   GIF still works.
//!
//! With both features, a set [`LIBRARY_ENV`] selects the runtime-loaded library.

#[cfg(feature = "h264-dynamic")]
use std::sync::OnceLock;

/// Path of the OpenH264 shared library (`h264-dynamic` builds).
pub const LIBRARY_ENV: &str = "WANDB_MEDIA_OPENH264_LIBRARY";
/// `1`: load a library whose hash is not one of Cisco's published binaries.
pub const ALLOW_UNKNOWN_ENV: &str = "WANDB_MEDIA_OPENH264_ALLOW_UNKNOWN";

/// Whether this build can encode H.264 at all (either feature).
pub const AVAILABLE: bool = cfg!(any(feature = "h264-source", feature = "h264-dynamic"));

/// The OpenH264 API to create an encoder with, or why there is none.
pub fn api() -> Result<openh264::OpenH264API, String> {
    #[cfg(all(feature = "h264-dynamic", feature = "h264-source"))]
    {
        if std::env::var_os(LIBRARY_ENV).is_some_and(|v| !v.is_empty()) {
            dynamic()
        } else {
            Ok(openh264::OpenH264API::from_source())
        }
    }
    #[cfg(all(feature = "h264-dynamic", not(feature = "h264-source")))]
    {
        dynamic()
    }
    #[cfg(all(feature = "h264-source", not(feature = "h264-dynamic")))]
    {
        Ok(openh264::OpenH264API::from_source())
    }
    #[cfg(not(any(feature = "h264-source", feature = "h264-dynamic")))]
    {
        Err(
            "this build of wandb_media has no H.264 encoder (built without the cargo \
             features `h264-source` and `h264-dynamic`); use the GIF format"
                .into(),
        )
    }
}

#[cfg(feature = "h264-dynamic")]
fn dynamic() -> Result<openh264::OpenH264API, String> {
    use openh264::OpenH264API;
    // The path that loaded (or the error), once per process: libloading keeps each load
    // referenced, so loading again per encoder is cheap but re-hashing the file is not.
    static LOADED: OnceLock<Result<std::ffi::OsString, String>> = OnceLock::new();
    let path = LOADED
        .get_or_init(|| {
            let Some(path) = std::env::var_os(LIBRARY_ENV).filter(|v| !v.is_empty()) else {
                return Err(format!(
                    "this build loads OpenH264 at run time: set {LIBRARY_ENV} to the path of \
                     Cisco's prebuilt library (libopenh264-2.6.0-linux64.8.so, \
                     openh264-2.6.0-win64.dll, ... from http://www.openh264.org/)"
                ));
            };
            let allow_unknown = std::env::var(ALLOW_UNKNOWN_ENV).is_ok_and(|v| v == "1");
            let r = if allow_unknown {
                // SAFETY: the caller vouches (ALLOW_UNKNOWN=1) that the file is an OpenH264
                // 2.x library for this platform, whose C ABI the crate's bindings describe.
                unsafe { OpenH264API::from_blob_path_unchecked(&path) }
            } else {
                OpenH264API::from_blob_path(&path)
            };
            match r {
                Ok(_) => Ok(path),
                Err(e) => Err(format!(
                    "cannot load OpenH264 from {LIBRARY_ENV}={}: {e}{}",
                    path.to_string_lossy(),
                    if allow_unknown {
                        String::new()
                    } else {
                        format!(
                            " (only Cisco's published binaries are accepted unless \
                             {ALLOW_UNKNOWN_ENV}=1)"
                        )
                    }
                )),
            }
        })
        .clone()?;
    // SAFETY: this exact file was validated (hash, or the caller's ALLOW_UNKNOWN) above.
    unsafe { OpenH264API::from_blob_path_unchecked(&path) }
        .map_err(|e| format!("cannot load OpenH264 from {}: {e}", path.to_string_lossy()))
}
