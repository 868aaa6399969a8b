//! Lossless H.264 High 4:4:4 Predictive stream made of I_PCM macroblocks, for frame sizes
//! that 4:2:0 cannot represent (odd width or height; the SDK's ffmpeg path switches to
//! yuv444p there too). P pictures skip the macroblocks that did not change (P_Skip with a
//! zero motion vector and no deblocking copies them exactly), so static content is cheap;
//! changed macroblocks cost 768 bytes each.

use super::bits::{escape_into, BitWriter};

/// `log2_max_frame_num` (16 bits of frame_num).
const FRAME_NUM_BITS: u32 = 16;

pub(crate) struct PcmEncoder {
    /// Real size.
    width: usize,
    height: usize,
    /// Size in macroblocks.
    mbw: usize,
    mbh: usize,
    /// Planar Y, Cb, Cr of the current and previous picture (padded to whole macroblocks).
    cur: Vec<u8>,
    prev: Vec<u8>,
    /// Frames between IDR pictures.
    gop: u64,
    frame: u64,
    idr_count: u32,
}

impl PcmEncoder {
    pub(crate) fn new(width: u32, height: u32, gop: u32) -> Self {
        let (width, height) = (width as usize, height as usize);
        let (mbw, mbh) = (width.div_ceil(16), height.div_ceil(16));
        Self {
            width,
            height,
            mbw,
            mbh,
            cur: Vec::new(),
            prev: Vec::new(),
            gop: u64::from(gop.max(1)),
            frame: 0,
            idr_count: 0,
        }
    }

    /// Encodes one RGB frame (length already validated) into NAL units without start codes.
    pub(crate) fn encode(&mut self, rgb: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        let (pw, ph) = (self.mbw * 16, self.mbh * 16);
        let plane = pw * ph;
        if self.cur.is_empty() {
            self.cur
                .try_reserve_exact(plane * 3)
                .map_err(|_| "mp4: out of memory".to_string())?;
            self.cur.resize(plane * 3, 0);
        }
        self.fill(rgb);
        let mut nals = Vec::new();
        if self.frame == 0 {
            nals.push(self.sps());
            nals.push(pps());
        }
        let gop_pos = self.frame % self.gop;
        let idr = gop_pos == 0 || self.prev.is_empty();
        let mut w = BitWriter::new();
        // slice header
        w.ue(0); // first_mb_in_slice
        w.ue(if idr { 7 } else { 5 }); // slice_type: I / P (all slices of the picture)
        w.ue(0); // pic_parameter_set_id
        w.u(FRAME_NUM_BITS, (gop_pos % (1 << FRAME_NUM_BITS)) as u32); // frame_num
        if idr {
            w.ue(self.idr_count % 2); // idr_pic_id: consecutive IDRs differ
            self.idr_count = self.idr_count.wrapping_add(1);
        } else {
            w.bit(false); // num_ref_idx_active_override_flag
            w.bit(false); // ref_pic_list_modification_flag_l0
        }
        // dec_ref_pic_marking (nal_ref_idc != 0)
        if idr {
            w.bit(false); // no_output_of_prior_pics_flag
            w.bit(false); // long_term_reference_flag
        } else {
            w.bit(false); // adaptive_ref_pic_marking_mode_flag: sliding window
        }
        w.se(0); // slice_qp_delta
        w.ue(1); // disable_deblocking_filter_idc: off (keeps PCM and skips exact)
                 // slice data
        let mut skip_run = 0u32;
        for my in 0..self.mbh {
            for mx in 0..self.mbw {
                if !idr && self.mb_unchanged(mx, my) {
                    skip_run += 1;
                    continue;
                }
                if !idr {
                    w.ue(skip_run);
                    skip_run = 0;
                    w.ue(30); // I_PCM in a P slice (5 + 25)
                } else {
                    w.ue(25); // I_PCM
                }
                w.align_zero(); // pcm_alignment_zero_bits
                for p in 0..3 {
                    for y in 0..16 {
                        let row = p * plane + (my * 16 + y) * pw + mx * 16;
                        w.bytes(&self.cur[row..row + 16]);
                    }
                }
            }
        }
        if skip_run > 0 {
            w.ue(skip_run);
        }
        w.trailing();
        let rbsp = w.into_bytes();
        let mut nal = Vec::new();
        nal.try_reserve(rbsp.len() + rbsp.len() / 64 + 8)
            .map_err(|_| "mp4: out of memory".to_string())?;
        nal.push(if idr { 0x65 } else { 0x61 }); // nal_ref_idc 3, IDR / non-IDR slice
        escape_into(&mut nal, &rbsp);
        nals.push(nal);
        std::mem::swap(&mut self.cur, &mut self.prev);
        if self.cur.len() != self.prev.len() {
            self.cur = self.prev.clone();
        }
        self.frame += 1;
        Ok(nals)
    }

    fn mb_unchanged(&self, mx: usize, my: usize) -> bool {
        let pw = self.mbw * 16;
        let plane = pw * self.mbh * 16;
        (0..3).all(|p| {
            (0..16).all(|y| {
                let row = p * plane + (my * 16 + y) * pw + mx * 16;
                self.cur[row..row + 16] == self.prev[row..row + 16]
            })
        })
    }

    /// BT.601 limited-range 4:4:4 conversion; the padding repeats the edge pixels.
    fn fill(&mut self, rgb: &[u8]) {
        let (w, h) = (self.width, self.height);
        let pw = self.mbw * 16;
        let ph = self.mbh * 16;
        let plane = pw * ph;
        let (ys, rest) = self.cur.split_at_mut(plane);
        let (us, vs) = rest.split_at_mut(plane);
        for y in 0..h {
            let src = &rgb[y * w * 3..(y + 1) * w * 3];
            for (x, p) in src.chunks_exact(3).enumerate() {
                let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
                let i = y * pw + x;
                ys[i] = ((16_829 * r + 33_039 * g + 6_416 * b + (16 << 16) + 32_768) >> 16) as u8;
                us[i] = ((-9_714 * r - 19_070 * g + 28_784 * b + (128 << 16) + 32_768) >> 16) as u8;
                vs[i] = ((28_784 * r - 24_103 * g - 4_681 * b + (128 << 16) + 32_768) >> 16) as u8;
            }
        }
        for pl in [ys, us, vs] {
            for y in 0..h {
                let last = pl[y * pw + w - 1];
                pl[y * pw + w..(y + 1) * pw].fill(last);
            }
            for y in h..ph {
                pl.copy_within((h - 1) * pw..h * pw, y * pw);
            }
        }
    }

    fn sps(&self) -> Vec<u8> {
        let mut w = BitWriter::new();
        w.u(8, 244); // profile_idc: High 4:4:4 Predictive
        w.u(8, 0); // constraint flags
        w.u(8, 51); // level_idc 5.1
        w.ue(0); // seq_parameter_set_id
        w.ue(3); // chroma_format_idc: 4:4:4
        w.bit(false); // separate_colour_plane_flag
        w.ue(0); // bit_depth_luma_minus8
        w.ue(0); // bit_depth_chroma_minus8
        w.bit(false); // qpprime_y_zero_transform_bypass_flag
        w.bit(false); // seq_scaling_matrix_present_flag
        w.ue(FRAME_NUM_BITS - 4); // log2_max_frame_num_minus4
        w.ue(2); // pic_order_cnt_type: output order = decoding order
        w.ue(1); // max_num_ref_frames
        w.bit(false); // gaps_in_frame_num_value_allowed_flag
        w.ue(self.mbw as u32 - 1);
        w.ue(self.mbh as u32 - 1);
        w.bit(true); // frame_mbs_only_flag
        w.bit(true); // direct_8x8_inference_flag
        let (right, bottom) = (self.mbw * 16 - self.width, self.mbh * 16 - self.height);
        if right == 0 && bottom == 0 {
            w.bit(false);
        } else {
            w.bit(true); // frame cropping, unit = 1 sample in 4:4:4
            w.ue(0);
            w.ue(right as u32);
            w.ue(0);
            w.ue(bottom as u32);
        }
        w.bit(true); // vui_parameters_present_flag
        w.bit(false); // aspect_ratio_info_present_flag
        w.bit(false); // overscan_info_present_flag
        w.bit(true); // video_signal_type_present_flag
        w.u(3, 5); // video_format: unspecified
        w.bit(false); // video_full_range_flag
        w.bit(true); // colour_description_present_flag
        w.u(8, 6); // colour_primaries: SMPTE 170M
        w.u(8, 6); // transfer_characteristics
        w.u(8, 6); // matrix_coefficients: BT.601
        w.bit(false); // chroma_loc_info_present_flag
        w.bit(false); // timing_info_present_flag
        w.bit(false); // nal_hrd_parameters_present_flag
        w.bit(false); // vcl_hrd_parameters_present_flag
        w.bit(false); // pic_struct_present_flag
        w.bit(true); // bitstream_restriction_flag
        w.bit(true); // motion_vectors_over_pic_boundaries_flag
        w.ue(0); // max_bytes_per_pic_denom
        w.ue(0); // max_bits_per_mb_denom
        w.ue(16); // log2_max_mv_length_horizontal
        w.ue(16); // log2_max_mv_length_vertical
        w.ue(0); // max_num_reorder_frames
        w.ue(1); // max_dec_frame_buffering
        w.trailing();
        let mut nal = vec![0x67];
        escape_into(&mut nal, &w.into_bytes());
        nal
    }
}

fn pps() -> Vec<u8> {
    let mut w = BitWriter::new();
    w.ue(0); // pic_parameter_set_id
    w.ue(0); // seq_parameter_set_id
    w.bit(false); // entropy_coding_mode_flag: CAVLC
    w.bit(false); // bottom_field_pic_order_in_frame_present_flag
    w.ue(0); // num_slice_groups_minus1
    w.ue(0); // num_ref_idx_l0_default_active_minus1
    w.ue(0); // num_ref_idx_l1_default_active_minus1
    w.bit(false); // weighted_pred_flag
    w.u(2, 0); // weighted_bipred_idc
    w.se(0); // pic_init_qp_minus26
    w.se(0); // pic_init_qs_minus26
    w.se(0); // chroma_qp_index_offset
    w.bit(true); // deblocking_filter_control_present_flag
    w.bit(false); // constrained_intra_pred_flag
    w.bit(false); // redundant_pic_cnt_present_flag
    w.trailing();
    let mut nal = vec![0x68];
    escape_into(&mut nal, &w.into_bytes());
    nal
}
