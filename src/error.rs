//! The one error type of the crate and its kinds (mapped 1:1 to `wb_status` in the C ABI).

use std::fmt;

/// What went wrong, coarsely; the message says exactly what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A required pointer/handle was NULL.
    NullArgument,
    /// An argument has a bad value, shape, dtype or combination (what the SDK rejects too).
    InvalidArgument,
    /// A string was not valid UTF-8.
    InvalidUtf8,
    /// A size computation overflowed (shape × strides × item size, file sizes …).
    Overflow,
    /// Valid input that this library (or the SDK) cannot encode, e.g. `ogg` from a tensor.
    Unsupported,
    /// A filesystem operation failed.
    Io,
    /// An internal panic was caught at the boundary.
    Panic,
    /// The call does not fit the object's state (e.g. a finished writer).
    State,
    /// The server could not be reached, refused the request, or delivery did not finish
    /// in time (the message says which).
    Network,
}

/// An error with a kind and a human-readable message naming the bad argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong (the C API's `wb_status`).
    pub kind: ErrorKind,
    /// What the SDK would say, naming the argument or path.
    pub message: String,
}

/// The crate's `Result`: [`Error`] by default.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }
    /// [`ErrorKind::InvalidArgument`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }
    /// [`ErrorKind::Unsupported`].
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }
    /// [`ErrorKind::Overflow`].
    pub fn overflow(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Overflow, message)
    }
    /// [`ErrorKind::State`].
    pub fn state(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::State, message)
    }
    /// An I/O error, with the path or action it concerns. The reason comes first so that a
    /// long path truncated by a fixed-size message buffer never hides it.
    /// The context (usually a path) is printed with control characters escaped
    /// ([`crate::text_escape::escape`]): a file name cannot split or forge a message line.
    pub fn io(context: impl fmt::Display, err: std::io::Error) -> Self {
        let context = crate::text_escape::escape(&context.to_string());
        Self::new(ErrorKind::Io, format!("{err}: {context}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
