package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"runtime"
	"unsafe"
)

// SavePolicy is the policy= of run.save: when a saved file is uploaded.
type SavePolicy int32

const (
	SaveLive SavePolicy = C.WB_SAVE_LIVE // as it changes (default)
	SaveNow  SavePolicy = C.WB_SAVE_NOW  // once, now
	SaveEnd  SavePolicy = C.WB_SAVE_END  // at the end of the run
)

// Save is run.save(glob, base_path=, policy=): files matching glob are symlinked into the
// run's files directory (under their path relative to basePath; "" = the SDK's default) and
// announced for upload. Returns the number of files saved. Safe for concurrent use.
func (r *Run) Save(glob, basePath string, policy SavePolicy) (int, error) {
	cg, err := cstring(glob, "glob")
	if err != nil {
		return 0, err
	}
	defer C.free(unsafe.Pointer(cg))
	cb, err := optCString(basePath, "base_path")
	if err != nil {
		return 0, err
	}
	defer C.free(unsafe.Pointer(cb))
	var n C.size_t
	var e C.wb_error
	err = check(C.wb_run_save(r.ptr(), cg, cb, uint32(policy), &n, &e), &e)
	runtime.KeepAlive(r)
	return int(n), err
}

// Artifact is a generic artifact (wandb.Artifact(name, type)) built with AddFile/AddDir and
// logged with Run.LogArtifact. Files are read when it is logged. Not safe for concurrent
// mutation; Close releases it (a finalizer does too).
type Artifact struct {
	p *C.wb_artifact
}

// NewArtifact is wandb.Artifact(name, type), e.g. ("model-ckpt", "model").
func NewArtifact(name, typ string) (*Artifact, error) {
	cn, err := cstring(name, "name")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cn))
	ct, err := cstring(typ, "type")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ct))
	var out *C.wb_artifact
	var e C.wb_error
	if err := check(C.wb_artifact_new(cn, ct, &out, &e), &e); err != nil {
		return nil, err
	}
	a := &Artifact{p: out}
	runtime.SetFinalizer(a, func(a *Artifact) { C.wb_artifact_free(a.p) })
	return a, nil
}

func (a *Artifact) ptr() *C.wb_artifact {
	if a == nil {
		return nil
	}
	return a.p
}

// Close releases the artifact. Idempotent.
func (a *Artifact) Close() error {
	if a == nil || a.p == nil {
		return nil
	}
	runtime.SetFinalizer(a, nil)
	C.wb_artifact_free(a.p)
	a.p = nil
	return nil
}

func (a *Artifact) withString(s, what string, f func(*C.char, *C.wb_error) cstatus) error {
	cs, err := cstring(s, what)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	var e C.wb_error
	err = check(f(cs, &e), &e)
	runtime.KeepAlive(a)
	return err
}

// SetDescription is description=.
func (a *Artifact) SetDescription(d string) error {
	return a.withString(d, "description", func(s *C.char, e *C.wb_error) cstatus {
		return C.wb_artifact_set_description(a.ptr(), s, e)
	})
}

// SetMetadataJSON is metadata= as a JSON object text.
func (a *Artifact) SetMetadataJSON(j string) error {
	return a.withString(j, "json", func(s *C.char, e *C.wb_error) cstatus {
		return C.wb_artifact_set_metadata_json(a.ptr(), s, e)
	})
}

func (a *Artifact) add(path, name string, dir bool) error {
	cp, err := cstring(path, "path")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cp))
	cn, err := optCString(name, "name")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cn))
	var e C.wb_error
	if dir {
		err = check(C.wb_artifact_add_dir(a.ptr(), cp, cn, &e), &e)
	} else {
		err = check(C.wb_artifact_add_file(a.ptr(), cp, cn, &e), &e)
	}
	runtime.KeepAlive(a)
	return err
}

// AddFile is add_file(path, name=): name "" = the file name.
func (a *Artifact) AddFile(path, name string) error { return a.add(path, name, false) }

// AddDir is add_dir(path, name=): every file below path as <name>/<relative path>.
func (a *Artifact) AddDir(path, name string) error { return a.add(path, name, true) }

// LogArtifact is run.log_artifact(artifact, aliases=) ("latest" is always added). Safe for
// concurrent use.
func (r *Run) LogArtifact(a *Artifact, aliases ...string) error {
	n := len(aliases)
	// C array of C strings (no Go pointers handed to C).
	arr := (**C.char)(C.malloc(C.size_t(n+1) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	defer C.free(unsafe.Pointer(arr))
	items := unsafe.Slice(arr, n+1)
	for i, s := range aliases {
		cs, err := cstring(s, "aliases")
		if err != nil {
			for _, p := range items[:i] {
				C.free(unsafe.Pointer(p))
			}
			return err
		}
		items[i] = cs
	}
	defer func() {
		for _, p := range items[:n] {
			C.free(unsafe.Pointer(p))
		}
	}()
	var e C.wb_error
	err := check(C.wb_run_log_artifact(r.ptr(), a.ptr(), arr, C.size_t(n), &e), &e)
	runtime.KeepAlive(r)
	runtime.KeepAlive(a)
	return err
}
