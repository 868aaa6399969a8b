package wandbmedia

import (
	"strings"
	"testing"
	"time"
)

// An offline run reports UploadOffline; an online run against a closed port reports
// UploadRetrying with the time it became unreachable and the connection error, while
// LogRow keeps succeeding (tests/online/status.py checks live servers and refusals).
func TestUploadStatus(t *testing.T) {
	defer catch(t)
	off := must(OpenRun(t.TempDir(), &RunOptions{Project: "bindings", Mode: RunModeOffline}))
	defer off.Close()
	if st := must(off.UploadStatus()); st.State != UploadOffline || st.RowsPending != 0 || st.LastError != "" {
		t.Fatalf("offline status %+v", st)
	}
	before := time.Now().Add(-time.Second)
	on := must(OpenRun(t.TempDir(), &RunOptions{Project: "bindings", Mode: RunModeOnline,
		BaseURL: "http://127.0.0.1:1", APIKey: strings.Repeat("0", 40), FinishTimeoutMs: 500}))
	defer on.Close()
	for i := 0; i < 3; i++ {
		if err := on.LogRow(NewRow().Set("i", float64(i))); err != nil {
			t.Fatal(err)
		}
	}
	var st UploadStatus
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		// The rows reach the log through the run's writer thread: wait for both the
		// retry state and the three rows (either can come first).
		if st = must(on.UploadStatus()); st.State == UploadRetrying && st.RowsPending == 3 {
			break
		}
	}
	if st.State != UploadRetrying || st.UnreachableSince.Before(before) || st.RowsPending != 3 ||
		!strings.Contains(st.LastError, "retrying") {
		t.Fatalf("status with the server unreachable %+v", st)
	}
	if err := on.Finish(0); err == nil {
		t.Fatal("finish with the server unreachable succeeded")
	}
	if st = must(on.UploadStatus()); st.State != UploadFailed || st.RowsPending != 3 {
		t.Fatalf("status after finish %+v", st)
	}
}
