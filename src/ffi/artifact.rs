//! C ABI: `wb_run_save` (`run.save`) and generic artifacts (`wb_artifact_*`,
//! `wb_run_log_artifact`). Logic in `crate::run::artifact`.

use std::ffi::c_char;
use std::path::Path;

use super::run::wb_run;
use super::{deref, deref_mut, guard, null_arg, utf8_arg, wb_error, wb_status, write_out};
use crate::error::{Error, Result};
use crate::run::artifact::{Artifact, SavePolicy};

/// `run.save(policy=)`: when the saved file is uploaded.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_save_policy {
    /// As it changes (the SDK's default).
    WB_SAVE_LIVE = 0,
    /// Once, now.
    WB_SAVE_NOW = 1,
    /// At the end of the run.
    WB_SAVE_END = 2,
}

/// `run.save(glob_str, base_path=, policy=)`: every file matching `glob` (a path or a Unix
/// glob; relative paths are relative to the current directory) is symlinked into the run's
/// files directory under its path relative to `base_path`, and one `files` record announces
/// them, so `wandb sync` uploads them. `base_path` NULL: the current directory for a relative
/// `glob`, the grandparent directory for an absolute one (as the SDK). A glob matching
/// nothing is not an error. If `count` is not NULL it receives the number of saved files.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_save(
    run: *mut wb_run,
    glob: *const c_char,
    base_path: *const c_char,
    policy: i32, // wb_save_policy in the header (any int is defined behaviour here)
    count: *mut usize,
    err: *mut wb_error,
) -> wb_status {
    super::guard_deep(err, unsafe { super::run::run_deep(run, false) }, || {
        let run = unsafe { deref(run, "run") }?;
        let glob = unsafe { utf8_arg(glob, "glob") }?;
        let base = if base_path.is_null() {
            None
        } else {
            Some(unsafe { utf8_arg(base_path, "base_path") }?)
        };
        let policy = match policy {
            0 => SavePolicy::Live,
            1 => SavePolicy::Now,
            2 => SavePolicy::End,
            v => return Err(Error::invalid(format!("policy: unknown value {v}"))),
        };
        let saved = run.inner.save(glob, base, policy)?;
        if !count.is_null() {
            // SAFETY: caller-provided out-parameter.
            unsafe { count.write(saved.len()) };
        }
        Ok(())
    })
}

/// A generic artifact being built (`wandb.Artifact(name, type)`): files and directories
/// with their names in the artifact, a description and metadata; logged with
/// `wb_run_log_artifact`. Files are read when the artifact is logged.
///
/// Ownership: created by `wb_artifact_new`, released by `wb_artifact_free`.
/// Thread-safety: not synchronised — mutate from one thread at a time; a finished artifact
/// may be logged from several threads at once.
pub struct wb_artifact {
    pub(crate) inner: Artifact,
}

/// `wandb.Artifact(name, type)`: `name` at most 128 characters without `/`; `type` (e.g.
/// "model", "dataset") without `/` `:`, not a reserved type. On success `*out` owns the
/// artifact (`wb_artifact_free`).
#[no_mangle]
pub unsafe extern "C" fn wb_artifact_new(
    name: *const c_char,
    type_: *const c_char,
    out: *mut *mut wb_artifact,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let name = unsafe { utf8_arg(name, "name") }?;
        let kind = unsafe { utf8_arg(type_, "type") }?;
        if out.is_null() {
            return Err(null_arg("out"));
        }
        let inner = Artifact::new(name, kind)?;
        unsafe { write_out(out, wb_artifact { inner }) };
        Ok(())
    })
}

/// Releases an artifact. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn wb_artifact_free(artifact: *mut wb_artifact) {
    if artifact.is_null() {
        return;
    }
    // SAFETY: from Box::into_raw in wb_artifact_new, freed once.
    super::guard_void(|| drop(unsafe { Box::from_raw(artifact) }));
}

/// `description=`.
#[no_mangle]
pub unsafe extern "C" fn wb_artifact_set_description(
    artifact: *mut wb_artifact,
    description: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let a = unsafe { deref_mut(artifact, "artifact") }?;
        a.inner
            .set_description(unsafe { utf8_arg(description, "description") }?);
        Ok(())
    })
}

/// `metadata=` as a JSON object text, e.g. `{"epoch":3,"acc":0.9}`.
#[no_mangle]
pub unsafe extern "C" fn wb_artifact_set_metadata_json(
    artifact: *mut wb_artifact,
    json: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let a = unsafe { deref_mut(artifact, "artifact") }?;
        a.inner
            .set_metadata_json(unsafe { utf8_arg(json, "json") }?)
    })
}

fn opt_name<'a>(p: *const c_char) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        Ok(Some(unsafe { utf8_arg(p, "name") }?))
    }
}

/// `artifact.add_file(path, name=)`: `name` (NULL = the file name) is the entry's path in
/// the artifact, e.g. "weights/model.bin". The file must be a regular file (links are
/// followed); it is read at log time, and its size now is what `wb_run_log_artifact` copies
/// (`WB_ERR_INVALID_ARGUMENT` then if the file changed size or is no longer a regular file).
#[no_mangle]
pub unsafe extern "C" fn wb_artifact_add_file(
    artifact: *mut wb_artifact,
    path: *const c_char,
    name: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let a = unsafe { deref_mut(artifact, "artifact") }?;
        let path = unsafe { utf8_arg(path, "path") }?;
        a.inner.add_file(Path::new(path), opt_name(name)?)
    })
}

/// `artifact.add_dir(path, name=)`: every file below the directory, as entries
/// `<name>/<relative path>` (`name` NULL or "": at the artifact's root).
#[no_mangle]
pub unsafe extern "C" fn wb_artifact_add_dir(
    artifact: *mut wb_artifact,
    path: *const c_char,
    name: *const c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let a = unsafe { deref_mut(artifact, "artifact") }?;
        let path = unsafe { utf8_arg(path, "path") }?;
        a.inner.add_dir(Path::new(path), opt_name(name)?)
    })
}

/// `run.log_artifact(artifact, aliases=)`: copies the artifact's files (MD5 computed while
/// copying; each opened without blocking, regular files of the size seen when added only)
/// to `<run dir>/tmp/artifacts/` and appends the SDK's artifact record (manifest
/// with base64-MD5 digests, aliases "latest" + `aliases`), which `wandb sync` uploads.
/// `aliases` may be NULL when `n_aliases` is 0; aliases must not contain `/` or `:`.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn wb_run_log_artifact(
    run: *mut wb_run,
    artifact: *const wb_artifact,
    aliases: *const *const c_char,
    n_aliases: usize,
    err: *mut wb_error,
) -> wb_status {
    super::guard_deep(err, unsafe { super::run::run_deep(run, false) }, || {
        let run = unsafe { deref(run, "run") }?;
        let a = unsafe { deref(artifact, "artifact") }?;
        if aliases.is_null() && n_aliases > 0 {
            return Err(null_arg("aliases"));
        }
        if n_aliases > 4096 {
            return Err(Error::invalid(format!(
                "n_aliases = {n_aliases} is too large"
            )));
        }
        let mut list = Vec::with_capacity(n_aliases);
        for i in 0..n_aliases {
            // SAFETY: `aliases` has `n_aliases` readable pointers.
            let p = unsafe { *aliases.add(i) };
            list.push(unsafe { utf8_arg(p, "aliases[i]") }?.to_string());
        }
        run.inner.log_artifact(&a.inner, &list)
    })
}
