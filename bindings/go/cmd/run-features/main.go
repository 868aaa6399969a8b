// Command run-features writes the run-feature scenarios of tests/run/c/features.c through
// package wandbmedia only (tests/run/run.sh compares them with the SDK's runs):
//
//	run-features metric ROOT     define_metric: globs, step metrics, summaries
//	run-features artifact ROOT   run.save and generic artifacts
//
// Prints the run directory. On failure it prints the error and exits with 2.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	wm "github.com/wandb-media/wandb-media/bindings/go"
)

func must(what string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "run-features: %s failed: %v\n", what, err)
		os.Exit(2)
	}
}

func openRun(root string) *wm.Run {
	run, err := wm.OpenRun(root, &wm.RunOptions{Project: "wbm-test", Entity: "wbm", Name: "features"})
	must("OpenRun", err)
	return run
}

func finish(run *wm.Run) {
	dir, err := run.DirPath()
	must("DirPath", err)
	must("Finish", run.Finish(0))
	must("Close", run.Close())
	fmt.Println(dir)
}

func logRow(run *wm.Run, row *wm.Row) {
	must("LogRow", run.LogRow(row))
	row.Close()
}

func metric(root string) {
	run := openRun(root)
	logRow(run, wm.NewRow().Set("acc", 0.5))
	off := false
	defs := []struct {
		name string
		o    wm.MetricOptions
	}{
		{"train/*", wm.MetricOptions{StepMetric: "epoch", Summary: wm.SummaryMin | wm.SummaryMax}},
		{"val/loss", wm.MetricOptions{StepMetric: "epoch", Summary: wm.SummaryMin}},
		{"acc", wm.MetricOptions{Summary: wm.SummaryMax | wm.SummaryMean | wm.SummaryLast}},
		{"secret", wm.MetricOptions{Hidden: true, Summary: wm.SummaryNone}},
		{"eval.loss", wm.MetricOptions{Summary: wm.SummaryFirst | wm.SummaryMin}},
		{"frame_metric", wm.MetricOptions{StepMetric: "frame", StepSync: &off}},
		{"acc", wm.MetricOptions{Summary: wm.SummaryMin}},
		{"val/loss", wm.MetricOptions{StepMetric: "env_step", Overwrite: true}},
	}
	for _, d := range defs {
		must("DefineMetric "+d.name, run.DefineMetric(d.name, &d.o))
	}
	for i := 0; i < 6; i++ {
		eval := wm.NewRow().Set("loss", 2.0-float64(i)*0.25)
		row := wm.NewRow().
			Set("train/loss", 1.0/float64(i+1)).
			Set("train/acc", float64(i)*0.1).
			Set("acc", float64(i*7%5)/5).
			Set("secret", int64(i)).
			Set("eval", eval.Value()).
			Set("frame_metric", int64(i))
		if i%2 == 0 {
			row.Set("epoch", int64(i/2))
		}
		if i == 3 {
			row.Set("val/loss", 0.5)
		}
		if i == 4 {
			row.Set("frame", int64(40))
		}
		logRow(run, row)
		eval.Close()
	}
	s := wm.NewRow().Set("acc", 0.99)
	must("SummaryUpdate", run.SummaryUpdate(s.Value()))
	s.Close()
	logRow(run, wm.NewRow().Set("acc", 0.1))
	finish(run)
}

func artifact(root string) {
	run := openRun(root)
	abs, err := filepath.Abs(root)
	must("Abs", err)
	src := filepath.Join(abs, "src")
	must("MkdirAll", os.MkdirAll(filepath.Join(src, "ckpt", "sub"), 0o755))
	model := make([]byte, 5000)
	for i := range model {
		model[i] = byte((i*7 + 3) % 256)
	}
	for rel, data := range map[string][]byte{
		"notes.txt":          []byte("checkpoint notes\n"),
		"live.log":           []byte("epoch 1\n"),
		"ckpt/model.bin":     model,
		"ckpt/config.json":   []byte(`{"layers": [64, 64]}`),
		"ckpt/sub/extra.txt": []byte(strings.Repeat("x", 100)),
	} {
		must("WriteFile", os.WriteFile(filepath.Join(src, rel), data, 0o644))
	}
	logRow(run, wm.NewRow().Set("x", int64(1)))
	_, err = run.Save(filepath.Join(src, "notes.txt"), src, wm.SaveNow)
	must("Save", err)
	n, err := run.Save(filepath.Join(src, "ckpt", "*.*"), src, wm.SaveEnd)
	must("Save", err)
	if n != 2 {
		must("Save", fmt.Errorf("glob saved %d files, want 2", n))
	}
	_, err = run.Save(filepath.Join(src, "live.log"), src, wm.SaveLive)
	must("Save", err)
	a, err := wm.NewArtifact("model-ckpt", "model")
	must("NewArtifact", err)
	must("SetDescription", a.SetDescription("a checkpoint"))
	must("SetMetadataJSON", a.SetMetadataJSON(`{"epoch":3,"acc":0.9,"tags":["a","b"]}`))
	must("AddFile", a.AddFile(filepath.Join(src, "notes.txt"), "docs/notes.txt"))
	must("AddDir", a.AddDir(filepath.Join(src, "ckpt"), "weights"))
	must("LogArtifact", run.LogArtifact(a, "best", "epoch-3"))
	a.Close()
	b, err := wm.NewArtifact("raw-data", "dataset")
	must("NewArtifact", err)
	must("AddFile", b.AddFile(filepath.Join(src, "live.log"), ""))
	must("LogArtifact", run.LogArtifact(b))
	b.Close()
	logRow(run, wm.NewRow().Set("x", int64(2)))
	finish(run)
}

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "metric" {
		metric(os.Args[2])
		return
	}
	if len(os.Args) >= 3 && os.Args[1] == "artifact" {
		artifact(os.Args[2])
		return
	}
	fmt.Fprintln(os.Stderr, "usage: run-features metric|artifact ROOT")
	os.Exit(64)
}
