// Command compat-driver is the compat-suite driver written on the Go binding:
//
//	compat-driver CASES_DIR OUT_DIR
//
// It implements the contract of shared/compat/README.md §2 (the same as tests/compat/driver):
// for every CASES_DIR/*.json it writes OUT_DIR/<name>/row.json and files/, or error.txt.
// Every value is built through package wandbmedia only.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	wm "github.com/wandb-media/wandb-media/bindings/go"
)

// driver holds per-run state: where relative `file` paths point.
type driver struct {
	casesDir string
}

func (d *driver) path(rel string) string { return filepath.Join(d.casesDir, rel) }

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintf(os.Stderr, "usage: %s CASES_DIR OUT_DIR\n", os.Args[0])
		os.Exit(2)
	}
	casesDir, outDir := os.Args[1], os.Args[2]
	entries, err := os.ReadDir(casesDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, strings.TrimSuffix(e.Name(), ".json"))
		}
	}
	sort.Strings(names)
	d := &driver{casesDir: casesDir}
	ok, errs := 0, 0
	for _, name := range names {
		dir := filepath.Join(outDir, name)
		_ = os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		row, err := d.runCase(filepath.Join(casesDir, name+".json"), dir)
		if err == nil {
			if werr := os.WriteFile(filepath.Join(dir, "row.json"), []byte(row), 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, werr)
				os.Exit(1)
			}
			ok++
			continue
		}
		msg := err.Error()
		if msg == "" {
			msg = "error"
		}
		_ = os.Remove(filepath.Join(dir, "row.json"))
		if werr := os.WriteFile(filepath.Join(dir, "error.txt"), []byte(msg), 0o644); werr != nil {
			fmt.Fprintln(os.Stderr, werr)
			os.Exit(1)
		}
		errs++
	}
	fmt.Fprintf(os.Stderr, "go compat driver: %d rows written, %d errors\n", ok, errs)
}

func (d *driver) runCase(casePath, dir string) (string, error) {
	text, err := os.ReadFile(casePath)
	if err != nil {
		return "", err
	}
	parsed, err := parseJSON(text)
	if err != nil {
		return "", fmt.Errorf("case JSON: %w", err)
	}
	c, isObj := parsed.(*object)
	if !isObj {
		return "", fmt.Errorf("case is not an object")
	}
	var step int64
	summary := false
	switch s := c.get("step").(type) {
	case string:
		if s != "summary" {
			return "", fmt.Errorf("bad step")
		}
		summary = true
	case number:
		i, isInt := s.int64()
		if !isInt {
			return "", fmt.Errorf("bad step")
		}
		step = i
	default:
		return "", fmt.Errorf("bad step")
	}
	rd, err := wm.OpenRunDir(filepath.Join(dir, "files"))
	if err != nil {
		return "", err
	}
	defer rd.Close()
	row, err := d.build(c.get("row"))
	if err != nil {
		return "", err
	}
	defer row.Close()
	toJSON := func(row *wm.Value) (string, error) {
		if summary {
			return row.RowSummaryJSON(rd)
		}
		return row.RowJSON(rd, step)
	}
	out, err := toJSON(row)
	if err != nil {
		return "", err
	}
	// Contract §2.1: row.json leaves out `_step`, `_runtime` and `_timestamp` (converted
	// above, so their media files exist): serialise the row again without them.
	members, isObj := c.get("row").(*object)
	if !isObj {
		return out, nil
	}
	rest := &object{}
	for i, k := range members.keys {
		if k != "_step" && k != "_runtime" && k != "_timestamp" {
			rest.keys = append(rest.keys, k)
			rest.vals = append(rest.vals, members.vals[i])
		}
	}
	if len(rest.keys) == len(members.keys) {
		return out, nil
	}
	row2, err := d.build(rest)
	if err != nil {
		return "", err
	}
	defer row2.Close()
	return toJSON(row2)
}

// build turns a case VALUE into a Value (owned by the caller).
func (d *driver) build(v any) (*wm.Value, error) {
	switch x := v.(type) {
	case nil:
		return wm.Null()
	case bool:
		return wm.Bool(x)
	case number:
		if x.isFloat() {
			f, err := x.float64()
			if err != nil {
				return nil, err
			}
			return wm.Float(f)
		}
		if i, ok := x.int64(); ok {
			return wm.Int(i)
		}
		return wm.FromJSON(string(x)) // beyond int64: kept exact by the library's parser
	case string:
		return wm.String(x)
	case []any:
		list, err := wm.NewList()
		if err != nil {
			return nil, err
		}
		for _, item := range x {
			if err := d.appendTo(list, item); err != nil {
				list.Close()
				return nil, err
			}
		}
		return list, nil
	case *object:
		if kind, has := x.lookup("wb"); has {
			k, _ := kind.(string)
			return d.buildSpec(k, x)
		}
		dict, err := wm.NewDict()
		if err != nil {
			return nil, err
		}
		for i, key := range x.keys {
			if err := d.setIn(dict, stripNUL(key), x.vals[i]); err != nil {
				dict.Close()
				return nil, err
			}
		}
		return dict, nil
	}
	return nil, fmt.Errorf("unexpected JSON value %T", v)
}

// stripNUL mirrors the C driver: C keys cannot hold NUL bytes.
func stripNUL(s string) string { return strings.ReplaceAll(s, "\x00", "") }

func (d *driver) appendTo(list *wm.Value, item any) error {
	v, err := d.build(item)
	if err != nil {
		return err
	}
	defer v.Close()
	return list.Append(v)
}

func (d *driver) setIn(dict *wm.Value, key string, item any) error {
	v, err := d.build(item)
	if err != nil {
		return err
	}
	defer v.Close()
	return dict.Set(key, v)
}

func (d *driver) buildSpec(kind string, spec *object) (*wm.Value, error) {
	switch kind {
	case "image":
		return d.buildImage(spec)
	case "histogram":
		return d.buildHistogram(spec)
	case "ndarray":
		t, err := d.tensor(spec.get("tensor"))
		if err != nil {
			return nil, err
		}
		return wm.Array(t)
	case "float":
		switch x := spec.get("value").(type) {
		case string:
			f, ok := map[string]float64{"NaN": nan(), "Infinity": inf(1), "-Infinity": inf(-1)}[x]
			if !ok {
				return nil, fmt.Errorf("bad float %q", x)
			}
			return wm.Float(f)
		case number:
			f, err := x.float64()
			if err != nil {
				return nil, err
			}
			return wm.Float(f)
		}
		return nil, fmt.Errorf("bad float")
	}
	if b, ok := extraSpecs[kind]; ok {
		return b(d, spec)
	}
	return nil, fmt.Errorf("not implemented: %s", kind)
}

// extraSpecs holds builders for the media families added in other files (video, audio,
// tables, ...), registered from their init functions.
var extraSpecs = map[string]func(*driver, *object) (*wm.Value, error){}

func setCaption(v *wm.Value, spec *object) error {
	if c, ok := spec.get("caption").(string); ok {
		return v.SetCaption(c)
	}
	return nil
}

func (d *driver) buildImage(spec *object) (*wm.Value, error) {
	var img *wm.Value
	var err error
	if file, ok := spec.get("file").(string); ok {
		img, err = wm.ImageFromFile(d.path(file))
	} else {
		opts := wm.ImageOptions{Convert: wm.ConvertCast}
		if n, has := spec.lookup("normalize"); has {
			if n != "legacy" {
				return nil, fmt.Errorf("unknown normalize %v", n)
			}
			opts.Convert = wm.ConvertLegacy
		}
		if m, ok := spec.get("mode").(string); ok {
			mode, known := map[string]wm.ImageMode{"L": wm.ModeL, "LA": wm.ModeLA, "RGB": wm.ModeRGB, "RGBA": wm.ModeRGBA}[m]
			if !known {
				return nil, fmt.Errorf("unsupported mode %s", m)
			}
			opts.Mode = mode
		}
		if ft, ok := spec.get("file_type").(string); ok {
			t, known := map[string]wm.ImageFileType{"png": wm.FilePNG, "jpg": wm.FileJPG, "jpeg": wm.FileJPEG, "bmp": wm.FileBMP}[ft]
			if !known {
				return nil, fmt.Errorf("file_type must be one of ['png', 'jpg', 'jpeg', 'bmp']")
			}
			opts.FileType = t
		}
		t, terr := d.tensor(spec.get("tensor"))
		if terr != nil {
			return nil, terr
		}
		img, err = wm.ImageFromTensor(t, &opts)
	}
	if err != nil {
		return nil, err
	}
	if err := setCaption(img, spec); err != nil {
		img.Close()
		return nil, err
	}
	if g, ok := spec.get("grouping").(number); ok {
		gi, isInt := g.int64()
		if !isInt {
			img.Close()
			return nil, fmt.Errorf("bad grouping")
		}
		if err := img.SetGrouping(gi); err != nil {
			img.Close()
			return nil, err
		}
	}
	if err := attachBoxesMasks(d, img, spec); err != nil {
		img.Close()
		return nil, err
	}
	return img, nil
}

// attachBoxesMasks is replaced when the boxes/masks C API lands.
var attachBoxesMasks = func(d *driver, img *wm.Value, spec *object) error {
	for _, k := range []string{"boxes", "masks", "classes"} {
		if _, has := spec.lookup(k); has {
			return fmt.Errorf("not implemented: boxes/masks/classes")
		}
	}
	return nil
}

func (d *driver) buildHistogram(spec *object) (*wm.Value, error) {
	if np, has := spec.lookup("np_histogram"); has {
		parts, ok := np.([]any)
		if !ok || len(parts) != 2 {
			return nil, fmt.Errorf("Expected np_histogram to be a tuple of (values, bin_edges) or sequence to be specified")
		}
		_, a0 := parts[0].([]any)
		_, a1 := parts[1].([]any)
		_, o0 := parts[0].(*object)
		_, o1 := parts[1].(*object)
		switch {
		case a0 && a1:
			return wm.HistogramFromNPJSON(encodeJSON(parts[0]), encodeJSON(parts[1]))
		case o0 && o1:
			v, err := d.tensor(parts[0])
			if err != nil {
				return nil, err
			}
			e, err := d.tensor(parts[1])
			if err != nil {
				return nil, err
			}
			return wm.HistogramFromNP(v, e)
		}
		// A list and a tensor: pass the tensor as its `.tolist()` JSON, like the C driver.
		texts := make([]string, 2)
		for i, p := range parts {
			if _, isObj := p.(*object); isObj {
				t, err := d.tolistJSON(p)
				if err != nil {
					return nil, err
				}
				texts[i] = t
			} else {
				texts[i] = encodeJSON(p)
			}
		}
		return wm.HistogramFromNPJSON(texts[0], texts[1])
	}
	t, err := d.tensor(spec.get("tensor"))
	if err != nil {
		return nil, err
	}
	bins := int64(64)
	if n, ok := spec.get("num_bins").(number); ok {
		b, isInt := n.int64()
		if !isInt {
			return nil, fmt.Errorf("bad num_bins")
		}
		bins = b
	}
	if bins <= 0 {
		return nil, fmt.Errorf("`bins` must be positive, when an integer")
	}
	return wm.HistogramFromTensor(t, int(bins))
}

var dtypes = map[string]wm.DType{
	"uint8": wm.DTypeU8, "int8": wm.DTypeI8, "uint16": wm.DTypeU16, "int16": wm.DTypeI16,
	"int32": wm.DTypeI32, "int64": wm.DTypeI64, "float32": wm.DTypeF32, "float64": wm.DTypeF64,
	"bool": wm.DTypeBool,
}

// tensor decodes a case tensor spec (§1.2) into a Tensor over its raw bytes.
// tolistJSON is `array.tolist()` of a case tensor as JSON text (nested by shape).
func (d *driver) tolistJSON(v any) (string, error) {
	spec := v.(*object)
	name, _ := spec.get("dtype").(string)
	sizes := map[string]int{"uint8": 1, "int8": 1, "bool": 1, "uint16": 2, "int16": 2,
		"int32": 4, "float32": 4, "int64": 8, "float64": 8}
	size, ok := sizes[name]
	if !ok {
		return "", fmt.Errorf("unknown dtype %q", name)
	}
	b, _ := spec.get("b64").(string)
	data, err := base64.StdEncoding.DecodeString(b)
	if err != nil {
		return "", err
	}
	items := make([]string, 0, len(data)/size)
	for o := 0; o+size <= len(data); o += size {
		c := data[o : o+size]
		var s string
		switch name {
		case "uint8":
			s = strconv.FormatUint(uint64(c[0]), 10)
		case "int8":
			s = strconv.FormatInt(int64(int8(c[0])), 10)
		case "bool":
			s = strconv.FormatBool(c[0] != 0)
		case "uint16":
			s = strconv.FormatUint(uint64(binary.LittleEndian.Uint16(c)), 10)
		case "int16":
			s = strconv.FormatInt(int64(int16(binary.LittleEndian.Uint16(c))), 10)
		case "int32":
			s = strconv.FormatInt(int64(int32(binary.LittleEndian.Uint32(c))), 10)
		case "int64":
			s = strconv.FormatInt(int64(binary.LittleEndian.Uint64(c)), 10)
		case "float32", "float64":
			f := float64(math.Float32frombits(binary.LittleEndian.Uint32(c)))
			if name == "float64" {
				f = math.Float64frombits(binary.LittleEndian.Uint64(c))
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return "", fmt.Errorf("non-finite value in a tensor passed as JSON")
			}
			s = strconv.FormatFloat(f, 'g', -1, 64)
			if !strings.ContainsAny(s, ".eE") {
				s += ".0"
			}
		}
		items = append(items, s)
	}
	dims, _ := spec.get("shape").([]any)
	shape := make([]int, len(dims))
	for i, x := range dims {
		n, _ := x.(number).int64()
		shape[i] = int(n)
	}
	var nest func(shape []int, items []string) string
	nest = func(shape []int, items []string) string {
		if len(shape) == 0 {
			if len(items) == 0 {
				return "null"
			}
			return items[0]
		}
		stride := 1
		for _, s := range shape[1:] {
			stride *= s
		}
		parts := make([]string, shape[0])
		for i := range parts {
			parts[i] = nest(shape[1:], items[i*stride:(i+1)*stride])
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return nest(shape, items), nil
}

func (d *driver) tensor(v any) (wm.Tensor, error) {
	spec, ok := v.(*object)
	if !ok {
		return wm.Tensor{}, fmt.Errorf("tensor spec is not an object")
	}
	name, _ := spec.get("dtype").(string)
	dt, ok := dtypes[name]
	if !ok {
		return wm.Tensor{}, fmt.Errorf("unknown dtype %q", name)
	}
	dims, ok := spec.get("shape").([]any)
	if !ok {
		return wm.Tensor{}, fmt.Errorf("tensor.shape")
	}
	shape := make([]int64, len(dims))
	for i, x := range dims {
		n, isNum := x.(number)
		if !isNum {
			return wm.Tensor{}, fmt.Errorf("shape entry")
		}
		v, isInt := n.int64()
		if !isInt {
			return wm.Tensor{}, fmt.Errorf("shape entry")
		}
		shape[i] = v
	}
	var data []byte
	var err error
	if b, ok := spec.get("b64").(string); ok {
		data, err = base64.StdEncoding.DecodeString(b)
	} else if f, ok := spec.get("file").(string); ok {
		data, err = os.ReadFile(d.path(f))
	} else {
		return wm.Tensor{}, fmt.Errorf("tensor needs b64 or file")
	}
	if err != nil {
		return wm.Tensor{}, err
	}
	return wm.RawTensor(dt, data, shape), nil
}

// onlyFields rejects unknown fields of a data type spec (the case format forbids them).
func onlyFields(spec *object, kind string, allowed ...string) error {
	for _, k := range spec.keys {
		found := false
		for _, a := range allowed {
			if k == a {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%s spec: unknown field %q", kind, k)
		}
	}
	return nil
}
