package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"runtime"
	"unsafe"
)

// VideoFormat is the container format of a video.
type VideoFormat int32

const (
	VideoFormatUnset VideoFormat = C.WB_VIDEO_FORMAT_UNSET // an error for tensors, as in the SDK
	VideoGIF         VideoFormat = C.WB_VIDEO_GIF
	VideoMP4         VideoFormat = C.WB_VIDEO_MP4
	VideoWebM        VideoFormat = C.WB_VIDEO_WEBM // VP8 WebM (StatusUnsupported in builds without the webm feature)
	VideoOGG         VideoFormat = C.WB_VIDEO_OGG  // accepted, not encodable (the SDK fails too)
)

// VideoLayout is the axis order of a video tensor.
type VideoLayout int32

const (
	ChannelsFirst VideoLayout = C.WB_VIDEO_CHANNELS_FIRST // (T,C,H,W) or (B,T,C,H,W), as wandb.Video
	ChannelsLast  VideoLayout = C.WB_VIDEO_CHANNELS_LAST  // (T,H,W,C) or (B,T,H,W,C)
)

// VideoOptions for VideoFromTensor and NewVideoWriter (the one place where FPS and Format
// are given). Format is required; FPS 0 means 4. The quality controls apply to MP4 and WebM
// (GIF ignores them); 0 keeps the encoder's default: BitrateKbps is a target bitrate in
// kbit/s, CRF a constant quality on the H.264 QP scale (1 best … 51 smallest; not together
// with BitrateKbps), KeyframeInterval the frames from one keyframe to the next (default 2 s).
type VideoOptions struct {
	Format           VideoFormat
	FPS              uint32
	Layout           VideoLayout
	Convert          Convert
	BitrateKbps      uint32
	CRF              uint32
	KeyframeInterval uint32
}

func (o *VideoOptions) c() C.wb_video_options {
	co := C.wb_video_options_default()
	if o != nil {
		co.fps = C.uint32_t(o.FPS)
		co.format = uint32(o.Format)
		co.layout = uint32(o.Layout)
		co.convert = uint32(o.Convert)
		co.bitrate_kbps = C.uint32_t(o.BitrateKbps)
		co.crf = C.uint32_t(o.CRF)
		co.keyframe_interval = C.uint32_t(o.KeyframeInterval)
	}
	return co
}

// VideoFormatFromName parses "gif", "mp4", "webm" or "ogg" as wandb.Video(format=) does.
func VideoFormatFromName(name string) (VideoFormat, error) {
	cs, err := cstring(name, "name")
	if err != nil {
		return 0, err
	}
	defer C.free(unsafe.Pointer(cs))
	var f C.enum_wb_video_format
	var e C.wb_error
	if err := check(C.wb_video_format_from_name(cs, &f, &e), &e); err != nil {
		return 0, err
	}
	return VideoFormat(f), nil
}

// VideoFromTensor is wandb.Video(array, format=, fps=): (T,C,H,W) or (B,T,C,H,W) frames
// (channels-last with Layout ChannelsLast), any dtype and strides, C = 3 or 4.
func VideoFromTensor(t Tensor, opts VideoOptions) (*Value, error) {
	ct, err := t.prepare("tensor")
	if err != nil {
		return nil, err
	}
	co := opts.c()
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wbgo_video_from_tensor(ct.data, ct.dtype, ct.ndim, ct.shape, ct.strides, &co, o, e)
	})
	t.keepAlive()
	return v, err
}

// VideoFromTensorWithAudio is VideoFromTensor plus an Opus audio track (MP4 only): audio is
// 1-D (mono) or (frames, channels) with 1 or 2 channels, any dtype AudioFromTensor takes,
// sampleRate 1000..384000 Hz (resampled to 48 kHz). More channels, a rate out of range or a
// GIF are StatusInvalidArgument; WebM (or a build without the opus feature)
// StatusUnsupported. The track starts at 0 and is as long as the audio.
func VideoFromTensorWithAudio(t Tensor, opts VideoOptions, audio Tensor, sampleRate uint32) (*Value, error) {
	ct, err := t.prepare("tensor")
	if err != nil {
		return nil, err
	}
	ca, err := audio.prepare("audio")
	if err != nil {
		return nil, err
	}
	co := opts.c()
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wbgo_video_from_tensor_with_audio(ct.data, ct.dtype, ct.ndim, ct.shape, ct.strides, &co,
			ca.data, ca.dtype, ca.ndim, ca.shape, ca.strides, C.uint32_t(sampleRate), o, e)
	})
	t.keepAlive()
	audio.keepAlive()
	return v, err
}

// VideoFromFile copies a gif/mp4/webm/ogg file unchanged.
func VideoFromFile(path string) (*Value, error) {
	cs, err := cstring(path, "path")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cs))
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_video_from_file(cs, o, e) })
}

// VideoWriter encodes a video frame by frame (memory does not grow with the frame count).
// Use from one goroutine at a time.
type VideoWriter struct {
	p                       *C.wb_video_writer
	width, height, channels int
}

// NewVideoWriter starts a height×width video (shape order, as Push frames and every tensor)
// of channels 3 (RGB) or 4 (RGBA, alpha dropped). opts gives Format (VideoGIF or VideoMP4,
// required), FPS (0 → 4) and Convert (for non-uint8 frames); Layout is not used.
func NewVideoWriter(height, width, channels int, opts VideoOptions) (*VideoWriter, error) {
	if width < 0 || height < 0 || channels < 0 {
		return nil, newError(StatusInvalidArgument, "video size must not be negative")
	}
	co := opts.c()
	var out *C.wb_video_writer
	var e C.wb_error
	st := C.wb_video_writer_new(C.size_t(height), C.size_t(width), C.size_t(channels), &co, &out, &e)
	if err := check(st, &e); err != nil {
		return nil, err
	}
	w := &VideoWriter{p: out, width: width, height: height, channels: channels}
	runtime.SetFinalizer(w, func(w *VideoWriter) { C.wb_video_writer_free(w.p) })
	return w, nil
}

// Push encodes one (height, width, channels) frame of any dtype and strides.
func (w *VideoWriter) Push(frame Tensor) error {
	if w == nil || w.p == nil {
		return newError(StatusState, "video writer is finished or closed")
	}
	ct, err := frame.prepare("frame")
	if err != nil {
		return err
	}
	var e C.wb_error
	err = check(C.wbgo_video_writer_push(w.p, ct.data, ct.dtype, ct.ndim, ct.shape, ct.strides, &e), &e)
	frame.keepAlive()
	runtime.KeepAlive(w)
	return err
}

// PushAudio appends audio to the video's Opus audio track (MP4 writers only): 1-D (mono) or
// (frames, channels) with 1 or 2 channels, any dtype AudioFromTensor takes. The first call
// fixes the channel count and sampleRate (1000..384000 Hz); blocks play back to back from
// time 0, whatever frames were pushed in between. Bad input leaves the writer usable.
func (w *VideoWriter) PushAudio(audio Tensor, sampleRate uint32) error {
	if w == nil || w.p == nil {
		return newError(StatusState, "video writer is finished or closed")
	}
	ca, err := audio.prepare("audio")
	if err != nil {
		return err
	}
	var e C.wb_error
	err = check(C.wbgo_video_writer_push_audio(w.p, ca.data, ca.dtype, ca.ndim, ca.shape, ca.strides,
		C.uint32_t(sampleRate), &e), &e)
	audio.keepAlive()
	runtime.KeepAlive(w)
	return err
}

// PushU8 encodes one packed 8-bit frame of the writer's size (height*width*channels bytes).
func (w *VideoWriter) PushU8(pixels []byte) error {
	if w == nil || w.p == nil {
		return newError(StatusState, "video writer is finished or closed")
	}
	return w.Push(TensorOf(pixels, int64(w.height), int64(w.width), int64(w.channels)))
}

// Finish ends the video and returns it as a Value (needs at least one frame). The writer is
// consumed in every case.
func (w *VideoWriter) Finish() (*Value, error) {
	if w == nil || w.p == nil {
		return nil, newError(StatusState, "video writer is finished or closed")
	}
	p := w.p
	w.p = nil
	runtime.SetFinalizer(w, nil)
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_video_writer_finish(p, o, e) })
}

// Close discards an unfinished writer. Idempotent.
func (w *VideoWriter) Close() error {
	if w == nil || w.p == nil {
		return nil
	}
	runtime.SetFinalizer(w, nil)
	C.wb_video_writer_free(w.p)
	w.p = nil
	return nil
}
