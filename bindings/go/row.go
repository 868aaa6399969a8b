package wandbmedia

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ValueOf converts a Go value into a new Value: nil, bool, all integer and float types,
// string, json.Number (int or float by its text), []any (list), map[string]any (dict with
// sorted keys; use NewDict/Row for another order) and nested combinations. A *Value is not
// accepted here (pass it to Set/Append directly).
func ValueOf(x any) (*Value, error) {
	switch v := x.(type) {
	case nil:
		return Null()
	case bool:
		return Bool(v)
	case int:
		return Int(int64(v))
	case int8:
		return Int(int64(v))
	case int16:
		return Int(int64(v))
	case int32:
		return Int(int64(v))
	case int64:
		return Int(v)
	case uint:
		return uintValue(uint64(v))
	case uint8:
		return Int(int64(v))
	case uint16:
		return Int(int64(v))
	case uint32:
		return Int(int64(v))
	case uint64:
		return uintValue(v)
	case float32:
		return Float(float64(v))
	case float64:
		return Float(v)
	case string:
		return String(v)
	case json.Number:
		if !strings.ContainsAny(string(v), ".eE") {
			if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				return Int(i)
			}
			return FromJSON(string(v)) // an integer beyond int64 stays exact
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil, newError(StatusInvalidArgument, "bad number "+string(v))
		}
		return Float(f)
	case []any:
		list, err := NewList()
		if err != nil {
			return nil, err
		}
		for _, item := range v {
			if err := appendAny(list, item); err != nil {
				list.Close()
				return nil, err
			}
		}
		return list, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		dict, err := NewDict()
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if err := setAny(dict, k, v[k]); err != nil {
				dict.Close()
				return nil, err
			}
		}
		return dict, nil
	case *Value:
		return nil, newError(StatusInvalidArgument, "ValueOf(*Value): pass the value to Set/Append directly")
	}
	return nil, newError(StatusInvalidArgument, fmt.Sprintf("cannot convert %T to a value", x))
}

func uintValue(u uint64) (*Value, error) {
	if u <= math.MaxInt64 {
		return Int(int64(u))
	}
	return FromJSON(strconv.FormatUint(u, 10))
}

// setAny sets dict[key] from a *Value (shared copy) or a Go value (converted).
func setAny(dict *Value, key string, x any) error {
	if v, ok := x.(*Value); ok {
		return dict.Set(key, v)
	}
	v, err := ValueOf(x)
	if err != nil {
		return err
	}
	defer v.Close()
	return dict.Set(key, v)
}

func appendAny(list *Value, x any) error {
	if v, ok := x.(*Value); ok {
		return list.Append(v)
	}
	v, err := ValueOf(x)
	if err != nil {
		return err
	}
	defer v.Close()
	return list.Append(v)
}

// Row builds one history row. Set calls chain; the first error sticks and is returned by
// Err and JSON (like bufio.Scanner).
type Row struct {
	dict *Value
	err  error
}

// NewRow is an empty row.
func NewRow() *Row {
	d, err := NewDict()
	return &Row{dict: d, err: err}
}

// Set stores x under key: a *Value (shared copy; the caller keeps it) or any Go value
// ValueOf accepts. An existing key keeps its position.
func (r *Row) Set(key string, x any) *Row {
	if r.err == nil {
		r.err = setAny(r.dict, key, x)
	}
	return r
}

// Err is the first error of a Set call, if any.
func (r *Row) Err() error { return r.err }

// Value is the row's dict (owned by the row).
func (r *Row) Value() *Value { return r.dict }

// JSON serialises the row as run.log(row) at step (≥ 0) does: {"key":value_json,...} in key
// order, writing media files under dir.
func (r *Row) JSON(dir *RunDir, step int64) (string, error) {
	if r.err != nil {
		return "", r.err
	}
	return r.dict.RowJSON(dir, step)
}

// SummaryJSON serialises the row as run.summary.update(row) does (media named
// <key>_summary_<hash>).
func (r *Row) SummaryJSON(dir *RunDir) (string, error) {
	if r.err != nil {
		return "", r.err
	}
	return r.dict.RowSummaryJSON(dir)
}

// Close frees the row.
func (r *Row) Close() error { return r.dict.Close() }
