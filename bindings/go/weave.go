package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Weave traces (weave.init + @weave.op for Go): a WeaveClient traces calls of one project to
// a Weave trace server; WeaveClient.Call runs a function inside a call whose parent is the
// call found in the context:
//
//	client, err := wandbmedia.OpenWeave("entity/project", nil)
//	...
//	defer client.Close(30 * time.Second)
//	out, err := client.Call(ctx, "policy_step", map[string]any{"step": i, "camera": video},
//		func(ctx context.Context) (any, error) {
//			client.Call(ctx, "preprocess", map[string]any{"step": i}, pre) // a child call
//			return map[string]any{"action": action, "overlay": img}, nil
//		})
//
// Calls are written to a spool on disk and delivered by a background sender: Call never
// waits for the network. Everything is safe for concurrent use by many goroutines.

// WeaveOptions are the options of OpenWeave ("" = not set: from the environment).
type WeaveOptions struct {
	Mode           RunMode // RunModeAuto: WEAVE_DISABLED / WANDB_MODE, else online with a key, else offline
	TraceServerURL string  // WF_TRACE_SERVER_URL, else WANDB_BASE_URL + "/traces", else https://trace.wandb.ai
	BaseURL        string  // W&B API for the default entity (WANDB_BASE_URL, else https://api.wandb.ai)
	APIKey         string  // WANDB_API_KEY, else ~/.netrc
	SpoolDir       string  // where calls and files wait before sending (default ./weave)
	WBRunID        string  // wb_run_id of every call ("entity/project/run-id"); see SetRun
}

// WeaveStatus is what Flush and Close report.
type WeaveStatus struct {
	CallsSent, CallsPending, FilesSent, FilesPending uint64
	ServerReachable                                  bool
	LastError                                        string // why delivery is stuck; "" when none
}

// WeaveClient traces calls of one project. Safe for concurrent use.
type WeaveClient struct {
	mu sync.RWMutex // Close/free exclusive; call starts shared
	p  *C.wb_weave_client
}

// WeaveCall is one started call (see WeaveClient.Start); Call manages them for you.
type WeaveCall struct {
	mu    sync.Mutex
	p     *C.wb_weave_call
	op    string
	ended bool
}

type weaveCallKey struct{}

// WeaveCallFromContext returns the call that Call put into ctx (nil: none, a root call).
func WeaveCallFromContext(ctx context.Context) *WeaveCall {
	c, _ := ctx.Value(weaveCallKey{}).(*WeaveCall)
	return c
}

// ContextWithWeaveCall returns ctx carrying call as the parent of calls started with it.
func ContextWithWeaveCall(ctx context.Context, call *WeaveCall) context.Context {
	return context.WithValue(ctx, weaveCallKey{}, call)
}

// OpenWeave opens a client for "entity/project" or "project" (entity: the API key's default
// entity). opts may be nil. It never waits for the network.
func OpenWeave(project string, opts *WeaveOptions) (*WeaveClient, error) {
	cproj, err := cstring(project, "project")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cproj))
	co := C.wb_weave_options_default()
	if opts != nil {
		fields := []struct {
			dst  **C.char
			val  string
			name string
		}{
			{&co.trace_server_url, opts.TraceServerURL, "trace_server_url"}, {&co.base_url, opts.BaseURL, "base_url"},
			{&co.api_key, opts.APIKey, "api_key"}, {&co.spool_dir, opts.SpoolDir, "spool_dir"},
			{&co.wb_run_id, opts.WBRunID, "wb_run_id"},
		}
		for _, f := range fields { // C strings in C memory: co holds no Go pointers
			cs, err := optCString(f.val, f.name)
			if err != nil {
				return nil, err
			}
			defer C.free(unsafe.Pointer(cs))
			*f.dst = cs
		}
		co.mode = uint32(opts.Mode)
	}
	var out *C.wb_weave_client
	var e C.wb_error
	if err := check(C.wb_weave_client_open(cproj, &co, &out, &e), &e); err != nil {
		return nil, err
	}
	c := &WeaveClient{p: out}
	runtime.SetFinalizer(c, func(c *WeaveClient) { c.free() })
	return c, nil
}

// toValue converts an input/output: nil stays nil (None / {}), a *Value is used as is (not
// owned), anything else goes through ValueOf (owned: the returned close frees it).
func toValue(x any, what string) (*Value, func(), error) {
	switch v := x.(type) {
	case nil:
		return nil, func() {}, nil
	case *Value:
		return v, func() {}, nil
	}
	v, err := ValueOf(x)
	if err != nil {
		return nil, nil, fmt.Errorf("weave %s: %w", what, err)
	}
	return v, func() { v.Close() }, nil
}

// Start starts a call of op as a child of parent (nil: a new root). inputs: a
// map[string]any (values may be *Value media), a dict *Value, or nil. The call must be
// ended (End) and closed (Close).
func (c *WeaveClient) Start(op string, parent *WeaveCall, inputs any, attributesJSON string) (*WeaveCall, error) {
	cop, err := cstring(op, "op_name")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cop))
	cattr, err := optCString(attributesJSON, "attributes_json")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cattr))
	in, done, err := toValue(inputs, "inputs")
	if err != nil {
		return nil, err
	}
	defer done()
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.p == nil {
		return nil, newError(StatusState, "weave client is closed")
	}
	var pp *C.wb_weave_call
	if parent != nil {
		parent.mu.Lock()
		defer parent.mu.Unlock()
		pp = parent.p
	}
	var out *C.wb_weave_call
	var e C.wb_error
	if err := check(C.wb_weave_call_start(c.p, cop, pp, in.ptr(), cattr, &out, &e), &e); err != nil {
		return nil, err
	}
	runtime.KeepAlive(in)
	call := &WeaveCall{p: out, op: op}
	runtime.SetFinalizer(call, func(w *WeaveCall) { w.Close() })
	return call, nil
}

// End ends the call with output (see Start for the types), or as failed with callErr's text
// when callErr is not nil. Once per call.
func (w *WeaveCall) End(output any, callErr error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.p == nil {
		return newError(StatusState, "weave call is closed")
	}
	var cexc *C.char
	if callErr != nil {
		cexc = C.CString(callErr.Error())
		defer C.free(unsafe.Pointer(cexc))
		output = nil
	}
	out, done, err := toValue(output, "output")
	if err != nil {
		return err
	}
	defer done()
	var e C.wb_error
	if err := check(C.wb_weave_call_end(w.p, out.ptr(), cexc, nil, &e), &e); err != nil {
		return err
	}
	runtime.KeepAlive(out)
	w.ended = true
	return nil
}

// ID is the call's id (UUIDv7), "" after Close.
func (w *WeaveCall) ID() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return C.GoString(C.wb_weave_call_id(w.p))
}

// TraceID is the id of the call's trace, "" after Close.
func (w *WeaveCall) TraceID() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return C.GoString(C.wb_weave_call_trace_id(w.p))
}

// Close frees the call; a call closed without End shows as unfinished. Idempotent.
func (w *WeaveCall) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.p != nil {
		runtime.SetFinalizer(w, nil)
		C.wb_weave_call_free(w.p)
		w.p = nil
	}
}

// Call runs fn inside a call of op whose parent is the call in ctx (none: a root call); fn
// gets a context carrying the new call, for nested calls. fn's output is the call's output,
// its error the call's exception; a panic in fn ends the call with the panic's text and is
// re-raised. Returns fn's results; if the call cannot be started (bad inputs, closed
// client), fn is not run and that error is returned.
func (c *WeaveClient) Call(ctx context.Context, op string, inputs any, fn func(ctx context.Context) (any, error)) (any, error) {
	call, err := c.Start(op, WeaveCallFromContext(ctx), inputs, "")
	if err != nil {
		return nil, err
	}
	defer call.Close()
	finished := false
	defer func() {
		if !finished {
			r := recover()
			_ = call.End(nil, fmt.Errorf("panic: %v", r))
			panic(r)
		}
	}()
	out, ferr := fn(ContextWithWeaveCall(ctx, call))
	finished = true
	if err := call.End(out, ferr); err != nil && ferr == nil {
		return out, fmt.Errorf("weave: ending %s: %w", op, err)
	}
	return out, ferr
}

// SetRun attaches a run: later calls carry its id as wb_run_id (nil detaches).
func (c *WeaveClient) SetRun(run *Run) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.p == nil {
		return newError(StatusState, "weave client is closed")
	}
	var rp *C.wb_run
	if run != nil {
		rp = run.p
	}
	var e C.wb_error
	return check(C.wb_weave_client_set_run(c.p, rp, &e), &e)
}

func statusOf(st *C.wb_weave_status) WeaveStatus {
	return WeaveStatus{
		CallsSent: uint64(st.calls_sent), CallsPending: uint64(st.calls_pending),
		FilesSent: uint64(st.files_sent), FilesPending: uint64(st.files_pending),
		ServerReachable: bool(st.server_reachable), LastError: C.GoString(&st.last_error[0]),
	}
}

// Flush waits up to timeout for everything spooled so far to be delivered; the error
// (StatusNetwork) names what is pending and why. The status is filled either way.
func (c *WeaveClient) Flush(timeout time.Duration) (WeaveStatus, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.p == nil {
		return WeaveStatus{}, newError(StatusState, "weave client is closed")
	}
	st := C.wb_weave_status_default()
	var e C.wb_error
	err := check(C.wb_weave_client_flush(c.p, C.double(timeout.Seconds()), &st, &e), &e)
	return statusOf(&st), err
}

// Close flushes (up to timeout), stops the sender and frees the client. What was not
// delivered stays in the spool for `wandb-media sync`. Later calls fail with StatusState.
func (c *WeaveClient) Close(timeout time.Duration) (WeaveStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p == nil {
		return WeaveStatus{}, newError(StatusState, "weave client is closed")
	}
	st := C.wb_weave_status_default()
	var e C.wb_error
	err := check(C.wb_weave_client_close(c.p, C.double(timeout.Seconds()), &st, &e), &e)
	runtime.SetFinalizer(c, nil)
	C.wb_weave_client_free(c.p)
	c.p = nil
	return statusOf(&st), err
}

func (c *WeaveClient) free() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.p != nil {
		C.wb_weave_client_free(c.p)
		c.p = nil
	}
}
