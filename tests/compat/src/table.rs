//! Driver: `table` specs → `wb_table_new` + `wb_table_add_row` (cells built as values).

use std::ptr;

use serde_json::Value as J;

use crate::util::{c, check, Handle};
use crate::{build_value, wrap, Ctx};
use wandb_media::ffi::table::*;
use wandb_media::ffi::value::wb_value;

pub fn build(ctx: &Ctx, spec: &J) -> Result<Handle<wb_value>, String> {
    let mut opts = wb_table_options_default();
    if let Some(mode) = spec.get("log_mode").and_then(J::as_str) {
        opts.log_mode = match mode {
            "IMMUTABLE" => wb_table_log_mode::WB_TABLE_IMMUTABLE,
            "MUTABLE" => wb_table_log_mode::WB_TABLE_MUTABLE,
            "INCREMENTAL" => wb_table_log_mode::WB_TABLE_INCREMENTAL,
            other => return Err(format!("Invalid log_mode: {other}")),
        };
    }
    if let Some(b) = spec.get("allow_mixed_types").and_then(J::as_bool) {
        opts.allow_mixed_types = b;
    }
    let columns = c(&spec
        .get("columns")
        .cloned()
        .unwrap_or_else(|| serde_json::json!(["Input", "Output", "Expected"]))
        .to_string());
    let mut out = ptr::null_mut();
    check(|e| unsafe { wb_table_new(columns.as_ptr(), &opts, &mut out, e) })?;
    let table = wrap(out);
    let empty = Vec::new();
    let rows = spec.get("data").and_then(J::as_array).unwrap_or(&empty);
    for row in rows {
        let cells = row.as_array().ok_or("table row must be an array")?;
        let handles = cells
            .iter()
            .map(|cell| build_value(ctx, cell))
            .collect::<Result<Vec<_>, _>>()?;
        let ptrs: Vec<*mut wb_value> = handles.iter().map(|h| h.ptr()).collect();
        check(|e| unsafe { wb_table_add_row(table.ptr(), ptrs.as_ptr(), ptrs.len(), e) })?;
    }
    Ok(table)
}
