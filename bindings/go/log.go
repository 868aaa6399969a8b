package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
)

// LogLevel is the severity of a diagnostic message (wb_log_level).
type LogLevel int32

const (
	LogDebug LogLevel = C.WB_LOG_DEBUG
	LogInfo  LogLevel = C.WB_LOG_INFO
	LogWarn  LogLevel = C.WB_LOG_WARN // what the SDK prints as "wandb: WARNING …"
	LogError LogLevel = C.WB_LOG_ERROR
)

func (l LogLevel) String() string {
	switch l {
	case LogDebug:
		return "DEBUG"
	case LogInfo:
		return "INFO"
	case LogWarn:
		return "WARN"
	case LogError:
		return "ERROR"
	}
	return fmt.Sprintf("LogLevel(%d)", int32(l))
}

// SlogLevel maps the level onto log/slog's levels.
func (l LogLevel) SlogLevel() slog.Level {
	switch {
	case l <= LogDebug:
		return slog.LevelDebug
	case l == LogInfo:
		return slog.LevelInfo
	case l == LogWarn:
		return slog.LevelWarn
	}
	return slog.LevelError
}

type logState struct {
	fn  func(LogLevel, string)
	min LogLevel
}

// The installed Go handler (nil: the library's default, stderr). Read on every message, so
// replacing it while another goroutine or library thread is inside the old one is safe.
var logHandler atomic.Pointer[logState]

// SetLogHandler routes the library's diagnostics — every warning the SDK would print (a
// row whose step is below the current one is dropped, …) — at min or above to fn. fn nil
// restores the default: warnings and errors to stderr as "wandb: WARNING …", unless the
// WANDB_SILENT environment variable is true. Process-wide and safe for concurrent use.
//
// fn may be called from any goroutine or library thread, possibly concurrently: it must
// be safe for concurrent use, return quickly, and not call Run methods or SetLogHandler.
// A panic in fn is recovered (it must not unwind into C) and the message is lost.
// For log/slog: SetLogHandler(SlogHandler(slog.Default()), LogWarn).
func SetLogHandler(fn func(level LogLevel, msg string), min LogLevel) error {
	var e C.wb_error
	if fn == nil {
		err := check(C.wbgo_set_log_handler(0, C.enum_wb_log_level(min), &e), &e)
		if err == nil {
			logHandler.Store(nil)
		}
		return err
	}
	old := logHandler.Swap(&logState{fn: fn, min: min})
	if err := check(C.wbgo_set_log_handler(1, C.enum_wb_log_level(min), &e), &e); err != nil {
		logHandler.Store(old)
		return err
	}
	return nil
}

// SlogHandler adapts a *slog.Logger for SetLogHandler: each message is logged at the
// matching slog level with the attribute source=wandb-media.
func SlogHandler(logger *slog.Logger) func(LogLevel, string) {
	return func(level LogLevel, msg string) {
		logger.Log(context.Background(), level.SlogLevel(), msg, slog.String("source", "wandb-media"))
	}
}

func callHandler(st *logState, level LogLevel, msg string) {
	defer func() { _ = recover() }()
	st.fn(level, msg)
}

//export wbgoLog
func wbgoLog(level C.int, msg *C.char) {
	st := logHandler.Load()
	if st == nil {
		return
	}
	callHandler(st, LogLevel(level), C.GoString(msg))
}

// report delivers a message of the binding itself (e.g. from a finalizer) the way the
// library delivers its own: to the Go handler, else to stderr unless WANDB_SILENT.
func report(level LogLevel, msg string) {
	if st := logHandler.Load(); st != nil {
		if level >= st.min {
			callHandler(st, level, msg)
		}
		return
	}
	if level < LogWarn {
		return
	}
	switch strings.ToLower(strings.TrimSpace(os.Getenv("WANDB_SILENT"))) {
	case "1", "true", "yes", "on", "y", "t":
		return
	}
	prefix := "WARNING "
	if level >= LogError {
		prefix = "ERROR "
	}
	fmt.Fprintf(os.Stderr, "wandb: %s%s\n", prefix, msg)
}
