package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"runtime"
	"unsafe"
)

// bytesArg passes a string's bytes (not copied; may contain NUL) as pointer + length.
func bytesArg(s string) (*C.char, C.size_t) {
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

// AudioFromTensor is wandb.Audio(array, sample_rate=): 1-D mono or 2-D (frames, channels),
// float32/float64/int16/int32, written as 16-bit PCM WAV identical to the SDK.
func AudioFromTensor(t Tensor, sampleRate uint32) (*Value, error) {
	ct, err := t.prepare("tensor")
	if err != nil {
		return nil, err
	}
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wbgo_audio_from_tensor(ct.data, ct.dtype, ct.ndim, ct.shape, ct.strides, C.uint32_t(sampleRate), o, e)
	})
	t.keepAlive()
	return v, err
}

// AudioFromFile copies an audio file unchanged; sampleRate 0 means "not given".
func AudioFromFile(path string, sampleRate uint32) (*Value, error) {
	cs, err := cstring(path, "path")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cs))
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wb_audio_from_file(cs, C.uint32_t(sampleRate), o, e)
	})
}

// HTML is wandb.Html(text, inject=) (inject adds the SDK's stylesheet snippet).
func HTML(html string, inject bool) (*Value, error) {
	p, n := bytesArg(html)
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wb_html_from_string_n(p, n, C.bool(inject), o, e)
	})
	runtime.KeepAlive(html)
	return v, err
}

// HTMLFromFile is wandb.Html(path, inject=) for a file whose name ends in .html.
func HTMLFromFile(path string, inject bool) (*Value, error) {
	cs, err := cstring(path, "path")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cs))
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_html_from_file(cs, C.bool(inject), o, e) })
}

// Object3DFromTensor is wandb.Object3D(array) for an N×3, N×4 or N×6 point array.
func Object3DFromTensor(t Tensor) (*Value, error) {
	ct, err := t.prepare("tensor")
	if err != nil {
		return nil, err
	}
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wbgo_object3d_from_tensor(ct.data, ct.dtype, ct.ndim, ct.shape, ct.strides, o, e)
	})
	t.keepAlive()
	return v, err
}

// Object3DFromFile copies a 3-D file (obj, gltf, glb, babylon, stl, pts.json) unchanged.
func Object3DFromFile(path string) (*Value, error) {
	cs, err := cstring(path, "path")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cs))
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_object3d_from_file(cs, o, e) })
}

// Object3DFromString is wandb.Object3D(io, file_type=) from file content held in memory.
func Object3DFromString(data, fileType string) (*Value, error) {
	ct, err := cstring(fileType, "file_type")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ct))
	p, n := bytesArg(data)
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_object3d_from_string(p, n, ct, o, e) })
	runtime.KeepAlive(data)
	return v, err
}

// Object3DFromPointCloud is a lidar/beta point-cloud scene: points (nil → []), boxesJSON
// ("" → []; wandb.box3d specs or computed boxes) and vectorsJSON ("" → []).
func Object3DFromPointCloud(points *Tensor, boxesJSON, vectorsJSON string) (*Value, error) {
	cb, err := optCString(boxesJSON, "boxes_json")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cb))
	cv, err := optCString(vectorsJSON, "vectors_json")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cv))
	var ct cTensor
	has := C.int(0)
	if points != nil {
		if ct, err = points.prepare("points"); err != nil {
			return nil, err
		}
		has = 1
	}
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wbgo_object3d_from_point_cloud(has, ct.data, ct.dtype, ct.ndim, ct.shape, ct.strides, cb, cv, o, e)
	})
	if points != nil {
		points.keepAlive()
	}
	return v, err
}

// MoleculeFromFile is wandb.Molecule(path) (pdb, pqr, mmcif, mcif, cif, sdf, sd, gro, mol2,
// mmtf), copied unchanged.
func MoleculeFromFile(path string) (*Value, error) {
	cs, err := cstring(path, "path")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cs))
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_molecule_from_file(cs, o, e) })
}

// MoleculeFromString is wandb.Molecule(io, file_type=) from molecule text in memory.
func MoleculeFromString(data, fileType string) (*Value, error) {
	ct, err := cstring(fileType, "file_type")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ct))
	p, n := bytesArg(data)
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_molecule_from_string(p, n, ct, o, e) })
	runtime.KeepAlive(data)
	return v, err
}

// PlotlyFromJSON is wandb.Plotly(fig) from the figure's JSON ({"data": [...], "layout": {...}}).
func PlotlyFromJSON(figureJSON string) (*Value, error) {
	cs, err := cstring(figureJSON, "figure_json")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cs))
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_plotly_from_json(cs, o, e) })
}

// NewGraph is an empty wandb.Graph(format=) ("" means "keras").
func NewGraph(format string) (*Value, error) {
	cs, err := optCString(format, "format")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cs))
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_graph_new(cs, o, e) })
}

// AddNode adds Node(**attrs) to the graph v; nodeJSON is a JSON object (id, name,
// class_name, size, parameters, output_shape, is_output, num_parameters, functions,
// child_parameters, is_constant).
func (v *Value) AddNode(nodeJSON string) error {
	cs, err := cstring(nodeJSON, "node_json")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	var e C.wb_error
	err = check(C.wb_graph_add_node(v.ptr(), cs, &e), &e)
	runtime.KeepAlive(v)
	return err
}

// AddEdge adds an edge between the nodes with the given ids (JSON values, e.g. `"conv1"`
// quoted or `3`).
func (v *Value) AddEdge(fromIDJSON, toIDJSON string) error {
	cf, err := cstring(fromIDJSON, "from_id_json")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cf))
	ct, err := cstring(toIDJSON, "to_id_json")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(ct))
	var e C.wb_error
	err = check(C.wb_graph_add_edge(v.ptr(), cf, ct, &e), &e)
	runtime.KeepAlive(v)
	return err
}
