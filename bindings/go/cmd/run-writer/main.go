// Command run-writer writes an offline W&B run through package wandbmedia only (the Go
// twin of tests/run/c/run_writer.c; tests/run/run.sh drives it):
//
//	run-writer basic ROOT   the reference run (same rows as tests/run/same_rows.py);
//	                        prints the run directory
//
// Every call is checked; on failure the program prints the error and exits with 2.
package main

import (
	"fmt"
	"math"
	"os"
	"strings"

	wm "github.com/wandb-media/wandb-media/bindings/go"
)

func die(what string, err error) {
	fmt.Fprintf(os.Stderr, "run-writer: %s failed: %v\n", what, err)
	os.Exit(2)
}

func must(what string, err error) {
	if err != nil {
		die(what, err)
	}
}

// val checks a constructor's result.
func val(what string) func(*wm.Value, error) *wm.Value {
	return func(v *wm.Value, err error) *wm.Value {
		must(what, err)
		return v
	}
}

// ---- small helpers building values (the caller closes what it creates) ----

func dict() *wm.Value { return val("NewDict")(wm.NewDict()) }

// set stores d[key] = v and closes v (Set stores a shared copy).
func set(d *wm.Value, key string, v *wm.Value) {
	must("Set "+key, d.Set(key, v))
	v.Close()
}

func f64v(x float64) *wm.Value { return val("Float")(wm.Float(x)) }
func i64v(x int64) *wm.Value   { return val("Int")(wm.Int(x)) }
func strv(s string) *wm.Value  { return val("String")(wm.String(s)) }
func boolv(b bool) *wm.Value   { return val("Bool")(wm.Bool(b)) }

// patternImage is (arange(n) * mul + add) % 256 as an image of shape h×w×c (c = 1: 2-D gray).
func patternImage(h, w, c, mul, add int) *wm.Value {
	px := make([]byte, h*w*c)
	for k := range px {
		px[k] = byte((k*mul + add) % 256)
	}
	return val("NewImageU8")(wm.NewImageU8(px, h, w, c))
}

func logRow(run *wm.Run, row *wm.Value, step int64, commit int32) {
	must("Log", run.Log(row, step, commit))
	row.Close()
}

// ---- the basic run: one function per family (as run_writer.c) ----

// addScalars: scalars, strings, bools, NaN, a nested dict, a small array, an empty dict.
func addScalars(row *wm.Value, i int) {
	set(row, "loss", f64v(1.0/float64(i+1)))
	set(row, "acc", f64v(float64(i)*0.01))
	set(row, "epoch", i64v(int64(i/10)))
	phase := "val"
	if i%2 != 0 {
		phase = "train"
	}
	set(row, "phase", strv(phase))
	set(row, "ok", boolv(i%3 == 0))
	if i == 3 {
		set(row, "nanval", f64v(math.NaN()))
	}
	if i == 4 {
		set(row, "nanval", f64v(0.5)) // keeps NaN out of the final summary
		set(row, "meta", dict())
	}
	if i == 7 { // a row larger than a 32 KiB block: FIRST/MIDDLE/LAST chunks
		set(row, "long_text", strv(strings.Repeat("ab", 35000)))
	}
	if i == 5 {
		set(row, "arr", val("Array")(wm.Array(wm.TensorOf([]float64{1.5, 2.5, 3.5}, 3))))
	}
	eval := dict()
	set(eval, "x", i64v(int64(i*2)))
	set(row, "eval", eval)
}

// addImages: every 10 steps, a list of two images (caption on the first) and a nested image.
func addImages(row *wm.Value, i int) {
	if i%10 != 0 {
		return
	}
	list := val("NewList")(wm.NewList())
	a := patternImage(8, 8, 3, 1, i)
	must("SetCaption", a.SetCaption(fmt.Sprintf("step %d", i)))
	b := patternImage(4, 6, 1, 3, i)
	must("Append", list.Append(a))
	must("Append", list.Append(b))
	a.Close()
	b.Close()
	set(row, "samples", list)
	// the nested image lands in row["eval"]["img"]: rebuild eval with it
	eval := dict()
	set(eval, "x", i64v(int64(i*2)))
	set(eval, "img", patternImage(16, 16, 3, 7, i))
	set(row, "eval", eval)
}

// addHistogram: at step 50, a 64-bin histogram of 1000 exactly representable values.
func addHistogram(row *wm.Value, i int) {
	if i != 50 {
		return
	}
	v := make([]float64, 1000)
	for k := range v {
		v[k] = float64((k*37)%1000) / 10.0
	}
	set(row, "weights", val("HistogramFromTensor")(wm.HistogramFromTensor(wm.TensorOf(v, 1000), 64)))
}

// addBoxesMasks: step 20, an image with a box layer; step 30, an image with a mask layer.
// Both set class-label singletons in the run config (`_wandb`).
func addBoxesMasks(row *wm.Value, i int) {
	if i == 20 {
		img := patternImage(12, 16, 3, 5, i)
		must("AddBoxes", img.AddBoxes("predictions",
			`[{"position":{"minX":0.1,"maxX":0.4,"minY":0.2,"maxY":0.5},`+
				`"class_id":1,"box_caption":"car","scores":{"acc":0.9}},`+
				`{"position":{"minX":0.5,"maxX":0.9,"minY":0.1,"maxY":0.8},`+
				`"class_id":2}]`,
			`{"1":"car","2":"person"}`))
		set(row, "boxed", img)
	}
	if i == 30 {
		img := patternImage(4, 6, 3, 9, i)
		m := make([]uint8, 24)
		for k := range m {
			if k%6 >= 3 {
				m[k] = 2
			}
		}
		must("AddMask", img.AddMask("seg", wm.TensorOf(m, 4, 6), `{"0":"bg","2":"thing"}`))
		set(row, "masked", img)
	}
}

// addTable: step 40, a table with scalar, string, null and image cells (run copy +
// run_table artifact).
func addTable(row *wm.Value, i int) {
	if i != 40 {
		return
	}
	t := val("NewTable")(wm.NewTable(`["id","name","score","img"]`, nil))
	for r := 0; r < 3; r++ {
		var score *wm.Value
		if r == 1 {
			score = val("Null")(wm.Null())
		} else {
			score = f64v(float64(r) * 0.25)
		}
		cells := []*wm.Value{i64v(int64(r)), strv(fmt.Sprintf("row%d", r)), score, patternImage(4, 4, 3, 11, r)}
		must("AddRow", t.AddRow(cells[0], cells[1], cells[2], cells[3]))
		for _, c := range cells {
			c.Close()
		}
	}
	set(row, "tbl", t)
}

// audioClip: exactly representable samples so the WAV bytes match the SDK's.
func audioClip(n, mul int, rate uint32) *wm.Value {
	a := make([]float64, n)
	for k := range a {
		a[k] = float64((k*mul)%200-100) / 128.0
	}
	return val("AudioFromTensor")(wm.AudioFromTensor(wm.TensorOf(a, int64(n)), rate))
}

// addAudio: step 60, one audio clip and a list of two (caption on the first).
func addAudio(row *wm.Value, i int) {
	if i != 60 {
		return
	}
	set(row, "clip", audioClip(800, 37, 8000))
	list := val("NewList")(wm.NewList())
	a := audioClip(400, 13, 8000)
	must("SetCaption", a.SetCaption("first"))
	b := audioClip(300, 7, 16000)
	must("Append", list.Append(a))
	must("Append", list.Append(b))
	a.Close()
	b.Close()
	set(row, "clips", list)
}

// addVideo: step 70, a GIF video from a (T, C, H, W) uint8 tensor at 4 fps.
func addVideo(row *wm.Value, i int) {
	if i != 70 {
		return
	}
	px := make([]byte, 3*3*8*10)
	for k := range px {
		px[k] = byte((k * 29) % 256)
	}
	v := val("VideoFromTensor")(wm.VideoFromTensor(wm.TensorOf(px, 3, 3, 8, 10),
		wm.VideoOptions{Format: wm.VideoGIF, FPS: 4}))
	set(row, "vid", v)
}

func basic(root string) {
	run, err := wm.OpenRun(root, &wm.RunOptions{
		Project:    "wbm-test",
		Entity:     "wbm",
		Name:       "same-rows",
		ConfigJSON: `{"lr":0.001,"layers":[64,64],"optimizer":{"name":"adam","beta":0.9}}`,
		TagsJSON:   `["native","c"]`, // the tags of same_rows.py, which check_run.py compares
	})
	must("OpenRun", err)
	defer run.Close()

	for i := 0; i < 100; i++ {
		row := dict()
		addScalars(row, i)
		addImages(row, i)
		addHistogram(row, i)
		addBoxesMasks(row, i)
		addTable(row, i)
		addAudio(row, i)
		addVideo(row, i)
		logRow(run, row, wm.NoStep, wm.CommitDefault)
	}
	// commit=false merges into the pending row (step 100)
	r := dict()
	set(r, "partial", i64v(1))
	logRow(run, r, wm.NoStep, wm.CommitFalse)
	r = dict()
	set(r, "partial2", i64v(2))
	logRow(run, r, wm.NoStep, wm.CommitDefault)
	// an explicit step, then a row merged into it
	r = dict()
	set(r, "late", i64v(1))
	logRow(run, r, 105, wm.CommitDefault)
	r = dict()
	set(r, "late2", i64v(2))
	logRow(run, r, wm.NoStep, wm.CommitDefault)

	s := dict()
	set(s, "best_acc", f64v(0.99))
	fin := dict()
	set(fin, "loss", f64v(0.01))
	set(s, "final", fin)
	must("SummaryUpdate", run.SummaryUpdate(s))
	s.Close()
	must("ConfigUpdateJSON", run.ConfigUpdateJSON(`{"extra":"v"}`))

	dir, err := run.DirPath()
	must("DirPath", err)
	must("Finish", run.Finish(0))
	must("Close", run.Close())
	fmt.Println(dir)
}

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "basic" {
		basic(os.Args[2])
		return
	}
	fmt.Fprintln(os.Stderr, "usage: run-writer basic ROOT")
	os.Exit(64)
}
