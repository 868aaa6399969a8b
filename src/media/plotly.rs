//! `wandb.Plotly` (§13): a figure given as JSON (what plotly's `to_plotly_json()` returns)
//! written as `.plotly.json` with serialiser A, keys in the given order. Not batched.

use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::{file_json, BindCtx, Media, MediaFile};

/// A `wandb.Plotly` (no caption in the SDK).
#[derive(Debug, Clone)]
pub struct Plotly {
    pub file: MediaFile,
}

impl Plotly {
    /// From the figure dict (`{"data": [...], "layout": {...}}`); it must be a JSON object.
    pub fn from_figure(figure: &Json) -> Result<Plotly> {
        if !matches!(figure, Json::Object(_)) {
            return Err(Error::invalid(
                "figure must be a JSON object (a plotly figure's to_plotly_json() dict); Logged plots must be plotly figures, or matplotlib plots convertible to plotly via mpl_to_plotly",
            ));
        }
        Ok(Plotly {
            file: MediaFile::new(figure.to_compact().into_bytes(), ".plotly.json"),
        })
    }

    /// From figure JSON text (strict JSON; use `null` for gaps).
    pub fn from_json_text(text: &str) -> Result<Plotly> {
        Plotly::from_figure(&Json::parse(text)?)
    }
}

impl Media for Plotly {
    fn class_name(&self) -> &'static str {
        "Plotly"
    }
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json> {
        let path = ctx.place("media/plotly", &self.file)?;
        Ok(Json::Object(file_json(
            None,
            "plotly-file",
            &self.file,
            path,
        )))
    }
    media_object_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure_written_compact_in_key_order() {
        let p = Plotly::from_json_text(
            r#"{"data": [{"type": "scatter", "x": [1, 2, 3], "y": [0.5, 1e-05, 1e+16], "name": "séries ✓"}], "layout": {"xaxis": {"range": [0, 4.0]}, "annotations": []}}"#,
        )
        .unwrap();
        assert_eq!(
            std::str::from_utf8(&p.file.bytes).unwrap(),
            r#"{"data":[{"type":"scatter","x":[1,2,3],"y":[0.5,0.00001,1e+16],"name":"séries ✓"}],"layout":{"xaxis":{"range":[0,4.0]},"annotations":[]}}"#
        );
        assert_eq!(p.file.ext, ".plotly.json");
        // compat case plotly_figure: {"data":[],"layout":{}} → 23 bytes, sha 0c05330d…
        let e = Plotly::from_json_text(r#"{"data": [], "layout": {}}"#).unwrap();
        assert_eq!(
            e.file.sha256,
            "0c05330dfef19bbbf7544270d35ea5022b1ddf64e7882ef779ae79de4a893f5e"
        );
        assert!(Plotly::from_json_text("[1]").is_err());
        assert!(Plotly::from_json_text("{").is_err());
    }
}
