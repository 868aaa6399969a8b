//! A port of the SDK's table type system (`wandb/sdk/data_types/_dtypes.py`): per-column
//! type inference and checking ("Data row contained incompatible types") and the
//! `column_types` JSON of a table's artifact copy (§9.4).
//!
//! The assignment rules (`assign`, `assign_type`, the union assigner, list/dict/ndarray
//! merging, the image type's layer/class-map merging) follow the SDK line by line, including
//! its quirks (a float NaN cell counts as `None`; a list mixing types gets an `invalid`
//! element type; a later row's list length replaces the earlier one). Not ported: artifact
//! strings (`wandb-artifact://…` cells), timestamps, primary/foreign keys, `Classes` ids.
//! Python sets are emitted sorted (the SDK's own order depends on hash seeds).

use std::collections::BTreeSet;

use crate::json::Json;
use crate::media::boxes::ClassId;
use crate::media::image::Image;
use crate::media::table::pyrepr::{float_repr, str_repr};
use crate::media::table::Table;
use crate::media::Media;
use crate::tensor::Scalar;
use crate::value::{NdArray, Value};

/// A dict key of a typed dict: column names are strings or ints.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DictKey {
    Str(String),
    Int(i64),
}

impl DictKey {
    /// Python `repr(key)`.
    pub fn repr(&self) -> String {
        match self {
            DictKey::Str(s) => str_repr(s),
            DictKey::Int(i) => i.to_string(),
        }
    }
    /// The key as a JSON object key.
    pub fn json_key(&self) -> String {
        match self {
            DictKey::Str(s) => s.clone(),
            DictKey::Int(i) => i.to_string(),
        }
    }
    /// As a JSON value (table `columns`).
    pub fn to_json(&self) -> Json {
        match self {
            DictKey::Str(s) => Json::str(s.clone()),
            DictKey::Int(i) => Json::Int(*i),
        }
    }
}

/// Parameters of the SDK's `_ImageFileType` (sets kept sorted and unique).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageTypeParams {
    pub box_layers: Vec<(String, Vec<ClassId>)>,
    pub box_score_keys: BTreeSet<String>,
    pub mask_layers: Vec<(String, Vec<ClassId>)>,
    pub box_class_maps: Vec<(String, Vec<(String, String)>)>,
    pub mask_class_maps: Vec<(String, Vec<(String, String)>)>,
    pub class_map: Vec<(String, Json)>,
}

fn sorted_ids(ids: impl IntoIterator<Item = ClassId>) -> Vec<ClassId> {
    let mut v: Vec<ClassId> = Vec::new();
    for id in ids {
        if !v.contains(&id) {
            v.push(id);
        }
    }
    v.sort_by(|a, b| a.as_f64().total_cmp(&b.as_f64()));
    v
}

impl ImageTypeParams {
    /// `_ImageFileType.from_obj(image)`.
    pub fn of_image(img: &Image) -> ImageTypeParams {
        let mut p = ImageTypeParams::default();
        for (layer, b) in &img.boxes {
            p.box_layers.push((
                layer.clone(),
                sorted_ids(b.class_labels.0.iter().map(|(k, _)| *k)),
            ));
            p.box_score_keys.extend(b.score_keys());
            p.box_class_maps.push((
                layer.clone(),
                b.class_labels
                    .0
                    .iter()
                    .map(|(k, v)| (k.key_string(), v.clone()))
                    .collect(),
            ));
        }
        for (layer, m) in &img.masks {
            let ids = m
                .class_labels
                .as_ref()
                .map(|l| sorted_ids(l.0.iter().map(|(k, _)| *k)))
                .unwrap_or_default();
            p.mask_layers.push((layer.clone(), ids));
            if let Some(l) = &m.class_labels {
                p.mask_class_maps.push((
                    layer.clone(),
                    l.0.iter()
                        .map(|(k, v)| (k.key_string(), v.clone()))
                        .collect(),
                ));
            }
        }
        let set = img.class_set();
        p.class_map = set
            .entries
            .iter()
            .map(|(id, name)| (id_key_string(id), name.clone()))
            .collect();
        p
    }

    /// `_ImageFileType.assign_type` with another image type: unions everywhere, `self`'s
    /// names winning on collisions.
    fn merge(&self, other: &ImageTypeParams) -> ImageTypeParams {
        fn merge_layers(
            a: &[(String, Vec<ClassId>)],
            b: &[(String, Vec<ClassId>)],
        ) -> Vec<(String, Vec<ClassId>)> {
            let mut out: Vec<(String, Vec<ClassId>)> = a.to_vec();
            for (k, ids) in b {
                match out.iter_mut().find(|(key, _)| key == k) {
                    Some(slot) => {
                        slot.1 = sorted_ids(slot.1.iter().chain(ids.iter()).copied());
                    }
                    None => out.push((k.clone(), ids.clone())),
                }
            }
            out
        }
        fn merge_maps(
            a: &[(String, Vec<(String, String)>)],
            b: &[(String, Vec<(String, String)>)],
        ) -> Vec<(String, Vec<(String, String)>)> {
            let mut out: Vec<(String, Vec<(String, String)>)> = b.to_vec();
            for (k, labels) in a {
                match out.iter_mut().find(|(key, _)| key == k) {
                    Some(slot) => {
                        for (id, name) in labels {
                            match slot.1.iter_mut().find(|(i, _)| i == id) {
                                Some(s) => s.1 = name.clone(),
                                None => slot.1.push((id.clone(), name.clone())),
                            }
                        }
                    }
                    None => out.push((k.clone(), labels.clone())),
                }
            }
            out
        }
        let mut class_map = self.class_map.clone();
        for (k, v) in &other.class_map {
            if !class_map.iter().any(|(key, _)| key == k) {
                class_map.push((k.clone(), v.clone()));
            }
        }
        ImageTypeParams {
            box_layers: merge_layers(&self.box_layers, &other.box_layers),
            box_score_keys: self
                .box_score_keys
                .union(&other.box_score_keys)
                .cloned()
                .collect(),
            mask_layers: merge_layers(&self.mask_layers, &other.mask_layers),
            box_class_maps: merge_maps(&self.box_class_maps, &other.box_class_maps),
            mask_class_maps: merge_maps(&self.mask_class_maps, &other.mask_class_maps),
            class_map,
        }
    }

    fn to_json(&self) -> Json {
        fn konst(val: Json, is_set: bool) -> Json {
            Json::object([
                ("wb_type", Json::str("const")),
                (
                    "params",
                    Json::object([("val", val), ("is_set", Json::Bool(is_set))]),
                ),
            ])
        }
        let layers = |l: &[(String, Vec<ClassId>)]| {
            Json::Object(
                l.iter()
                    .map(|(k, ids)| {
                        (
                            k.clone(),
                            Json::Array(ids.iter().map(ClassId::to_json).collect()),
                        )
                    })
                    .collect(),
            )
        };
        let maps = |m: &[(String, Vec<(String, String)>)]| {
            Json::Object(
                m.iter()
                    .map(|(k, labels)| {
                        (
                            k.clone(),
                            Json::Object(
                                labels
                                    .iter()
                                    .map(|(i, n)| (i.clone(), Json::str(n.clone())))
                                    .collect(),
                            ),
                        )
                    })
                    .collect(),
            )
        };
        Json::object([
            ("box_layers", konst(layers(&self.box_layers), false)),
            (
                "box_score_keys",
                konst(
                    Json::Array(self.box_score_keys.iter().cloned().map(Json::Str).collect()),
                    true,
                ),
            ),
            ("mask_layers", konst(layers(&self.mask_layers), false)),
            ("box_class_maps", konst(maps(&self.box_class_maps), false)),
            ("mask_class_maps", konst(maps(&self.mask_class_maps), false)),
            (
                "class_map",
                konst(Json::Object(self.class_map.clone()), false),
            ),
        ])
    }

    fn repr(&self) -> String {
        let ids = |v: &[ClassId]| -> String {
            if v.is_empty() {
                "set()".into()
            } else {
                let parts: Vec<String> = v
                    .iter()
                    .map(|i| match i {
                        ClassId::Int(n) => n.to_string(),
                        ClassId::Float(f) => float_repr(*f),
                    })
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
        };
        let layers = |l: &[(String, Vec<ClassId>)]| -> String {
            let parts: Vec<String> = l
                .iter()
                .map(|(k, v)| format!("{}: {}", str_repr(k), ids(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        };
        let maps = |m: &[(String, Vec<(String, String)>)]| -> String {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, labels)| {
                    let inner: Vec<String> = labels
                        .iter()
                        .map(|(i, n)| format!("{}: {}", str_repr(i), str_repr(n)))
                        .collect();
                    format!("{}: {{{}}}", str_repr(k), inner.join(", "))
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        };
        let keys = if self.box_score_keys.is_empty() {
            "set()".to_string()
        } else {
            let parts: Vec<String> = self.box_score_keys.iter().map(|k| str_repr(k)).collect();
            format!("{{{}}}", parts.join(", "))
        };
        let cm: Vec<String> = self
            .class_map
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}: {}",
                    str_repr(k),
                    crate::media::table::pyrepr::json_repr(v)
                )
            })
            .collect();
        format!(
            "Image-file(box_layers:{}, box_score_keys:{}, mask_layers:{}, box_class_maps:{}, mask_class_maps:{}, class_map:{{{}}})",
            layers(&self.box_layers),
            keys,
            layers(&self.mask_layers),
            maps(&self.box_class_maps),
            maps(&self.mask_class_maps),
            cm.join(", ")
        )
    }
}

/// `str(id)` of a class-set id (ints as digits, strings as themselves).
fn id_key_string(id: &Json) -> String {
    match id {
        Json::Str(s) => s.clone(),
        Json::Float(f) => float_repr(*f),
        Json::Bool(b) => if *b { "True" } else { "False" }.into(),
        Json::Null => "None".into(),
        other => other.to_compact(),
    }
}

/// A W&B type (`_dtypes.Type` subclasses).
#[derive(Debug, Clone, PartialEq)]
pub enum WbType {
    Invalid,
    Any,
    Unknown,
    None,
    String,
    Number,
    Boolean,
    List {
        elem: Box<WbType>,
        length: Option<usize>,
    },
    TypedDict(Vec<(DictKey, WbType)>),
    Union(Vec<WbType>),
    PythonObject(String),
    NdArray(Vec<usize>),
    /// A media type without parameters (`html-file`, `audio-file`, …).
    Media(&'static str),
    Image(Box<ImageTypeParams>),
    /// A table nested in a cell: its column types (a `TypedDict`).
    Table(Box<WbType>),
}

enum Arg<'a> {
    Obj(&'a Value),
    Type(&'a WbType),
}

/// Python's `str.capitalize()` (first character upper, the rest lower).
fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f
            .to_uppercase()
            .chain(c.flat_map(|x| x.to_lowercase()))
            .collect(),
        None => String::new(),
    }
}

/// The SDK's media class → type name (classes without a registered type are
/// `pythonObject`s, like Molecule, Plotly and Graph).
fn media_type(m: &dyn Media) -> WbType {
    match m.class_name() {
        "Image" => match m.as_any().downcast_ref::<Image>() {
            Some(img) => WbType::Image(Box::new(ImageTypeParams::of_image(img))),
            None => WbType::PythonObject("Image".into()),
        },
        "Table" => match m.as_any().downcast_ref::<Table>() {
            Some(t) => WbType::Table(Box::new(t.type_dict())),
            None => WbType::PythonObject("Table".into()),
        },
        "Html" => WbType::Media("html-file"),
        "Audio" => WbType::Media("audio-file"),
        "Video" => WbType::Media("video-file"),
        "Object3D" => WbType::Media("object3D-file"),
        "Bokeh" => WbType::Media("bokeh-file"),
        "JoinedTable" => WbType::Media("joined-table"),
        "PartitionedTable" => WbType::Media("partitioned-table"),
        other => WbType::PythonObject(other.to_string()),
    }
}

/// Elements of an ndarray along its first axis (0-d arrays for 1-D input: numpy scalars).
fn array_items(a: &NdArray) -> Vec<Value> {
    let Some((&n, rest)) = a.shape.split_first() else {
        return Vec::new();
    };
    (0..n)
        .map(|i| {
            Value::Array(
                a.sub(i)
                    .unwrap_or_else(|| NdArray::new(a.dtype, rest.to_vec(), &[])),
            )
        })
        .collect()
}

/// `list(obj)` for iterable values (lists; str → characters; dict → keys; ndarray → rows).
fn iterate(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::List(items) => Some(items.clone()),
        Value::Str(s) => Some(s.chars().map(|c| Value::Str(c.to_string())).collect()),
        Value::Dict(m) => Some(m.iter().map(|(k, _)| Value::Str(k.clone())).collect()),
        Value::Array(a) if !a.shape.is_empty() => Some(array_items(a)),
        Value::Json(j @ (Json::Array(_) | Json::Object(_) | Json::Str(_))) => {
            iterate(&Value::from_json(j))
        }
        _ => None,
    }
}

/// `TypeRegistry.type_of(value)`.
pub fn type_of(v: &Value) -> WbType {
    match v {
        Value::Float(f) if f.is_nan() => WbType::None,
        Value::Null => WbType::None,
        Value::Bool(_) => WbType::Boolean,
        Value::Int(_) | Value::Float(_) => WbType::Number,
        Value::Str(_) => WbType::String,
        Value::List(items) => list_from_obj(items),
        Value::Dict(m) => WbType::TypedDict(
            m.iter()
                .map(|(k, v)| (DictKey::Str(k.clone()), type_of(v)))
                .collect(),
        ),
        // A 0-d array stands for a numpy scalar (never a Python float: NaN stays a number).
        Value::Array(a) if a.shape.is_empty() => match a.get(0).as_ref() {
            Some(Scalar::Bool(_)) => WbType::Boolean,
            _ => WbType::Number,
        },
        Value::Array(a) => WbType::NdArray(a.shape.clone()),
        Value::Histogram(_) => WbType::PythonObject("Histogram".into()),
        Value::Json(Json::UInt(_)) => WbType::Number,
        Value::Json(j) => type_of(&Value::from_json(j)),
        Value::Media(m) => media_type(m.as_ref()),
    }
}

/// `ListType.from_obj(list)`.
fn list_from_obj(items: &[Value]) -> WbType {
    let mut elem = if items.iter().any(|v| matches!(v, Value::Null)) {
        WbType::union(vec![WbType::None, WbType::Unknown])
    } else {
        WbType::Unknown
    };
    for item in items {
        elem = elem.assign(item);
    }
    WbType::List {
        elem: Box::new(elem),
        length: Some(items.len()),
    }
}

/// `NDArrayType.from_obj(list)`: the shape found by following first elements.
fn list_shape(v: &Value) -> Vec<usize> {
    let mut shape = Vec::new();
    let mut target = v.clone();
    loop {
        let items = match &target {
            Value::List(items) => items.clone(),
            Value::Json(j @ Json::Array(_)) => match Value::from_json(j) {
                Value::List(items) => items,
                _ => break,
            },
            _ => break,
        };
        shape.push(items.len());
        match items.into_iter().next() {
            Some(first) => target = first,
            None => break,
        }
    }
    shape
}

fn union_assigner(allowed: &[WbType], arg: Arg<'_>) -> Option<Vec<WbType>> {
    let mut resolved = Vec::with_capacity(allowed.len() + 1);
    let mut valid = false;
    let mut unknown_count = 0usize;
    for t in allowed {
        if valid {
            resolved.push(t.clone());
        } else if *t == WbType::Unknown {
            unknown_count += 1;
        } else {
            let assigned = match arg {
                Arg::Obj(v) => t.assign(v),
                Arg::Type(w) => t.assign_type(w),
            };
            if assigned == WbType::Invalid {
                resolved.push(t.clone());
            } else {
                resolved.push(assigned);
                valid = true;
            }
        }
    }
    if !valid {
        if unknown_count == 0 {
            return None;
        }
        let new_type = match arg {
            Arg::Type(w) => w.clone(),
            Arg::Obj(v) => WbType::Unknown.assign(v),
        };
        if new_type == WbType::Invalid {
            return None;
        }
        resolved.push(new_type);
        unknown_count -= 1;
    }
    resolved.extend(std::iter::repeat_n(WbType::Unknown, unknown_count));
    Some(resolved)
}

impl WbType {
    /// `UnionType(types)`: nested unions flattened, members sorted by `str()`.
    pub fn union(types: Vec<WbType>) -> WbType {
        let mut flat = Vec::with_capacity(types.len());
        fn flatten(t: WbType, out: &mut Vec<WbType>) {
            match t {
                WbType::Union(members) => members.into_iter().for_each(|m| flatten(m, out)),
                other => out.push(other),
            }
        }
        types.into_iter().for_each(|t| flatten(t, &mut flat));
        let mut keyed: Vec<(String, WbType)> = flat.into_iter().map(|t| (t.repr(), t)).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        WbType::Union(keyed.into_iter().map(|(_, t)| t).collect())
    }

    /// `OptionalType(t)` = `Union[t, None]`.
    pub fn optional(t: WbType) -> WbType {
        WbType::union(vec![t, WbType::None])
    }

    /// `Type.assign(py_obj)`.
    pub fn assign(&self, v: &Value) -> WbType {
        match self {
            WbType::Union(members) => match union_assigner(members, Arg::Obj(v)) {
                Some(r) => WbType::union(r),
                None => WbType::Invalid,
            },
            WbType::List { elem, .. } => match iterate(v) {
                Some(items) => {
                    let mut e = (**elem).clone();
                    for item in &items {
                        e = e.assign(item);
                        if e == WbType::Invalid {
                            return WbType::Invalid;
                        }
                    }
                    WbType::List {
                        elem: Box::new(e),
                        length: Some(items.len()),
                    }
                }
                None => WbType::Invalid,
            },
            WbType::NdArray(_) => match v {
                Value::Array(a) => self.assign_type(&WbType::NdArray(a.shape.clone())),
                Value::List(_) | Value::Json(Json::Array(_)) => {
                    self.assign_type(&WbType::NdArray(list_shape(v)))
                }
                _ => WbType::Invalid,
            },
            WbType::TypedDict(map) => {
                let members: Vec<(String, Value)> = match v {
                    Value::Dict(m) => m.clone(),
                    Value::Json(j @ Json::Object(_)) => match Value::from_json(j) {
                        Value::Dict(m) => m,
                        _ => return WbType::Invalid,
                    },
                    _ => return WbType::Invalid,
                };
                let known = |k: &str| map.iter().any(|(dk, _)| *dk == DictKey::Str(k.into()));
                if !members.iter().all(|(k, _)| known(k)) {
                    return WbType::Invalid;
                }
                let mut out = Vec::with_capacity(map.len());
                for (k, t) in map {
                    let val = members
                        .iter()
                        .find(|(mk, _)| DictKey::Str(mk.clone()) == *k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or(Value::Null);
                    let a = t.assign(&val);
                    if a == WbType::Invalid {
                        return WbType::Invalid;
                    }
                    out.push((k.clone(), a));
                }
                WbType::TypedDict(out)
            }
            _ => self.assign_type(&type_of(v)),
        }
    }

    /// `Type.assign_type(wb_type)`.
    pub fn assign_type(&self, t: &WbType) -> WbType {
        match self {
            WbType::Invalid => WbType::Invalid,
            WbType::Any => match t {
                WbType::None | WbType::Invalid => WbType::Invalid,
                _ => WbType::Any,
            },
            WbType::Unknown => match t {
                WbType::None => WbType::Invalid,
                other => other.clone(),
            },
            WbType::Union(members) => {
                let assignees: Vec<WbType> = match t {
                    WbType::Union(m) => m.clone(),
                    other => vec![other.clone()],
                };
                let mut resolved = members.clone();
                for a in &assignees {
                    match union_assigner(&resolved, Arg::Type(a)) {
                        Some(r) => resolved = r,
                        None => return WbType::Invalid,
                    }
                }
                WbType::union(resolved)
            }
            WbType::List { elem, length } => match t {
                WbType::List {
                    elem: e2,
                    length: l2,
                } => {
                    let e = elem.assign_type(e2);
                    if e == WbType::Invalid {
                        return WbType::Invalid;
                    }
                    WbType::List {
                        elem: Box::new(e),
                        length: if length == l2 { *length } else { None },
                    }
                }
                _ => WbType::Invalid,
            },
            WbType::NdArray(shape) => match t {
                WbType::NdArray(s2) if s2 == shape => self.clone(),
                WbType::List { .. } => self.clone(),
                _ => WbType::Invalid,
            },
            WbType::TypedDict(map) => match t {
                WbType::TypedDict(other) => {
                    if !other.iter().all(|(k, _)| map.iter().any(|(mk, _)| mk == k)) {
                        return WbType::Invalid;
                    }
                    let mut out = Vec::with_capacity(map.len());
                    for (k, ty) in map {
                        let o = other
                            .iter()
                            .find(|(ok, _)| ok == k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or(WbType::Unknown);
                        let a = ty.assign_type(&o);
                        if a == WbType::Invalid {
                            return WbType::Invalid;
                        }
                        out.push((k.clone(), a));
                    }
                    WbType::TypedDict(out)
                }
                _ => WbType::Invalid,
            },
            WbType::Image(p) => match t {
                WbType::Image(q) => WbType::Image(Box::new(p.merge(q))),
                _ => WbType::Invalid,
            },
            WbType::Table(ct) => match t {
                WbType::Table(ct2) => match ct.assign_type(ct2) {
                    WbType::Invalid => WbType::Invalid,
                    merged => WbType::Table(Box::new(merged)),
                },
                _ => WbType::Invalid,
            },
            // Type.assign_type default: same class and equal params.
            _ => {
                if self == t {
                    self.clone()
                } else {
                    WbType::Invalid
                }
            }
        }
    }

    /// The type's `name`.
    pub fn name(&self) -> &'static str {
        match self {
            WbType::Invalid => "invalid",
            WbType::Any => "any",
            WbType::Unknown => "unknown",
            WbType::None => "none",
            WbType::String => "string",
            WbType::Number => "number",
            WbType::Boolean => "boolean",
            WbType::List { .. } => "list",
            WbType::TypedDict(_) => "typedDict",
            WbType::Union(_) => "union",
            WbType::PythonObject(_) => "pythonObject",
            WbType::NdArray(_) => "ndarray",
            WbType::Media(n) => n,
            WbType::Image(_) => "image-file",
            WbType::Table(_) => "table",
        }
    }

    /// `str(type)` (the SDK's `__repr__`; unions are ordered by it).
    pub fn repr(&self) -> String {
        match self {
            WbType::List { elem, .. } => format!("{}[]", elem.repr()),
            WbType::Union(m) => m.iter().map(WbType::repr).collect::<Vec<_>>().join(" or "),
            WbType::TypedDict(map) => {
                let parts: Vec<String> = map
                    .iter()
                    .map(|(k, t)| format!("{}: {}", k.repr(), t.repr()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            WbType::PythonObject(c) => format!("Pythonobject(class_name:{c})"),
            WbType::NdArray(shape) => {
                let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
                format!("Ndarray(shape:[{}])", parts.join(", "))
            }
            WbType::Image(p) => p.repr(),
            WbType::Table(ct) => format!("Table(column_types:{})", ct.repr()),
            other => capitalize(other.name()),
        }
    }

    /// `Type.to_json(artifact)`: `{"wb_type": name, "params"?: {...}}`.
    pub fn to_json(&self) -> Json {
        let params = match self {
            WbType::List { elem, length } => Some(Json::object([
                ("element_type", elem.to_json()),
                (
                    "length",
                    length.map(|l| Json::Int(l as i64)).unwrap_or(Json::Null),
                ),
            ])),
            WbType::TypedDict(map) => Some(Json::object([(
                "type_map",
                Json::Object(
                    map.iter()
                        .map(|(k, t)| (k.json_key(), t.to_json()))
                        .collect(),
                ),
            )])),
            WbType::Union(m) => Some(Json::object([(
                "allowed_types",
                Json::Array(m.iter().map(WbType::to_json).collect()),
            )])),
            WbType::PythonObject(c) => Some(Json::object([("class_name", Json::str(c.clone()))])),
            WbType::NdArray(shape) => Some(Json::object([
                (
                    "shape",
                    Json::Array(shape.iter().map(|&d| Json::Int(d as i64)).collect()),
                ),
                ("serialization_path", Json::Null),
            ])),
            WbType::Image(p) => Some(p.to_json()),
            WbType::Table(ct) => Some(Json::object([("column_types", ct.to_json())])),
            _ => None,
        };
        let mut m = vec![("wb_type".to_string(), Json::str(self.name()))];
        if let Some(p) = params {
            m.push(("params".to_string(), p));
        }
        Json::Object(m)
    }

    /// `Type.explain(other, depth)`: why `other` is not assignable (error messages).
    pub fn explain(&self, other: &Value, depth: usize) -> String {
        let gap = "\t".repeat(depth);
        let base = if depth > 0 {
            format!(
                "{gap}{} not assignable to {}",
                type_of(other).repr(),
                self.repr()
            )
        } else {
            format!(
                "{gap}{} of type {} is not assignable to {}",
                value_repr(other),
                type_of(other).repr(),
                self.repr()
            )
        };
        let mut exp = base;
        match self {
            WbType::Union(members) => {
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        exp.push_str(&format!("\n{gap}and"));
                    }
                    exp.push('\n');
                    exp.push_str(&m.explain(other, depth + 1));
                }
            }
            WbType::List { elem, .. } => {
                if let Value::List(items) = other {
                    let mut e = (**elem).clone();
                    for (i, item) in items.iter().enumerate() {
                        let next = e.assign(item);
                        if next == WbType::Invalid {
                            exp.push_str(&format!(
                                "\n{gap}Index {i}:\n{}",
                                e.explain(item, depth + 1)
                            ));
                            break;
                        }
                        e = next;
                    }
                }
            }
            WbType::TypedDict(map) => {
                if let Value::Dict(m) = other {
                    let extra: Vec<&str> = m
                        .iter()
                        .filter(|(k, _)| !map.iter().any(|(dk, _)| *dk == DictKey::Str(k.clone())))
                        .map(|(k, _)| k.as_str())
                        .collect();
                    if !extra.is_empty() {
                        exp.push_str(&format!("\n{gap}Found extra keys: {}", extra.join(",")));
                    }
                    for (k, t) in map {
                        let val = m
                            .iter()
                            .find(|(mk, _)| DictKey::Str(mk.clone()) == *k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or(Value::Null);
                        if t.assign(&val) == WbType::Invalid {
                            exp.push_str(&format!(
                                "\n{gap}Key {}:\n{}",
                                k.repr(),
                                t.explain(&val, depth + 1)
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
        exp
    }
}

/// Python `repr()` of a cell value (for error messages; arrays and media approximated).
pub fn value_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => float_repr(*f),
        Value::Str(s) => str_repr(s),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(value_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Dict(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", str_repr(k), value_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Array(a) if a.shape.is_empty() => match a.get(0).as_ref() {
            Some(Scalar::Int(i)) => i.to_string(),
            Some(Scalar::UInt(u)) => u.to_string(),
            Some(Scalar::F32(f)) => float_repr(*f as f64),
            Some(Scalar::F64(f)) => float_repr(*f),
            Some(Scalar::Bool(b)) => if *b { "True" } else { "False" }.into(),
            None => "array([])".into(),
        },
        Value::Array(a) => {
            let items: Vec<String> = array_items(a).iter().map(value_repr).collect();
            format!("array([{}])", items.join(", "))
        }
        Value::Histogram(_) => "<wandb.Histogram object>".into(),
        Value::Json(j) => crate::media::table::pyrepr::json_repr(j),
        Value::Media(m) => format!("<wandb.{} object>", m.class_name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col() -> WbType {
        WbType::optional(WbType::Unknown)
    }

    #[test]
    fn column_inference_matches_the_sdk() {
        assert_eq!(col().repr(), "None or Unknown");
        let t = col().assign(&Value::Int(1));
        assert_eq!(
            t.to_json().to_artifact(),
            r#"{"params": {"allowed_types": [{"wb_type": "none"}, {"wb_type": "number"}]}, "wb_type": "union"}"#
        );
        let t = t.assign(&Value::Float(f64::NAN));
        assert_eq!(t.repr(), "None or Number");
        assert_eq!(t.assign(&Value::Str("x".into())), WbType::Invalid);
        let b = col().assign(&Value::Bool(true));
        assert_eq!(b.repr(), "Boolean or None");
        // list lengths: the later row's length wins through assign.
        let l = col()
            .assign(&Value::List(vec![Value::Int(1), Value::Float(2.5)]))
            .assign(&Value::List(vec![]));
        assert_eq!(
            l.to_json().to_artifact(),
            r#"{"params": {"allowed_types": [{"wb_type": "none"}, {"params": {"element_type": {"wb_type": "number"}, "length": 0}, "wb_type": "list"}]}, "wb_type": "union"}"#
        );
        // a list mixing types gets an invalid element type.
        let bad = col().assign(&Value::List(vec![Value::Int(1), Value::Str("a".into())]));
        assert_eq!(
            bad.to_json().to_artifact(),
            r#"{"params": {"allowed_types": [{"params": {"element_type": {"wb_type": "invalid"}, "length": 2}, "wb_type": "list"}, {"wb_type": "none"}]}, "wb_type": "union"}"#
        );
        // mixed types allowed
        let any = WbType::optional(WbType::Any)
            .assign(&Value::Int(1))
            .assign(&Value::Str("x".into()))
            .assign(&Value::Null);
        assert_eq!(any.repr(), "Any or None");
    }

    #[test]
    fn dict_cells_and_explain() {
        let d = |pairs: Vec<(&str, Value)>| {
            Value::Dict(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        };
        let t = col().assign(&d(vec![("k", Value::Int(1))]));
        assert_eq!(t.repr(), "None or {'k': Number}");
        let row = d(vec![("k", Value::Int(1)), ("z", Value::Int(2))]);
        assert_eq!(t.assign(&row), WbType::Invalid);
        let msg = t.explain(&row, 0);
        assert_eq!(
            msg,
            "{'k': 1, 'z': 2} of type {'k': Number, 'z': Number} is not assignable to None or {'k': Number}\n\t{'k': Number, 'z': Number} not assignable to None\nand\n\t{'k': Number, 'z': Number} not assignable to {'k': Number}\n\tFound extra keys: z"
        );
    }
}
