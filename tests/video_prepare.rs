//! Video frame preparation (§6.2) without the encoders: tiling, padding, layouts, strides,
//! uint8 conversion. Golden vectors come from the SDK's own `Video._prepare_video`
//! (wandb 0.31.0, numpy 2.4.6) on `arange(n) % 251 + 1` tensors.

use wandb_media::media::image::Convert;
use wandb_media::media::video::{prepare_frames, Geometry, Layout, VideoOptions};
use wandb_media::{DType, TensorView};

fn arange(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251 + 1) as u8).collect()
}

fn frames_of(data: &[u8], shape: &[usize], layout: Layout) -> (Geometry, Vec<u8>) {
    let t = TensorView::new(data, DType::U8, shape).unwrap();
    let opts = VideoOptions {
        layout,
        ..Default::default()
    };
    let (g, frames) = prepare_frames(&t, &opts).unwrap();
    assert_eq!(frames.len(), g.frames);
    for f in &frames {
        assert_eq!(f.len(), g.out_width() * g.out_height() * 3);
    }
    (g, frames.concat())
}

#[test]
fn batch_of_three_is_padded_to_four_and_tiled_one_by_four() {
    // (B,T,C,H,W) = (3,2,3,2,2): SDK output (T, 2, 8, 3).
    let golden: [u8; 96] = [
        1, 5, 9, 2, 6, 10, 25, 29, 33, 26, 30, 34, 49, 53, 57, 50, 54, 58, 0, 0, 0, 0, 0, 0, 3, 7,
        11, 4, 8, 12, 27, 31, 35, 28, 32, 36, 51, 55, 59, 52, 56, 60, 0, 0, 0, 0, 0, 0, 13, 17, 21,
        14, 18, 22, 37, 41, 45, 38, 42, 46, 61, 65, 69, 62, 66, 70, 0, 0, 0, 0, 0, 0, 15, 19, 23,
        16, 20, 24, 39, 43, 47, 40, 44, 48, 63, 67, 71, 64, 68, 72, 0, 0, 0, 0, 0, 0,
    ];
    let (g, got) = frames_of(&arange(72), &[3, 2, 3, 2, 2], Layout::ChannelsFirst);
    assert_eq!(
        (g.rows, g.cols, g.out_width(), g.out_height()),
        (1, 4, 8, 2)
    );
    assert_eq!(got, golden);
}

#[test]
fn batch_of_five_is_padded_to_eight_and_tiled_two_by_four() {
    // (5,1,3,1,2): SDK output (1, 2, 8, 3); the second row holds video 4 and three blanks.
    let golden: [u8; 48] = [
        1, 3, 5, 2, 4, 6, 7, 9, 11, 8, 10, 12, 13, 15, 17, 14, 16, 18, 19, 21, 23, 20, 22, 24, 25,
        27, 29, 26, 28, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let (g, got) = frames_of(&arange(30), &[5, 1, 3, 1, 2], Layout::ChannelsFirst);
    assert_eq!(
        (g.rows, g.cols, g.out_width(), g.out_height()),
        (2, 4, 8, 2)
    );
    assert_eq!(got, golden);
}

#[test]
fn rgba_drops_alpha() {
    // (2,2,4,1,1): SDK output (2, 1, 2, 4); the encoders see the RGB part.
    let (g, got) = frames_of(&arange(16), &[2, 2, 4, 1, 1], Layout::ChannelsFirst);
    assert_eq!(g.channels, 4);
    assert_eq!(got, [1, 2, 3, 9, 10, 11, 5, 6, 7, 13, 14, 15]);
}

/// (B,T,C,H,W) data → the same data in (B,T,H,W,C) order.
fn to_channels_last(src: &[u8], s: [usize; 5]) -> Vec<u8> {
    let [b, t, c, h, w] = s;
    let mut out = vec![0u8; src.len()];
    for ib in 0..b {
        for it in 0..t {
            for ic in 0..c {
                for y in 0..h {
                    for x in 0..w {
                        let from = (((ib * t + it) * c + ic) * h + y) * w + x;
                        let to = (((ib * t + it) * h + y) * w + x) * c + ic;
                        out[to] = src[from];
                    }
                }
            }
        }
    }
    out
}

#[test]
fn layouts_and_strides_give_the_same_frames() {
    let s = [6usize, 3, 3, 5, 7];
    let n: usize = s.iter().product();
    let data: Vec<u8> = (0..n).map(|i| (i * 37 % 256) as u8).collect();
    let (g, reference) = frames_of(&data, &s, Layout::ChannelsFirst);
    assert_eq!((g.rows, g.cols), (2, 4));

    // Packed channels-last input with the explicit layout option.
    let last = to_channels_last(&data, s);
    let (g2, got) = frames_of(&last, &[6, 3, 5, 7, 3], Layout::ChannelsLast);
    assert_eq!(g2, g);
    assert_eq!(got, reference, "packed channels-last");

    // Channels-first memory described as channels-last through strides (no copy).
    let cf_strides = [3 * 3 * 5 * 7, 3 * 5 * 7, 5 * 7, 7, 1];
    let strides = [
        cf_strides[0],
        cf_strides[1],
        cf_strides[3],
        cf_strides[4],
        cf_strides[2],
    ];
    let t = TensorView::strided(&data, 0, DType::U8, &[6, 3, 5, 7, 3], Some(&strides)).unwrap();
    let opts = VideoOptions {
        layout: Layout::ChannelsLast,
        ..Default::default()
    };
    let (_, frames) = prepare_frames(&t, &opts).unwrap();
    assert_eq!(frames.concat(), reference, "strided channels-last view");

    // A time-reversed view (negative stride on T) gives the frames in reverse order.
    let t_last = (s[1] - 1) * cf_strides[1] as usize;
    let rev = [
        cf_strides[0],
        -cf_strides[1],
        cf_strides[2],
        cf_strides[3],
        cf_strides[4],
    ];
    let t = TensorView::strided(&data, t_last, DType::U8, &s, Some(&rev)).unwrap();
    let (_, frames) = prepare_frames(&t, &VideoOptions::default()).unwrap();
    let fsize = g.out_width() * g.out_height() * 3;
    let mut want: Vec<&[u8]> = reference.chunks(fsize).collect();
    want.reverse();
    assert_eq!(frames.concat(), want.concat(), "time-reversed view");

    // Every-other-pixel view of a larger buffer (W stride 2): the general gather path.
    let wide: Vec<u8> = data.iter().flat_map(|&v| [v, 0xEE]).collect();
    let wide_strides: Vec<isize> = cf_strides.iter().map(|&v| v * 2).collect();
    let t = TensorView::strided(&wide, 0, DType::U8, &s, Some(&wide_strides)).unwrap();
    let (_, frames) = prepare_frames(&t, &VideoOptions::default()).unwrap();
    assert_eq!(frames.concat(), reference, "W-strided view");
}

#[test]
fn four_d_tensor_is_a_batch_of_one() {
    let data = arange(2 * 3 * 4 * 5);
    let (g, got) = frames_of(&data, &[2, 3, 4, 5], Layout::ChannelsFirst);
    assert_eq!(
        (g.batch, g.rows, g.cols, g.out_width(), g.out_height()),
        (1, 1, 1, 5, 4)
    );
    // pixel (t=1, y=2, x=3) = channels at data[t][c][y][x]
    let at = |t: usize, c: usize, y: usize, x: usize| data[((t * 3 + c) * 4 + y) * 5 + x];
    let px = &got[(4 * 5 * 3) + (2 * 5 + 3) * 3..][..3];
    assert_eq!(px, [at(1, 0, 2, 3), at(1, 1, 2, 3), at(1, 2, 2, 3)]);
}

#[test]
fn non_uint8_follows_the_conversion_mode() {
    // SDK (numpy on x86-64) for this float32 (1,3,2,2) tensor:
    // [0, 255, 3, 1, 44, 4, 255, 0, 5, 0, 0, 6] in (H,W,C) order.
    let vals = [
        0.5f32,
        1.9,
        255.7,
        256.0,
        -1.0,
        300.2,
        f32::NAN,
        1e10,
        3.0,
        4.0,
        5.0,
        6.0,
    ];
    let bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let t = TensorView::new(&bytes, DType::F32, &[1, 3, 2, 2]).unwrap();
    let cast = VideoOptions {
        convert: Convert::Cast,
        ..Default::default()
    };
    let (_, f) = prepare_frames(&t, &cast).unwrap();
    assert_eq!(f[0], [0, 255, 3, 1, 44, 4, 255, 0, 5, 0, 0, 6]);

    // Auto (the default) rescales float data: a [0, 1] float video is visible, not black.
    let unit: Vec<u8> = [
        0.0f32, 0.5, 1.0, 0.25, 0.0, 0.5, 1.0, 0.25, 0.0, 0.5, 1.0, 0.25,
    ]
    .iter()
    .flat_map(|v| v.to_le_bytes())
    .collect();
    let t = TensorView::new(&unit, DType::F32, &[1, 3, 2, 2]).unwrap();
    let (_, f) = prepare_frames(&t, &VideoOptions::default()).unwrap();
    assert_eq!(f[0], [0, 0, 0, 127, 127, 127, 255, 255, 255, 63, 63, 63]);
    let (_, f) = prepare_frames(&t, &cast).unwrap();
    assert!(f[0].iter().all(|&v| v <= 1), "plain cast truncates to 0/1");

    // Integers wrap with Cast and Auto alike.
    let ints: Vec<u8> = [-1i16, 256, 257, 1000]
        .iter()
        .cycle()
        .take(12)
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let t = TensorView::new(&ints, DType::I16, &[1, 3, 2, 2]).unwrap();
    let (_, f) = prepare_frames(&t, &VideoOptions::default()).unwrap();
    assert_eq!(f[0], [255, 255, 255, 0, 0, 0, 1, 1, 1, 232, 232, 232]);
}

#[test]
fn shape_errors_name_the_problem() {
    let data = [0u8; 2 * 3 * 8 * 8];
    let err = |shape: &[usize], layout| {
        let t = TensorView::new(&data, DType::U8, shape).unwrap();
        let opts = VideoOptions {
            layout,
            ..Default::default()
        };
        prepare_frames(&t, &opts).unwrap_err().message
    };
    assert_eq!(
        err(&[4, 8, 8], Layout::ChannelsFirst),
        "Video must be at least 4 dimensions: time, channels, height, width"
    );
    assert!(err(&[2, 1, 8, 8], Layout::ChannelsFirst).contains("one color channel"));
    assert!(err(&[2, 8, 8, 1], Layout::ChannelsLast).contains("one color channel"));
    assert!(err(&[2, 8, 4, 2], Layout::ChannelsLast).contains("2 channels"));
    assert!(err(&[0, 3, 8, 8], Layout::ChannelsFirst).contains("no frames"));
    assert!(err(&[2, 3, 0, 8], Layout::ChannelsFirst).contains("empty frame"));
    assert!(err(&[0, 2, 3, 8, 8], Layout::ChannelsFirst).contains("batch size is 0"));
}
