package wandbmedia

// #include "wbgo.h"
import "C"

import (
	"runtime"
	"unsafe"
)

// MetricSummary flags for MetricOptions.Summary (the `summary=` of run.define_metric);
// combine with |.
type MetricSummary uint32

const (
	SummaryMin   MetricSummary = C.WB_METRIC_SUMMARY_MIN
	SummaryMax   MetricSummary = C.WB_METRIC_SUMMARY_MAX
	SummaryMean  MetricSummary = C.WB_METRIC_SUMMARY_MEAN
	SummaryLast  MetricSummary = C.WB_METRIC_SUMMARY_LAST
	SummaryFirst MetricSummary = C.WB_METRIC_SUMMARY_FIRST
	SummaryNone  MetricSummary = C.WB_METRIC_SUMMARY_NONE // left out of the summary
)

// MetricGoal is MetricRecord.goal (wandb 0.31's Python API no longer sets it).
type MetricGoal int32

const (
	GoalUnset    MetricGoal = C.WB_METRIC_GOAL_UNSET
	GoalMinimize MetricGoal = C.WB_METRIC_GOAL_MINIMIZE
	GoalMaximize MetricGoal = C.WB_METRIC_GOAL_MAXIMIZE
)

// MetricOptions are the keyword arguments of run.define_metric (zero value = none given).
type MetricOptions struct {
	StepMetric string        // x-axis key, e.g. "epoch", "frame", "env_step"
	Summary    MetricSummary // aggregates kept in the summary (0 = latest value)
	// StepSync: nil = default (true when StepMetric is set); rows logging the metric without
	// the step metric get its latest value.
	StepSync  *bool
	Hidden    bool
	Overwrite bool // replace an earlier definition instead of merging
	Goal      MetricGoal
}

// DefineMetric is run.define_metric(name, ...). name may end with "*" (a prefix glob,
// e.g. "train/*"). opts may be nil. Safe for concurrent use.
func (r *Run) DefineMetric(name string, opts *MetricOptions) error {
	cname, err := cstring(name, "name")
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cname))
	co := C.wb_metric_options_default()
	if opts != nil {
		sm, err := optCString(opts.StepMetric, "step_metric")
		if err != nil {
			return err
		}
		defer C.free(unsafe.Pointer(sm))
		co.step_metric = sm
		co.summary = C.uint32_t(opts.Summary)
		if opts.StepSync != nil {
			co.step_sync = 0
			if *opts.StepSync {
				co.step_sync = 1
			}
		}
		co.hidden = C.bool(opts.Hidden)
		co.overwrite = C.bool(opts.Overwrite)
		co.goal = uint32(opts.Goal)
	}
	var e C.wb_error
	err = check(C.wb_run_define_metric(r.ptr(), cname, &co, &e), &e)
	runtime.KeepAlive(r)
	return err
}
