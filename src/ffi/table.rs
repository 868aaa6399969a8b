//! C ABI: tables and joined tables.

use std::ffi::c_char;
use std::mem::{offset_of, size_of};

use super::value::{new_value, wb_value};
use super::{
    deref, deref_mut, field_present, guard, null_arg, read_enum, utf8_arg, wb_error, wb_status,
    write_string,
};
use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::table::{JoinKey, JoinedTable, LogMode, Table, TableOptions};
use crate::value::Value;

/// A table's `log_mode`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum wb_table_log_mode {
    /// Default. Logging the same table again re-emits its first JSON (no new file), even
    /// after rows were added — as the SDK does.
    WB_TABLE_IMMUTABLE = 0,
    /// Adding a row after a log makes the next log write a new file and artifact version.
    WB_TABLE_MUTABLE = 1,
    /// Each log writes only the rows added since the previous log, as wandb 0.31 does: an
    /// increment `<n>-<epoch ms>.<key>.table.json` in the run's
    /// `run-<run id>-incr-<key>` artifact (type `wandb-run-incremental-table`), and an
    /// `incremental-table-file` value whose `nrows` counts all rows. Logging it again
    /// without new rows re-emits the same value. The table can be logged to one run only
    /// (`WB_ERR_INVALID_ARGUMENT` for a second run). A table read back
    /// (`wb_artifact_get`, `wb_value_from_wandb_json`) holds every increment's rows and no
    /// increment state: logged, it writes increment 0 with all its rows. Not restored
    /// from a resumed run's summary (the SDK continues the numbering there).
    WB_TABLE_INCREMENTAL = 2,
}

/// Table options. Always start from `wb_table_options_default()` (it sets `struct_size`, so
/// later library versions can add fields compatibly).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct wb_table_options {
    /// `sizeof(wb_table_options)` as compiled by the caller.
    pub struct_size: usize,
    pub log_mode: wb_table_log_mode,
    /// Disable the per-column type check (`allow_mixed_types=True`).
    pub allow_mixed_types: bool,
}

/// Default table options (IMMUTABLE, type-checked columns). Thread-safe.
#[no_mangle]
pub extern "C" fn wb_table_options_default() -> wb_table_options {
    wb_table_options {
        struct_size: size_of::<wb_table_options>(),
        log_mode: wb_table_log_mode::WB_TABLE_IMMUTABLE,
        allow_mixed_types: false,
    }
}

unsafe fn read_options(p: *const wb_table_options) -> Result<TableOptions> {
    let mut o = TableOptions::default();
    if p.is_null() {
        return Ok(o);
    }
    // SAFETY: non-NULL options pointer to at least `struct_size` readable bytes.
    let size = unsafe {
        super::versioned_size::<wb_table_options>(
            std::ptr::addr_of!((*p).struct_size),
            offset_of!(wb_table_options, allow_mixed_types) + 1,
            "options",
        )
    }?;
    if field_present(size, offset_of!(wb_table_options, log_mode), 4) {
        o.log_mode = match unsafe { read_enum(std::ptr::addr_of!((*p).log_mode)) } {
            0 => LogMode::Immutable,
            1 => LogMode::Mutable,
            2 => LogMode::Incremental,
            v => {
                return Err(Error::invalid(format!(
                    "options.log_mode: unknown value {v}"
                )))
            }
        };
    }
    if field_present(size, offset_of!(wb_table_options, allow_mixed_types), 1) {
        // Read the byte, never a Rust bool (any non-zero C value means true).
        let b = unsafe { (std::ptr::addr_of!((*p).allow_mixed_types) as *const u8).read() };
        o.allow_mixed_types = b != 0;
    }
    Ok(o)
}

unsafe fn table_mut<'a>(v: *mut wb_value) -> Result<&'a mut Table> {
    let v = unsafe { deref_mut(v, "table") }?;
    v.inner
        .media_mut()
        .and_then(|m| m.as_any_mut().downcast_mut::<Table>())
        .ok_or_else(|| Error::invalid("table: not a table value"))
}

unsafe fn table_ref<'a>(v: *const wb_value, name: &str) -> Result<&'a Table> {
    let v = unsafe { deref(v, name) }?;
    v.inner
        .media_ref::<Table>()
        .ok_or_else(|| Error::invalid(format!("{name}: not a table value")))
}

/// Creates an empty `wandb.Table`. `columns_json`: a JSON array of column names, all
/// strings or all integers (`["a","b"]`, `[1,2]`), unique. `options` may be NULL (defaults).
/// Add rows with `wb_table_add_row`; log it like any value (`wb_row_to_json`, …): the run
/// copy `media/table/<key>_<step>_<hash>.table.json` is written and the `table-file` JSON
/// returned. Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_table_new(
    columns_json: *const c_char,
    options: *const wb_table_options,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let opts = unsafe { read_options(options) }?;
        let text = unsafe { utf8_arg(columns_json, "columns_json") }?;
        let cols = Json::parse(text)
            .map_err(|e| Error::invalid(format!("columns_json: {}", e.message)))?;
        new_value(out, || {
            Ok(Value::from(Table::from_columns_json(&cols, opts)?))
        })
    })
}

/// Table cells nest at most `json::SHALLOW_DEPTH` levels: a table is serialised when the
/// row holding it is logged, on the caller's thread (deeper values go in rows directly).
fn shallow_cell(v: &Value) -> Result<()> {
    if v.is_deep() {
        return Err(Error::invalid(format!(
            "a table cell nested deeper than {} levels (the nesting limit of table cells)",
            crate::json::SHALLOW_DEPTH
        )));
    }
    Ok(())
}

/// Appends a row of `n` cells (`table.add_data(*cells)`). Each cell is any value (scalar,
/// NaN/±inf float, string, null, list, dict, array, image/audio/html/… media); the cells are
/// copied (cheap, shared), the caller keeps ownership of them. Rejected like the SDK: a
/// wrong cell count ("This table expects 2 columns: ['a', 'b'], found 1"), a cell whose
/// type does not fit its column ("Data row contained incompatible types: …") unless the
/// table allows mixed types, and Histogram cells. On error the table is unchanged.
/// `cells` may be NULL when `n` is 0 (an ordinary `wb_value *cells[n]` array passes as it
/// is; the cells are only read). A cell may nest lists/dicts at most 32 levels deep.
#[no_mangle]
pub unsafe extern "C" fn wb_table_add_row(
    table: *mut wb_value,
    cells: *const *mut wb_value,
    n: usize,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let mut row = Vec::with_capacity(n.min(1 << 16));
        if n > 0 {
            if cells.is_null() {
                return Err(null_arg("cells"));
            }
            if n > isize::MAX as usize / size_of::<*const wb_value>() {
                return Err(Error::overflow("n is too large"));
            }
            // SAFETY: the caller passes `n` readable cell pointers.
            let ptrs = unsafe { std::slice::from_raw_parts(cells, n) };
            for (i, &p) in ptrs.iter().enumerate() {
                let cell = unsafe { deref(p, &format!("cells[{i}]")) }?;
                shallow_cell(&cell.inner)?;
                row.push(cell.inner.clone());
            }
        }
        unsafe { table_mut(table) }?.add_row(row)
    })
}

/// Appends a row given as a list value (its items are the cells, copied). Same checks as
/// `wb_table_add_row`.
#[no_mangle]
pub unsafe extern "C" fn wb_table_add_row_list(
    table: *mut wb_value,
    row: *const wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let cells = match &unsafe { deref(row, "row") }?.inner {
            Value::List(items) => {
                items.iter().try_for_each(shallow_cell)?;
                items.clone()
            }
            _ => return Err(Error::invalid("row must be a list value")),
        };
        unsafe { table_mut(table) }?.add_row(cells)
    })
}

/// The number of rows added so far (`len(table.data)`), in `*out`. Errors: NULL `table` or
/// `out`, or a value that is not a table. Thread-safe for reading.
#[no_mangle]
pub unsafe extern "C" fn wb_table_nrows(
    table: *const wb_value,
    out: *mut usize,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let n = unsafe { table_ref(table, "table") }?.nrows();
        if out.is_null() {
            return Err(null_arg("out"));
        }
        // SAFETY: `out` is non-NULL and points at a writable size_t.
        unsafe { *out = n };
        Ok(())
    })
}

/// The table's artifact copy (what the SDK stores as `<key>.table.json` in the run's
/// `run_table` artifact): `{"_type": "table", "column_types", "columns", "data",
/// "log_mode", "ncols", "nrows"}` with sorted keys, `", "`/`": "` separators, ASCII
/// escapes and NaN as null. Media cells appear as their artifact JSON (only images are
/// supported so far; other media → `WB_ERR_UNSUPPORTED`), as do array columns that are not
/// 1-D of length ≤ 150. `*json_out`: free with `wb_string_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_table_artifact_json(
    table: *const wb_value,
    json_out: *mut *mut c_char,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let t = unsafe { table_ref(table, "table") }?;
        if json_out.is_null() {
            return Err(null_arg("json_out"));
        }
        let copy = t.artifact_copy()?;
        unsafe { write_string(json_out, copy.json) }
    })
}

/// Creates a `wandb.JoinedTable` of two tables (copied) joined on `join_key` (a column
/// present in both), or on `join_key` in `table1` and `join_key2` in `table2` when
/// `join_key2` is not NULL. Logged, it writes no file and returns
/// `{"_type": "joined-table", "artifact_path": …/<key>.joined-table.json}`.
/// Free with `wb_value_free`.
#[no_mangle]
pub unsafe extern "C" fn wb_joined_table_new(
    table1: *const wb_value,
    table2: *const wb_value,
    join_key: *const c_char,
    join_key2: *const c_char,
    out: *mut *mut wb_value,
    err: *mut wb_error,
) -> wb_status {
    guard(err, || {
        let t1 = unsafe { table_ref(table1, "table1") }?.clone();
        let t2 = unsafe { table_ref(table2, "table2") }?.clone();
        let k1 = unsafe { utf8_arg(join_key, "join_key") }?.to_string();
        let key = if join_key2.is_null() {
            JoinKey::One(k1)
        } else {
            JoinKey::Pair(k1, unsafe { utf8_arg(join_key2, "join_key2") }?.to_string())
        };
        new_value(out, || Ok(Value::from(JoinedTable::new(t1, t2, key)?)))
    })
}
