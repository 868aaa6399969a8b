//! Files and generic artifacts of a run (wandb 0.31's `run.save` and `run.log_artifact` in
//! offline mode).
//!
//! * `run.save(glob, base_path, policy)`: every match is symlinked (absolute target) into
//!   the run's files directory under its path relative to `base_path` (hard link, then copy
//!   with `live` downgraded to `now` when symlinks fail, as the SDK does); one `files`
//!   record lists the saved paths with their policy, and `wandb sync` uploads them.
//! * `Artifact` + `run.log_artifact(artifact, aliases)`: the files are copied (streamed,
//!   MD5 computed on the way) to `<run dir>/tmp/artifacts/<client id>/<n>`, and one
//!   `ArtifactRecord` is written exactly like the SDK's: manifest entries sorted by path
//!   with base64-MD5 digests, sizes and absolute `local_path`s, manifest digest = MD5 of
//!   `wandb-artifact-manifest-v1\n` + `<path>:<digest>\n` per entry, aliases `latest` +
//!   the caller's, `finalize`, random 128-character client ids, `MANIFEST_MD5`.
//!   Unlike the SDK (which copies at `add_file` time), files are read when the artifact is
//!   logged: only regular files (checked at add time and again, on the opened file, at log
//!   time, opened without blocking so a path that became a FIFO cannot hang the call), and
//!   exactly the size seen at add time (a file whose size changed since is refused with a
//!   clear error, never copied without bound: a path that became a link to `/dev/zero` fails
//!   at once).

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use md5::{Digest, Md5};

use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::table::digest::base64;
use crate::media::table::random_id;
use crate::platform::{self, glob_sorted};
use crate::run::proto::{self, Msg};

/// `run.save(policy=)`: when `wandb sync` / the uploader sends the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SavePolicy {
    /// Uploaded as it changes (the SDK's default).
    #[default]
    Live,
    /// Uploaded once, now.
    Now,
    /// Uploaded at the end of the run.
    End,
}

impl SavePolicy {
    fn proto(self) -> i64 {
        match self {
            SavePolicy::Now => 0,
            SavePolicy::End => 1,
            SavePolicy::Live => 2,
        }
    }
}

/// `os.path.abspath`: absolute and lexically normalised (`.`/`..` removed, no symlinks
/// resolved).
fn abspath(p: &Path) -> Result<PathBuf> {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| Error::io("the current directory", e))?
            .join(p)
    };
    // The root ("/", or a Windows drive/UNC prefix plus "\\") is kept; ".." never pops it.
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => out.push(c),
            Component::ParentDir => {
                if out.file_name().is_some() {
                    out.pop();
                }
            }
            Component::Normal(x) => out.push(x),
            Component::CurDir => {}
        }
    }
    Ok(out)
}

/// Where `run.save` puts a match, and the policy it is announced with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// Path relative to the files directory.
    pub path: String,
    pub policy: SavePolicy,
}

/// `run.save(glob_str, base_path, policy)` on the files directory `files_root`: links the
/// matches in and returns what to announce (in the SDK's order).
pub fn save(
    files_root: &Path,
    glob_str: &str,
    base_path: Option<&str>,
    policy: SavePolicy,
) -> Result<Vec<Saved>> {
    if glob_str.is_empty() {
        return Err(Error::invalid("save(): the path must not be empty"));
    }
    let glob_path = Path::new(glob_str);
    let resolved = abspath(glob_path)?;
    let base = match base_path {
        Some(b) => abspath(Path::new(b))?,
        None if !glob_path.is_absolute() => abspath(Path::new("."))?,
        None => resolved
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/")),
    };
    // filesystem.validate_glob_path
    let rel_glob = match resolved.strip_prefix(&base) {
        Ok(r)
            if resolved
                .to_string_lossy()
                .starts_with(&*base.to_string_lossy()) =>
        {
            r
        }
        _ => return Err(Error::invalid("Glob may not walk above the base path")),
    };
    if rel_glob.as_os_str().is_empty() {
        return Err(Error::invalid("Glob cannot be the same as the base path"));
    }
    if rel_glob.components().next() == Some(Component::Normal("*".as_ref())) {
        return Err(Error::invalid(
            "Glob may not start with '*' relative to the base path",
        ));
    }
    let preexisting = glob_sorted(&files_root.join(rel_glob))?;
    let sources = glob_sorted(&base.join(rel_glob))?;
    let mut out = Vec::new();
    let mut created = Vec::new();
    for src in sources {
        let src = abspath(&src)?;
        let Ok(rel) = src.strip_prefix(&base) else {
            continue;
        };
        let rel = rel.to_path_buf();
        let dst = files_root.join(&rel);
        created.push(dst.clone());
        let rel_str = rel.to_string_lossy().into_owned();
        if platform::same_file(&src, &dst) {
            out.push(Saved {
                path: rel_str,
                policy,
            });
            continue;
        }
        // Issue 22: never remove a directory, never write through a link. The parents are
        // created below the files directory only, each an existing real directory (a
        // link saved earlier, e.g. `files/data` -> `./data`, is not written through).
        if let Some(parent) = dst.parent() {
            crate::confine::mkdirs_beneath(files_root, parent)?;
        }
        match fs::symlink_metadata(&dst) {
            // wandb 0.31 raises IsADirectoryError here (its unlink_path skips directories
            // and the copy fallback fails) and deletes nothing.
            Ok(m) if m.is_dir() => {
                return Err(Error::new(
                    crate::error::ErrorKind::Io,
                    format!(
                        "save(): {} is a directory in the run's files directory (IsADirectoryError in wandb): nothing was removed or saved",
                        crate::confine::path_text(&dst)
                    ),
                ))
            }
            // A file or a link (only the link itself is removed), as the SDK's unlink_path.
            Ok(_) => fs::remove_file(&dst)
                .map_err(|e| Error::io(crate::confine::path_text(&dst), e))?,
            Err(_) => {}
        }
        if fs::metadata(&src).is_ok_and(|m| m.is_dir()) && !cfg!(unix) {
            return Err(Error::new(
                crate::error::ErrorKind::Io,
                format!(
                    "save(): {} is a directory (IsADirectoryError in wandb without symlinks)",
                    crate::confine::path_text(&src)
                ),
            ));
        }
        let effective = if platform::symlink_file(&src, &dst) || fs::hard_link(&src, &dst).is_ok() {
            policy
        } else {
            fs::copy(&src, &dst).map_err(|e| Error::io(dst.display(), e))?;
            // A copy does not follow later changes: the SDK downgrades live to now.
            if policy == SavePolicy::Live {
                SavePolicy::Now
            } else {
                policy
            }
        };
        out.push(Saved {
            path: rel_str,
            policy: effective,
        });
    }
    for p in preexisting {
        if !created.contains(&p) {
            if let Ok(rel) = p.strip_prefix(files_root) {
                out.push(Saved {
                    path: rel.to_string_lossy().into_owned(),
                    policy,
                });
            }
        }
    }
    Ok(out)
}

/// The `files` record of one `run.save` call.
pub fn files_record(saved: &[Saved]) -> Msg {
    let mut m = Msg::new();
    for s in saved {
        let mut it = Msg::new();
        it.string(proto::files::PATH, &s.path)
            .int(proto::files::POLICY, s.policy.proto());
        m.message(proto::files::FILES, &it);
    }
    m
}

/// A generic artifact being built (`wandb.Artifact(name, type, description, metadata)`).
#[derive(Debug, Clone)]
pub struct Artifact {
    name: String,
    kind: String,
    description: String,
    /// Compact JSON of the metadata object ("" = none).
    metadata: String,
    /// (entry path, source file, its size when added)
    entries: Vec<(String, PathBuf, u64)>,
}

/// Entry names are POSIX paths without `.`/`..` components or a leading `/`.
fn entry_name(name: &str) -> Result<String> {
    let parts: Vec<&str> = name
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() || parts.contains(&"..") || name.contains('\0') {
        return Err(Error::invalid(format!(
            "artifact entry name {name:?} must be a relative path without '..'"
        )));
    }
    Ok(parts.join("/"))
}

impl Artifact {
    /// `wandb.Artifact(name, type)` with the SDK's checks (name ≤ 128 characters without
    /// `/`; type without `/` `:`, not reserved).
    pub fn new(name: &str, kind: &str) -> Result<Artifact> {
        if name.is_empty() {
            return Err(Error::invalid("artifact name must not be empty"));
        }
        if name.chars().count() > 128 {
            return Err(Error::invalid(
                "Artifact name is longer than 128 characters",
            ));
        }
        if name.contains('/') {
            return Err(Error::invalid(format!(
                "Artifact names must not contain any of the following characters: '/'.  Got: {name:?}"
            )));
        }
        if kind.is_empty() {
            return Err(Error::invalid("artifact type must not be empty"));
        }
        if kind.contains('/') || kind.contains(':') || kind.chars().count() > 128 {
            return Err(Error::invalid(format!(
                "artifact type {kind:?}: types must not contain '/' or ':' and be at most 128 characters"
            )));
        }
        let reserved_prefix = match kind {
            "job" => Some(""),
            "run_table" => Some("run-"),
            "code" => Some("source-"),
            _ => None,
        };
        if kind.starts_with("wandb-") || reserved_prefix.is_some_and(|p| name.starts_with(p)) {
            return Err(Error::invalid(format!(
                "Artifact type {kind:?} is reserved for internal use. Please use a different type."
            )));
        }
        Ok(Artifact {
            name: name.to_string(),
            kind: kind.to_string(),
            description: String::new(),
            metadata: String::new(),
            entries: Vec::new(),
        })
    }

    pub fn set_description(&mut self, d: &str) {
        self.description = d.to_string();
    }

    /// Metadata as JSON object text (stored in the SDK's compact form).
    pub fn set_metadata_json(&mut self, text: &str) -> Result<()> {
        match Json::parse(text)? {
            Json::Object(m) if m.is_empty() => self.metadata.clear(),
            j @ Json::Object(_) => self.metadata = j.to_compact(),
            _ => return Err(Error::invalid("artifact metadata must be a JSON object")),
        }
        Ok(())
    }

    fn push(&mut self, name: String, source: PathBuf, size: u64) -> Result<()> {
        if self.entries.iter().any(|(n, _, _)| *n == name) {
            return Err(Error::invalid(format!(
                "File with name {name:?} already exists in the artifact"
            )));
        }
        self.entries.push((name, source, size));
        Ok(())
    }

    /// `artifact.add_file(path, name=)`: `name` defaults to the file name.
    /// Only a regular file (checked on the opened file, opened without blocking); its size
    /// now is what `log_artifact` will copy.
    pub fn add_file(&mut self, path: &Path, name: Option<&str>) -> Result<()> {
        if !path.is_file() {
            return Err(Error::invalid(format!(
                "Path is not a file: {:?}",
                path.display()
            )));
        }
        let (_, size) = platform::open_regular_file(path)?;
        let name = match name {
            Some(n) => entry_name(n)?,
            None => entry_name(&path.file_name().unwrap_or_default().to_string_lossy())?,
        };
        self.push(name, abspath(path)?, size)
    }

    /// `artifact.add_dir(path, name=)`: every file below `path` (symlinks followed, as
    /// `os.walk` lists them), entries `<name>/<relative path>`.
    pub fn add_dir(&mut self, dir: &Path, name: Option<&str>) -> Result<()> {
        if !dir.is_dir() {
            return Err(Error::invalid(format!(
                "Path is not a directory: {:?}",
                dir.display()
            )));
        }
        let prefix = match name {
            Some(n) if !n.is_empty() => Some(entry_name(n)?),
            _ => None,
        };
        let root = abspath(dir)?;
        let mut found = Vec::new();
        // Explicit stack (no recursion); bounded by the directory tree itself.
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            let rd = fs::read_dir(&d).map_err(|e| Error::io(d.display(), e))?;
            for ent in rd {
                let ent = ent.map_err(|e| Error::io(d.display(), e))?;
                let p = ent.path();
                let ft = ent.file_type().map_err(|e| Error::io(p.display(), e))?;
                if ft.is_dir() {
                    stack.push(p);
                } else if let Ok(m) = fs::metadata(&p) {
                    // Regular files (links followed, as os.walk + isfile); FIFOs, sockets
                    // and devices are skipped.
                    if m.is_file() {
                        found.push((p, m.len()));
                    }
                }
            }
        }
        found.sort();
        let mut staged = Vec::with_capacity(found.len());
        for (p, size) in found {
            let rel = p
                .strip_prefix(&root)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            let n = match &prefix {
                Some(pre) => format!("{pre}/{rel}"),
                None => rel,
            };
            staged.push((entry_name(&n)?, p, size));
        }
        for (n, p, size) in staged {
            self.push(n, p, size)?;
        }
        Ok(())
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    /// Entry names in insertion order.
    pub fn entry_names(&self) -> Vec<String> {
        self.entries.iter().map(|(n, _, _)| n.clone()).collect()
    }
}

/// One staged manifest entry (the same entry as a `run_table` artifact's).
pub type Staged = super::record::ArtifactEntry;

/// An artifact ready for its record (files staged).
#[derive(Debug, Clone)]
pub struct Logged {
    pub name: String,
    pub kind: String,
    pub description: String,
    pub metadata: String,
    pub aliases: Vec<String>,
    pub digest: String,
    pub client_id: String,
    pub sequence_client_id: String,
    pub entries: Vec<Staged>,
}

/// Streams `src` to `dst` (created, read-only afterwards as the SDK's staging copies are)
/// and returns (base64 MD5, size). `src` must still be a regular file (opened without
/// blocking, checked on the open file) of the `size` it had when it was added; exactly that
/// many bytes are copied.
fn copy_with_md5(src: &Path, dst: &Path, size: u64) -> Result<(String, u64)> {
    let (input, now) = platform::open_regular_file(src)?;
    if now != size {
        return Err(Error::invalid(format!(
            "{}: the file changed since it was added to the artifact ({size} bytes then, {now} now): add it again",
            src.display()
        )));
    }
    let mut input = input.take(size);
    let mut out = File::create(dst).map_err(|e| Error::io(dst.display(), e))?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut copied = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(src.display(), e)),
        };
        h.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| Error::io(dst.display(), e))?;
        copied += n as u64;
    }
    if input.limit() != 0 || copied != size {
        return Err(Error::invalid(format!(
            "{}: the file shrank while it was copied into the artifact",
            src.display()
        )));
    }
    out.sync_all().map_err(|e| Error::io(dst.display(), e))?;
    drop(out);
    platform::set_read_only(dst);
    Ok((base64(&h.finalize()), copied))
}

/// Stages an artifact's files under `staging_root` (absolute) and builds what its record
/// needs. `aliases`: the caller's (`latest` is added first, duplicates dropped).
pub fn stage(a: &Artifact, aliases: &[String], staging_root: &Path) -> Result<Logged> {
    for al in aliases {
        if al.is_empty() || al.contains('/') || al.contains(':') {
            return Err(Error::invalid(format!(
                "alias {al:?}: aliases must be non-empty and must not contain any of the following characters: '/', ':'"
            )));
        }
    }
    let mut all = vec!["latest".to_string()];
    for al in aliases {
        if !all.contains(al) {
            all.push(al.clone());
        }
    }
    let client_id = random_id(128);
    let dir = staging_root.join(&client_id[..16]);
    fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display(), e))?;
    let mut entries = Vec::with_capacity(a.entries.len());
    for (n, (name, src, seen)) in a.entries.iter().enumerate() {
        let dst = dir.join(n.to_string());
        let (digest, size) = copy_with_md5(src, &dst, *seen)?;
        entries.push(Staged {
            path: name.clone(),
            digest,
            size,
            local_path: dst.display().to_string(),
            reference: None,
        });
    }
    entries.sort_by(|x, y| x.path.cmp(&y.path));
    let mut text = String::from("wandb-artifact-manifest-v1\n");
    for e in &entries {
        text.push_str(&format!("{}:{}\n", e.path, e.digest));
    }
    let digest: String = Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Logged {
        name: a.name.clone(),
        kind: a.kind.clone(),
        description: a.description.clone(),
        metadata: a.metadata.clone(),
        aliases: all,
        digest,
        client_id,
        sequence_client_id: random_id(128),
        entries,
    })
}

/// The `ArtifactRecord` of a logged artifact.
pub fn record(run_id: &str, project: &str, entity: &str, a: &Logged) -> Msg {
    use proto::artifact as f;
    let manifest = super::record::manifest(&a.entries);
    let mut m = Msg::new();
    m.string(f::RUN_ID, run_id)
        .string(f::PROJECT, project)
        .string(f::ENTITY, entity)
        .string(f::TYPE, &a.kind)
        .string(f::NAME, &a.name)
        .string(f::DIGEST, &a.digest)
        .string(f::DESCRIPTION, &a.description)
        .string(f::METADATA, &a.metadata);
    for al in &a.aliases {
        m.repeated_string(f::ALIASES, al);
    }
    m.message(f::MANIFEST, &manifest)
        .boolean(f::FINALIZE, true)
        .string(f::CLIENT_ID, &a.client_id)
        .string(f::SEQUENCE_CLIENT_ID, &a.sequence_client_id)
        .string(f::DIGEST_ALGORITHM, "MANIFEST_MD5");
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert!(Artifact::new("a/b", "model").is_err());
        assert!(Artifact::new("ok", "wandb-x").is_err());
        assert!(Artifact::new("run-x", "run_table").is_err());
        assert!(Artifact::new("anything", "job").is_err());
        assert!(Artifact::new("m", "a:b").is_err());
        assert!(Artifact::new("model-ckpt", "model").is_ok());
        assert_eq!(entry_name("./a//b").unwrap(), "a/b");
        assert!(entry_name("../x").is_err());
        assert_eq!(
            abspath(Path::new("/a/b/../c/./d")).unwrap(),
            PathBuf::from("/a/c/d")
        );
    }

    #[test]
    fn stages_with_sdk_digests() {
        let tmp = std::env::temp_dir().join(format!("wbm-art-{}", random_id(8)));
        fs::create_dir_all(tmp.join("src/sub")).unwrap();
        fs::write(tmp.join("src/notes.txt"), b"checkpoint notes\n").unwrap();
        fs::write(tmp.join("src/sub/x.txt"), b"x".repeat(100)).unwrap();
        let mut a = Artifact::new("m", "model").unwrap();
        a.add_file(&tmp.join("src/notes.txt"), Some("docs/notes.txt"))
            .unwrap();
        a.add_dir(&tmp.join("src"), Some("w")).unwrap();
        assert!(a
            .add_file(&tmp.join("src/notes.txt"), Some("w/notes.txt"))
            .is_err());
        assert_eq!(
            a.entry_names(),
            ["docs/notes.txt", "w/notes.txt", "w/sub/x.txt"]
        );
        let l = stage(&a, &["best".into(), "latest".into()], &tmp.join("stage")).unwrap();
        assert_eq!(l.aliases, ["latest", "best"]);
        // base64 MD5s the SDK wrote for the same bytes
        assert_eq!(l.entries[0].digest, "Vt1HGOGouTaRRVjT+gU0nA==");
        assert_eq!(l.entries[2].digest, "rtVj7K+0vMVlTFl6QhVHsg==");
        assert_eq!(l.entries[2].size, 100);
        assert_eq!(
            fs::read(&l.entries[0].local_path).unwrap(),
            b"checkpoint notes\n"
        );
        assert!(stage(&a, &["a/b".into()], &tmp.join("stage")).is_err());
        let _ = fs::remove_dir_all(&tmp);
    }
}
