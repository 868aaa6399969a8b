//! The video C ABI as a C caller uses it: options/enums validation, errors with the SDK's
//! meaning, file videos and their JSON, list JSON, and the streaming writer's ownership rules.

use std::ffi::{c_char, CStr, CString};
use std::path::PathBuf;
use std::ptr;

use wandb_media::ffi::image::wb_convert;
use wandb_media::ffi::value::*;
use wandb_media::ffi::video::*;
use wandb_media::ffi::{wb_dtype, wb_error, wb_status, wb_string_free, wb_tensor};
use wandb_media::media::sha256_hex;

fn new_err() -> wb_error {
    wb_error {
        code: wb_status::WB_OK,
        message: [0; 512],
    }
}

fn msg(e: &wb_error) -> String {
    unsafe { CStr::from_ptr(e.message.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("wbm-video-ffi-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn tensor(data: &[u8], shape: &[i64], strides: Option<&[i64]>) -> wb_tensor {
    wb_tensor {
        data: data.as_ptr().cast(),
        dtype: wb_dtype::WB_DTYPE_U8,
        ndim: shape.len(),
        shape: shape.as_ptr(),
        strides: strides.map_or(ptr::null(), |s| s.as_ptr()),
    }
}

/// Serialise a value under `key` at `step` into `dir`; returns the JSON text.
fn to_json(v: *const wb_value, dir: &std::path::Path, key: &str, step: i64) -> String {
    let d = CString::new(dir.to_str().unwrap()).unwrap();
    let k = CString::new(key).unwrap();
    let mut rd = ptr::null_mut();
    let mut e = new_err();
    assert_eq!(
        unsafe { wb_run_dir_new(d.as_ptr(), &mut rd, &mut e) },
        wb_status::WB_OK
    );
    let mut out: *mut c_char = ptr::null_mut();
    let st = unsafe { wb_value_to_json(v, rd, k.as_ptr(), step, &mut out, &mut e) };
    assert_eq!(st, wb_status::WB_OK, "{}", msg(&e));
    let s = unsafe { CStr::from_ptr(out) }
        .to_string_lossy()
        .into_owned();
    unsafe {
        wb_string_free(out);
        wb_run_dir_free(rd);
    }
    s
}

#[test]
fn options_default_and_format_names() {
    let o = wb_video_options_default();
    assert_eq!(o.struct_size, std::mem::size_of::<wb_video_options>());
    assert_eq!(o.fps, 4);
    assert_eq!(o.format, wb_video_format::WB_VIDEO_FORMAT_UNSET);
    assert_eq!(o.layout, wb_video_layout::WB_VIDEO_CHANNELS_FIRST);
    assert_eq!(o.convert, wb_convert::WB_CONVERT_AUTO);

    let mut f = wb_video_format::WB_VIDEO_FORMAT_UNSET;
    let mut e = new_err();
    for (name, want) in [
        ("gif", wb_video_format::WB_VIDEO_GIF),
        ("mp4", wb_video_format::WB_VIDEO_MP4),
        ("webm", wb_video_format::WB_VIDEO_WEBM),
        ("ogg", wb_video_format::WB_VIDEO_OGG),
    ] {
        let n = CString::new(name).unwrap();
        let st = unsafe { wb_video_format_from_name(n.as_ptr(), &mut f, &mut e) };
        assert_eq!((st, f), (wb_status::WB_OK, want));
    }
    for bad in ["MP4", "avi", "", "gif "] {
        let n = CString::new(bad).unwrap();
        f = wb_video_format::WB_VIDEO_GIF;
        let st = unsafe { wb_video_format_from_name(n.as_ptr(), &mut f, &mut e) };
        assert_eq!(st, wb_status::WB_ERR_INVALID_ARGUMENT, "{bad:?}");
        assert_eq!(msg(&e), "wandb.Video accepts gif, mp4, webm, ogg formats");
        assert_eq!(f, wb_video_format::WB_VIDEO_GIF, "out untouched on failure");
    }
    let st = unsafe { wb_video_format_from_name(ptr::null(), &mut f, &mut e) };
    assert_eq!(st, wb_status::WB_ERR_NULL_ARGUMENT);
    assert!(msg(&e).contains("name"));
}

#[test]
fn tensor_errors_match_the_sdk_and_name_the_argument() {
    let data = vec![0u8; 2 * 3 * 8 * 8];
    let t = tensor(&data, &[2, 3, 8, 8], None);
    let sentinel = ptr::dangling_mut::<wb_value>();
    let mut out = sentinel;
    let mut e = new_err();
    let call = |o: *const wb_video_options,
                t: &wb_tensor,
                out: &mut *mut wb_value,
                e: &mut wb_error| unsafe { wb_video_from_tensor(t, o, out, e) };

    // No format: NULL options or the default UNSET.
    assert_eq!(
        call(ptr::null(), &t, &mut out, &mut e),
        wb_status::WB_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        msg(&e),
        "wandb.Video requires a `format` argument when initializing with a numpy array."
    );
    let mut o = wb_video_options_default();
    assert_eq!(
        call(&o, &t, &mut out, &mut e),
        wb_status::WB_ERR_INVALID_ARGUMENT
    );

    // ogg cannot be encoded from tensors.
    o.format = wb_video_format::WB_VIDEO_OGG;
    assert_eq!(
        call(&o, &t, &mut out, &mut e),
        wb_status::WB_ERR_UNSUPPORTED
    );
    assert!(msg(&e).contains("not supported"), "{}", msg(&e));

    // webm: VP8 in an EBML (Matroska) file with the `webm` feature, else unsupported.
    o.format = wb_video_format::WB_VIDEO_WEBM;
    let st = call(&o, &t, &mut out, &mut e);
    if cfg!(feature = "webm") {
        assert_eq!(st, wb_status::WB_OK, "{}", msg(&e));
        unsafe { wb_value_free(out) };
        out = sentinel;
    } else {
        assert_eq!(st, wb_status::WB_ERR_UNSUPPORTED);
    }

    // Quality controls: crf and bitrate together, or out of range, are refused.
    o.format = wb_video_format::WB_VIDEO_MP4;
    for (crf, kbps) in [(20, 300), (52, 0), (0, 1_000_001)] {
        o.crf = crf;
        o.bitrate_kbps = kbps;
        assert_eq!(
            call(&o, &t, &mut out, &mut e),
            wb_status::WB_ERR_INVALID_ARGUMENT,
            "crf {crf} bitrate {kbps}"
        );
        assert!(msg(&e).contains("options."), "{}", msg(&e));
    }
    // A 0.1-sized struct (without the quality fields) is accepted: the garbage after it is
    // not read.
    o.crf = 99;
    o.struct_size = std::mem::offset_of!(wb_video_options, bitrate_kbps);
    assert_eq!(
        call(&o, &t, &mut out, &mut e),
        wb_status::WB_OK,
        "{}",
        msg(&e)
    );
    unsafe { wb_value_free(out) };
    out = sentinel;
    o = wb_video_options_default();

    // Shape errors (format valid).
    o.format = wb_video_format::WB_VIDEO_GIF;
    let t3 = tensor(&data, &[6, 8, 8], None);
    assert_eq!(
        call(&o, &t3, &mut out, &mut e),
        wb_status::WB_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        msg(&e),
        "Video must be at least 4 dimensions: time, channels, height, width"
    );
    let t1 = tensor(&data, &[6, 1, 8, 8], None);
    assert_eq!(
        call(&o, &t1, &mut out, &mut e),
        wb_status::WB_ERR_INVALID_ARGUMENT
    );
    assert!(msg(&e).starts_with("Can't write images with one color channel."));
    let negative = tensor(&data, &[2, 3, -8, 8], None);
    assert_eq!(
        call(&o, &negative, &mut out, &mut e),
        wb_status::WB_ERR_INVALID_ARGUMENT
    );
    assert!(msg(&e).contains("tensor.shape[2]"), "{}", msg(&e));
    assert_eq!(
        unsafe { wb_video_from_tensor(ptr::null(), &o, &mut out, &mut e) },
        wb_status::WB_ERR_NULL_ARGUMENT
    );
    assert!(msg(&e).contains("tensor"));

    // Invalid enum values are rejected without materialising a Rust enum.
    let raw = |field_offset: usize, value: i32| {
        let mut o = wb_video_options_default();
        o.format = wb_video_format::WB_VIDEO_GIF;
        unsafe {
            (&mut o as *mut wb_video_options as *mut u8)
                .add(field_offset)
                .cast::<i32>()
                .write_unaligned(value)
        };
        o
    };
    for (off, name) in [
        (std::mem::offset_of!(wb_video_options, format), "format"),
        (std::mem::offset_of!(wb_video_options, layout), "layout"),
        (std::mem::offset_of!(wb_video_options, convert), "convert"),
    ] {
        let o = raw(off, 77);
        assert_eq!(
            call(&o, &t, &mut out, &mut e),
            wb_status::WB_ERR_INVALID_ARGUMENT
        );
        assert!(msg(&e).contains(name), "{name}: {}", msg(&e));
    }

    // A struct smaller than the first version (here: ending before `format`) is not an
    // older caller but an uninitialised one: refused by its struct_size, not read.
    let mut o = wb_video_options_default();
    o.format = wb_video_format::WB_VIDEO_GIF;
    o.struct_size = std::mem::offset_of!(wb_video_options, format);
    assert_eq!(
        call(&o, &t, &mut out, &mut e),
        wb_status::WB_ERR_INVALID_ARGUMENT
    );
    assert!(msg(&e).contains("struct_size"), "{}", msg(&e));
    assert_eq!(out, sentinel, "out is written only on success");
}

fn from_file(path: &std::path::Path) -> Result<*mut wb_value, (wb_status, String)> {
    let p = CString::new(path.to_str().unwrap()).unwrap();
    let mut out = ptr::null_mut();
    let mut e = new_err();
    match unsafe { wb_video_from_file(p.as_ptr(), &mut out, &mut e) } {
        wb_status::WB_OK => Ok(out),
        st => Err((st, msg(&e))),
    }
}

fn set_caption(v: *mut wb_value, c: &str) {
    let c = CString::new(c).unwrap();
    let mut e = new_err();
    assert_eq!(
        unsafe { wb_value_set_caption(v, c.as_ptr(), &mut e) },
        wb_status::WB_OK
    );
}

#[test]
fn file_videos_are_copied_with_their_extension_case() {
    let dir = tmpdir("files");
    // The SDK does not look inside video files: any bytes with a valid extension are fine.
    let bytes: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 256) as u8).collect();
    let src = dir.join("Clip.MP4");
    std::fs::write(&src, &bytes).unwrap();
    let v = from_file(&src).unwrap();
    set_caption(v, "up\"per");
    let files = dir.join("files");
    let j = to_json(v, &files, "vid", 3);
    let sha = sha256_hex(&bytes);
    let rel = format!("media/videos/vid_3_{}.MP4", &sha[..20]);
    assert_eq!(
        j,
        format!(
            r#"{{"caption":"up\"per","_type":"video-file","sha256":"{sha}","size":3000,"path":"{rel}"}}"#
        )
    );
    assert_eq!(std::fs::read(files.join(&rel)).unwrap(), bytes);
    unsafe { wb_value_free(v) };

    for bad in ["clip.avi", "clip", ".mp4", "clip.mp4.txt"] {
        let p = dir.join(bad);
        std::fs::write(&p, b"x").unwrap();
        let (st, m) = from_file(&p).unwrap_err();
        assert_eq!(st, wb_status::WB_ERR_INVALID_ARGUMENT, "{bad}");
        assert!(
            m.starts_with("wandb.Video accepts gif, mp4, webm, ogg formats"),
            "{m}"
        );
    }
    for ok in ["a.GIF", "b.webm", "c.Ogg"] {
        let p = dir.join(ok);
        std::fs::write(&p, b"data").unwrap();
        let v = from_file(&p).unwrap();
        let j = to_json(v, &files, "k", 0);
        let ext = ok.rsplit('.').next().unwrap();
        assert!(j.ends_with(&format!(".{ext}\"}}")), "{j}");
        unsafe { wb_value_free(v) };
    }
    let (st, _) = from_file(&dir.join("missing.mp4")).unwrap_err();
    assert_eq!(st, wb_status::WB_ERR_IO);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A list of file videos → `videos` JSON; returns the text.
fn list_json(dir: &std::path::Path, captions: &[Option<&str>]) -> String {
    let mut list = ptr::null_mut();
    let mut e = new_err();
    unsafe { wb_list_new(&mut list, &mut e) };
    for (i, cap) in captions.iter().enumerate() {
        let p = dir.join(format!("v{i}.gif"));
        std::fs::write(&p, format!("GIF89a video {i}")).unwrap();
        let v = from_file(&p).unwrap();
        if let Some(c) = cap {
            set_caption(v, c);
        }
        assert_eq!(unsafe { wb_list_append(list, v, &mut e) }, wb_status::WB_OK);
        unsafe { wb_value_free(v) };
    }
    let j = to_json(list, &dir.join("files"), "vl", 2);
    unsafe { wb_value_free(list) };
    j
}

#[test]
fn list_json_captions_follow_the_first_video() {
    let dir = tmpdir("lists");
    let h = |i: usize| sha256_hex(format!("GIF89a video {i}").as_bytes());
    let item = |i: usize, cap: Option<&str>| {
        let c = cap
            .map(|c| format!(r#""caption":"{c}","#))
            .unwrap_or_default();
        format!(
            r#"{{{c}"_type":"video-file","sha256":"{}","size":14,"path":"media/videos/vl_2_{}.gif"}}"#,
            h(i),
            &h(i)[..20]
        )
    };
    let j = list_json(&dir, &[None, Some("x")]);
    assert_eq!(
        j,
        format!(
            r#"{{"_type":"videos","count":2,"videos":[{},{}],"captions":false}}"#,
            item(0, None),
            item(1, Some("x"))
        )
    );
    let j = list_json(&dir, &[Some("a"), None, Some("")]);
    assert_eq!(
        j,
        format!(
            r#"{{"_type":"videos","count":3,"videos":[{},{},{}],"captions":["a",null,""]}}"#,
            item(0, Some("a")),
            item(1, None),
            item(2, Some(""))
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn writer_rejects_bad_arguments_and_null_is_a_no_op() {
    let mut w = ptr::null_mut();
    let mut e = new_err();
    let mp4 = wb_video_format::WB_VIDEO_MP4 as i32;
    let new = |height, width, ch, format: i32, w: &mut *mut wb_video_writer, e: &mut wb_error| unsafe {
        let mut o = wb_video_options_default();
        // any int, as a C caller could store it (never materialised as a Rust enum)
        *(std::ptr::addr_of_mut!(o.format) as *mut i32) = format;
        wb_video_writer_new(height, width, ch, &o, w, e)
    };
    assert_eq!(
        new(16, 16, 1, mp4, &mut w, &mut e),
        wb_status::WB_ERR_INVALID_ARGUMENT
    );
    assert!(msg(&e).contains("one color channel"));
    assert_eq!(
        new(16, 16, 2, mp4, &mut w, &mut e),
        wb_status::WB_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        new(0, 16, 3, mp4, &mut w, &mut e),
        wb_status::WB_ERR_INVALID_ARGUMENT
    );
    assert!(msg(&e).contains("width"));
    assert_eq!(
        new(16, 16, 3, 0, &mut w, &mut e),
        wb_status::WB_ERR_INVALID_ARGUMENT
    );
    assert!(msg(&e).contains("requires a `format`"));
    assert_eq!(
        new(16, 16, 3, 42, &mut w, &mut e),
        wb_status::WB_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        new(
            16,
            16,
            3,
            wb_video_format::WB_VIDEO_OGG as i32,
            &mut w,
            &mut e
        ),
        wb_status::WB_ERR_UNSUPPORTED
    );
    assert!(w.is_null(), "out is written only on success");
    let mut o = wb_video_options_default();
    o.format = wb_video_format::WB_VIDEO_MP4;
    let st = unsafe { wb_video_writer_new(16, 16, 3, &o, ptr::null_mut(), &mut e) };
    assert_eq!(st, wb_status::WB_ERR_NULL_ARGUMENT);
    // options are required (fps and format live only there)
    let st = unsafe { wb_video_writer_new(16, 16, 3, ptr::null(), &mut w, &mut e) };
    assert_eq!(st, wb_status::WB_ERR_NULL_ARGUMENT);
    assert!(msg(&e).contains("options"));
    // a struct_size the library does not know is refused, not read
    for bad in [0usize, 8, std::mem::size_of::<wb_video_options>() + 8] {
        let mut o = wb_video_options_default();
        o.format = wb_video_format::WB_VIDEO_MP4;
        o.struct_size = bad;
        let st = unsafe { wb_video_writer_new(16, 16, 3, &o, &mut w, &mut e) };
        assert_eq!(st, wb_status::WB_ERR_INVALID_ARGUMENT, "struct_size {bad}");
        assert!(msg(&e).contains("struct_size"), "{}", msg(&e));
    }
    assert!(w.is_null());
    let frame = [0u8; 12];
    let t = tensor(&frame, &[2, 2, 3], None);
    assert_eq!(
        unsafe { wb_video_writer_push(ptr::null_mut(), &t, &mut e) },
        wb_status::WB_ERR_NULL_ARGUMENT
    );
    let mut out = ptr::null_mut();
    assert_eq!(
        unsafe { wb_video_writer_finish(ptr::null_mut(), &mut out, &mut e) },
        wb_status::WB_ERR_NULL_ARGUMENT
    );
    unsafe { wb_video_writer_free(ptr::null_mut()) };
}

/// The writer takes (height, width, channels), the same order as frame tensors and
/// `wb_image_new_u8`: a non-square frame of the declared shape is accepted, its transpose is
/// refused, and the finished video's JSON reports that width and height.
#[test]
fn writer_takes_height_then_width() {
    let (h, w) = (24usize, 40usize);
    let mut o = wb_video_options_default();
    o.format = wb_video_format::WB_VIDEO_MP4;
    let mut wr = ptr::null_mut();
    let mut e = new_err();
    assert_eq!(
        unsafe { wb_video_writer_new(h, w, 3, &o, &mut wr, &mut e) },
        wb_status::WB_OK
    );
    let frame = vec![100u8; h * w * 3];
    // Shapes bound to names: a temporary array would dangle once the statement ends.
    let (good_shape, swapped_shape) = ([h as i64, w as i64, 3], [w as i64, h as i64, 3]);
    let good = tensor(&frame, &good_shape, None);
    let swapped = tensor(&frame, &swapped_shape, None);
    assert_eq!(
        unsafe { wb_video_writer_push(wr, &swapped, &mut e) },
        wb_status::WB_ERR_INVALID_ARGUMENT
    );
    for _ in 0..3 {
        assert_eq!(
            unsafe { wb_video_writer_push(wr, &good, &mut e) },
            wb_status::WB_OK,
            "{}",
            msg(&e)
        );
    }
    let mut v = ptr::null_mut();
    assert_eq!(
        unsafe { wb_video_writer_finish(wr, &mut v, &mut e) },
        wb_status::WB_OK
    );
    let dir = std::env::temp_dir().join(format!("wb-hw-order-{}", std::process::id()));
    let json = to_json(v, &dir, "clip", 0);
    assert!(
        json.contains(r#""width":40"#) && json.contains(r#""height":24"#),
        "{json}"
    );
    unsafe { wb_value_free(v) };
    let _ = std::fs::remove_dir_all(&dir);
}
