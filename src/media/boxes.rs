//! `wandb.BoundingBoxes2D` (§3): one box layer attached to an image. The layer dict is
//! validated like the SDK and written verbatim (serialiser A) to
//! `media/metadata/boxes2D/<image key>_<step>_<hash20>.boxes2D.json`; binding also registers
//! the layer's class labels as the run-config singleton
//! `bounding_box/class_labels` → `<image key>_wandb_delimeter_<layer>` (§3.4).

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::json::{format_float_repr, Json};
use crate::media::{file_json, BindCtx, MediaFile};

/// A class id as the SDK accepts it in `class_labels` keys: any Python number. JSON keys
/// are text, so integers are given as decimal strings (`"1"`) and floats as float text.
#[derive(Debug, Clone, Copy)]
pub enum ClassId {
    Int(i64),
    Float(f64),
}

/// Python key equality: `1 == 1.0` (the first key's spelling is kept in a dict).
impl PartialEq for ClassId {
    fn eq(&self, other: &ClassId) -> bool {
        match (self, other) {
            (ClassId::Int(a), ClassId::Int(b)) => a == b,
            (a, b) => a.as_f64() == b.as_f64(),
        }
    }
}

impl ClassId {
    /// Parse a JSON object key (`"3"`, `"-1"`, `"1.5"`).
    pub fn parse(key: &str) -> Option<ClassId> {
        if let Ok(i) = key.parse::<i64>() {
            return Some(ClassId::Int(i));
        }
        match key.parse::<f64>() {
            Ok(f) if f.is_finite() && key.bytes().any(|b| b.is_ascii_digit()) => {
                Some(ClassId::Float(f))
            }
            _ => None,
        }
    }
    /// The key as the SDK writes it (`str(int)`; float keys as Python `repr`).
    pub fn key_string(&self) -> String {
        match self {
            ClassId::Int(i) => i.to_string(),
            ClassId::Float(f) => {
                let mut s = String::new();
                format_float_repr(*f, &mut s);
                s
            }
        }
    }
    pub fn to_json(&self) -> Json {
        match self {
            ClassId::Int(i) => Json::Int(*i),
            ClassId::Float(f) => Json::Float(*f),
        }
    }
    /// Numeric value (for ordering the ids of a layer).
    pub fn as_f64(&self) -> f64 {
        match self {
            ClassId::Int(i) => *i as f64,
            ClassId::Float(f) => *f,
        }
    }
}

/// A layer's `{class id: name}` map, insertion-ordered like a Python dict.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClassLabels(pub Vec<(ClassId, String)>);

impl ClassLabels {
    /// Python `dict[id] = name`: an existing id keeps its position.
    pub fn insert(&mut self, id: ClassId, name: String) {
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| *k == id) {
            slot.1 = name;
        } else {
            self.0.push((id, name));
        }
    }

    /// Validate a `class_labels` JSON object (keys: numbers as text, values: strings).
    /// `message` is the SDK's TypeError text for this helper type.
    pub fn from_json(j: &Json, message: &str) -> Result<ClassLabels> {
        let Json::Object(m) = j else {
            return Err(Error::invalid(format!(
                "{message} (class_labels must be a JSON object)"
            )));
        };
        let mut labels = ClassLabels::default();
        for (k, v) in m {
            let id = ClassId::parse(k)
                .ok_or_else(|| Error::invalid(format!("{message} (key {k:?} is not a number)")))?;
            let Json::Str(name) = v else {
                return Err(Error::invalid(format!(
                    "{message} (the value of key {k:?} is not a string)"
                )));
            };
            labels.insert(id, name.clone());
        }
        Ok(labels)
    }

    /// Default labels: `{id: "class_<id>"}` for the given ids (already sorted/unique).
    pub fn defaults(ids: impl IntoIterator<Item = i64>) -> ClassLabels {
        let mut labels = ClassLabels::default();
        for id in ids {
            labels.insert(ClassId::Int(id), format!("class_{id}"));
        }
        labels
    }

    /// `{"<id>": name, …}` (keys as strings, as the SDK's writers emit int keys).
    pub fn to_json(&self) -> Json {
        Json::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.key_string(), Json::str(v.clone())))
                .collect(),
        )
    }
}

const LABELS_MSG: &str = "Class labels must be a dictionary of numbers to string";
const POSITION_MSG: &str =
    "Each box must contain a position with: middle, width, and height or minX, maxX, minY, maxY.";

/// One box layer (`boxes={layer: {...}}` of `wandb.Image`).
#[derive(Debug, Clone)]
pub struct BoundingBoxes2D {
    /// The `.boxes2D.json` file: the layer dict written with serialiser A.
    pub file: MediaFile,
    /// The `box_data` list, verbatim (artifact JSON of an image carries it raw).
    pub box_data: Vec<Json>,
    /// The labels in effect: given, or `class_<id>` for the sorted unique class ids.
    pub class_labels: ClassLabels,
}

/// Python `numbers.Number` on a JSON value (bools are numbers in Python).
fn is_number(j: &Json) -> bool {
    matches!(
        j,
        Json::Int(_) | Json::UInt(_) | Json::Float(_) | Json::Bool(_)
    )
}

fn has_num(pos: &[(String, Json)], key: &str) -> bool {
    pos.iter().any(|(k, v)| k == key && is_number(v))
}

/// Python `len(x) == 2` for the `middle` value.
fn has_len_2(j: &Json) -> bool {
    match j {
        Json::Array(a) => a.len() == 2,
        Json::Object(m) => m.len() == 2,
        Json::Str(s) => s.chars().count() == 2,
        _ => false,
    }
}

fn validate_box(b: &Json) -> Result<()> {
    let Json::Object(fields) = b else {
        return Err(Error::invalid(POSITION_MSG));
    };
    let get = |k: &str| fields.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let Some(Json::Object(pos)) = get("position") else {
        return Err(Error::invalid(POSITION_MSG));
    };
    let middle_ok = pos
        .iter()
        .find(|(k, _)| k == "middle")
        .is_some_and(|(_, m)| has_len_2(m))
        && has_num(pos, "width")
        && has_num(pos, "height");
    let corners_ok = ["minX", "maxX", "minY", "maxY"]
        .iter()
        .all(|k| has_num(pos, k));
    if !middle_ok && !corners_ok {
        return Err(Error::invalid(POSITION_MSG));
    }
    if let Some(scores) = get("scores") {
        let Json::Object(s) = scores else {
            return Err(Error::invalid("Box scores must be a dictionary"));
        };
        if s.iter().any(|(_, v)| !is_number(v)) {
            return Err(Error::invalid("A score value must be a number"));
        }
    }
    if let Some(id) = get("class_id") {
        // Python `isinstance(x, int)`: bools pass, floats (and numpy ints) do not.
        if !matches!(id, Json::Int(_) | Json::UInt(_) | Json::Bool(_)) {
            return Err(Error::invalid("A box's class_id must be an integer"));
        }
    }
    if let Some(c) = get("box_caption") {
        if !matches!(c, Json::Str(_)) {
            return Err(Error::invalid("A box's caption must be a string"));
        }
    }
    Ok(())
}

/// numpy: `np.unique([class_id…]).astype(np.int32).tolist()` (sort, dedupe, wrap to i32).
fn default_ids(box_data: &[Json]) -> Result<Vec<i64>> {
    let mut ids: Vec<i128> = Vec::with_capacity(box_data.len());
    for b in box_data {
        let id = match b.get("class_id") {
            Some(Json::Int(i)) => *i as i128,
            Some(Json::UInt(u)) => *u as i128,
            Some(Json::Bool(v)) => *v as i128,
            _ => {
                return Err(Error::invalid(
                    "every box needs a class_id when the layer has no class_labels (KeyError: 'class_id')",
                ))
            }
        };
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    let mut out: Vec<i64> = Vec::with_capacity(ids.len());
    for id in ids {
        let wrapped = id as i32 as i64;
        if !out.contains(&wrapped) {
            out.push(wrapped);
        }
    }
    Ok(out)
}

impl BoundingBoxes2D {
    /// From a whole layer dict `{"box_data": [...], "class_labels"?: {...}, …}`; any other
    /// member is kept in the file, as the SDK writes the dict it was given.
    pub fn from_layer(layer: &Json) -> Result<BoundingBoxes2D> {
        let Json::Object(members) = layer else {
            return Err(Error::invalid(
                "a box layer must be a JSON object with a \"box_data\" list",
            ));
        };
        let labels = match layer.get("class_labels") {
            Some(j) => Some(ClassLabels::from_json(j, LABELS_MSG)?),
            None => None,
        };
        let box_data = match layer.get("box_data") {
            Some(Json::Array(a)) => a.clone(),
            Some(_) => return Err(Error::invalid("Boxes must be a list")),
            None => {
                return Err(Error::invalid(
                    "a box layer needs a \"box_data\" list (KeyError: 'box_data')",
                ))
            }
        };
        for b in &box_data {
            validate_box(b)?;
        }
        let class_labels = match labels.clone() {
            Some(l) => l,
            None => ClassLabels::defaults(default_ids(&box_data)?),
        };
        // The file holds the dict as given; label keys are written as `str(id)`.
        let written: Vec<(String, Json)> = members
            .iter()
            .map(|(k, v)| match (k.as_str(), &labels) {
                ("class_labels", Some(l)) => (k.clone(), l.to_json()),
                _ => (k.clone(), v.clone()),
            })
            .collect();
        let bytes = Json::Object(written).to_compact().into_bytes();
        Ok(BoundingBoxes2D {
            file: MediaFile::new(bytes, ".boxes2D.json"),
            box_data,
            class_labels,
        })
    }

    /// From the `box_data` list and optional `class_labels` object.
    pub fn new(box_data: Json, class_labels: Option<Json>) -> Result<BoundingBoxes2D> {
        let mut layer = vec![("box_data".to_string(), box_data)];
        if let Some(l) = class_labels {
            layer.push(("class_labels".to_string(), l));
        }
        BoundingBoxes2D::from_layer(&Json::Object(layer))
    }

    /// Bind under the image's key/step: place the file, register the config singleton and
    /// return `{"_type": "boxes2D", sha256, size, path}`.
    pub fn bind(&self, ctx: &BindCtx<'_>, layer_key: &str) -> Result<Json> {
        let path = ctx.place("media/metadata/boxes2D", &self.file)?;
        ctx.sink.add_class_labels(
            "bounding_box/class_labels",
            ctx.key,
            layer_key,
            self.class_labels.to_json(),
        );
        Ok(Json::Object(file_json(None, "boxes2D", &self.file, path)))
    }

    /// Every `scores` key used by the boxes (the image type's `box_score_keys`).
    pub fn score_keys(&self) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        for b in &self.box_data {
            if let Some(Json::Object(s)) = b.get("scores") {
                keys.extend(s.iter().map(|(k, _)| k.clone()));
            }
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(text: &str) -> Result<BoundingBoxes2D> {
        BoundingBoxes2D::from_layer(&Json::parse(text).unwrap())
    }

    #[test]
    fn spec_vectors() {
        // §3.2 example (§20: sha 68a1f7de…, 326 bytes).
        let b = layer(
            r#"{"box_data":[{"position":{"minX":0.1,"maxX":0.2,"minY":0.3,"maxY":0.4},"class_id":1,"box_caption":"car","scores":{"acc":0.2,"loss":1.2}},{"position":{"middle":[150,20],"width":68,"height":112},"domain":"pixel","class_id":3,"box_caption":"a building","scores":{"acc":0.5,"loss":0.7}}],"class_labels":{"1":"car","3":"building"}}"#,
        )
        .unwrap();
        assert_eq!(b.file.size(), 326);
        assert!(
            b.file.sha256.starts_with("68a1f7deaf75fcbad97d"),
            "{}",
            b.file.sha256
        );
        // §20 second vector: no labels → file without class_labels, default labels.
        let b = layer(
            r#"{"box_data":[{"position":{"minX":1,"maxX":2,"minY":3,"maxY":4},"class_id":7}]}"#,
        )
        .unwrap();
        assert_eq!(b.file.size(), 78);
        assert!(b.file.sha256.starts_with("94f62d907884d342bedc"));
        assert_eq!(b.class_labels.to_json().to_compact(), r#"{"7":"class_7"}"#);
    }

    #[test]
    fn default_labels_are_sorted_unique_int32() {
        let b = layer(
            r#"{"box_data":[{"position":{"middle":[1,2],"width":1,"height":1},"class_id":5},{"position":{"minX":1,"maxX":1,"minY":1,"maxY":1},"class_id":8589934595},{"position":{"middle":"ab","width":1,"height":true},"class_id":5}]}"#,
        )
        .unwrap();
        assert_eq!(
            b.class_labels.to_json().to_compact(),
            r#"{"5":"class_5","3":"class_3"}"#
        );
    }

    #[test]
    fn validation_messages() {
        let err = |t: &str| layer(t).unwrap_err().message;
        assert!(
            err(r#"{"box_data":[{"class_id":1}],"class_labels":{"1":"a"}}"#)
                .contains("Each box must contain a position")
        );
        assert!(
            err(r#"{"box_data":[{"position":{"middle":[1],"width":1,"height":1}}]}"#)
                .contains("Each box must contain a position")
        );
        assert!(
            err(r#"{"box_data":[{"position":{"minX":1,"maxX":1,"minY":1,"maxY":"1"}}]}"#)
                .contains("Each box must contain a position")
        );
        assert_eq!(
            err(
                r#"{"box_data":[{"position":{"minX":1,"maxX":1,"minY":1,"maxY":1},"class_id":1.0}]}"#
            ),
            "A box's class_id must be an integer"
        );
        assert!(
            err(r#"{"box_data":[{"position":{"minX":1,"maxX":1,"minY":1,"maxY":1}}]}"#)
                .contains("KeyError: 'class_id'")
        );
        assert_eq!(err(r#"{"box_data":{}}"#), "Boxes must be a list");
        assert_eq!(
            err(
                r#"{"box_data":[{"position":{"minX":1,"maxX":1,"minY":1,"maxY":1},"class_id":1,"scores":[]}]}"#
            ),
            "Box scores must be a dictionary"
        );
        assert_eq!(
            err(
                r#"{"box_data":[{"position":{"minX":1,"maxX":1,"minY":1,"maxY":1},"class_id":1,"scores":{"a":"x"}}]}"#
            ),
            "A score value must be a number"
        );
        assert_eq!(
            err(
                r#"{"box_data":[{"position":{"minX":1,"maxX":1,"minY":1,"maxY":1},"class_id":1,"box_caption":3}]}"#
            ),
            "A box's caption must be a string"
        );
        assert!(err(r#"{"box_data":[],"class_labels":{"x":"a"}}"#).starts_with(LABELS_MSG));
        assert!(err(r#"{"box_data":[],"class_labels":{"1":2}}"#).starts_with(LABELS_MSG));
    }

    #[test]
    fn file_keeps_unknown_keys_and_number_kinds() {
        let b = layer(
            r#"{"box_data":[{"position":{"middle":[0.5,0.5],"width":0.25,"height":1e-05},"class_id":2,"extra_key":["kept",1]}],"class_labels":{"02":"two","1.5":"f"},"more":null}"#,
        )
        .unwrap();
        assert_eq!(
            std::str::from_utf8(&b.file.bytes).unwrap(),
            r#"{"box_data":[{"position":{"middle":[0.5,0.5],"width":0.25,"height":0.00001},"class_id":2,"extra_key":["kept",1]}],"class_labels":{"2":"two","1.5":"f"},"more":null}"#
        );
    }
}
