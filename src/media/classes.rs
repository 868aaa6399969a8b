//! `wandb.Classes` (§5): the class set of an image. Never part of run JSON; an image's set
//! (union of box labels, array-mask labels and the explicit classes) is stored in artifacts
//! as `media/classes/<md5 of the Python repr>_cls.classes.json` (serialiser B).

use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::table::digest::{md5_base64, md5_hex};
use crate::media::table::pyrepr::json_repr;

/// An ordered class set `[{"id": …, "name": …}, …]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Classes {
    /// `(id, name)`; ids are ints or strings (any scalar is kept), names usually strings.
    pub entries: Vec<(Json, Json)>,
}

/// Python dict-key equality of scalar ids (`1 == 1.0 == True`).
fn id_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Str(x), Json::Str(y)) => x == y,
        (Json::Null, Json::Null) => true,
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

fn num(j: &Json) -> Option<f64> {
    match j {
        Json::Bool(b) => Some(*b as u8 as f64),
        other => other.as_f64(),
    }
}

impl Classes {
    /// `wandb.Classes([{"id": …, "name": …}, …])` from a JSON array; every entry must be
    /// an object with both keys. Ids must be scalars (they are dict keys in the SDK).
    pub fn from_json(j: &Json) -> Result<Classes> {
        let Json::Array(items) = j else {
            return Err(Error::invalid(
                "classes must be a JSON array of {\"id\": …, \"name\": …} objects",
            ));
        };
        let mut c = Classes::default();
        for (i, item) in items.iter().enumerate() {
            let (Some(id), Some(name)) = (item.get("id"), item.get("name")) else {
                return Err(Error::invalid(format!(
                    "classes[{i}]: each entry must have id and name"
                )));
            };
            if matches!(id, Json::Array(_) | Json::Object(_)) {
                return Err(Error::invalid(format!(
                    "classes[{i}]: id must be a number or a string (unhashable type)"
                )));
            }
            c.entries.push((id.clone(), name.clone()));
        }
        Ok(c)
    }

    /// Python `total_classes[id] = name` (an existing id keeps its position).
    pub fn insert(&mut self, id: Json, name: Json) {
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| id_eq(k, &id)) {
            slot.1 = name;
        } else {
            self.entries.push((id, name));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `[{"id": …, "name": …}, …]`.
    pub fn class_set_json(&self) -> Json {
        Json::Array(
            self.entries
                .iter()
                .map(|(id, name)| Json::object([("id", id.clone()), ("name", name.clone())]))
                .collect(),
        )
    }

    /// The artifact entry `(name, bytes, base64 md5)`:
    /// `media/classes/<md5(repr(class_set))>_cls.classes.json` holding
    /// `{"_type": "classes", "class_set": [...]}` (serialiser B).
    pub fn artifact_entry(&self) -> (String, Vec<u8>, String) {
        let set = self.class_set_json();
        let name = format!(
            "media/classes/{}_cls.classes.json",
            md5_hex(json_repr(&set).as_bytes())
        );
        let bytes = Json::object([("_type", Json::str("classes")), ("class_set", set)])
            .to_artifact()
            .into_bytes();
        let digest = md5_base64(&bytes);
        (name, bytes, digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_and_artifact_entry_match_the_sdk() {
        let mut c = Classes::default();
        c.insert(Json::Int(1), Json::str("car"));
        c.insert(Json::Int(0), Json::str("bg"));
        c.insert(Json::Int(2), Json::str("x"));
        c.insert(Json::Int(0), Json::str("bg")); // explicit classes overwrite, order kept
        let (name, bytes, digest) = c.artifact_entry();
        assert_eq!(
            name,
            "media/classes/91cdf997dad441e828493d1b28a36de9_cls.classes.json"
        );
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"_type": "classes", "class_set": [{"id": 1, "name": "car"}, {"id": 0, "name": "bg"}, {"id": 2, "name": "x"}]}"#
        );
        assert_eq!(digest, "a15IUxqPKDTDhighJIgVZw==");
    }

    #[test]
    fn validation() {
        assert!(Classes::from_json(&Json::parse(r#"[{"id":1}]"#).unwrap())
            .unwrap_err()
            .message
            .contains("each entry must have id and name"));
        let c = Classes::from_json(
            &Json::parse(r#"[{"id":1,"name":"a"},{"id":"b","name":"c"}]"#).unwrap(),
        )
        .unwrap();
        assert_eq!(c.entries.len(), 2);
        let mut c2 = c.clone();
        c2.insert(Json::Float(1.0), Json::str("z"));
        assert_eq!(c2.entries[0], (Json::Int(1), Json::str("z")));
    }
}
