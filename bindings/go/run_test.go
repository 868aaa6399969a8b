package wandbmedia

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestRunWritesAnOfflineRun(t *testing.T) {
	defer catch(t)
	root := t.TempDir()
	run := must(OpenRun(root, &RunOptions{Project: "bindings", ID: "gotest01", ConfigJSON: `{"lr":0.5}`, Async: true}))
	defer run.Close()
	if id := must(run.ID()); id != "gotest01" {
		t.Fatalf("id %s", id)
	}
	dir, files := must(run.DirPath()), must(run.FilesDir())
	if !strings.Contains(dir, "/wandb/offline-run-") || !strings.HasSuffix(dir, "-gotest01") {
		t.Fatalf("dir %s", dir)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ { // concurrent loggers
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				img, err := NewImageU8(fxPixels(), 2, 3, 3)
				if err != nil {
					errs <- err
					return
				}
				row := NewRow().Set(fmt.Sprintf("loss_%d", g), float64(i)).Set("img", img)
				if err := run.LogRow(row); err != nil {
					errs <- err
				}
				row.Close()
				img.Close()
				runtime.GC()
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	summary := must(NewDict())
	defer summary.Close()
	best := must(Float(0.125))
	defer best.Close()
	if err := summary.Set("best", best); err != nil {
		t.Fatal(err)
	}
	if err := run.SummaryUpdate(summary); err != nil {
		t.Fatal(err)
	}
	if err := run.ConfigUpdateJSON(`{"epochs":3}`); err != nil {
		t.Fatal(err)
	}
	if err := run.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(0); err != nil {
		t.Fatal(err)
	}
	if err := run.LogRow(NewRow().Set("x", 1)); !errors.Is(err, StatusState) {
		t.Fatalf("log after finish: %v", err)
	}
	// 20 rows: media named with local steps 0..19.
	for step := 0; step < 20; step++ {
		if _, err := os.Stat(filepath.Join(files, fmt.Sprintf("media/images/img_%d_4b2ef48a447ceee4ef90.png", step))); err != nil {
			t.Fatal(err)
		}
	}
	log, err := os.ReadFile(filepath.Join(dir, "run-gotest01.wandb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"4b2ef48a447ceee4ef9047e30ae734feaf9a2ff2bfc1c681e24111c8722db56d", "media/images/img_19_4b2ef48a447ceee4ef90.png", "0.125", "loss_3"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("run log lacks %q", want)
		}
	}
}
