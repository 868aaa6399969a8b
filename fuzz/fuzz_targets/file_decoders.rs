//! Every file a user can hand us: the first byte picks the entry point (image, video, audio,
//! mask, Object3D, molecule, html) and its extension; the rest is the file's content. Each
//! accepted value is also serialised into a run dir.
#![no_main]
use libfuzzer_sys::fuzz_target;
include!("common.rs");

const KINDS: &[(&str, &str)] = &[
    ("image", "png"),
    ("image", "jpg"),
    ("image", "gif"),
    ("image", "bmp"),
    ("image", "webp"),
    ("image", "tiff"),
    ("video", "gif"),
    ("video", "mp4"),
    ("audio", "wav"),
    ("mask", "png"),
    ("object3d", "obj"),
    ("object3d", "glb"),
    ("object3d", "pts.json"),
    ("molecule", "pdb"),
    ("molecule", "sdf"),
    ("html", "html"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let (kind, ext) = KINDS[usize::from(sel) % KINDS.len()];
    let path = scratch().join(format!("in.{ext}"));
    if std::fs::write(&path, body).is_err() {
        return;
    }
    let p = cstr(path.to_str().unwrap().as_bytes());
    let mut v = std::ptr::null_mut();
    let mut e = err();
    let s = unsafe {
        match kind {
            "image" => wb_image_from_file(p.as_ptr(), &mut v, &mut e),
            "video" => wb_video_from_file(p.as_ptr(), &mut v, &mut e),
            "audio" => wb_audio_from_file(p.as_ptr(), 16000, &mut v, &mut e),
            "mask" => {
                let mut img = std::ptr::null_mut();
                let px = [0u8; 12];
                let shape = [2i64, 2, 3];
                let t = wb_tensor {
                    data: px.as_ptr().cast(),
                    dtype: wb_dtype::WB_DTYPE_U8,
                    ndim: 3,
                    shape: shape.as_ptr(),
                    strides: std::ptr::null(),
                };
                let o = wb_image_options_default();
                if wb_image_from_tensor(&t, &o, &mut img, &mut e) != wb_status::WB_OK {
                    return;
                }
                let key = cstr(b"m");
                let s = wb_image_add_mask_file(img, key.as_ptr(), p.as_ptr(), &mut e);
                v = img;
                s
            }
            "object3d" => wb_object3d_from_file(p.as_ptr(), &mut v, &mut e),
            "molecule" => wb_molecule_from_file(p.as_ptr(), &mut v, &mut e),
            _ => wb_html_from_file(p.as_ptr(), true, &mut v, &mut e),
        }
    };
    if s == wb_status::WB_OK && !v.is_null() {
        serialise(v);
    }
    settle(s, &e, v);
});
