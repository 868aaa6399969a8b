// Package wandbmedia produces Weights & Biases rich media (images, histograms, ... and the
// history-row JSON) from Go, byte-identical to the wandb Python SDK, through the
// wandb-media C library (cgo).
//
//	dir, _ := wandbmedia.OpenRunDir("run/files")
//	defer dir.Close()
//	img, _ := wandbmedia.NewImageU8(pixels, 32, 32, 3)
//	defer img.Close()
//	row := wandbmedia.NewRow().Set("loss", 0.25).Set("img", img)
//	defer row.Close()
//	json, err := row.JSON(dir, 0) // {"loss":0.25,"img":{"_type":"image-file",...}}
//
// Ownership: every constructor returns a handle owning C memory. Call Close when done; a
// finalizer frees forgotten handles as a safety net. Adding a value to a list, dict or row
// stores a cheap shared copy, so the original stays valid (and must still be closed).
//
// Memory: tensors and byte slices are passed to C without copying (the library reads them
// only during the call); no Go pointer is ever stored in C memory.
//
// Concurrency: values may be read (serialised, added to containers) from several
// goroutines at once but not modified concurrently; a RunDir is safe for concurrent use.
// Errors are reported through the C API's per-call wb_error out-parameter (no thread-local
// state), so goroutines moving between OS threads is fine.
package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"runtime"
	"strings"
	"unsafe"
)

// Version is the C library's version ("major.minor.patch").
func Version() string { return C.GoString(C.wb_version()) }

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

// Status is the C library's wb_status. Status values are also errors, so
// errors.Is(err, wandbmedia.StatusInvalidArgument) tests an *Error's code.
type Status int32

const (
	StatusOK              Status = C.WB_OK
	StatusNullArgument    Status = C.WB_ERR_NULL_ARGUMENT
	StatusInvalidArgument Status = C.WB_ERR_INVALID_ARGUMENT
	StatusInvalidUTF8     Status = C.WB_ERR_INVALID_UTF8
	StatusOverflow        Status = C.WB_ERR_OVERFLOW
	StatusUnsupported     Status = C.WB_ERR_UNSUPPORTED
	StatusIO              Status = C.WB_ERR_IO
	StatusPanic           Status = C.WB_ERR_PANIC
	StatusState           Status = C.WB_ERR_STATE
	StatusNetwork         Status = C.WB_ERR_NETWORK // a server unreachable, refusing, or delivery not finished in time
)

// String is the C name, e.g. "WB_ERR_INVALID_ARGUMENT".
func (s Status) String() string { return C.GoString(C.wb_status_name(C.enum_wb_status(s))) }

// Error makes a Status usable as an errors.Is target.
func (s Status) Error() string { return s.String() }

// Error is a failed call: the status code and the library's message (which names the bad
// argument).
type Error struct {
	Code    Status
	Message string
}

func (e *Error) Error() string { return e.Code.String() + ": " + e.Message }

// Is reports whether target is this error's Status (or an *Error with the same code).
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Status:
		return e.Code == t
	case *Error:
		return e.Code == t.Code
	}
	return false
}

func newError(code Status, msg string) error { return &Error{Code: code, Message: msg} }

// check turns a status + filled wb_error into a Go error.
func check(st cstatus, e *C.wb_error) error {
	if st == C.WB_OK {
		return nil
	}
	return &Error{Code: Status(st), Message: C.GoString(&e.message[0])}
}

// cstring copies s into C memory (free with C.free). Strings with NUL bytes are rejected:
// the C API takes NUL-terminated text here.
func cstring(s, what string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, newError(StatusInvalidArgument, what+" contains a NUL byte")
	}
	return C.CString(s), nil
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

// Value is any loggable value: scalar, string, list, dict, array, histogram or media.
type Value struct {
	p *C.wb_value
}

func newValue(p *C.wb_value) *Value {
	v := &Value{p: p}
	runtime.SetFinalizer(v, func(v *Value) { C.wb_value_free(v.p) })
	return v
}

// construct runs a C constructor and wraps the handle.
func construct(f func(out **C.wb_value, e *C.wb_error) cstatus) (*Value, error) {
	var out *C.wb_value
	var e C.wb_error
	if err := check(f(&out, &e), &e); err != nil {
		return nil, err
	}
	return newValue(out), nil
}

// Close frees the value (containers holding copies are unaffected). Idempotent; not safe
// to call while another goroutine uses the value.
func (v *Value) Close() error {
	if v == nil || v.p == nil {
		return nil
	}
	runtime.SetFinalizer(v, nil)
	C.wb_value_free(v.p)
	v.p = nil
	return nil
}

func (v *Value) ptr() *C.wb_value {
	if v == nil {
		return nil
	}
	return v.p
}

// Null is JSON null (Python None).
func Null() (*Value, error) {
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_value_null(o, e) })
}

// Bool is a boolean.
func Bool(b bool) (*Value, error) {
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_value_bool(C.bool(b), o, e) })
}

// Int is an integer (a Python int).
func Int(i int64) (*Value, error) {
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_value_int(C.int64_t(i), o, e) })
}

// Float is a float64 (NaN and ±Inf allowed: written NaN/Infinity like the SDK).
func Float(f float64) (*Value, error) {
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_value_float(C.double(f), o, e) })
}

// String is UTF-8 text (may contain NUL; read in place, copied by the library).
func String(s string) (*Value, error) {
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wb_value_string_n((*C.char)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s)), o, e)
	})
	runtime.KeepAlive(s)
	return v, err
}

// FromJSON parses JSON text: objects become dicts in key order, arrays lists, and numbers
// keep the int/float distinction of their text.
func FromJSON(text string) (*Value, error) {
	cs, err := cstring(text, "json")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cs))
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_value_from_json(cs, o, e) })
}

// Array is a numpy-array value (one element → scalar, ≤ 32 → nested list, more → 32-bin
// histogram, or statistics in the summary). The data is copied.
func Array(t Tensor) (*Value, error) {
	ct, err := t.prepare("tensor")
	if err != nil {
		return nil, err
	}
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wbgo_value_from_tensor(ct.data, ct.dtype, ct.ndim, ct.shape, ct.strides, o, e)
	})
	t.keepAlive()
	return v, err
}

// NewList is an empty list. A list of media of one type is logged batched like the SDK.
func NewList() (*Value, error) {
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_list_new(o, e) })
}

// NewDict is an empty dict (keys keep insertion order).
func NewDict() (*Value, error) {
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus { return C.wb_dict_new(o, e) })
}

// Append adds a shared copy of item to the list v (the caller keeps item).
func (v *Value) Append(item *Value) error {
	var e C.wb_error
	err := check(C.wb_list_append(v.ptr(), item.ptr(), &e), &e)
	runtime.KeepAlive(v)
	runtime.KeepAlive(item)
	return err
}

// Set stores a shared copy of item under key in the dict v (an existing key keeps its
// position, as in Python).
func (v *Value) Set(key string, item *Value) error {
	ck, err := cstring(key, "key")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(ck))
	var e C.wb_error
	err = check(C.wb_dict_set(v.ptr(), ck, item.ptr(), &e), &e)
	runtime.KeepAlive(v)
	runtime.KeepAlive(item)
	return err
}

// SetCaption sets the caption of a media value ("" is kept).
func (v *Value) SetCaption(caption string) error {
	cs, err := cstring(caption, "caption")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	var e C.wb_error
	err = check(C.wb_value_set_caption(v.ptr(), cs, &e), &e)
	runtime.KeepAlive(v)
	return err
}

// takeString converts a library-owned string and frees it.
func takeString(p *C.char) string {
	s := C.GoString(p)
	C.wb_string_free(p)
	return s
}

// JSON serialises the value as run.log({key: v}) at step (≥ 0; a negative step is an error)
// does; media files are written under dir. SummaryJSON is the summary namespace.
func (v *Value) JSON(dir *RunDir, key string, step int64) (string, error) {
	ck, err := cstring(key, "key")
	if err != nil {
		return "", err
	}
	defer C.free(unsafe.Pointer(ck))
	var out *C.char
	var e C.wb_error
	err = check(C.wb_value_to_json(v.ptr(), dir.ptr(), ck, C.int64_t(step), &out, &e), &e)
	runtime.KeepAlive(v)
	runtime.KeepAlive(dir)
	if err != nil {
		return "", err
	}
	return takeString(out), nil
}

// SummaryJSON serialises the value as run.summary.update({key: v}) does: media are named
// <key>_summary_<hash> and NaN floats in dicts become null.
func (v *Value) SummaryJSON(dir *RunDir, key string) (string, error) {
	ck, err := cstring(key, "key")
	if err != nil {
		return "", err
	}
	defer C.free(unsafe.Pointer(ck))
	var out *C.char
	var e C.wb_error
	err = check(C.wb_value_to_summary_json(v.ptr(), dir.ptr(), ck, &out, &e), &e)
	runtime.KeepAlive(v)
	runtime.KeepAlive(dir)
	if err != nil {
		return "", err
	}
	return takeString(out), nil
}

// RowJSON serialises the dict v as one history row (run.log(row) at step ≥ 0):
// {"key":value_json,...} in key order.
func (v *Value) RowJSON(dir *RunDir, step int64) (string, error) {
	var out *C.char
	var e C.wb_error
	err := check(C.wb_row_to_json(v.ptr(), dir.ptr(), C.int64_t(step), &out, &e), &e)
	runtime.KeepAlive(v)
	runtime.KeepAlive(dir)
	if err != nil {
		return "", err
	}
	return takeString(out), nil
}

// RowSummaryJSON serialises the dict v as run.summary.update(v) does.
func (v *Value) RowSummaryJSON(dir *RunDir) (string, error) {
	var out *C.char
	var e C.wb_error
	err := check(C.wb_row_to_summary_json(v.ptr(), dir.ptr(), &out, &e), &e)
	runtime.KeepAlive(v)
	runtime.KeepAlive(dir)
	if err != nil {
		return "", err
	}
	return takeString(out), nil
}

// ---------------------------------------------------------------------------------------
// Run directory
// ---------------------------------------------------------------------------------------

// RunDir is a run's files directory; media files are written under it. Safe for
// concurrent use.
type RunDir struct {
	p *C.wb_run_dir
}

// OpenRunDir opens (creating it if needed) the files directory.
func OpenRunDir(filesDir string) (*RunDir, error) {
	cs, err := cstring(filesDir, "files_dir")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cs))
	var out *C.wb_run_dir
	var e C.wb_error
	if err := check(C.wb_run_dir_new(cs, &out, &e), &e); err != nil {
		return nil, err
	}
	d := &RunDir{p: out}
	runtime.SetFinalizer(d, func(d *RunDir) { C.wb_run_dir_free(d.p) })
	return d, nil
}

func (d *RunDir) ptr() *C.wb_run_dir {
	if d == nil {
		return nil
	}
	return d.p
}

// Close releases the handle (the files stay). Idempotent.
func (d *RunDir) Close() error {
	if d == nil || d.p == nil {
		return nil
	}
	runtime.SetFinalizer(d, nil)
	C.wb_run_dir_free(d.p)
	d.p = nil
	return nil
}

// ConfigJSON is the run-config singletons registered by box/mask layers ({} if none).
func (d *RunDir) ConfigJSON() (string, error) {
	var out *C.char
	var e C.wb_error
	err := check(C.wb_run_dir_config_json(d.ptr(), &out, &e), &e)
	runtime.KeepAlive(d)
	if err != nil {
		return "", err
	}
	return takeString(out), nil
}

// ---------------------------------------------------------------------------------------
// Histogram
// ---------------------------------------------------------------------------------------

// HistogramFromTensor is wandb.Histogram(data, num_bins=numBins) (numpy.histogram
// semantics; 0 bins means 64, more than 512 is an error).
func HistogramFromTensor(t Tensor, numBins int) (*Value, error) {
	if numBins < 0 {
		return nil, newError(StatusInvalidArgument, "num_bins must not be negative")
	}
	ct, err := t.prepare("tensor")
	if err != nil {
		return nil, err
	}
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wbgo_histogram_from_tensor(ct.data, ct.dtype, ct.ndim, ct.shape, ct.strides, C.size_t(numBins), o, e)
	})
	t.keepAlive()
	return v, err
}

// HistogramFromNP is wandb.Histogram(np_histogram=(values, edges)) from two 1-D tensors.
func HistogramFromNP(values, edges Tensor) (*Value, error) {
	cv, err := values.prepare("values")
	if err != nil {
		return nil, err
	}
	ce, err := edges.prepare("edges")
	if err != nil {
		return nil, err
	}
	v, err := construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wbgo_histogram_from_np(cv.data, cv.dtype, cv.ndim, cv.shape, cv.strides,
			ce.data, ce.dtype, ce.ndim, ce.shape, ce.strides, o, e)
	})
	values.keepAlive()
	edges.keepAlive()
	return v, err
}

// HistogramFromNPJSON is np_histogram from two JSON arrays of numbers kept verbatim
// ("[0,1,2]" stays integers).
func HistogramFromNPJSON(valuesJSON, edgesJSON string) (*Value, error) {
	cv, err := cstring(valuesJSON, "values_json")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cv))
	ce, err := cstring(edgesJSON, "edges_json")
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(ce))
	return construct(func(o **C.wb_value, e *C.wb_error) cstatus {
		return C.wb_histogram_from_np_json(cv, ce, o, e)
	})
}
