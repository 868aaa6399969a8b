package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"math"
	"runtime"
)

// URL is the run's page in the W&B app (run.url): <app URL>/<entity>/<project>/runs/<id>,
// known for an online run once the server created it (never waits for the network). The
// error has StatusUnsupported for an offline or disabled run (it never has a URL;
// `wandb-media sync` prints it when it uploads the run) and StatusState while the server
// has not created the run yet (retry later). See wb_run_url for how the app URL is derived.
func (r *Run) URL() (string, error) {
	return r.getString(func(p *C.wb_run, o **C.char, e *C.wb_error) cstatus { return C.wb_run_url(p, o, e) })
}

// Entity is the entity the server recorded the run under (the API key's default entity
// when none was given); errors as URL.
func (r *Run) Entity() (string, error) {
	return r.getString(func(p *C.wb_run, o **C.char, e *C.wb_error) cstatus { return C.wb_run_entity(p, o, e) })
}

// FinishWithin is Finish waiting at most timeoutMs milliseconds for uploads (online) instead
// of the run's FinishTimeoutMs; what is not sent stays in the run directory for
// `wandb-media sync`.
func (r *Run) FinishWithin(exitCode int, timeoutMs uint64) error {
	if exitCode < math.MinInt32 || exitCode > math.MaxInt32 {
		return newError(StatusInvalidArgument, "exit code out of the int32 range")
	}
	var e C.wb_error
	err := check(C.wb_run_finish_within(r.ptr(), C.int32_t(exitCode), C.uint64_t(timeoutMs), &e), &e)
	if r != nil && r.p != nil {
		r.finished = true
	}
	runtime.KeepAlive(r)
	return err
}
