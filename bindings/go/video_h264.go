package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"runtime"
	"unsafe"
)

// H264Framing says how the NAL units of encoded H.264 input are delimited.
type H264Framing int32

const (
	H264FramingAuto   H264Framing = C.WB_H264_FRAMING_AUTO   // detect per buffer (default)
	H264FramingAnnexB H264Framing = C.WB_H264_FRAMING_ANNEXB // start codes (.h264 files, NVENC, VAAPI, ROS)
	H264FramingAVCC   H264Framing = C.WB_H264_FRAMING_AVCC   // 4-byte lengths (MP4/MKV samples)
)

// H264Options for VideoFromH264 and NewH264VideoWriter (zero value: framing Auto, no
// timestamps, 30 fps, no config).
type H264Options struct {
	Framing H264Framing
	// Ticks per second of pts/dts (e.g. 90000); 0 ignores timestamps (frames 1/FPS apart).
	Timescale uint32
	// Frame rate without timestamps, and the duration of a one-frame video; 0 → 30.
	FPS uint32
	// Optional avcC record or Annex-B SPS/PPS when the stream has no in-band SPS/PPS.
	Config []byte
}

// c returns the C options; config is copied to C memory (cgo rules), free with the func.
func (o *H264Options) c() (C.wb_video_h264_options, func()) {
	co := C.wb_video_h264_options_default()
	co.framing = uint32(o.Framing)
	co.timescale = C.uint32_t(o.Timescale)
	co.fps = C.uint32_t(o.FPS)
	free := func() {}
	if len(o.Config) > 0 {
		p := C.CBytes(o.Config)
		co.config = (*C.uint8_t)(p)
		co.config_len = C.size_t(len(o.Config))
		free = func() { C.free(p) }
	}
	return co, free
}

func bytesPtr(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0]))
}

func int64Ptr(v []int64) *C.int64_t {
	if len(v) == 0 {
		return nil
	}
	return (*C.int64_t)(unsafe.Pointer(&v[0]))
}

// VideoFromH264 muxes a whole encoded H.264 stream (Annex-B or AVCC) into an MP4 video
// without re-encoding. With opts.Timescale > 0, pts holds one presentation time per access
// unit (decode order) and dts is nil or one decode time each (nil: derived, B-frames work).
func VideoFromH264(data []byte, pts, dts []int64, opts H264Options) (*Value, error) {
	if dts != nil && len(dts) != len(pts) {
		return nil, newError(StatusInvalidArgument, "dts must be nil or as long as pts")
	}
	co, free := opts.c()
	defer free()
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wb_video_from_h264(bytesPtr(data), C.size_t(len(data)), int64Ptr(pts), int64Ptr(dts),
			C.size_t(len(pts)), &co, o, e)
	})
	runtime.KeepAlive(data)
	runtime.KeepAlive(pts)
	runtime.KeepAlive(dts)
	return v, err
}

// NewH264VideoWriter starts a writer that muxes encoded H.264 access units (PushH264) into
// an MP4 without re-encoding; Finish and Close as for NewVideoWriter.
func NewH264VideoWriter(opts H264Options) (*VideoWriter, error) {
	co, free := opts.c()
	defer free()
	var out *C.wb_video_writer
	var e C.wb_error
	if err := check(C.wb_video_writer_new_h264(&co, &out, &e), &e); err != nil {
		return nil, err
	}
	w := &VideoWriter{p: out}
	runtime.SetFinalizer(w, func(w *VideoWriter) { C.wb_video_writer_free(w.p) })
	return w, nil
}

// PushH264 adds one access unit (decode order) with its presentation time and, if dts is
// not nil, its decode time (give it for all or none). Bad input leaves the writer usable.
func (w *VideoWriter) PushH264(au []byte, pts int64, dts *int64) error {
	if w == nil || w.p == nil {
		return newError(StatusState, "video writer is finished or closed")
	}
	var e C.wb_error
	var cd C.int64_t
	var pd *C.int64_t
	if dts != nil {
		cd = C.int64_t(*dts)
		pd = &cd
	}
	err := check(C.wb_video_writer_push_h264(w.p, bytesPtr(au), C.size_t(len(au)), C.int64_t(pts), pd, &e), &e)
	runtime.KeepAlive(au)
	runtime.KeepAlive(w)
	return err
}
