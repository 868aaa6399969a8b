package wandbmedia

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// wandbRecords splits a .wandb transaction log into its records (spec §16.2 framing:
// 7-byte file header, chunks {crc u32, len u16, type u8} in 32 KiB blocks).
func wandbRecords(f []byte) [][]byte {
	var out [][]byte
	var cur []byte
	for pos := 7; pos+7 <= len(f); {
		if left := 32768 - pos%32768; left < 7 {
			pos += left
			continue
		}
		n := int(binary.LittleEndian.Uint16(f[pos+4:]))
		typ := f[pos+6]
		pos += 7
		if pos+n > len(f) {
			break
		}
		cur = append(cur, f[pos:pos+n]...)
		pos += n
		if typ == 1 || typ == 4 {
			out = append(out, cur)
			cur = nil
		}
	}
	return out
}

// pbFields calls fn for each top-level protobuf field (varint value or bytes).
func pbFields(b []byte, fn func(field uint64, wire int, v uint64, body []byte)) {
	for i := 0; i < len(b); {
		key, n := binary.Uvarint(b[i:])
		if n <= 0 {
			return
		}
		i += n
		var v uint64
		var body []byte
		switch wire := int(key & 7); wire {
		case 0:
			v, n = binary.Uvarint(b[i:])
			if n <= 0 {
				return
			}
			i += n
		case 2:
			v, n = binary.Uvarint(b[i:])
			if n <= 0 || uint64(len(b)-i-n) < v {
				return
			}
			i += n
			body = b[i : i+int(v)]
			i += int(v)
		case 1:
			i += 8
		case 5:
			i += 4
		default:
			return
		}
		fn(key>>3, int(key&7), v, body)
	}
}

const noExit = -1000000

// exitCode is the exit_code of the log's exit record (Record field 18, RunExitRecord
// field 1), or noExit if there is none.
func exitCode(t *testing.T, logPath string) int {
	t.Helper()
	f, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	code := noExit
	for _, rec := range wandbRecords(f) {
		pbFields(rec, func(field uint64, wire int, _ uint64, body []byte) {
			if field == 18 && wire == 2 {
				code = 0 // 0 is not serialised (proto3 default)
				pbFields(body, func(ef uint64, ew int, v uint64, _ []byte) {
					if ef == 1 && ew == 0 {
						code = int(int32(uint32(v)))
					}
				})
			}
		})
	}
	return code
}

func openTestRun(t *testing.T, root, id string) (*Run, string) {
	t.Helper()
	run := must(OpenRun(root, &RunOptions{Project: "bindings", ID: id}))
	return run, filepath.Join(must(run.DirPath()), "run-"+id+".wandb")
}

func TestRunExitCodes(t *testing.T) {
	defer catch(t)
	root := t.TempDir()
	run, log := openTestRun(t, root, "goexit0")
	if err := run.LogRow(NewRow().Set("x", 1)); err != nil {
		t.Fatal(err)
	}
	if c := exitCode(t, log); c != noExit {
		t.Fatalf("exit record before Close: %d", c)
	}
	if err := run.Close(); err != nil {
		t.Fatal(err)
	}
	if c := exitCode(t, log); c != 0 {
		t.Fatalf("Close: exit code %d", c)
	}
	if err := run.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	run, log = openTestRun(t, root, "goexit3")
	if err := run.Finish(3); err != nil {
		t.Fatal(err)
	}
	if err := run.Finish(0); !errors.Is(err, StatusState) {
		t.Fatalf("second Finish: %v", err)
	}
	if err := run.Close(); err != nil {
		t.Fatalf("Close after Finish: %v", err)
	}
	if c := exitCode(t, log); c != 3 {
		t.Fatalf("Finish(3): exit code %d", c)
	}
	if err := (&Run{}).Finish(1 << 40); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("huge exit code: %v", err)
	}
}

// TestRunCloseReportsFinishError runs itself in a child process that lowers RLIMIT_FSIZE to
// the size of the run log, so the exit record cannot be written: Close must return that
// error (it used to return nil) and the log handler must hear about it.
func TestRunCloseReportsFinishError(t *testing.T) {
	if os.Getenv("WBGO_CLOSE_CHILD") == "1" {
		closeFailChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunCloseReportsFinishError$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WBGO_CLOSE_CHILD=1", "WBGO_ROOT="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "close-child: ok") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func closeFailChild() {
	fail := func(format string, args ...any) {
		os.Stdout.WriteString("close-child: FAIL " + strings.TrimSpace(fmt.Sprintf(format, args...)) + "\n")
		os.Exit(1)
	}
	var mu sync.Mutex
	var msgs []string
	if err := SetLogHandler(func(level LogLevel, msg string) {
		mu.Lock()
		msgs = append(msgs, level.String()+" "+msg)
		mu.Unlock()
	}, LogWarn); err != nil {
		fail("SetLogHandler: %v", err)
	}
	run, err := OpenRun(os.Getenv("WBGO_ROOT"), &RunOptions{ID: "goclosefail"})
	if err != nil {
		fail("open: %v", err)
	}
	if err := run.LogRow(NewRow().Set("x", 1)); err != nil {
		fail("log: %v", err)
	}
	log := filepath.Join(must(run.DirPath()), "run-goclosefail.wandb")
	st, err := os.Stat(log)
	if err != nil {
		fail("stat: %v", err)
	}
	signal.Ignore(syscall.SIGXFSZ)
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		fail("getrlimit: %v", err)
	}
	lim := old
	lim.Cur = uint64(st.Size())
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fail("setrlimit: %v", err)
	}
	cerr := run.Close()
	_ = syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old)
	if !errors.Is(cerr, StatusIO) {
		fail("Close returned %v, want a WB_ERR_IO error", cerr)
	}
	if err := run.Close(); err != nil {
		fail("second Close: %v", err)
	}
	f, _ := os.ReadFile(log)
	for _, rec := range wandbRecords(f) {
		pbFields(rec, func(field uint64, _ int, _ uint64, _ []byte) {
			if field == 18 {
				fail("an exit record was written")
			}
		})
	}
	mu.Lock()
	joined := strings.Join(msgs, "\n")
	mu.Unlock()
	if !strings.Contains(joined, "ERROR finishing the run in wb_run_free failed") {
		fail("log handler got %q", joined)
	}
	_ = SetLogHandler(nil, LogWarn)
	os.Stdout.WriteString("close-child: ok\n")
}

func TestLogHandlerGetsDroppedStepWarning(t *testing.T) {
	defer catch(t)
	defer SetLogHandler(nil, LogWarn)
	var mu sync.Mutex
	var got []string
	if err := SetLogHandler(func(level LogLevel, msg string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, level.String()+": "+msg)
	}, LogWarn); err != nil {
		t.Fatal(err)
	}
	run, _ := openTestRun(t, t.TempDir(), "godrop")
	defer run.Close()
	a, b := NewRow().Set("x", 1), NewRow().Set("x", 2)
	defer a.Close()
	defer b.Close()
	if err := run.Log(a.Value(), 5, CommitDefault); err != nil {
		t.Fatal(err)
	}
	if err := run.Log(b.Value(), 3, CommitDefault); err != nil { // dropped, as in the SDK
		t.Fatal(err)
	}
	mu.Lock()
	joined := strings.Join(got, "\n")
	mu.Unlock()
	if !strings.Contains(joined, "WARN: Tried to log to step 3 that is less than the current step 5") {
		t.Fatalf("handler got %q", joined)
	}
	// Swapping the step and commit sentinels is an error, not a silent default.
	if err := run.Log(a.Value(), int64(CommitDefault), int32(NoStep)); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("swapped sentinels: %v", err)
	}

	// log/slog adapter, and a panicking handler does not crash the process.
	var buf bytes.Buffer
	var bufMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&bufMu, &buf}, nil))
	if err := SetLogHandler(SlogHandler(logger), LogWarn); err != nil {
		t.Fatal(err)
	}
	if err := run.Log(b.Value(), 1, CommitDefault); err != nil {
		t.Fatal(err)
	}
	bufMu.Lock()
	text := buf.String()
	bufMu.Unlock()
	if !strings.Contains(text, "level=WARN") || !strings.Contains(text, "Tried to log to step 1 that is less than the current step 5") ||
		!strings.Contains(text, "source=wandb-media") {
		t.Fatalf("slog got %q", text)
	}
	calls := 0
	if err := SetLogHandler(func(LogLevel, string) { calls++; panic("handler bug") }, LogWarn); err != nil {
		t.Fatal(err)
	}
	if err := run.Log(b.Value(), 2, CommitDefault); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("panicking handler called %d times", calls)
	}
	// min level: an errors-only handler gets no warnings.
	if err := SetLogHandler(func(LogLevel, string) { calls++ }, LogError); err != nil {
		t.Fatal(err)
	}
	if err := run.Log(b.Value(), 2, CommitDefault); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("errors-only handler got a warning")
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestSummaryJSON(t *testing.T) {
	defer catch(t)
	dir, files := openDir(t)
	img := must(NewImageU8(fxPixels(), 2, 3, 3))
	defer img.Close()
	js := must(img.SummaryJSON(dir, "best"))
	if !strings.Contains(js, `"path":"media/images/best_summary_4b2ef48a447ceee4ef90.png"`) {
		t.Fatalf("summary json %s", js)
	}
	if _, err := os.Stat(filepath.Join(files, "media/images/best_summary_4b2ef48a447ceee4ef90.png")); err != nil {
		t.Fatal(err)
	}
	row := NewRow().Set("nested", map[string]any{"img": img})
	defer row.Close()
	if js := must(row.SummaryJSON(dir)); !strings.Contains(js, "media/images/nested.img_summary_4b2ef48a447ceee4ef90.png") {
		t.Fatalf("row summary json %s", js)
	}
	// A negative step is an error (NoStep used to silently mean "summary").
	if _, err := row.JSON(dir, NoStep); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("row at NoStep: %v", err)
	}
	if _, err := img.JSON(dir, "img", -1); !errors.Is(err, StatusInvalidArgument) {
		t.Fatalf("value at -1: %v", err)
	}
	if s := StatusIO.String(); s != "WB_ERR_IO" {
		t.Fatalf("status name %q", s)
	}
}

// A run that is garbage-collected without Close is finished by the finalizer, which says so
// through the log handler (it cannot return an error).
func TestRunFinalizerWarns(t *testing.T) {
	defer catch(t)
	defer SetLogHandler(nil, LogWarn)
	var mu sync.Mutex
	var got []string
	if err := SetLogHandler(func(level LogLevel, msg string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, level.String()+": "+msg)
	}, LogWarn); err != nil {
		t.Fatal(err)
	}
	log := func() string {
		run, log := openTestRun(t, t.TempDir(), "gofinalize")
		if err := run.LogRow(NewRow().Set("x", 1)); err != nil {
			t.Fatal(err)
		}
		return log // run is unreachable from here on
	}()
	seen := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range got {
			if strings.Contains(m, "WARN: run gofinalize was garbage-collected without Run.Close") {
				return true
			}
		}
		return false
	}
	for i := 0; i < 100 && !seen(); i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if !seen() {
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("no finalizer warning; handler got %q", got)
	}
	if c := exitCode(t, log); c != 0 {
		t.Fatalf("finalizer: exit code %d", c)
	}
}

// Handlers may be swapped while goroutines log (and warnings are delivered) concurrently.
func TestLogHandlerSwapWhileLogging(t *testing.T) {
	defer catch(t)
	defer SetLogHandler(nil, LogWarn)
	run, _ := openTestRun(t, t.TempDir(), "goswap")
	defer run.Close()
	first := NewRow().Set("x", 1)
	defer first.Close()
	if err := run.Log(first.Value(), 1000, CommitDefault); err != nil {
		t.Fatal(err)
	}
	var delivered atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			row := NewRow().Set("y", 2)
			defer row.Close()
			for i := 0; i < 50; i++ {
				if err := run.Log(row.Value(), int64(i), CommitDefault); err != nil { // below 1000: warned
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 0; i < 50; i++ {
		if err := SetLogHandler(func(LogLevel, string) { delivered.Add(1) }, LogWarn); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := SetLogHandler(func(LogLevel, string) { delivered.Add(1) }, LogWarn); err != nil {
		t.Fatal(err)
	}
	before := delivered.Load()
	if err := run.Log(first.Value(), 1, CommitDefault); err != nil {
		t.Fatal(err)
	}
	if delivered.Load() != before+1 {
		t.Fatalf("last handler: %d -> %d", before, delivered.Load())
	}
}
