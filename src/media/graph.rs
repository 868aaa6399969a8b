//! `wandb.Graph`, `Node`, `Edge` (§14): a graph is written on binding as `.graph.json`
//! `{"format","nodes","edges"}` with serialiser A. Bare nodes and edges are plain JSON values.

use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::{file_json, BindCtx, Media, MediaFile};

/// `Node(...)` constructor arguments, in the order the SDK sets them (skipped when null).
pub const NODE_CTOR_FIELDS: [&str; 8] = [
    "id",
    "name",
    "class_name",
    "size",
    "parameters",
    "output_shape",
    "is_output",
    "num_parameters",
];
/// Attributes set after construction, in this order (kept even when null).
pub const NODE_EXTRA_FIELDS: [&str; 3] = ["functions", "child_parameters", "is_constant"];

fn type_name(j: &Json) -> &'static str {
    match j {
        Json::Null => "NoneType",
        Json::Bool(_) => "bool",
        Json::Int(_) | Json::UInt(_) => "int",
        Json::Float(_) => "float",
        Json::Str(_) => "str",
        Json::Array(_) => "list",
        Json::Object(_) => "dict",
    }
}

/// `Node(**attrs).to_json()`: `{"name": …}` first (null when not given), then the
/// constructor fields that are present and not null, then `functions`, `child_parameters`,
/// `is_constant` if present. `size` becomes a list (`tuple(size)`: a string gives its
/// characters, an object its keys). Unknown fields are an error, as for Python keywords.
pub fn node_json(attrs: &Json) -> Result<Json> {
    let Json::Object(m) = attrs else {
        return Err(Error::invalid(
            "node must be a JSON object of Node attributes",
        ));
    };
    for (k, _) in m {
        if !NODE_CTOR_FIELDS.contains(&k.as_str()) && !NODE_EXTRA_FIELDS.contains(&k.as_str()) {
            return Err(Error::invalid(format!(
                "node: unknown attribute '{k}' (Node takes {} and {})",
                NODE_CTOR_FIELDS.join(", "),
                NODE_EXTRA_FIELDS.join(", ")
            )));
        }
    }
    let mut node = Json::object([("name", Json::Null)]);
    for f in NODE_CTOR_FIELDS {
        match attrs.get(f) {
            None | Some(Json::Null) => {}
            Some(v) if f == "size" => node.set(f, size_list(v)?),
            Some(v) => node.set(f, v.clone()),
        }
    }
    for f in NODE_EXTRA_FIELDS {
        if let Some(v) = attrs.get(f) {
            node.set(f, v.clone());
        }
    }
    Ok(node)
}

/// Python `tuple(val)` rendered as a JSON list.
fn size_list(v: &Json) -> Result<Json> {
    Ok(match v {
        Json::Array(a) => Json::Array(a.clone()),
        Json::Str(s) => Json::Array(s.chars().map(|c| Json::Str(c.to_string())).collect()),
        Json::Object(m) => Json::Array(m.iter().map(|(k, _)| Json::str(k.clone())).collect()),
        other => {
            return Err(Error::invalid(format!(
                "node size: '{}' object is not iterable",
                type_name(other)
            )))
        }
    })
}

/// Python `==` between hashable JSON values (numbers compare by value, `true == 1`).
fn py_eq(a: &Json, b: &Json) -> bool {
    let num = |j: &Json| match j {
        Json::Bool(x) => Some(*x as u8 as f64),
        Json::Int(_) | Json::UInt(_) | Json::Float(_) => j.as_f64(),
        _ => None,
    };
    match (a, b) {
        (Json::Int(x), Json::Int(y)) => x == y,
        (Json::UInt(x), Json::UInt(y)) => x == y,
        (Json::Int(_), Json::UInt(_)) | (Json::UInt(_), Json::Int(_)) => false,
        (Json::Str(x), Json::Str(y)) => x == y,
        (Json::Null, Json::Null) => true,
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

fn check_hashable(id: &Json, what: &str) -> Result<()> {
    if matches!(id, Json::Array(_) | Json::Object(_)) {
        return Err(Error::invalid(format!(
            "{what}: unhashable type: '{}' (node ids must be strings, numbers, booleans or null)",
            type_name(id)
        )));
    }
    Ok(())
}

/// A bare `Edge(from_node, to_node)` value: `[from_id, to_id]`.
pub fn edge_json(from_id: &Json, to_id: &Json) -> Json {
    Json::Array(vec![from_id.clone(), to_id.clone()])
}

/// A `wandb.Graph` (no caption in the SDK).
#[derive(Debug, Clone)]
pub struct Graph {
    pub format: String,
    /// Node attribute dicts (see [`node_json`]), in insertion order.
    pub nodes: Vec<Json>,
    /// `[from_id, to_id]` pairs (the ids of the nodes found when the edge was added).
    pub edges: Vec<Json>,
}

impl Graph {
    /// `wandb.Graph(format=)` (the SDK's default format is `keras`).
    pub fn new(format: &str) -> Graph {
        Graph {
            format: format.to_string(),
            nodes: Vec::new(),
            edges: Vec::new(),
        }
    }

    /// `graph.add_node(Node(**attrs))`; returns the node's JSON.
    pub fn add_node(&mut self, attrs: &Json) -> Result<Json> {
        let node = node_json(attrs)?;
        check_hashable(node.get("id").unwrap_or(&Json::Null), "node id")?;
        self.nodes.push(node.clone());
        Ok(node)
    }

    /// The node registered last under `id` (`graph.nodes_by_id[id]`; a node without an id is
    /// registered under null).
    fn node_by_id(&self, id: &Json) -> Option<&Json> {
        self.nodes
            .iter()
            .rev()
            .find(|n| py_eq(n.get("id").unwrap_or(&Json::Null), id))
    }

    /// `graph.add_edge(graph[from_id], graph[to_id])`: both ids must name added nodes.
    pub fn add_edge(&mut self, from_id: &Json, to_id: &Json) -> Result<()> {
        let mut ids = Vec::with_capacity(2);
        for (id, what) in [(from_id, "from_id"), (to_id, "to_id")] {
            check_hashable(id, what)?;
            let node = self.node_by_id(id).ok_or_else(|| {
                Error::invalid(format!(
                    "{what} {} names no node of this graph (KeyError)",
                    id.to_compact()
                ))
            })?;
            ids.push(node.get("id").cloned().unwrap_or(Json::Null));
        }
        self.edges.push(Json::Array(ids));
        Ok(())
    }

    /// `Graph._to_graph_json()`.
    pub fn graph_json(&self) -> Json {
        Json::object([
            ("format", Json::str(self.format.clone())),
            ("nodes", Json::Array(self.nodes.clone())),
            ("edges", Json::Array(self.edges.clone())),
        ])
    }

    /// The `.graph.json` file as it is written when the graph is bound.
    pub fn file(&self) -> MediaFile {
        MediaFile::new(self.graph_json().to_compact().into_bytes(), ".graph.json")
    }
}

impl Media for Graph {
    fn class_name(&self) -> &'static str {
        "Graph"
    }
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json> {
        let file = self.file();
        let path = ctx.place("media/graph", &file)?;
        Ok(Json::Object(file_json(None, "graph-file", &file, path)))
    }
    media_object_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(s: &str) -> Json {
        Json::parse(s).unwrap()
    }

    #[test]
    fn spec_example_graph() {
        let mut g = Graph::new("keras");
        g.add_node(&j(r#"{"id":"a","name":"input","class_name":"InputLayer","output_shape":[null,4],"num_parameters":0}"#)).unwrap();
        g.add_node(&j(r#"{"num_parameters":10,"is_output":true,"parameters":[["w",[4,2]]],"size":[4,2],"class_name":"Dense","name":"dense","id":"b"}"#)).unwrap();
        g.add_node(&j(r#"{"id":3}"#)).unwrap();
        g.add_edge(&j(r#""a""#), &j(r#""b""#)).unwrap();
        g.add_edge(&j(r#""b""#), &j("3.0")).unwrap();
        let f = g.file();
        assert_eq!(
            std::str::from_utf8(&f.bytes).unwrap(),
            r#"{"format":"keras","nodes":[{"name":"input","id":"a","class_name":"InputLayer","output_shape":[null,4],"num_parameters":0},{"name":"dense","id":"b","class_name":"Dense","size":[4,2],"parameters":[["w",[4,2]]],"is_output":true,"num_parameters":10},{"name":null,"id":3}],"edges":[["a","b"],["b",3]]}"#
        );
        assert_eq!(f.size(), 296);
        assert_eq!(&f.sha256[..20], "6d2da7b46ede9f227150");
    }

    #[test]
    fn empty_graph_vector() {
        let f = Graph::new("torch").file();
        assert_eq!(
            std::str::from_utf8(&f.bytes).unwrap(),
            r#"{"format":"torch","nodes":[],"edges":[]}"#
        );
        assert_eq!(&f.sha256[..20], "b573400ba57f69c0caf0");
    }

    #[test]
    fn node_rules() {
        assert_eq!(
            node_json(&j(
                r#"{"is_constant":null,"functions":["relu"],"id":null,"size":"ab"}"#
            ))
            .unwrap()
            .to_compact(),
            r#"{"name":null,"size":["a","b"],"functions":["relu"],"is_constant":null}"#
        );
        assert!(node_json(&j(r#"{"bogus":1}"#)).is_err());
        assert!(node_json(&j(r#"{"size":3}"#)).is_err());
        let mut g = Graph::new("keras");
        assert!(g.add_node(&j(r#"{"id":[1]}"#)).is_err());
        g.add_node(&j(r#"{"id":1}"#)).unwrap();
        assert!(g.add_edge(&j("1"), &j("2")).is_err());
        g.add_edge(&j("true"), &j("1")).unwrap();
        assert_eq!(g.edges[0].to_compact(), "[1,1]");
        assert_eq!(edge_json(&j(r#""a""#), &j("2")).to_compact(), r#"["a",2]"#);
    }
}
