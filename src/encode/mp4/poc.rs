//! Presentation order of an H.264 stream without timestamps: the picture order count (POC)
//! of ITU-T H.264 §8.2.1, computed from the slice headers as a decoder does, for the three
//! `pic_order_cnt_type`s. A raw Annex-B stream (`.h264` file, camera or NVENC byte stream)
//! carries no timestamps, and with B-frames its decode order is not its display order: the
//! muxer sorts the pictures by (coded video sequence, POC) to get each one's display slot.
//!
//! Slice headers are parsed with the `h264-reader` crate ([`SliceHeader::from_bits`]); only
//! the POC arithmetic (a few dozen lines of the standard's equations 8-1 … 8-12) is ours.
//! Frame pictures only: field-coded streams are refused earlier (SPS `frame_mbs_only_flag`).

use h264_reader::nal::pps::PicParameterSet;
use h264_reader::nal::slice::{
    DecRefPicMarking, MemoryManagementControlOperation, PicOrderCountLsb, SliceHeader,
};
use h264_reader::nal::sps::{PicOrderCntType, SeqParameterSet};
use h264_reader::nal::NalHeader;
use h264_reader::rbsp::{decode_nal, BitReader};
use h264_reader::Context;

/// Display position of one picture: pictures sort by `(period, poc)`. `period` counts coded
/// video sequences (it increases at every IDR and after a picture with
/// memory_management_control_operation 5, where POC restarts and all earlier pictures are
/// output first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PicOrder {
    pub period: u32,
    pub poc: i32,
}

/// Decoder-side POC state (§8.2.1) plus the parameter sets the slice headers refer to.
#[derive(Default)]
pub struct PocState {
    ctx: Context,
    s: Counters,
}

/// The counters carried from picture to picture (saved and restored around a picture the
/// muxer then refuses, so a rejected access unit leaves no trace).
#[derive(Debug, Default, Clone, Copy)]
pub struct Counters {
    /// Type 0: PicOrderCntMsb / pic_order_cnt_lsb of the previous reference picture.
    prev_msb: i64,
    prev_lsb: i64,
    /// Types 1 and 2: frame_num and FrameNumOffset of the previous picture.
    prev_frame_num: i64,
    prev_frame_num_offset: i64,
    period: u32,
    started: bool,
}

impl std::fmt::Debug for PocState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PocState(period {})", self.s.period)
    }
}

impl PocState {
    /// The counters, to [`PocState::restore`] if the picture is then refused.
    pub fn save(&self) -> Counters {
        self.s
    }

    pub fn restore(&mut self, c: Counters) {
        self.s = c;
    }

    /// Records a parsed SPS (replacing one with the same id).
    pub fn put_sps(&mut self, sps: SeqParameterSet) {
        self.ctx.put_seq_param_set(sps);
    }

    /// Parses and records a PPS NAL unit (its SPS must have been recorded).
    pub fn put_pps(&mut self, nal: &[u8]) -> Result<(), String> {
        let rbsp = decode_nal(nal).map_err(|e| format!("h264: invalid PPS: {e}"))?;
        let pps = PicParameterSet::from_bits(&self.ctx, BitReader::new(&rbsp[..]))
            .map_err(|e| format!("h264: invalid PPS: {e:?}"))?;
        self.ctx.put_pic_param_set(pps);
        Ok(())
    }

    /// The display position of the picture whose first slice NAL unit is `nal`, advancing
    /// the state. Call once per picture, in decode order.
    pub fn picture(&mut self, nal: &[u8]) -> Result<PicOrder, String> {
        let header =
            NalHeader::new(nal[0]).map_err(|e| format!("h264: slice NAL header: {e:?}"))?;
        let idr = nal[0] & 0x1F == 5;
        let ref_idc = (nal[0] >> 5) & 3;
        // The header fields sit in the first bytes; unescaping a prefix avoids copying a
        // whole (possibly megabyte) slice. A header longer than the prefix retries in full.
        let parsed = [256usize, usize::MAX].iter().find_map(|&limit| {
            let part = &nal[..nal.len().min(limit)];
            let rbsp = decode_nal(part).ok()?;
            let mut r = BitReader::new(&rbsp[..]);
            match SliceHeader::from_bits(&self.ctx, &mut r, header, None) {
                Ok((sh, sps, _)) => Some(Ok((sh, sps.clone()))),
                Err(e) if limit == usize::MAX || part.len() == nal.len() => {
                    Some(Err(format!("h264: cannot read the slice header to order the pictures without timestamps: {e:?}")))
                }
                Err(_) => None,
            }
        });
        let (sh, sps) = parsed.unwrap_or_else(|| Err("h264: unreadable slice header".into()))?;
        if !self.s.started && !idr {
            return Err("h264: the stream must start with an IDR picture".into());
        }
        self.s.started = true;
        let mmco5 = matches!(&sh.dec_ref_pic_marking, Some(DecRefPicMarking::Adaptive(ops))
            if ops.iter().any(|o| matches!(o, MemoryManagementControlOperation::AllRefPicturesUnused)));
        let frame_num = i64::from(sh.frame_num);
        let max_frame_num = 1i64 << sps.log2_max_frame_num();
        if idr {
            self.s.period += 1;
        }
        // FrameNumOffset (8-6 / 8-11), for types 1 and 2
        let frame_num_offset = if idr {
            0
        } else if self.s.prev_frame_num > frame_num {
            self.s.prev_frame_num_offset + max_frame_num
        } else {
            self.s.prev_frame_num_offset
        };
        let (top, bottom) = match (&sps.pic_order_cnt, &sh.pic_order_cnt_lsb) {
            (
                PicOrderCntType::TypeZero {
                    log2_max_pic_order_cnt_lsb_minus4,
                },
                Some(lsb),
            ) => {
                let (lsb, delta_bottom) = match *lsb {
                    PicOrderCountLsb::Frame(l) => (i64::from(l), 0),
                    PicOrderCountLsb::FieldsAbsolute {
                        pic_order_cnt_lsb,
                        delta_pic_order_cnt_bottom,
                    } => (
                        i64::from(pic_order_cnt_lsb),
                        i64::from(delta_pic_order_cnt_bottom),
                    ),
                    PicOrderCountLsb::FieldsDelta(_) => {
                        return Err("h264: POC type mismatch".into())
                    }
                };
                let max_lsb = 1i64 << (log2_max_pic_order_cnt_lsb_minus4 + 4);
                let (prev_msb, prev_lsb) = if idr {
                    (0, 0)
                } else {
                    (self.s.prev_msb, self.s.prev_lsb)
                };
                // 8-3
                let msb = if lsb < prev_lsb && prev_lsb - lsb >= max_lsb / 2 {
                    prev_msb + max_lsb
                } else if lsb > prev_lsb && lsb - prev_lsb > max_lsb / 2 {
                    prev_msb - max_lsb
                } else {
                    prev_msb
                };
                let top = msb + lsb;
                if ref_idc != 0 {
                    if mmco5 {
                        // after a reset the picture's top POC is top − min(top, bottom)
                        let b = top + delta_bottom;
                        self.s.prev_msb = 0;
                        self.s.prev_lsb = top - top.min(b);
                    } else {
                        self.s.prev_msb = msb;
                        self.s.prev_lsb = lsb;
                    }
                }
                (top, top + delta_bottom)
            }
            (
                PicOrderCntType::TypeOne {
                    offset_for_non_ref_pic,
                    offset_for_top_to_bottom_field,
                    offsets_for_ref_frame,
                    ..
                },
                Some(PicOrderCountLsb::FieldsDelta([d0, d1])),
            ) => {
                // 8-7 … 8-10
                let n = offsets_for_ref_frame.len() as i64;
                let mut abs = if n != 0 {
                    frame_num_offset + frame_num
                } else {
                    0
                };
                if ref_idc == 0 && abs > 0 {
                    abs -= 1;
                }
                let mut expected = 0i64;
                if abs > 0 {
                    let per_cycle: i64 = offsets_for_ref_frame.iter().map(|&o| i64::from(o)).sum();
                    let cycle = (abs - 1) / n;
                    let in_cycle = ((abs - 1) % n) as usize;
                    expected = cycle * per_cycle
                        + offsets_for_ref_frame[..=in_cycle]
                            .iter()
                            .map(|&o| i64::from(o))
                            .sum::<i64>();
                }
                if ref_idc == 0 {
                    expected += i64::from(*offset_for_non_ref_pic);
                }
                let top = expected + i64::from(*d0);
                (
                    top,
                    top + i64::from(*offset_for_top_to_bottom_field) + i64::from(*d1),
                )
            }
            (PicOrderCntType::TypeTwo, None) => {
                // 8-12: output order is decode order
                let t = if idr {
                    0
                } else if ref_idc == 0 {
                    2 * (frame_num_offset + frame_num) - 1
                } else {
                    2 * (frame_num_offset + frame_num)
                };
                (t, t)
            }
            _ => {
                return Err("h264: slice header does not match its SPS's pic_order_cnt_type".into())
            }
        };
        let poc = top.min(bottom);
        let order = if mmco5 {
            // all earlier pictures are output first; this one opens a new sequence at POC 0
            self.s.period += 1;
            PicOrder {
                period: self.s.period,
                poc: 0,
            }
        } else {
            let poc = i32::try_from(poc)
                .map_err(|_| format!("h264: picture order count {poc} out of range"))?;
            PicOrder {
                period: self.s.period,
                poc,
            }
        };
        if mmco5 {
            self.s.prev_frame_num = 0;
            self.s.prev_frame_num_offset = 0;
        } else {
            self.s.prev_frame_num = frame_num;
            self.s.prev_frame_num_offset = frame_num_offset;
        }
        Ok(order)
    }
}

/// Display rank of each picture (0 = shown first), from decode-order [`PicOrder`]s; an
/// error if two pictures of one sequence share a POC (their order would be undefined).
pub fn display_ranks(order: &[PicOrder]) -> Result<Vec<u32>, String> {
    let mut idx: Vec<u32> = (0..order.len() as u32).collect();
    idx.sort_by_key(|&i| order[i as usize]);
    let mut rank = vec![0u32; order.len()];
    for (k, w) in idx.windows(2).enumerate() {
        if order[w[0] as usize] == order[w[1] as usize] {
            return Err(format!(
                "h264: pictures {} and {} (decode order) have the same picture order count {}: \
                 their display order is undefined; pass timestamps instead",
                w[0].min(w[1]),
                w[0].max(w[1]),
                order[w[0] as usize].poc
            ));
        }
        rank[w[1] as usize] = k as u32 + 1;
    }
    if let Some(&first) = idx.first() {
        rank[first as usize] = 0;
    }
    Ok(rank)
}

#[cfg(test)]
mod tests {
    use super::super::bits::{escape_into, BitWriter};
    use super::*;

    fn nal(header: u8, w: BitWriter) -> Vec<u8> {
        let mut out = vec![header];
        escape_into(&mut out, &w.into_bytes());
        out
    }

    /// A Main-profile SPS (16×16) with pic_order_cnt_type 1: each reference frame advances
    /// the expected POC by `per_ref`, a non-reference picture sits `non_ref` from it.
    fn sps_type1(per_ref: i32, non_ref: i32) -> Vec<u8> {
        let mut w = BitWriter::new();
        w.u(8, 77); // profile_idc Main
        w.u(8, 0);
        w.u(8, 30);
        w.ue(0); // seq_parameter_set_id
        w.ue(0); // log2_max_frame_num_minus4: MaxFrameNum 16
        w.ue(1); // pic_order_cnt_type
        w.bit(false); // delta_pic_order_always_zero_flag
        w.se(non_ref); // offset_for_non_ref_pic
        w.se(0); // offset_for_top_to_bottom_field
        w.ue(1); // num_ref_frames_in_pic_order_cnt_cycle
        w.se(per_ref); // offset_for_ref_frame[0]
        w.ue(2); // max_num_ref_frames
        w.bit(false); // gaps_in_frame_num_value_allowed_flag
        w.ue(0); // pic_width_in_mbs_minus1
        w.ue(0); // pic_height_in_map_units_minus1
        w.bit(true); // frame_mbs_only_flag
        w.bit(true); // direct_8x8_inference_flag
        w.bit(false); // frame_cropping_flag
        w.bit(false); // vui_parameters_present_flag
        w.trailing();
        nal(0x67, w)
    }

    fn pps() -> Vec<u8> {
        let mut w = BitWriter::new();
        w.ue(0); // pic_parameter_set_id
        w.ue(0); // seq_parameter_set_id
        w.bit(false); // entropy_coding_mode_flag (CAVLC)
        w.bit(false); // bottom_field_pic_order_in_frame_present_flag
        w.ue(0); // num_slice_groups_minus1
        w.ue(0);
        w.ue(0);
        w.bit(false); // weighted_pred_flag
        w.u(2, 0); // weighted_bipred_idc
        w.se(0);
        w.se(0);
        w.se(0);
        w.bit(false); // deblocking_filter_control_present_flag
        w.bit(false);
        w.bit(false); // redundant_pic_cnt_present_flag
        w.trailing();
        nal(0x68, w)
    }

    /// A slice header (CAVLC, no weighted prediction) of a type-1 stream, plus a byte of
    /// slice data. `kind`: b'I' (IDR), b'P' or b'B'; `reference`: nal_ref_idc ≠ 0.
    fn slice(kind: u8, reference: bool, frame_num: u32, delta0: i32) -> Vec<u8> {
        let idr = kind == b'I';
        let mut w = BitWriter::new();
        w.ue(0); // first_mb_in_slice
        w.ue(match kind {
            b'P' => 5,
            b'B' => 6,
            _ => 7,
        });
        w.ue(0); // pic_parameter_set_id
        w.u(4, frame_num);
        if idr {
            w.ue(0); // idr_pic_id
        }
        w.se(delta0); // delta_pic_order_cnt[0]
        if kind == b'B' {
            w.bit(true); // direct_spatial_mv_pred_flag
        }
        if kind != b'I' {
            w.bit(false); // num_ref_idx_active_override_flag
            w.bit(false); // ref_pic_list_modification_flag_l0
            if kind == b'B' {
                w.bit(false); // …_l1
            }
        }
        if reference {
            if idr {
                w.bit(false);
                w.bit(false);
            } else {
                w.bit(false); // adaptive_ref_pic_marking_mode_flag
            }
        }
        w.se(0); // slice_qp_delta
        w.u(8, 0xA5); // slice data (not parsed)
        let header = match (idr, reference) {
            (true, _) => 0x65,
            (false, true) => 0x41,
            (false, false) => 0x01,
        };
        nal(header, w)
    }

    #[test]
    fn pic_order_cnt_type_1_orders_b_frames_across_frame_num_wraps() {
        // decode order IDR, then per group P B B (display B B P): POCs 0 | 6g+6, 6g+2, 6g+4
        let mut st = PocState::default();
        let sps = sps_type1(6, -4);
        let rbsp = decode_nal(&sps).unwrap();
        st.put_sps(SeqParameterSet::from_bits(BitReader::new(&rbsp[..])).unwrap());
        st.put_pps(&pps()).unwrap();
        let mut orders = vec![st.picture(&slice(b'I', true, 0, 0)).unwrap()];
        let groups = 25; // frame_num (4 bits) wraps at 16
        for g in 0..groups {
            orders.push(st.picture(&slice(b'P', true, (g + 1) % 16, 0)).unwrap());
            orders.push(st.picture(&slice(b'B', false, (g + 2) % 16, 0)).unwrap());
            orders.push(st.picture(&slice(b'B', false, (g + 2) % 16, 2)).unwrap());
        }
        let pocs: Vec<i32> = orders.iter().map(|o| o.poc).collect();
        let mut want = vec![0];
        for g in 0..groups as i32 {
            want.extend([6 * g + 6, 6 * g + 2, 6 * g + 4]);
        }
        assert_eq!(pocs, want);
        assert!(orders.iter().all(|o| o.period == 1));
        let ranks = display_ranks(&orders).unwrap();
        let mut want = vec![0];
        for g in 0..groups {
            want.extend([3 * g + 3, 3 * g + 1, 3 * g + 2]);
        }
        assert_eq!(ranks, want);
        // a second IDR opens a new sequence: its POC restarts, its pictures come after
        let idr = st.picture(&slice(b'I', true, 0, 0)).unwrap();
        assert_eq!((idr.period, idr.poc), (2, 0));
        // a slice referring to a PPS that was never sent is refused, state unchanged
        let saved = st.save();
        let mut w = BitWriter::new();
        w.ue(0);
        w.ue(5);
        w.ue(1); // pic_parameter_set_id 1
        w.u(16, 0xFFFF);
        let e = st.picture(&nal(0x41, w)).unwrap_err();
        assert!(e.contains("slice header"), "{e}");
        st.restore(saved);
        assert_eq!(st.picture(&slice(b'P', true, 1, 0)).unwrap().poc, 6);
    }

    #[test]
    fn a_stream_must_start_with_an_idr() {
        let mut st = PocState::default();
        let sps = sps_type1(2, -1);
        let rbsp = decode_nal(&sps).unwrap();
        st.put_sps(SeqParameterSet::from_bits(BitReader::new(&rbsp[..])).unwrap());
        st.put_pps(&pps()).unwrap();
        assert!(st
            .picture(&slice(b'P', true, 1, 0))
            .unwrap_err()
            .contains("IDR"));
    }

    #[test]
    fn ranks_sort_by_sequence_then_poc() {
        let o = |period, poc| PicOrder { period, poc };
        // I P B B | IDR B(leading? no: IDR resets) P
        let order = [
            o(1, 0),
            o(1, 6),
            o(1, 2),
            o(1, 4),
            o(2, 0),
            o(2, 4),
            o(2, 2),
        ];
        assert_eq!(display_ranks(&order).unwrap(), vec![0, 3, 1, 2, 4, 6, 5]);
        let dup = [o(1, 0), o(1, 2), o(1, 2)];
        assert!(display_ranks(&dup)
            .unwrap_err()
            .contains("same picture order count"));
        assert_eq!(display_ranks(&[]).unwrap(), Vec::<u32>::new());
    }
}
