package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"runtime"
	"unsafe"
)

// optCString is cstring for optional arguments ("" → NULL).
func optCString(s, what string) (*C.char, error) {
	if s == "" {
		return nil, nil
	}
	return cstring(s, what)
}

// AddBoxes attaches a bounding-box layer to an image (boxes={layer: {"box_data": ...,
// "class_labels": ...}}): boxDataJSON is a JSON array of boxes, classLabelsJSON "" or
// {"<id>": "name", ...}.
func (v *Value) AddBoxes(layer, boxDataJSON, classLabelsJSON string) error {
	cl, err := cstring(layer, "layer")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cl))
	cb, err := cstring(boxDataJSON, "box_data_json")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cb))
	cc, err := optCString(classLabelsJSON, "class_labels_json")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cc))
	var e C.wb_error
	err = check(C.wb_image_add_boxes(v.ptr(), cl, cb, cc, &e), &e)
	runtime.KeepAlive(v)
	return err
}

// AddBoxesLayer attaches a bounding-box layer given as its whole JSON object.
func (v *Value) AddBoxesLayer(layer, layerJSON string) error {
	cl, err := cstring(layer, "layer")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cl))
	cj, err := cstring(layerJSON, "layer_json")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cj))
	var e C.wb_error
	err = check(C.wb_image_add_boxes_layer(v.ptr(), cl, cj, &e), &e)
	runtime.KeepAlive(v)
	return err
}

// AddMask attaches a mask layer from a 2-D tensor of class ids in [0, 255];
// classLabelsJSON "" or {"<id>": "name", ...}.
func (v *Value) AddMask(layer string, mask Tensor, classLabelsJSON string) error {
	cl, err := cstring(layer, "layer")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cl))
	cc, err := optCString(classLabelsJSON, "class_labels_json")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cc))
	ct, err := mask.prepare("mask")
	if err != nil {
		return err
	}
	var e C.wb_error
	err = check(C.wbgo_image_add_mask(v.ptr(), cl, ct.data, ct.dtype, ct.ndim, ct.shape, ct.strides, cc, &e), &e)
	mask.keepAlive()
	runtime.KeepAlive(v)
	return err
}

// AddMaskFile attaches a mask layer from an image file (copied unchanged).
func (v *Value) AddMaskFile(layer, path string) error {
	cl, err := cstring(layer, "layer")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cl))
	cp, err := cstring(path, "path")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cp))
	var e C.wb_error
	err = check(C.wb_image_add_mask_file(v.ptr(), cl, cp, &e), &e)
	runtime.KeepAlive(v)
	return err
}

// SetClasses sets an image's class set (classes=[{"id": ..., "name": ...}, ...] as JSON).
func (v *Value) SetClasses(classesJSON string) error {
	cc, err := cstring(classesJSON, "classes_json")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cc))
	var e C.wb_error
	err = check(C.wb_image_set_classes(v.ptr(), cc, &e), &e)
	runtime.KeepAlive(v)
	return err
}

// TableLogMode is a table's log_mode.
type TableLogMode int32

const (
	TableImmutable   TableLogMode = C.WB_TABLE_IMMUTABLE
	TableMutable     TableLogMode = C.WB_TABLE_MUTABLE
	TableIncremental TableLogMode = C.WB_TABLE_INCREMENTAL
)

// TableOptions for NewTable; the zero value is the default (IMMUTABLE, type-checked).
type TableOptions struct {
	LogMode         TableLogMode
	AllowMixedTypes bool
}

// NewTable is an empty wandb.Table; columnsJSON is a JSON array of unique names (all
// strings or all integers). opts may be nil.
func NewTable(columnsJSON string, opts *TableOptions) (*Value, error) {
	cc, err := cstring(columnsJSON, "columns_json")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cc))
	co := C.wb_table_options_default()
	if opts != nil {
		co.log_mode = uint32(opts.LogMode)
		co.allow_mixed_types = C.bool(opts.AllowMixedTypes)
	}
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_table_new(cc, &co, o, e) })
}

// AddRow appends a row to the table v: each cell a *Value (copied; the caller keeps it) or
// a Go value ValueOf accepts.
func (v *Value) AddRow(cells ...any) error {
	ptrs := make([]*C.wb_value, len(cells)) // Go memory holding C pointers only
	for i, c := range cells {
		if cv, ok := c.(*Value); ok {
			ptrs[i] = cv.ptr()
			continue
		}
		cv, err := ValueOf(c)
		if err != nil {
			return err
		}
		defer cv.Close()
		ptrs[i] = cv.p
	}
	var first **C.wb_value
	if len(ptrs) > 0 {
		first = &ptrs[0]
	}
	var e C.wb_error
	err := check(C.wb_table_add_row(v.ptr(), first, C.size_t(len(ptrs)), &e), &e)
	runtime.KeepAlive(v)
	runtime.KeepAlive(cells)
	return err
}

// NRows is the number of rows added to the table v (an error if v is not a table).
func (v *Value) NRows() (int, error) {
	var n C.size_t
	var e C.wb_error
	err := check(C.wb_table_nrows(v.ptr(), &n, &e), &e)
	runtime.KeepAlive(v)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// ArtifactJSON is the table's artifact copy (<key>.table.json of the run_table artifact).
func (v *Value) ArtifactJSON() (string, error) {
	var out *C.char
	var e C.wb_error
	err := check(C.wb_table_artifact_json(v.ptr(), &out, &e), &e)
	runtime.KeepAlive(v)
	if err != nil {
		return "", err
	}
	return takeString(out), nil
}

// NewJoinedTable is wandb.JoinedTable(t1, t2, joinKey); joinKey2 ("" = same) names the key
// column of t2 if it differs.
func NewJoinedTable(t1, t2 *Value, joinKey, joinKey2 string) (*Value, error) {
	ck, err := cstring(joinKey, "join_key")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ck))
	ck2, err := optCString(joinKey2, "join_key2")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ck2))
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wb_joined_table_new(t1.ptr(), t2.ptr(), ck, ck2, o, e)
	})
	runtime.KeepAlive(t1)
	runtime.KeepAlive(t2)
	return v, err
}
