package wandbmedia

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSaveAndLogArtifact(t *testing.T) {
	defer catch(t)
	root := t.TempDir()
	src := filepath.Join(root, "src")
	if err := os.MkdirAll(filepath.Join(src, "ckpt"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "ckpt", "w.bin"), []byte("checkpoint notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := must(OpenRun(root, &RunOptions{ID: "goart001"}))
	defer run.Close()
	if n := must(run.Save(filepath.Join(src, "ckpt", "*.bin"), src, SaveEnd)); n != 1 {
		t.Fatalf("saved %d files", n)
	}
	if _, err := NewArtifact("a/b", "model"); err == nil {
		t.Fatal("slash in the name accepted")
	}
	a := must(NewArtifact("model-ckpt", "model"))
	defer a.Close()
	if err := a.AddDir(filepath.Join(src, "ckpt"), "weights"); err != nil {
		t.Fatal(err)
	}
	if err := a.AddFile(filepath.Join(src, "missing"), ""); err == nil || !strings.Contains(err.Error(), "not a file") {
		t.Fatalf("missing file: %v", err)
	}
	if err := run.LogArtifact(a, "best"); err != nil {
		t.Fatal(err)
	}
	if err := run.LogArtifact(a, "a:b"); err == nil {
		t.Fatal("bad alias accepted")
	}
	dir := must(run.DirPath())
	if err := run.Finish(0); err != nil {
		t.Fatal(err)
	}
	target, err := os.Readlink(filepath.Join(dir, "files", "ckpt", "w.bin"))
	if err != nil || target != filepath.Join(src, "ckpt", "w.bin") {
		t.Fatalf("saved file link %q %v", target, err)
	}
	log := must(os.ReadFile(filepath.Join(dir, "run-goart001.wandb")))
	for _, want := range []string{
		"\x0a\x0ackpt/w.bin\x10\x01", // files item: path, policy END
		"weights/w.bin",              // manifest entry
		"Vt1HGOGouTaRRVjT+gU0nA==",   // base64 MD5 the SDK computes for these bytes
		"\x5a\x06latest\x5a\x04best", // aliases
		"MANIFEST_MD5",
	} {
		if !bytes.Contains(log, []byte(want)) {
			t.Fatalf("log has no %q", want)
		}
	}
}

func TestSystemMetrics(t *testing.T) {
	defer catch(t)
	for _, off := range []bool{false, true} {
		root := t.TempDir()
		run := must(OpenRun(root, &RunOptions{ID: "gostats1", StatsIntervalMs: 100, DisableStats: off}))
		time.Sleep(450 * time.Millisecond)
		dir := must(run.DirPath())
		if err := run.Finish(0); err != nil {
			t.Fatal(err)
		}
		run.Close()
		log := must(os.ReadFile(filepath.Join(dir, "run-gostats1.wandb")))
		n := bytes.Count(log, []byte("proc.memory.rssMB"))
		if off && n != 0 || !off && (n < 2 || n > 6) {
			t.Fatalf("disabled=%v: %d stats records", off, n)
		}
	}
	if _, err := OpenRun(t.TempDir(), &RunOptions{StatsIntervalMs: 5}); err == nil {
		t.Fatal("5 ms interval accepted")
	}
}
