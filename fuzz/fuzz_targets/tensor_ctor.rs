//! Tensor constructors with fuzzed dtype / ndim / shape / strides over a buffer the harness
//! sizes exactly to what the descriptor addresses (the library cannot check buffer lengths:
//! that part of the contract is the caller's). Logical sizes are bounded here so one input
//! cannot ask for gigabytes (the library's own cap is tested in tests/robustness.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;
include!("common.rs");

const DTYPES: [wb_dtype; 9] = [
    wb_dtype::WB_DTYPE_U8,
    wb_dtype::WB_DTYPE_I8,
    wb_dtype::WB_DTYPE_U16,
    wb_dtype::WB_DTYPE_I16,
    wb_dtype::WB_DTYPE_I32,
    wb_dtype::WB_DTYPE_I64,
    wb_dtype::WB_DTYPE_F32,
    wb_dtype::WB_DTYPE_F64,
    wb_dtype::WB_DTYPE_BOOL,
];
const ITEM: [usize; 9] = [1, 1, 2, 2, 4, 8, 4, 8, 1];

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (hdr, rest) = data.split_at(3);
    let di = usize::from(hdr[0]) % DTYPES.len();
    let ndim = usize::from(hdr[1]) % 7;
    let target = hdr[2];
    let mut it = rest.iter().copied();
    let mut shape = Vec::with_capacity(ndim);
    let mut strides = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        shape.push(i64::from(it.next().unwrap_or(1) % 70));
        strides.push(i64::from(it.next().unwrap_or(1) as i8));
    }
    let use_strides = target & 0x80 != 0;
    // What the descriptor addresses: element [0…] at `before` elements into the buffer.
    let numel: i64 = shape.iter().product();
    if numel > 1 << 16 {
        return;
    }
    let (mut lo, mut hi) = (0i64, 0i64);
    if numel > 0 {
        for (i, &d) in shape.iter().enumerate() {
            let s = if use_strides {
                strides[i]
            } else {
                shape[i + 1..].iter().product()
            };
            let reach = (d - 1) * s;
            if reach < 0 {
                lo += reach;
            } else {
                hi += reach;
            }
        }
    }
    let span = if numel > 0 { (hi - lo + 1) as usize } else { 0 };
    let item = ITEM[di];
    let mut buf: Vec<u8> = it.cycle().take(span * item).collect();
    buf.resize(span * item, 0);
    // Negative strides address memory before element 0: point `data` into the buffer.
    let base = unsafe { buf.as_ptr().add((-lo) as usize * item) };
    let t = wb_tensor {
        data: base.cast(),
        dtype: DTYPES[di],
        ndim,
        shape: shape.as_ptr(),
        strides: if use_strides {
            strides.as_ptr()
        } else {
            std::ptr::null()
        },
    };
    let mut v = std::ptr::null_mut();
    let mut e = err();
    let s = unsafe {
        match target & 0x7f {
            0..=15 => wb_value_from_tensor(&t, &mut v, &mut e),
            16..=47 => {
                let o = wb_image_options_default();
                wb_image_from_tensor(&t, &o, &mut v, &mut e)
            }
            48..=63 => wb_histogram_from_tensor(&t, usize::from(target % 17), &mut v, &mut e),
            64..=79 => wb_audio_from_tensor(&t, 8000, &mut v, &mut e),
            80..=95 => wb_object3d_from_tensor(&t, &mut v, &mut e),
            96..=111 => {
                wb_object3d_from_point_cloud(&t, std::ptr::null(), std::ptr::null(), &mut v, &mut e)
            }
            _ => {
                // A mask on a small image.
                let px = [0u8; 12];
                let sh = [2i64, 2, 3];
                let ti = wb_tensor {
                    data: px.as_ptr().cast(),
                    dtype: wb_dtype::WB_DTYPE_U8,
                    ndim: 3,
                    shape: sh.as_ptr(),
                    strides: std::ptr::null(),
                };
                let o = wb_image_options_default();
                if wb_image_from_tensor(&ti, &o, &mut v, &mut e) != wb_status::WB_OK {
                    return;
                }
                let k = cstr(b"m");
                wb_image_add_mask(v, k.as_ptr(), &t, std::ptr::null(), &mut e)
            }
        }
    };
    if s == wb_status::WB_OK && !v.is_null() {
        serialise(v);
    }
    settle(s, &e, v);
});
