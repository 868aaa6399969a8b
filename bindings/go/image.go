package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"runtime"
	"unsafe"
)

// ImageMode is the target Pillow mode (ModeAuto guesses it from the shape like the SDK).
type ImageMode int32

const (
	ModeAuto ImageMode = C.WB_IMAGE_MODE_AUTO
	ModeL    ImageMode = C.WB_IMAGE_MODE_L
	ModeLA   ImageMode = C.WB_IMAGE_MODE_LA
	ModeRGB  ImageMode = C.WB_IMAGE_MODE_RGB
	ModeRGBA ImageMode = C.WB_IMAGE_MODE_RGBA
)

// ImageFileType is the encoded format (the SDK's file_type).
type ImageFileType int32

const (
	FilePNG  ImageFileType = C.WB_IMAGE_PNG
	FileJPG  ImageFileType = C.WB_IMAGE_JPG
	FileJPEG ImageFileType = C.WB_IMAGE_JPEG
	FileBMP  ImageFileType = C.WB_IMAGE_BMP
)

// Convert says how non-uint8 pixel data becomes 8-bit.
type Convert int32

const (
	// ConvertAuto: floats as ConvertLegacy (a [0,1] image is visible), integers as ConvertCast.
	ConvertAuto Convert = C.WB_CONVERT_AUTO
	// ConvertCast: exactly wandb 0.31 (plain uint8 cast).
	ConvertCast Convert = C.WB_CONVERT_CAST
	// ConvertLegacy: wandb <= 0.18 to_uint8 (rescale negatives, x255 if max <= 1, clip).
	ConvertLegacy Convert = C.WB_CONVERT_LEGACY
)

// PNGMode chooses the PNG encoder.
type PNGMode int32

const (
	PNGPillow PNGMode = C.WB_PNG_PILLOW // byte-identical to the SDK (default)
	PNGFast   PNGMode = C.WB_PNG_FAST   // much faster, same pixels, other bytes
)

// ImageOptions change the encoded bytes. The zero value is the library default.
type ImageOptions struct {
	Mode     ImageMode
	FileType ImageFileType
	Convert  Convert
	PNG      PNGMode
}

func (o *ImageOptions) c() C.wb_image_options {
	co := C.wb_image_options_default()
	if o != nil {
		co.mode = uint32(o.Mode)
		co.file_type = uint32(o.FileType)
		co.convert = uint32(o.Convert)
		co.png_mode = uint32(o.PNG)
	}
	return co
}

// NewImageU8 is an image from packed 8-bit pixels, row-major, channels 1 (L), 3 (RGB) or 4
// (RGBA): PNG byte-identical to wandb.Image(np_array). pixels is read in place.
func NewImageU8(pixels []byte, height, width, channels int) (*Value, error) {
	if height < 0 || width < 0 || channels < 0 {
		return nil, newError(StatusInvalidArgument, "image dimensions must not be negative")
	}
	need, ok := mul(int64(height), int64(width))
	if ok {
		need, ok = mul(need, int64(channels))
	}
	if !ok || need > int64(len(pixels)) {
		return nil, newError(StatusInvalidArgument, "pixels is shorter than height*width*channels")
	}
	var p *C.uint8_t
	if len(pixels) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&pixels[0]))
	}
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wb_image_new_u8(p, C.size_t(height), C.size_t(width), C.size_t(channels), o, e)
	})
	runtime.KeepAlive(pixels)
	return v, err
}

func imageFromTensor(t Tensor, opts *ImageOptions, chw bool) (*Value, error) {
	ct, err := t.prepare("tensor")
	if err != nil {
		return nil, err
	}
	co := opts.c()
	flag := C.int(0)
	if chw {
		flag = 1
	}
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wbgo_image_from_tensor(ct.data, ct.dtype, ct.ndim, ct.shape, ct.strides, &co, flag, o, e)
	})
	t.keepAlive()
	return v, err
}

// ImageFromTensor is wandb.Image(np_array, mode=, file_type=) for HWC/HW data of any dtype
// (opts may be nil). Use strides to pass other layouts without copying.
func ImageFromTensor(t Tensor, opts *ImageOptions) (*Value, error) {
	return imageFromTensor(t, opts, false)
}

// ImageFromCHW is an image from channels-first (C,H,W) data, as the SDK treats torch tensors.
func ImageFromCHW(t Tensor, opts *ImageOptions) (*Value, error) {
	return imageFromTensor(t, opts, true)
}

// ImageFromFile copies an image file unchanged (format = its extension as written).
func ImageFromFile(path string) (*Value, error) {
	cs, err := cstring(path, "path")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cs))
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_image_from_file(cs, o, e) })
}

// SetGrouping sets an image's grouping (0 is dropped from the JSON, as in the SDK).
func (v *Value) SetGrouping(grouping int64) error {
	var e C.wb_error
	err := check(C.wb_image_set_grouping(v.ptr(), C.int64_t(grouping), &e), &e)
	runtime.KeepAlive(v)
	return err
}
