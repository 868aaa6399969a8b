package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"fmt"
	"math"
	"runtime"
	"unsafe"
)

// FsyncPolicy says when the run log is fsynced.
type FsyncPolicy int32

const (
	FsyncOnFlush FsyncPolicy = C.WB_FSYNC_ON_FLUSH // Flush and Finish (default)
	FsyncNever   FsyncPolicy = C.WB_FSYNC_NEVER
	FsyncAlways  FsyncPolicy = C.WB_FSYNC_ALWAYS
)

// RunMode is wandb.init(mode=…).
type RunMode int32

const (
	RunModeAuto     RunMode = C.WB_MODE_AUTO // WANDB_MODE, else online with an API key, else offline
	RunModeOffline  RunMode = C.WB_MODE_OFFLINE
	RunModeOnline   RunMode = C.WB_MODE_ONLINE
	RunModeDisabled RunMode = C.WB_MODE_DISABLED
	// RunModeShared: one of several processes writing to one run id (mode="shared").
	RunModeShared RunMode = C.WB_MODE_SHARED
	// RunModeSharedOffline: a shared writer without network, uploaded later by sync.
	RunModeSharedOffline RunMode = C.WB_MODE_SHARED_OFFLINE
)

// Flag is a boolean option that can be left to its default.
type Flag int32

const (
	FlagDefault Flag = C.WB_FLAG_DEFAULT
	FlagTrue    Flag = C.WB_FLAG_TRUE
	FlagFalse   Flag = C.WB_FLAG_FALSE
)

// Resume is wandb.init(resume=…) for online runs.
type Resume int32

const (
	ResumeDefault Resume = C.WB_RESUME_DEFAULT // WANDB_RESUME, else never
	ResumeNever   Resume = C.WB_RESUME_NEVER
	ResumeAllow   Resume = C.WB_RESUME_ALLOW
	ResumeMust    Resume = C.WB_RESUME_MUST
)

// ConsoleMode is wandb.Settings(console=…): what goes into the run's console log.
type ConsoleMode int32

const (
	ConsoleAuto     ConsoleMode = C.WB_CONSOLE_AUTO     // WANDB_CONSOLE, else ConsoleWrap
	ConsoleOff      ConsoleMode = C.WB_CONSOLE_OFF      // no console log
	ConsoleWrap     ConsoleMode = C.WB_CONSOLE_WRAP     // only Run.ConsoleWrite / ConsoleWriter
	ConsoleRedirect ConsoleMode = C.WB_CONSOLE_REDIRECT // fds 1 and 2 captured and teed (os.Stdout, fmt.Print, children)
)

// ConsoleStream names the stream of a console chunk.
type ConsoleStream int32

const (
	ConsoleStdout ConsoleStream = C.WB_CONSOLE_STDOUT
	ConsoleStderr ConsoleStream = C.WB_CONSOLE_STDERR // shown as ERROR lines
)

// Step and commit values of Run.Log. NoStep (-1) and CommitDefault (-2) differ on purpose:
// passing one for the other is an error.
const (
	NoStep        int64 = C.WB_RUN_STEP_NONE      // no explicit step: the next one
	CommitDefault int32 = C.WB_RUN_COMMIT_DEFAULT // commit not given (the SDK's commit=None)
	CommitFalse   int32 = C.WB_RUN_COMMIT_FALSE   // commit=False: merge into the pending row
	CommitTrue    int32 = C.WB_RUN_COMMIT_TRUE    // commit=True
)

// RunOptions are the wandb.init arguments ("" = not set).
type RunOptions struct {
	Project, Entity, Name, ID string
	ConfigJSON                string // a JSON object
	TagsJSON                  string // a JSON array of strings
	Group, JobType, Notes     string
	Fsync                     FsyncPolicy
	Async                     bool // records appended by a writer thread; Flush waits
	QueueDepth                int  // async: calls that may wait before callers block (0 = 1024)
	Mode                      RunMode
	BaseURL, APIKey           string // online ("" = WANDB_BASE_URL / WANDB_API_KEY, ~/.netrc)
	Resume                    Resume
	FinishTimeoutMs           uint64 // online: how long Finish waits for uploads (0 = 10 min)
	DisableStats              bool   // no system-metrics sampler thread
	StatsIntervalMs           int    // system-metrics interval (0 = 15000, minimum 100)
	Console                   ConsoleMode
	// Shared mode: the writer's label ("" = WANDB_X_LABEL, else rank<N>, else host-<random>),
	// x_primary and x_update_finish_state (FlagDefault = the environment, else true).
	Label             string
	Primary           Flag
	UpdateFinishState Flag
}

// Run is a run: offline (<root>/wandb/offline-run-…/, uploadable with `wandb sync` or
// `wandb-media sync`), online (<root>/wandb/run-…/, uploaded live; the same log is written)
// or disabled, as RunOptions.Mode (default: WANDB_MODE, else online with an API key, else
// offline). Log,
// SummaryUpdate, ConfigUpdate* and Flush may be called from many goroutines at once;
// Finish and Close after every other call returned.
//
// End every run explicitly: Finish(exitCode) records how the program ended (non-zero is
// shown as failed by W&B) and Close releases the run; both return the error if the exit
// record could not be written. A typical pattern:
//
//	run, err := wandbmedia.OpenRun(".", opts)
//	...
//	defer func() {
//		if err := run.Close(); err != nil { log.Printf("wandb run: %v", err) }
//	}()
//	// on a failure path: run.Finish(1)
//
// A Run that is garbage-collected without Close is finished (exit code 0) and freed by a
// finalizer, which cannot return errors: it reports a warning, and any failure, through
// the log handler (SetLogHandler; default stderr). Do not rely on it.
type Run struct {
	p        *C.wb_run
	finished bool
	id       string
}

// OpenRun starts a new run under root/wandb/ (offline, online or disabled: RunOptions.Mode).
// opts may be nil.
func OpenRun(root string, opts *RunOptions) (*Run, error) {
	croot, err := cstring(root, "root_dir")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(croot))
	co := C.wb_run_options_default()
	if opts != nil {
		fields := []struct {
			dst  **C.char
			val  string
			name string
		}{
			{&co.project, opts.Project, "project"}, {&co.entity, opts.Entity, "entity"},
			{&co.name, opts.Name, "name"}, {&co.id, opts.ID, "id"},
			{&co.config_json, opts.ConfigJSON, "config_json"}, {&co.tags_json, opts.TagsJSON, "tags_json"},
			{&co.group, opts.Group, "group"}, {&co.job_type, opts.JobType, "job_type"},
			{&co.notes, opts.Notes, "notes"}, {&co.label, opts.Label, "label"},
			{&co.base_url, opts.BaseURL, "base_url"}, {&co.api_key, opts.APIKey, "api_key"},
		}
		for _, f := range fields { // C strings in C memory: co holds no Go pointers
			cs, err := optCString(f.val, f.name)
			if err != nil {
				return nil, err
			}
			defer C.free(unsafe.Pointer(cs))
			*f.dst = cs
		}
		co.fsync = uint32(opts.Fsync)
		co.async_mode = C.bool(opts.Async)
		co.queue_depth = C.size_t(opts.QueueDepth)
		co.mode = uint32(opts.Mode)
		co.resume = uint32(opts.Resume)
		co.finish_timeout_ms = C.uint64_t(opts.FinishTimeoutMs)
		co.disable_stats = C.bool(opts.DisableStats)
		co.stats_interval_ms = C.uint32_t(opts.StatsIntervalMs)
		co.console = uint32(opts.Console)
		co.primary = uint32(opts.Primary)
		co.update_finish_state = uint32(opts.UpdateFinishState)
	}
	var out *C.wb_run
	var e C.wb_error
	if err := check(C.wb_run_open(croot, &co, &out, &e), &e); err != nil {
		return nil, err
	}
	r := &Run{p: out}
	r.id, _ = r.ID()
	runtime.SetFinalizer(r, (*Run).finalize)
	return r, nil
}

// finalize frees a run the program forgot to Close, saying so through the log handler
// (the library itself reports a failed finish there too).
func (r *Run) finalize() {
	if r.p == nil {
		return
	}
	if !r.finished {
		report(LogWarn, fmt.Sprintf("run %s was garbage-collected without Run.Close or Run.Finish: "+
			"finishing it with exit code 0 in a finalizer; call Close (and Finish(code) on failure) "+
			"to control and check the end of a run", r.id))
	}
	var e C.wb_error
	C.wb_run_free(r.p, &e)
	r.p = nil
}

func (r *Run) ptr() *C.wb_run {
	if r == nil {
		return nil
	}
	return r.p
}

// Log is run.log(row, step=, commit=) for a dict value (e.g. Row.Value()); step NoStep or
// ≥ 0; commit CommitDefault, CommitFalse or CommitTrue. As in the SDK, a step below the
// current one is dropped with a warning through the log handler (SetLogHandler).
func (r *Run) Log(row *Value, step int64, commit int32) error {
	var e C.wb_error
	err := check(C.wb_run_log(r.ptr(), row.ptr(), C.int64_t(step), C.int32_t(commit), &e), &e)
	runtime.KeepAlive(r)
	runtime.KeepAlive(row)
	return err
}

// LogRow is Log(row.Value(), NoStep, CommitDefault): the next step.
func (r *Run) LogRow(row *Row) error {
	if row.err != nil {
		return row.err
	}
	return r.Log(row.dict, NoStep, CommitDefault)
}

// SummaryUpdate is run.summary.update(dict).
func (r *Run) SummaryUpdate(dict *Value) error {
	var e C.wb_error
	err := check(C.wb_run_summary_update(r.ptr(), dict.ptr(), &e), &e)
	runtime.KeepAlive(r)
	runtime.KeepAlive(dict)
	return err
}

// ConfigUpdate is run.config.update(dict) (plain values).
func (r *Run) ConfigUpdate(dict *Value) error {
	var e C.wb_error
	err := check(C.wb_run_config_update(r.ptr(), dict.ptr(), &e), &e)
	runtime.KeepAlive(r)
	runtime.KeepAlive(dict)
	return err
}

// ConfigUpdateJSON is run.config.update from a JSON object text.
func (r *Run) ConfigUpdateJSON(json string) error {
	cs, err := cstring(json, "json")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	var e C.wb_error
	err = check(C.wb_run_config_update_json(r.ptr(), cs, &e), &e)
	runtime.KeepAlive(r)
	return err
}

// ConsoleWrite appends console output to the run's console log (output_raw records,
// output.log, the Logs tab), as the SDK captures a write to sys.stdout/sys.stderr.
func (r *Run) ConsoleWrite(stream ConsoleStream, p []byte) error {
	var e C.wb_error
	var ptr *C.uint8_t
	if len(p) > 0 {
		ptr = (*C.uint8_t)(unsafe.Pointer(&p[0]))
	}
	err := check(C.wb_run_console_write(r.ptr(), uint32(stream), ptr, C.size_t(len(p)), &e), &e)
	runtime.KeepAlive(r)
	runtime.KeepAlive(p)
	return err
}

// ConsoleWriter is an io.Writer into the run's console log (e.g. for log.New or
// io.MultiWriter(os.Stdout, run.ConsoleWriter(wandbmedia.ConsoleStdout))).
func (r *Run) ConsoleWriter(stream ConsoleStream) *ConsoleWriter {
	return &ConsoleWriter{run: r, stream: stream}
}

// ConsoleWriter implements io.Writer over Run.ConsoleWrite.
type ConsoleWriter struct {
	run    *Run
	stream ConsoleStream
}

// Write sends p to the run's console log.
func (w *ConsoleWriter) Write(p []byte) (int, error) {
	if err := w.run.ConsoleWrite(w.stream, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush waits for queued records (async mode) and fsyncs per the policy.
func (r *Run) Flush() error {
	var e C.wb_error
	err := check(C.wb_run_flush(r.ptr(), &e), &e)
	runtime.KeepAlive(r)
	return err
}

// Finish is run.finish(exit_code): commits the pending row, writes the exit record (a
// non-zero code marks the run failed) and closes the log. Once only; Close is still needed
// to release the run. The error says whether the exit record was written.
func (r *Run) Finish(exitCode int) error {
	if exitCode < math.MinInt32 || exitCode > math.MaxInt32 {
		return newError(StatusInvalidArgument, "exit code out of the int32 range")
	}
	var e C.wb_error
	err := check(C.wb_run_finish(r.ptr(), C.int32_t(exitCode), &e), &e)
	if r != nil && r.p != nil {
		r.finished = true // also after a failed write: the library does not retry
	}
	runtime.KeepAlive(r)
	return err
}

// LostCalls reports (async mode) how many calls that returned nil had their records lost
// to a log write error; Flush and Finish also return an error once for every new loss.
func (r *Run) LostCalls() (uint64, error) {
	var n C.uint64_t
	var e C.wb_error
	err := check(C.wb_run_lost_calls(r.ptr(), &n, &e), &e)
	runtime.KeepAlive(r)
	return uint64(n), err
}

// Close finishes the run with exit code 0 if Finish was not called, releases it, and
// returns the error of that finish (nil if Finish had been called). Idempotent: later calls
// return nil.
func (r *Run) Close() error {
	if r == nil || r.p == nil {
		return nil
	}
	runtime.SetFinalizer(r, nil)
	var e C.wb_error
	err := check(C.wb_run_free(r.p, &e), &e)
	r.p = nil
	r.finished = true
	return err
}

func (r *Run) getString(f func(*C.wb_run, **C.char, *C.wb_error) cstatus) (string, error) {
	var out *C.char
	var e C.wb_error
	err := check(f(r.ptr(), &out, &e), &e)
	runtime.KeepAlive(r)
	if err != nil {
		return "", err
	}
	return takeString(out), nil
}

// ID is the run id.
func (r *Run) ID() (string, error) {
	return r.getString(func(p *C.wb_run, o **C.char, e *C.wb_error) cstatus { return C.wb_run_id(p, o, e) })
}

// DirPath is <root>/wandb/offline-run-…-<id> (offline) or <root>/wandb/run-…-<id> (online):
// what `wandb sync` and `wandb-media sync` take.
func (r *Run) DirPath() (string, error) {
	return r.getString(func(p *C.wb_run, o **C.char, e *C.wb_error) cstatus { return C.wb_run_dir_path(p, o, e) })
}

// FilesDir is the run's files directory (media paths in rows are relative to it).
func (r *Run) FilesDir() (string, error) {
	return r.getString(func(p *C.wb_run, o **C.char, e *C.wb_error) cstatus { return C.wb_run_files_dir(p, o, e) })
}

// SyncRun uploads a run directory like `wandb sync` and marks it synced (a synced run is
// skipped). Only BaseURL, APIKey and FinishTimeoutMs of opts are used; opts may be nil.
func SyncRun(dir string, opts *RunOptions) error {
	cdir, err := cstring(dir, "run_dir")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cdir))
	co := C.wb_run_options_default()
	if opts != nil {
		for _, f := range []struct {
			dst  **C.char
			val  string
			name string
		}{{&co.base_url, opts.BaseURL, "base_url"}, {&co.api_key, opts.APIKey, "api_key"}} {
			cs, err := optCString(f.val, f.name)
			if err != nil {
				return err
			}
			defer C.free(unsafe.Pointer(cs))
			*f.dst = cs
		}
		co.finish_timeout_ms = C.uint64_t(opts.FinishTimeoutMs)
	}
	var e C.wb_error
	return check(C.wb_run_sync(cdir, &co, &e), &e)
}
