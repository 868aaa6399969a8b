//! `wandb.Molecule` (§12): molecule files of the supported types, copied unchanged.
//! Lists become `{"_type": "molecule", "filenames", "count", "captions"}` (§15.2).

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::{
    downcast, file_json, first_caption_rule, path_extension, BindCtx, Media, MediaFile,
};

/// `Molecule.SUPPORTED_TYPES` (a Python set: the SDK's order in messages varies).
pub const SUPPORTED_TYPES: [&str; 10] = [
    "pdb", "pqr", "mmcif", "mcif", "cif", "sdf", "sd", "gro", "mol2", "mmtf",
];

/// A `wandb.Molecule`.
#[derive(Debug, Clone)]
pub struct Molecule {
    pub file: MediaFile,
    pub caption: Option<Json>,
}

impl Molecule {
    /// `wandb.Molecule(path)`: the extension after the last dot (case-sensitive) must be a
    /// supported type; the file is copied unchanged with that extension.
    pub fn from_file(path: &Path) -> Result<Molecule> {
        let ext = path_extension(path);
        let ty = ext.strip_prefix('.').unwrap_or("");
        if !SUPPORTED_TYPES.contains(&ty) {
            return Err(Error::invalid(format!(
                "path {:?}: Molecule only supports files of the type: {}",
                path.display().to_string(),
                SUPPORTED_TYPES.join(", ")
            )));
        }
        Ok(Molecule {
            file: MediaFile::from_path(path)?,
            caption: None,
        })
    }

    /// `wandb.Molecule(io, file_type=)`: molecule text held in memory (e.g. a PDB block).
    pub fn from_text(data: &str, file_type: &str) -> Result<Molecule> {
        if !SUPPORTED_TYPES.contains(&file_type) {
            return Err(Error::invalid(format!(
                "file_type {file_type:?}: Molecule 3D only supports files of the type: {}",
                SUPPORTED_TYPES.join(", ")
            )));
        }
        Ok(Molecule {
            file: MediaFile::new(data.as_bytes().to_vec(), format!(".{file_type}")),
            caption: None,
        })
    }
}

impl Media for Molecule {
    fn class_name(&self) -> &'static str {
        "Molecule"
    }
    fn batchable(&self) -> bool {
        true
    }
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json> {
        let path = ctx.place("media/molecule", &self.file)?;
        Ok(Json::Object(file_json(
            self.caption.as_ref(),
            "molecule-file",
            &self.file,
            path,
        )))
    }
    /// §15.2: full relative paths, no per-item JSON; `captions` is `false` unless the first
    /// item has a caption, then every caption with `null` for missing ones.
    fn list_to_json(&self, items: &[Arc<dyn Media>], ctx: &BindCtx<'_>) -> Result<Json> {
        let mut names = Vec::with_capacity(items.len());
        for item in items {
            let m: &Molecule = downcast(item)?;
            names.push(Json::str(ctx.place("media/molecule", &m.file)?));
        }
        Ok(Json::object([
            ("_type", Json::str("molecule")),
            ("filenames", Json::Array(names)),
            ("count", Json::Int(items.len() as i64)),
            ("captions", first_caption_rule(items)),
        ]))
    }
    media_caption_methods!();
    /// `Media.to_json(artifact)`: the file entry (spec §9.4).
    fn artifact_json(&self, files: &mut crate::media::table::ArtifactFiles) -> Result<Json> {
        Ok(Json::Object(crate::media::file_artifact_json(
            self.caption.as_ref(),
            "media/molecule",
            "molecule-file",
            &self.file,
            files,
        )))
    }
    media_object_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_rules() {
        let dir = std::env::temp_dir().join(format!("wbm-mol-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("w.pdb");
        std::fs::write(&p, b"ATOM\n").unwrap();
        let m = Molecule::from_file(&p).unwrap();
        assert_eq!(m.file.ext, ".pdb");
        assert_eq!(m.file.bytes.as_slice(), b"ATOM\n");
        let upper = dir.join("w.PDB");
        std::fs::write(&upper, b"ATOM\n").unwrap();
        assert!(Molecule::from_file(&upper).is_err(), "case-sensitive");
        assert!(Molecule::from_file(&dir.join("w.xyz")).is_err());
        assert!(Molecule::from_file(&dir.join("missing.pdb")).is_err());
        let t = Molecule::from_text("HETATM\n", "sdf").unwrap();
        assert_eq!(t.file.ext, ".sdf");
        assert!(Molecule::from_text("x", "mol").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
