//! Every JSON entry point: the first byte picks one (value, plotly, histogram np lists,
//! boxes, box layer, classes, table columns, point-cloud boxes/vectors, run config/tags,
//! config_update_json); the rest is the JSON text (split at the first NUL into two texts for
//! the entry points taking two).
#![no_main]
use libfuzzer_sys::fuzz_target;
include!("common.rs");

fn image() -> *mut wb_value {
    let px = [9u8; 12];
    let shape = [2i64, 2, 3];
    let t = wb_tensor {
        data: px.as_ptr().cast(),
        dtype: wb_dtype::WB_DTYPE_U8,
        ndim: 3,
        shape: shape.as_ptr(),
        strides: std::ptr::null(),
    };
    let mut img = std::ptr::null_mut();
    unsafe {
        let o = wb_image_options_default();
        wb_image_from_tensor(&t, &o, &mut img, std::ptr::null_mut());
    }
    img
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let cut = body.iter().position(|&b| b == 0).unwrap_or(body.len());
    let a = cstr(&body[..cut]);
    let b = cstr(body.get(cut + 1..).unwrap_or(&[]));
    let mut v = std::ptr::null_mut();
    let mut e = err();
    let s = unsafe {
        match sel % 11 {
            0 => wb_value_from_json(a.as_ptr(), &mut v, &mut e),
            1 => wb_plotly_from_json(a.as_ptr(), &mut v, &mut e),
            2 => wb_histogram_from_np_json(a.as_ptr(), b.as_ptr(), &mut v, &mut e),
            3 => {
                v = image();
                let k = cstr(b"pred");
                wb_image_add_boxes(v, k.as_ptr(), a.as_ptr(), b.as_ptr(), &mut e)
            }
            4 => {
                v = image();
                let k = cstr(b"pred");
                wb_image_add_boxes_layer(v, k.as_ptr(), a.as_ptr(), &mut e)
            }
            5 => {
                v = image();
                wb_image_set_classes(v, a.as_ptr(), &mut e)
            }
            6 => wb_table_new(a.as_ptr(), std::ptr::null(), &mut v, &mut e),
            7 => {
                let pts = [0f32; 6];
                let shape = [2i64, 3];
                let t = wb_tensor {
                    data: pts.as_ptr().cast(),
                    dtype: wb_dtype::WB_DTYPE_F32,
                    ndim: 2,
                    shape: shape.as_ptr(),
                    strides: std::ptr::null(),
                };
                wb_object3d_from_point_cloud(&t, a.as_ptr(), b.as_ptr(), &mut v, &mut e)
            }
            8 | 9 | 10 => {
                let root = scratch().join("runs");
                let r = cstr(root.to_str().unwrap().as_bytes());
                let mut o = wb_run_options_default();
                match sel % 11 {
                    8 => o.config_json = a.as_ptr(),
                    9 => o.tags_json = a.as_ptr(),
                    _ => {}
                }
                let mut run = std::ptr::null_mut();
                let s = wb_run_open(r.as_ptr(), &o, &mut run, &mut e);
                if s == wb_status::WB_OK {
                    if sel % 11 == 10 {
                        let s2 = wb_run_config_update_json(run, a.as_ptr(), &mut e);
                        settle(s2, &e, std::ptr::null_mut());
                    }
                    wb_run_free(run, std::ptr::null_mut());
                }
                let _ = std::fs::remove_dir_all(&root);
                s
            }
            _ => unreachable!(),
        }
    };
    if s == wb_status::WB_OK && !v.is_null() {
        serialise(v);
    }
    settle(s, &e, v);
});
