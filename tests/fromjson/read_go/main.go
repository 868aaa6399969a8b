// The Go binding reading what wandb 0.31 wrote (issue 21): prints the SDK artifact table in
// the dump format of tests/fromjson/sdk.py (compared by tests/fromjson/wrappers.sh).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	wb "github.com/wandb-media/wandb-media/bindings/go"
)

func fnv(b []byte) uint64 {
	h := uint64(0xcbf29ce484222325)
	for _, x := range b {
		h = (h ^ uint64(x)) * 0x100000001b3
	}
	return h
}

func jstr(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func must[T any](x T, err error) T {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return x
}

func g(x float64) string { return strconv.FormatFloat(x, 'g', 17, 64) }

func dump(path string, v *wb.Value) {
	switch t := v.Type(); t {
	case "null":
		fmt.Printf("%s null\n", path)
	case "int":
		fmt.Printf("%s int %d\n", path, must(v.Int()))
	case "float":
		fmt.Printf("%s float %s\n", path, cfmt(must(v.Float())))
	case "string":
		fmt.Printf("%s string %s\n", path, jstr(must(v.Str())))
	case "list":
		n := must(v.Len())
		fmt.Printf("%s list %d\n", path, n)
		for i := 0; i < n; i++ {
			dump(fmt.Sprintf("%s[%d]", path, i), must(v.Item(i)))
		}
	case "dict":
		n := must(v.Len())
		fmt.Printf("%s dict %d\n", path, n)
		for i := 0; i < n; i++ {
			k, item, err := v.Entry(i)
			must(0, err)
			dump(path+"."+k, item)
		}
	case "Image":
		px := must(v.Pixels())
		sum := 0.0
		for _, b := range px.Data {
			sum += float64(b)
		}
		fmt.Printf("%s Image %dx%dx%d fnv=%016x mean=%.3f caption=%s\n", path, px.Width, px.Height, px.Channels,
			fnv(px.Data), sum/float64(len(px.Data)), must(v.CaptionJSON()))
	case "Audio":
		s := must(v.Samples())
		sum := 0.0
		for _, x := range s.Data {
			sum += float64(x)
		}
		fmt.Printf("%s Audio frames=%d ch=%d rate=%d sum=%.6f caption=%s\n", path, s.Frames, s.Channels, s.SampleRate,
			sum, must(v.CaptionJSON()))
	case "Table":
		cols := must(v.Columns())
		q := make([]string, len(cols))
		for i, c := range cols {
			q[i] = jstr(c)
		}
		fmt.Printf("%s Table ncols=%d nrows=%d cols=[%s]\n", path, len(cols), must(v.Len()), strings.Join(q, ","))
		fmt.Printf("%s types %s\n", path, must(v.ColumnTypesJSON()))
		for r, row := range v.Rows() {
			for c, cell := range row {
				dump(fmt.Sprintf("%s[%d][%d]", path, r, c), cell)
			}
		}
	default:
		fmt.Printf("%s other %s\n", path, t)
	}
}

// cfmt prints like C's %.17g (Go's 'g' uses e+XX the same way for these magnitudes).
func cfmt(x float64) string { return g(x) }

// copyRun is the Go side of tests/fromjson/artsrc_copy.c: table NAME of the logged
// artifact DIR (id ID) logged again, then a new table of its id/image/label cells, into an
// offline run under ROOT; prints the run directory.
func copyRun(root, dir, name, id string) {
	src := must(wb.ArtifactGetWithID(dir, name, id))
	if ref := must(src.ArtifactReference()); !strings.HasPrefix(ref, "wandb-artifact://") {
		panic("no reference: " + ref)
	}
	cols := must(src.Columns())
	idx := map[string]int{}
	for i, c := range cols {
		idx[c] = i
	}
	picked := must(wb.NewTable(`["id", "image", "label"]`, nil))
	for r := 0; r < must(src.Len()); r++ {
		var cells []any
		for _, c := range []string{"id", "image", "label"} {
			cells = append(cells, must(src.Cell(r, idx[c])))
		}
		if err := picked.AddRow(cells...); err != nil {
			panic(err)
		}
	}
	run := must(wb.OpenRun(root, &wb.RunOptions{Mode: wb.RunModeOffline, DisableStats: true, Console: wb.ConsoleOff}))
	for _, kv := range []struct {
		k string
		v *wb.Value
	}{{name, src}, {"picked", picked}} {
		row := must(wb.NewDict())
		if err := row.Set(kv.k, kv.v); err != nil {
			panic(err)
		}
		if err := run.Log(row, -1, -2); err != nil {
			panic(err)
		}
	}
	dir2 := must(run.DirPath())
	if err := run.Finish(0); err != nil {
		panic(err)
	}
	fmt.Println(dir2)
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "copy" {
		copyRun(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
		return
	}
	t := must(wb.ArtifactGet(os.Args[1], os.Args[2]))
	dump(os.Args[3], t)
}
