//! Tables with mixed cells: the bytes choose the column count and, per cell, its kind
//! (null, bool, int, float, string, image, histogram, list, dict, JSON value, array, table
//! in a table) and content; the table is serialised (run copy + JSON) and its artifact
//! JSON built.
#![no_main]
use libfuzzer_sys::fuzz_target;
include!("common.rs");

unsafe fn cell(kind: u8, b: &[u8], e: &mut wb_error) -> *mut wb_value {
    let mut v = std::ptr::null_mut();
    let n = b.first().copied().unwrap_or(0);
    match kind % 12 {
        0 => wb_value_null(&mut v, e),
        1 => wb_value_bool(n & 1 == 1, &mut v, e),
        2 => wb_value_int(i64::from(n as i8) << (n % 60), &mut v, e),
        3 => {
            let mut x = [0u8; 8];
            for (d, s) in x.iter_mut().zip(b) {
                *d = *s;
            }
            wb_value_float(f64::from_le_bytes(x), &mut v, e)
        }
        4 => wb_value_string_n(b.as_ptr().cast(), b.len().min(40), &mut v, e),
        5 => {
            let px: Vec<u8> = b.iter().copied().cycle().take(4 * 4 * 3).collect();
            let px = if px.is_empty() { vec![0; 48] } else { px };
            let shape = [4i64, 4, 3];
            let t = wb_tensor {
                data: px.as_ptr().cast(),
                dtype: wb_dtype::WB_DTYPE_U8,
                ndim: 3,
                shape: shape.as_ptr(),
                strides: std::ptr::null(),
            };
            let o = wb_image_options_default();
            wb_image_from_tensor(&t, &o, &mut v, e)
        }
        6 => {
            let xs: Vec<f64> = b.iter().map(|&x| f64::from(x)).collect();
            let shape = [xs.len() as i64];
            let t = wb_tensor {
                data: xs.as_ptr().cast(),
                dtype: wb_dtype::WB_DTYPE_F64,
                ndim: 1,
                shape: shape.as_ptr(),
                strides: std::ptr::null(),
            };
            wb_histogram_from_tensor(&t, usize::from(n % 8), &mut v, e)
        }
        7 => {
            wb_list_new(&mut v, e);
            for &x in b.iter().take(5) {
                let mut i = std::ptr::null_mut();
                wb_value_int(i64::from(x), &mut i, std::ptr::null_mut());
                wb_list_append(v, i, std::ptr::null_mut());
                wb_value_free(i);
            }
            wb_status::WB_OK
        }
        8 => {
            wb_dict_new(&mut v, e);
            let mut i = std::ptr::null_mut();
            wb_value_int(i64::from(n), &mut i, std::ptr::null_mut());
            let k = cstr(&b[b.len().min(1)..b.len().min(6)]);
            wb_dict_set(v, k.as_ptr(), i, std::ptr::null_mut());
            wb_value_free(i);
            wb_status::WB_OK
        }
        9 => {
            let j = cstr(b);
            wb_value_from_json(j.as_ptr(), &mut v, e)
        }
        10 => {
            let xs: Vec<i32> = b.iter().map(|&x| i32::from(x as i8)).collect();
            let shape = [xs.len() as i64];
            let t = wb_tensor {
                data: xs.as_ptr().cast(),
                dtype: wb_dtype::WB_DTYPE_I32,
                ndim: 1,
                shape: shape.as_ptr(),
                strides: std::ptr::null(),
            };
            wb_value_from_tensor(&t, &mut v, e)
        }
        _ => {
            let c = cstr(b"[\"x\"]");
            wb_table_new(c.as_ptr(), std::ptr::null(), &mut v, e)
        }
    };
    v
}

fuzz_target!(|data: &[u8]| {
    let Some((&hdr, mut rest)) = data.split_first() else {
        return;
    };
    let ncols = usize::from(hdr % 4) + 1;
    let cols: Vec<String> = (0..ncols).map(|i| format!("\"c{i}\"")).collect();
    let cols = cstr(format!("[{}]", cols.join(",")).as_bytes());
    let mut table = std::ptr::null_mut();
    let mut e = err();
    unsafe {
        let s = wb_table_new(cols.as_ptr(), std::ptr::null(), &mut table, &mut e);
        settle(s, &e, std::ptr::null_mut());
        if s != wb_status::WB_OK {
            return;
        }
        for _ in 0..8 {
            if rest.is_empty() {
                break;
            }
            let mut row = std::ptr::null_mut();
            wb_list_new(&mut row, std::ptr::null_mut());
            // One column more or less now and then (must be refused, not crash).
            let width = if rest[0] == 0xff { ncols + 1 } else { ncols };
            for _ in 0..width {
                let kind = rest.first().copied().unwrap_or(0);
                let len = usize::from(rest.get(1).copied().unwrap_or(0) % 16);
                let body = rest.get(2..(2 + len).min(rest.len())).unwrap_or(&[]);
                let c = cell(kind, body, &mut e);
                rest = rest.get(2 + len..).unwrap_or(&[]);
                if !c.is_null() {
                    wb_list_append(row, c, std::ptr::null_mut());
                    wb_value_free(c);
                }
            }
            let s = wb_table_add_row_list(table, row, &mut e);
            settle(s, &e, row);
        }
        serialise(table);
        let mut out = std::ptr::null_mut();
        let s = wb_table_artifact_json(table, &mut out, &mut e);
        settle(s, &e, std::ptr::null_mut());
        if s == wb_status::WB_OK {
            wb_string_free(out);
        }
        wb_value_free(table);
    }
});
