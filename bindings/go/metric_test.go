package wandbmedia

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefineMetric(t *testing.T) {
	defer catch(t)
	root := t.TempDir()
	run := must(OpenRun(root, &RunOptions{ID: "gometric"}))
	defer run.Close()
	if err := run.DefineMetric("a*b", nil); err == nil || !strings.Contains(err.Error(), "glob") {
		t.Fatalf("inner glob: %v", err)
	}
	if err := run.DefineMetric("", nil); err == nil {
		t.Fatal("empty name accepted")
	}
	if err := run.DefineMetric("train/*", &MetricOptions{StepMetric: "epoch", Summary: SummaryMin | SummaryMax}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		row := NewRow().Set("train/loss", float64(3-i))
		if err := run.LogRow(row); err != nil {
			t.Fatal(err)
		}
		row.Close()
	}
	dir := must(run.DirPath())
	if err := run.Finish(0); err != nil {
		t.Fatal(err)
	}
	log := must(os.ReadFile(filepath.Join(dir, "run-gometric.wandb")))
	// the MetricRecord body wandb 0.31 writes for these arguments
	record := []byte("\x12\x07train/*\x22\x05epoch\x32\x04\x08\x01\x18\x01\x3a\x04\x08\x01\x10\x01")
	if !bytes.Contains(log, record) {
		t.Fatal("no metric record for train/* in the log")
	}
	// step sync inserted epoch (0) and the summary holds the aggregates
	if !bytes.Contains(log, []byte(`{"min":1,"max":3}`)) && !bytes.Contains(log, []byte(`{"max":3,"min":1}`)) {
		t.Fatal("no min/max summary of train/loss in the log")
	}
	if !bytes.Contains(log, []byte("\x12\x05epoch\x82\x01\x010")) {
		t.Fatal("no inserted epoch item in the history")
	}
}
