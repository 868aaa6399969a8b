//! `wb_run_save` (issue 22): a random sequence of filesystem states and save calls in a
//! scratch working directory. The input is a list of operations over a tiny name alphabet
//! (so globs, nested paths, `..`, absolute paths, base paths, directories, links and
//! pre-existing files in the run collide often). Properties: no panic; a directory is never
//! removed (neither the run's `files/media` with the logged image, nor any user directory);
//! nothing outside the run's files directory is created, changed or removed by a save (the
//! user tree's listing and contents are the same before and after every call).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wandb_media::run::artifact::SavePolicy;
use wandb_media::{Run, RunOptions, Value};

const NAMES: [&str; 6] = ["a", "b", "media", "data", "*", "sub"];

fn name(b: u8) -> &'static str {
    NAMES[usize::from(b) % NAMES.len()]
}

/// Every path under `dir` (not following links) with its content (files) or kind.
fn snapshot(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(m) = std::fs::symlink_metadata(&p) else { continue };
        if m.file_type().is_symlink() {
            out.insert(p.clone(), std::fs::read_link(&p).map(|t| t.to_string_lossy().as_bytes().to_vec()).unwrap_or_default());
        } else if m.is_dir() {
            out.insert(p.clone(), b"<dir>".to_vec());
            snapshot(&p, out);
        } else {
            out.insert(p.clone(), std::fs::read(&p).unwrap_or_default());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let base = std::env::temp_dir().join(format!("wbm-fuzz-save-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let user = base.join("user");
    std::fs::create_dir_all(&user).unwrap();
    std::env::set_current_dir(&user).unwrap();
    let run = Run::open(base.join("runs"), RunOptions::default()).unwrap();
    let files = run.dir().join("files");
    let px = [7u8; 2 * 2 * 3];
    let t = wandb_media::TensorView::new(&px, wandb_media::DType::U8, &[2, 2, 3]).unwrap();
    let img = wandb_media::media::image::Image::from_tensor(&t, &Default::default()).unwrap();
    run.log(&[("img".to_string(), Value::from(img))], None, None).unwrap();
    let images = files.join("media/images");
    for op in data.chunks(4).take(24) {
        let (k, a, b, c) = (op[0], *op.get(1).unwrap_or(&0), *op.get(2).unwrap_or(&0), *op.get(3).unwrap_or(&0));
        let rel = if c % 3 == 0 { name(a).to_string() } else { format!("{}/{}", name(a), name(b)) };
        let rel = rel.replace('*', "x");
        match k % 6 {
            0 => {
                let p = user.join(&rel);
                let _ = std::fs::create_dir_all(p.parent().unwrap());
                let _ = std::fs::write(&p, [a, b, c]);
            }
            1 => {
                let _ = std::fs::create_dir_all(user.join(&rel));
            }
            2 => {
                // A link in the user tree (to the user tree, to the run, to /dev/zero).
                let p = user.join(&rel);
                let _ = std::fs::create_dir_all(p.parent().unwrap());
                let target = match c % 3 {
                    0 => user.join(name(b)),
                    1 => files.clone(),
                    _ => PathBuf::from("/dev/zero"),
                };
                #[cfg(unix)]
                let _ = std::os::unix::fs::symlink(target, &p);
            }
            _ => {
                let glob = match c % 4 {
                    0 => format!("{}/{}", name(a), name(b)),
                    1 => name(a).to_string(),
                    2 => format!("{}/*", name(a)),
                    _ => user.join(name(a)).join(name(b)).to_string_lossy().into_owned(),
                };
                let base_path = (b % 3 == 0).then(|| user.to_string_lossy().into_owned());
                let mut before = BTreeMap::new();
                snapshot(&user, &mut before);
                let n_images = std::fs::read_dir(&images).map(|r| r.count()).unwrap_or(0);
                let _ = run.save(&glob, base_path.as_deref(), [SavePolicy::Live, SavePolicy::Now, SavePolicy::End][usize::from(k) % 3]);
                let mut after = BTreeMap::new();
                snapshot(&user, &mut after);
                assert_eq!(before, after, "save({glob:?}) changed the user's tree");
                assert!(std::fs::symlink_metadata(&images).is_ok_and(|m| m.is_dir()), "files/media/images removed");
                assert_eq!(std::fs::read_dir(&images).map(|r| r.count()).unwrap_or(0), n_images);
            }
        }
    }
    let _ = run.finish(0);
    drop(run);
    std::env::set_current_dir(std::env::temp_dir()).unwrap();
    let _ = std::fs::remove_dir_all(&base);
});
