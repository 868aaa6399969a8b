package main

import (
	"encoding/binary"
	"fmt"
	"math"

	wm "github.com/wandb-media/wandb-media/bindings/go"
)

// audio, html, object3d, molecule, plotly and graph specs.
func init() {
	extraSpecs["audio"] = buildAudio
	extraSpecs["html"] = buildHTML
	extraSpecs["object3d"] = buildObject3D
	extraSpecs["molecule"] = buildMolecule
	extraSpecs["plotly"] = buildPlotly
	extraSpecs["graph"] = buildGraph
}

func captioned(v *wm.Value, err error, spec *object) (*wm.Value, error) {
	if err != nil {
		return nil, err
	}
	if err := setCaption(v, spec); err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

func buildAudio(d *driver, spec *object) (*wm.Value, error) {
	var rate uint32
	if r, has := spec.lookup("sample_rate"); has {
		n, _ := r.(number)
		i, isInt := n.int64()
		if !isInt || i <= 0 || i > math.MaxUint32 {
			return nil, fmt.Errorf("sample_rate %v is not a positive 32-bit integer", r)
		}
		rate = uint32(i)
	}
	tensor, hasTensor := spec.lookup("tensor")
	file, hasFile := spec.get("file").(string)
	switch {
	case hasTensor && !hasFile:
		t, err := d.tensor(tensor)
		if err != nil {
			return nil, err
		}
		v, err := wm.AudioFromTensor(t, rate)
		return captioned(v, err, spec)
	case hasFile && !hasTensor:
		v, err := wm.AudioFromFile(d.path(file), rate)
		return captioned(v, err, spec)
	}
	return nil, fmt.Errorf("wb=audio: needs exactly one of tensor / file")
}

func buildHTML(d *driver, spec *object) (*wm.Value, error) {
	inject := true
	if b, ok := spec.get("inject").(bool); ok {
		inject = b
	}
	html, hasHTML := spec.get("html").(string)
	file, hasFile := spec.get("file").(string)
	switch {
	case hasHTML && !hasFile:
		return wm.HTML(html, inject)
	case hasFile && !hasHTML:
		return wm.HTMLFromFile(d.path(file), inject)
	}
	return nil, fmt.Errorf("wb=html: needs exactly one of html / file")
}

func buildObject3D(d *driver, spec *object) (*wm.Value, error) {
	if t, has := spec.lookup("tensor"); has {
		tensor, err := d.tensor(t)
		if err != nil {
			return nil, err
		}
		v, err := wm.Object3DFromTensor(tensor)
		return captioned(v, err, spec)
	}
	if f, ok := spec.get("file").(string); ok {
		v, err := wm.Object3DFromFile(d.path(f))
		return captioned(v, err, spec)
	}
	pcAny, has := spec.lookup("point_cloud")
	pc, ok := pcAny.(*object)
	if !has || !ok {
		return nil, fmt.Errorf("wb=object3d: needs one of tensor / file / point_cloud")
	}
	if ty, has := pc.lookup("type"); has && ty != "lidar/beta" {
		return nil, fmt.Errorf("Type not supported, only 'lidar/beta' is currently supported")
	}
	var points *wm.Tensor
	if p, has := pc.lookup("points"); has {
		var t wm.Tensor
		var err error
		if _, isObj := p.(*object); isObj {
			t, err = d.tensor(p)
		} else {
			t, err = nestedListTensor(p)
		}
		if err != nil {
			return nil, err
		}
		points = &t
	}
	boxes, vectors := "", ""
	if b, has := pc.lookup("boxes"); has {
		boxes = encodeJSON(b)
	}
	if v, has := pc.lookup("vectors"); has {
		vectors = encodeJSON(v)
	}
	v, err := wm.Object3DFromPointCloud(points, boxes, vectors)
	return captioned(v, err, spec)
}

// nestedListTensor turns a rectangular nested JSON list of numbers into a tensor as numpy
// would (float64 if any float, bool if all booleans, else int64).
func nestedListTensor(v any) (wm.Tensor, error) {
	var shape []int64
	for cur := v; ; {
		list, ok := cur.([]any)
		if !ok {
			break
		}
		shape = append(shape, int64(len(list)))
		if len(list) == 0 {
			break
		}
		cur = list[0]
	}
	var leaves []any
	var walk func(v any, dims []int64) error
	walk = func(v any, dims []int64) error {
		if len(dims) == 0 {
			switch v.(type) {
			case number, bool:
				leaves = append(leaves, v)
				return nil
			}
			return fmt.Errorf("points: not a rectangular nested list of numbers")
		}
		list, ok := v.([]any)
		if !ok || int64(len(list)) != dims[0] {
			return fmt.Errorf("points: not a rectangular nested list of numbers")
		}
		for _, item := range list {
			if err := walk(item, dims[1:]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(v, shape); err != nil {
		return wm.Tensor{}, err
	}
	anyFloat, allBool := len(leaves) == 0, true
	for _, l := range leaves {
		if n, ok := l.(number); ok {
			allBool = false
			if _, isInt := n.int64(); !isInt {
				anyFloat = true
			}
		}
	}
	switch {
	case anyFloat:
		buf := make([]byte, 8*len(leaves))
		for i, l := range leaves {
			var f float64
			switch x := l.(type) {
			case number:
				f, _ = x.float64()
			case bool:
				if x {
					f = 1
				}
			}
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(f))
		}
		return wm.RawTensor(wm.DTypeF64, buf, shape), nil
	case allBool:
		buf := make([]byte, len(leaves))
		for i, l := range leaves {
			if l == true {
				buf[i] = 1
			}
		}
		return wm.RawTensor(wm.DTypeBool, buf, shape), nil
	}
	buf := make([]byte, 8*len(leaves))
	for i, l := range leaves {
		var n int64
		switch x := l.(type) {
		case number:
			n, _ = x.int64()
		case bool:
			if x {
				n = 1
			}
		}
		binary.LittleEndian.PutUint64(buf[8*i:], uint64(n))
	}
	return wm.RawTensor(wm.DTypeI64, buf, shape), nil
}

func buildMolecule(d *driver, spec *object) (*wm.Value, error) {
	f, ok := spec.get("file").(string)
	if !ok {
		return nil, fmt.Errorf("wb=molecule: needs file")
	}
	v, err := wm.MoleculeFromFile(d.path(f))
	return captioned(v, err, spec)
}

func buildPlotly(_ *driver, spec *object) (*wm.Value, error) {
	fig, has := spec.lookup("figure")
	if !has {
		return nil, fmt.Errorf("wb=plotly: needs figure")
	}
	return wm.PlotlyFromJSON(encodeJSON(fig))
}

func buildGraph(_ *driver, spec *object) (*wm.Value, error) {
	format, _ := spec.get("format").(string)
	g, err := wm.NewGraph(format)
	if err != nil {
		return nil, err
	}
	nodes, _ := spec.get("nodes").([]any)
	for _, n := range nodes {
		if err := g.AddNode(encodeJSON(n)); err != nil {
			g.Close()
			return nil, err
		}
	}
	edges, _ := spec.get("edges").([]any)
	for _, e := range edges {
		pair, ok := e.([]any)
		if !ok || len(pair) != 2 {
			g.Close()
			return nil, fmt.Errorf("graph edge must be [from_id, to_id]")
		}
		if err := g.AddEdge(encodeJSON(pair[0]), encodeJSON(pair[1])); err != nil {
			g.Close()
			return nil, err
		}
	}
	return g, nil
}
