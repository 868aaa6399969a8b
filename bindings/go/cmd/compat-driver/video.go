package main

import (
	"fmt"

	wm "github.com/wandb-media/wandb-media/bindings/go"
)

// `video` specs: wandb.Video(data, caption=, fps=, format=).
func init() { extraSpecs["video"] = buildVideo }

func buildVideo(d *driver, spec *object) (*wm.Value, error) {
	if err := onlyFields(spec, "video", "wb", "tensor", "file", "format", "fps", "caption"); err != nil {
		return nil, err
	}
	tensor, hasTensor := spec.lookup("tensor")
	file, hasFile := spec.lookup("file")
	var v *wm.Value
	var err error
	switch {
	case hasTensor && hasFile:
		return nil, fmt.Errorf("video spec: both tensor and file")
	case hasFile:
		if _, has := spec.lookup("format"); has {
			return nil, fmt.Errorf("video spec: format is not allowed with file")
		}
		name, ok := file.(string)
		if !ok {
			return nil, fmt.Errorf("video spec: file must be a string")
		}
		v, err = wm.VideoFromFile(d.path(name)) // fps is ignored for files, as in the SDK
	case hasTensor:
		// The SDK casts non-uint8 video data without scaling.
		opts := wm.VideoOptions{Convert: wm.ConvertCast, FPS: 4}
		if f, has := spec.lookup("format"); has {
			name, ok := f.(string)
			if !ok {
				return nil, fmt.Errorf("video spec: format must be a string")
			}
			if opts.Format, err = wm.VideoFormatFromName(name); err != nil {
				return nil, err
			}
		}
		if f, has := spec.lookup("fps"); has {
			n, ok := f.(number)
			fps, isInt := n.int64()
			if !ok || !isInt || fps < 0 || fps > 1<<32-1 {
				return nil, fmt.Errorf("video spec: fps must be a non-negative integer")
			}
			opts.FPS = uint32(fps)
		}
		t, terr := d.tensor(tensor)
		if terr != nil {
			return nil, terr
		}
		v, err = wm.VideoFromTensor(t, opts)
	default:
		return nil, fmt.Errorf("video spec needs tensor or file")
	}
	if err != nil {
		return nil, err
	}
	if err := setCaption(v, spec); err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}
