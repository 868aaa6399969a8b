package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"runtime"
	"unsafe"
)

// Reading back (issue 21): W&B JSON and the files it names → values, accessors, equality.

// FromWandbJSON is init_from_json: any W&B JSON (a history row, one value, an artifact's
// <name>.<type>.json) read against sourceDir, the directory its paths are relative to (a
// run's files/ directory or an artifact directory).
func FromWandbJSON(json, sourceDir string) (*Value, error) {
	cj, err := cstring(json, "json")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cj))
	cd, err := cstring(sourceDir, "source_dir")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cd))
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wb_value_from_wandb_json(cj, cd, o, e)
	})
}

// ArtifactGet is artifact.get(name) on an artifact directory.
func ArtifactGet(artifactDir, name string) (*Value, error) {
	return artifactGet(artifactDir, name, nil)
}

// ArtifactGetWithID is artifact.get(name) on the logged artifact whose server id
// (artifact.id, base64) is artifactID: the value refers back to its source when logged (a
// table: artifact_path and one reference entry; image and mask cells put in a new table:
// reference entries, no copies). See wb_artifact_get_options in wandb_media.h.
func ArtifactGetWithID(artifactDir, name, artifactID string) (*Value, error) {
	return artifactGet(artifactDir, name, &artifactID)
}

func artifactGet(artifactDir, name string, artifactID *string) (*Value, error) {
	cd, err := cstring(artifactDir, "artifact_dir")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cd))
	cn, err := cstring(name, "name")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cn))
	opts := C.wb_artifact_get_options_default()
	if artifactID != nil {
		ci, err := cstring(*artifactID, "artifact_id")
		if err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(ci))
		opts.artifact_id = ci
	}
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wb_artifact_get_with_options(cd, cn, &opts, o, e)
	})
}

// ArtifactReference is the wandb-artifact:// URL the value refers to when logged ("" when
// it refers to nothing).
func (v *Value) ArtifactReference() (string, error) {
	var p *C.char
	var e C.wb_error
	if err := check(C.wb_value_artifact_reference(v.ptr(), &p, &e), &e); err != nil {
		return "", err
	}
	runtime.KeepAlive(v)
	if p == nil {
		return "", nil
	}
	return takeString(p), nil
}

// Type is "null", "bool", "int", "float", "string", "list", "dict", "histogram", … or the
// media class ("Image", "Table", …).
func (v *Value) Type() string {
	t := C.wb_value_type(v.ptr())
	runtime.KeepAlive(v)
	if t == nil {
		return ""
	}
	return C.GoString(t)
}

// Int is an int (or bool) value.
func (v *Value) Int() (int64, error) {
	var x C.int64_t
	var e C.wb_error
	err := check(C.wb_value_get_int(v.ptr(), &x, &e), &e)
	runtime.KeepAlive(v)
	return int64(x), err
}

// Float is a number value as float64.
func (v *Value) Float() (float64, error) {
	var x C.double
	var e C.wb_error
	err := check(C.wb_value_get_float(v.ptr(), &x, &e), &e)
	runtime.KeepAlive(v)
	return float64(x), err
}

// Bool is a bool value.
func (v *Value) Bool() (bool, error) {
	var x C.bool
	var e C.wb_error
	err := check(C.wb_value_get_bool(v.ptr(), &x, &e), &e)
	runtime.KeepAlive(v)
	return bool(x), err
}

// Str is a string value.
func (v *Value) Str() (string, error) {
	var p *C.char
	var n C.size_t
	var e C.wb_error
	if err := check(C.wb_value_get_string(v.ptr(), &p, &n, &e), &e); err != nil {
		return "", err
	}
	s := C.GoStringN(p, C.int(n))
	runtime.KeepAlive(v)
	return s, nil
}

// Len is the number of list items, dict members or table rows.
func (v *Value) Len() (int, error) {
	var n C.size_t
	var e C.wb_error
	err := check(C.wb_value_len(v.ptr(), &n, &e), &e)
	runtime.KeepAlive(v)
	return int(n), err
}

// Item is list item i (a copy).
func (v *Value) Item(i int) (*Value, error) {
	r, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_list_get(v.ptr(), C.size_t(i), o, e) })
	runtime.KeepAlive(v)
	return r, err
}

// Entry is dict member i (insertion order): its key and a copy of its value.
func (v *Value) Entry(i int) (string, *Value, error) {
	var k *C.char
	var out *C.wb_value
	var e C.wb_error
	if err := check(C.wb_dict_entry(v.ptr(), C.size_t(i), &k, &out, &e), &e); err != nil {
		return "", nil, err
	}
	runtime.KeepAlive(v)
	return takeString(k), newValue(out), nil
}

// Columns are a table's column names.
func (v *Value) Columns() ([]string, error) {
	var n C.size_t
	var e C.wb_error
	if err := check(C.wb_table_ncols(v.ptr(), &n, &e), &e); err != nil {
		return nil, err
	}
	cols := make([]string, int(n))
	for c := range cols {
		var p *C.char
		if err := check(C.wb_table_column_name(v.ptr(), C.size_t(c), &p, &e), &e); err != nil {
			return nil, err
		}
		cols[c] = takeString(p)
	}
	runtime.KeepAlive(v)
	return cols, nil
}

// ColumnTypesJSON is a table's column types (W&B type JSON).
func (v *Value) ColumnTypesJSON() (string, error) {
	var p *C.char
	var e C.wb_error
	if err := check(C.wb_table_column_types_json(v.ptr(), &p, &e), &e); err != nil {
		return "", err
	}
	runtime.KeepAlive(v)
	return takeString(p), nil
}

// Cell is table cell (row, col) (a copy).
func (v *Value) Cell(row, col int) (*Value, error) {
	r, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wb_table_cell(v.ptr(), C.size_t(row), C.size_t(col), o, e)
	})
	runtime.KeepAlive(v)
	return r, err
}

// Row is table row r as a slice of cells.
func (v *Value) Row(r int) ([]*Value, error) {
	var n C.size_t
	var e C.wb_error
	if err := check(C.wb_table_ncols(v.ptr(), &n, &e), &e); err != nil {
		return nil, err
	}
	cells := make([]*Value, int(n))
	for c := range cells {
		cell, err := v.Cell(r, c)
		if err != nil {
			return nil, err
		}
		cells[c] = cell
	}
	return cells, nil
}

// Rows iterates a table's rows: for i, row := range t.Rows() { … } (a row that cannot be
// read ends the iteration; use Row for its error).
func (v *Value) Rows() func(yield func(int, []*Value) bool) {
	return func(yield func(int, []*Value) bool) {
		n, err := v.Len()
		if err != nil {
			return
		}
		for r := 0; r < n; r++ {
			row, err := v.Row(r)
			if err != nil || !yield(r, row) {
				return
			}
		}
	}
}

// Pixels are an image's decoded pixels, H × W × C uint8 row-major.
type Pixels struct {
	Data                    []byte
	Height, Width, Channels int
}

// Pixels decodes an image value's file.
func (v *Value) Pixels() (Pixels, error) {
	var px C.wb_image_pixels
	var e C.wb_error
	if err := check(C.wb_image_get_pixels(v.ptr(), &px, &e), &e); err != nil {
		return Pixels{}, err
	}
	runtime.KeepAlive(v)
	n := int(px.height * px.width * px.channels)
	out := Pixels{Data: C.GoBytes(unsafe.Pointer(px.data), C.int(n)), Height: int(px.height), Width: int(px.width), Channels: int(px.channels)}
	C.wb_image_pixels_free(&px)
	return out, nil
}

// Samples are decoded audio samples (frames × channels, interleaved).
type Samples struct {
	Data             []float32
	Frames, Channels int
	SampleRate       int
}

// Samples decodes an audio value's WAV file.
func (v *Value) Samples() (Samples, error) {
	var s C.wb_audio_samples
	var e C.wb_error
	if err := check(C.wb_audio_get_samples(v.ptr(), &s, &e), &e); err != nil {
		return Samples{}, err
	}
	runtime.KeepAlive(v)
	n := int(s.frames * s.channels)
	out := Samples{Data: make([]float32, n), Frames: int(s.frames), Channels: int(s.channels), SampleRate: int(s.sample_rate)}
	if n > 0 {
		copy(out.Data, unsafe.Slice((*float32)(unsafe.Pointer(s.data)), n))
	}
	C.wb_audio_samples_free(&s)
	return out, nil
}

// HistogramData is a histogram value's counts and edges.
func (v *Value) HistogramData() (values, bins []float64, err error) {
	var n C.size_t
	var e C.wb_error
	if err := check(C.wb_histogram_size(v.ptr(), &n, &e), &e); err != nil {
		return nil, nil, err
	}
	values = make([]float64, int(n)+1)
	bins = make([]float64, int(n)+1)
	err = check(C.wb_histogram_read(v.ptr(), (*C.double)(unsafe.Pointer(&values[0])), (*C.double)(unsafe.Pointer(&bins[0])), &e), &e)
	runtime.KeepAlive(v)
	return values[:int(n)], bins, err
}

// CaptionJSON is a media value's caption as JSON ("null" without one).
func (v *Value) CaptionJSON() (string, error) {
	var p *C.char
	var e C.wb_error
	if err := check(C.wb_media_caption_json(v.ptr(), &p, &e), &e); err != nil {
		return "", err
	}
	runtime.KeepAlive(v)
	return takeString(p), nil
}

// Equal is a == b with the SDK's __eq__ semantics.
func (v *Value) Equal(o *Value) (bool, error) {
	var eq C.bool
	var e C.wb_error
	err := check(C.wb_value_equal(v.ptr(), o.ptr(), &eq, &e), &e)
	runtime.KeepAlive(v)
	runtime.KeepAlive(o)
	return bool(eq), err
}
