package wandbmedia

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// An offline or disabled run has no URL: a clear status (StatusUnsupported) and message,
// never an empty string. (Online: tests/online `url`.)
func TestRunURLOfflineAndDisabled(t *testing.T) {
	defer catch(t)
	root := t.TempDir()
	for _, mode := range []RunMode{RunModeOffline, RunModeDisabled} {
		run := must(OpenRun(root, &RunOptions{Project: "bindings", Mode: mode, DisableStats: true}))
		for name, get := range map[string]func() (string, error){"URL": run.URL, "Entity": run.Entity} {
			s, err := get()
			var we *Error
			if s != "" || !errors.As(err, &we) || we.Code != StatusUnsupported || !strings.Contains(we.Message, "no URL") {
				t.Fatalf("mode %d %s: %q, %v", mode, name, s, err)
			}
		}
		if err := run.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// FinishWithin writes the exit record with its exit code; a second finish is StatusState.
func TestRunFinishWithin(t *testing.T) {
	defer catch(t)
	root := t.TempDir()
	run := must(OpenRun(root, &RunOptions{Project: "bindings", ID: "gowithin", DisableStats: true}))
	log := filepath.Join(must(run.DirPath()), "run-gowithin.wandb")
	if err := run.FinishWithin(7, 1000); err != nil {
		t.Fatal(err)
	}
	if err := run.FinishWithin(1, 1000); !errors.Is(err, StatusState) {
		t.Fatalf("second finish: %v", err)
	}
	if err := run.Close(); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, log); code != 7 {
		t.Fatalf("exit code %d", code)
	}
}
