//! `wandb.Object3D` and `wandb.box3d` (§11): point-cloud tensors (N×3, N×4, N×6) and
//! point-cloud scenes (`lidar/beta` with boxes and vectors) written as `.pts.json` with
//! serialiser A; 3-D files (obj, gltf, glb, babylon, stl, pts.json) copied.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::json::Json;
use crate::media::{downcast, file_json, BindCtx, Media, MediaFile};
use crate::tensor::{Scalar, TensorView};

/// `Object3D.SUPPORTED_TYPES`, matched with "path ends with" (no dot, case-sensitive).
/// (A Python set: the SDK's order in messages varies between processes.)
pub const SUPPORTED_TYPES: [&str; 6] = ["obj", "gltf", "glb", "babylon", "stl", "pts.json"];

/// `Object3D.SUPPORTED_POINT_CLOUD_TYPES`.
pub const POINT_CLOUD_TYPE: &str = "lidar/beta";

const SHAPE_ERROR: &str = "The shape of the numpy array must be one of either
                [[x y z],       ...] nx3
                 [x y z c],     ...] nx4 where c is a category with supported range [1, 14]
                 [x y z r g b], ...] nx6 where rgb is color";

/// A `wandb.Object3D`.
#[derive(Debug, Clone)]
pub struct Object3D {
    pub file: MediaFile,
    pub caption: Option<Json>,
}

/// numpy `tolist()` of a tensor: nested lists; float32 widened to f64, ints as ints, bools as
/// booleans. A 0-d tensor gives its scalar.
pub fn tolist(t: &TensorView<'_>) -> Result<Json> {
    fn build(shape: &[usize], data: &[Scalar]) -> Json {
        match shape.split_first() {
            None => data.first().map_or(Json::Null, |&s| scalar(s)),
            Some((&n, rest)) => {
                let stride: usize = rest.iter().product();
                Json::Array(
                    (0..n)
                        .map(|i| {
                            data.get(i * stride..(i + 1) * stride)
                                .map_or(Json::Array(Vec::new()), |d| build(rest, d))
                        })
                        .collect(),
                )
            }
        }
    }
    fn scalar(s: Scalar) -> Json {
        match s {
            Scalar::Int(i) => Json::Int(i),
            Scalar::UInt(u) => Json::UInt(u),
            Scalar::F32(v) => Json::Float(v as f64),
            Scalar::F64(v) => Json::Float(v),
            Scalar::Bool(b) => Json::Bool(b),
        }
    }
    Ok(build(t.shape(), &t.to_scalars()?))
}

/// `pts_json(&tolist(t))` for a 2-D tensor, written straight into the text (no `Json` tree of
/// one list per point: 100k points were 100k small allocations). Same bytes: every scalar goes
/// through the same compact writer.
fn pts_json_2d(t: &TensorView<'_>) -> Result<MediaFile> {
    let (n, m) = (t.shape()[0], t.shape()[1]);
    let scalars = t.to_scalars()?;
    let mut out = String::with_capacity(2 + n * (2 + m * 20));
    out.push('[');
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        for j in 0..m {
            if j > 0 {
                out.push(',');
            }
            let v = scalars.get(i * m + j).copied();
            match v {
                Some(Scalar::F32(x)) => crate::json::format_float_compact(f64::from(x), &mut out),
                Some(Scalar::F64(x)) => crate::json::format_float_compact(x, &mut out),
                Some(s) => crate::json::write_compact(&tolist_scalar(s), &mut out),
                None => out.push_str("null"),
            }
        }
        out.push(']');
    }
    out.push(']');
    Ok(MediaFile::new(out.into_bytes(), ".pts.json"))
}

fn tolist_scalar(s: Scalar) -> Json {
    match s {
        Scalar::Int(i) => Json::Int(i),
        Scalar::UInt(u) => Json::UInt(u),
        Scalar::F32(v) => Json::Float(v as f64),
        Scalar::F64(v) => Json::Float(v),
        Scalar::Bool(b) => Json::Bool(b),
    }
}

fn pts_json(j: &Json) -> MediaFile {
    MediaFile::new(j.to_compact().into_bytes(), ".pts.json")
}

impl Object3D {
    fn new(file: MediaFile) -> Object3D {
        Object3D {
            file,
            caption: None,
        }
    }

    /// `wandb.Object3D(np_array)`: 2-D with 3, 4 or 6 columns → `.pts.json` nested list.
    pub fn from_tensor(t: &TensorView<'_>) -> Result<Object3D> {
        let shape = t.shape();
        if shape.len() != 2 || !matches!(shape[1], 3 | 4 | 6) {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            return Err(Error::invalid(format!(
                "{SHAPE_ERROR}\n(got shape ({}))",
                dims.join(", ")
            )));
        }
        pts_json_2d(t).map(Object3D::new)
    }

    /// The extension `.<type>` of a path that ends with a supported type string, if any.
    pub fn file_type_of(path: &str) -> Option<&'static str> {
        SUPPORTED_TYPES
            .iter()
            .copied()
            .find(|ty| path.ends_with(ty))
    }

    /// `wandb.Object3D(path)`: the path must end with one of [`SUPPORTED_TYPES`]; the file is
    /// copied unchanged with the extension `.` + that type. A name that ends in the type
    /// without the dot (`meshobj`) passes the SDK's type check but fails its `_set_file`
    /// assertion that the path ends with the extension: an error here too.
    pub fn from_file(path: &Path) -> Result<Object3D> {
        let s = path.to_string_lossy();
        let ty = Object3D::file_type_of(&s).ok_or_else(|| {
            Error::invalid(format!(
                "File '{s}' is not compatible with Object3D: supported types are: {}",
                SUPPORTED_TYPES.join(", ")
            ))
        })?;
        if !s.ends_with(&format!(".{ty}")) {
            return Err(Error::invalid(format!(
                "Media file extension \".{ty}\" must occur at the end of path \"{s}\"."
            )));
        }
        let bytes = crate::media::read_user_file(path)?;
        Ok(Object3D::new(
            MediaFile::new(bytes, format!(".{ty}")).with_source(path),
        ))
    }

    /// `wandb.Object3D(io, file_type=)`: in-memory file content (text) of a supported type.
    pub fn from_text(data: &str, file_type: &str) -> Result<Object3D> {
        if !SUPPORTED_TYPES.contains(&file_type) {
            return Err(Error::invalid(format!(
                "file_type {file_type:?}: Object 3D only supports numpy arrays or files of the type: {}",
                SUPPORTED_TYPES.join(", ")
            )));
        }
        Ok(Object3D::new(MediaFile::new(
            data.as_bytes().to_vec(),
            format!(".{file_type}"),
        )))
    }

    /// The point-cloud scene (`Object3D({"type": "lidar/beta", "points", "boxes", "vectors"})`,
    /// what `Object3D.from_point_cloud` builds): written as
    /// `{"type","vectors","points","boxes"}` in that order. `points` is already the JSON of
    /// the points (see [`tolist`]); `boxes` are box dicts (see [`box3d`]); `vectors` are
    /// written verbatim.
    pub fn from_scene(points: Json, boxes: Vec<Json>, vectors: Vec<Json>) -> Object3D {
        let scene = Json::object([
            ("type", Json::str(POINT_CLOUD_TYPE)),
            ("vectors", Json::Array(vectors)),
            ("points", points),
            ("boxes", Json::Array(boxes)),
        ]);
        Object3D::new(pts_json(&scene))
    }
}

/// A 3-D box as `wandb.box3d` takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Box3d {
    pub center: [f64; 3],
    pub size: [f64; 3],
    /// Quaternion `(r, i, j, k)`; must not be all zero.
    pub orientation: [f64; 4],
    /// Written verbatim (`[255, 0, 0]` stays integers).
    pub color: Json,
    /// Written verbatim (`null` when absent).
    pub label: Json,
    /// Written verbatim (`null` when absent).
    pub score: Json,
}

/// `_quaternion_to_rotation`: |q| normalised (divide by the largest component, then by the
/// norm), then the row-vector rotation matrix of §11.1 (float64, same operation order).
pub fn rotation(q: [f64; 4]) -> Result<[[f64; 3]; 3]> {
    let mut x = q.map(f64::abs);
    // numpy argmax: first maximum; NaN counts as the maximum.
    let mut arg = 0;
    for i in 1..4 {
        if x[arg].is_nan() {
            break;
        }
        if x[i].is_nan() || x[i] > x[arg] {
            arg = i;
        }
    }
    if x[arg] == 0.0 {
        return Err(Error::invalid("Unexpected zero quaternion."));
    }
    let m = x[arg];
    x = x.map(|v| v / m);
    // np.linalg.norm of a 4-vector: sequential sum of squares (checked bit-exact).
    let norm = (((x[0] * x[0] + x[1] * x[1]) + x[2] * x[2]) + x[3] * x[3]).sqrt();
    let [qr, qi, qj, qk] = x.map(|v| v / norm);
    let (qii, qjj, qkk) = (qi * qi, qj * qj, qk * qk);
    let (qij, qik, qjk) = (qi * qj, qi * qk, qj * qk);
    let (qir, qjr, qkr) = (qi * qr, qj * qr, qk * qr);
    Ok([
        [
            1.0 - 2.0 * (qjj + qkk),
            2.0 * (qij + qkr),
            2.0 * (qik - qjr),
        ],
        [
            2.0 * (qij - qkr),
            1.0 - 2.0 * (qii + qkk),
            2.0 * (qjk + qir),
        ],
        [
            2.0 * (qik + qjr),
            2.0 * (qjk - qir),
            1.0 - 2.0 * (qii + qjj),
        ],
    ])
}

/// `wandb.box3d(center, size, orientation, color, label, score)` → the box dict
/// `{"corners", "color", "label", "score"}`. Corners are `center + (0.5·size ⊙ u) · R` for
/// u ∈ {−1,1}³ in itertools.product order. The 3-term dot products are evaluated as numpy's
/// OpenBLAS matmul does on x86-64 (product, then two fused multiply-adds), which reproduces
/// the SDK's bits for arbitrary orientations.
pub fn box3d(b: &Box3d) -> Result<Json> {
    let r = rotation(b.orientation)?;
    let mut corners = Vec::with_capacity(8);
    for ux in [-1.0f64, 1.0] {
        for uy in [-1.0f64, 1.0] {
            for uz in [-1.0f64, 1.0] {
                let u = [ux, uy, uz];
                let v: [f64; 3] = std::array::from_fn(|k| (0.5 * b.size[k]) * u[k]);
                let p: [Json; 3] = std::array::from_fn(|j| {
                    let dot = v[2].mul_add(r[2][j], v[1].mul_add(r[1][j], v[0] * r[0][j]));
                    Json::Float(b.center[j] + dot)
                });
                corners.push(Json::Array(p.to_vec()));
            }
        }
    }
    Ok(Json::object([
        ("corners", Json::Array(corners)),
        ("color", b.color.clone()),
        ("label", b.label.clone()),
        ("score", b.score.clone()),
    ]))
}

fn num_array<const N: usize>(j: Option<&Json>, name: &str, i: usize) -> Result<[f64; N]> {
    let bad = || {
        Error::invalid(format!(
            "boxes[{i}].{name} must be an array of {N} numbers (wandb.box3d asserts {name}.shape == ({N},))"
        ))
    };
    match j {
        Some(Json::Array(a)) if a.len() == N => {
            let mut out = [0.0; N];
            for (o, v) in out.iter_mut().zip(a) {
                *o = match v {
                    Json::Bool(b) => *b as u8 as f64,
                    other => other.as_f64().ok_or_else(bad)?,
                };
            }
            Ok(out)
        }
        _ => Err(bad()),
    }
}

/// Parse one element of a boxes JSON array: a `wandb.box3d` spec
/// `{"center","size","orientation","color","label"?,"score"?}` (corners computed), or an
/// already computed box dict with `"corners"` (kept verbatim, as the SDK keeps any dict).
pub fn box_from_json(j: &Json, i: usize) -> Result<Json> {
    let Json::Object(m) = j else {
        return Err(Error::invalid(format!("boxes[{i}] must be a JSON object")));
    };
    if j.get("corners").is_some() {
        return Ok(j.clone());
    }
    for (k, _) in m {
        if !matches!(
            k.as_str(),
            "center" | "size" | "orientation" | "color" | "label" | "score"
        ) {
            return Err(Error::invalid(format!(
                "boxes[{i}]: box3d() got an unexpected keyword argument '{k}'"
            )));
        }
    }
    let color = j.get("color").cloned().ok_or_else(|| {
        Error::invalid(format!(
            "boxes[{i}]: box3d() missing required keyword-only argument: 'color'"
        ))
    })?;
    let b = Box3d {
        center: num_array(j.get("center"), "center", i)?,
        size: num_array(j.get("size"), "size", i)?,
        orientation: num_array(j.get("orientation"), "orientation", i)?,
        color,
        label: j.get("label").cloned().unwrap_or(Json::Null),
        score: j.get("score").cloned().unwrap_or(Json::Null),
    };
    box3d(&b).map_err(|e| Error::new(e.kind, format!("boxes[{i}]: {}", e.message)))
}

impl Media for Object3D {
    fn class_name(&self) -> &'static str {
        "Object3D"
    }
    fn batchable(&self) -> bool {
        true
    }
    fn to_json(&self, ctx: &BindCtx<'_>) -> Result<Json> {
        let path = ctx.place("media/object3D", &self.file)?;
        Ok(Json::Object(file_json(
            self.caption.as_ref(),
            "object3D-file",
            &self.file,
            path,
        )))
    }
    /// §15.2: `{"_type": "object3D", "filenames" (relative to media/object3D), "count",
    /// "objects"}`; captions stay inside the objects.
    fn list_to_json(&self, items: &[Arc<dyn Media>], ctx: &BindCtx<'_>) -> Result<Json> {
        let mut jsons = Vec::with_capacity(items.len());
        let mut names = Vec::with_capacity(items.len());
        for item in items {
            let o: &Object3D = downcast(item)?;
            let j = o.to_json(ctx)?;
            let path = j.get("path").and_then(Json::as_str).unwrap_or_default();
            let rel = path.strip_prefix("media/object3D/").unwrap_or(path);
            names.push(Json::str(rel));
            jsons.push(j);
        }
        Ok(Json::object([
            ("_type", Json::str("object3D")),
            ("filenames", Json::Array(names)),
            ("count", Json::Int(items.len() as i64)),
            ("objects", Json::Array(jsons)),
        ]))
    }
    media_caption_methods!();
    /// `Object3D.to_json(artifact)`: point clouds only, as in the SDK.
    fn artifact_json(&self, files: &mut crate::media::table::ArtifactFiles) -> Result<Json> {
        if self.file.ext != ".pts.json" {
            return Err(Error::invalid(
                "Non-point cloud 3D objects are not yet supported with Artifacts",
            ));
        }
        Ok(Json::Object(crate::media::file_artifact_json(
            self.caption.as_ref(),
            "media/object3D",
            "object3D-file",
            &self.file,
            files,
        )))
    }
    media_object_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    #[test]
    fn direct_pts_writer_equals_tolist_json() {
        let f32s: Vec<u8> = [
            1.5f32,
            -0.0,
            f32::NAN,
            f32::INFINITY,
            0.1,
            1e-7,
            3e38,
            -2.0,
            7.0,
        ]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
        let f64s: Vec<u8> = [0.1f64, 1e16, -1e-5, f64::NEG_INFINITY, 2.0, 5e-324]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let u64s: Vec<u8> = [0u64, u64::MAX, 1 << 63, 5, 6, 7]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let bools = vec![1u8, 0, 1, 1, 0, 0];
        for (bytes, dt, shape) in [
            (&f32s, DType::F32, vec![3usize, 3]),
            (&f64s, DType::F64, vec![2, 3]),
            (&u64s, DType::U64, vec![2, 3]),
            (&bools, DType::Bool, vec![2, 3]),
            (&f32s, DType::F32, vec![0, 3]),
        ] {
            let n: usize = shape.iter().product();
            let t = TensorView::new(&bytes[..n * dt.size()], dt, &shape).unwrap();
            assert_eq!(
                pts_json_2d(&t).unwrap().bytes,
                pts_json(&tolist(&t).unwrap()).bytes,
                "{dt:?}"
            );
            if n > 0 {
                let tr = t.permuted(&[1, 0]);
                assert_eq!(
                    pts_json_2d(&tr).unwrap().bytes,
                    pts_json(&tolist(&tr).unwrap()).bytes
                );
            }
        }
    }

    fn f64_bytes(v: &[f64]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    fn text(o: &Object3D) -> &str {
        std::str::from_utf8(&o.file.bytes).unwrap()
    }

    #[test]
    fn spec_vector_points() {
        let b = f64_bytes(&[0.1, 0.2, 0.3, 1.0, 2.0, 3.0]);
        let t = TensorView::new(&b, DType::F64, &[2, 3]).unwrap();
        let o = Object3D::from_tensor(&t).unwrap();
        assert_eq!(text(&o), "[[0.1,0.2,0.3],[1.0,2.0,3.0]]");
        assert_eq!(o.file.size(), 29);
        assert_eq!(
            o.file.sha256,
            "76afd19226eadc2fe254013097efe13c123c65eb79fbf27b4ef8288c8761f9b2"
        );
        assert_eq!(o.file.ext, ".pts.json");
    }

    #[test]
    fn dtypes_and_non_finite() {
        let b: Vec<u8> = [1e-5f32, f32::NAN, f32::INFINITY, -1.5]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let t = TensorView::new(&b, DType::F32, &[1, 4]).unwrap();
        assert_eq!(
            text(&Object3D::from_tensor(&t).unwrap()),
            "[[9.999999747378752e-6,NaN,Infinity,-1.5]]"
        );
        let b: Vec<u8> = [0i64, -1, 3, 143, 2, 170]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let t = TensorView::new(&b, DType::I64, &[1, 6]).unwrap();
        assert_eq!(
            text(&Object3D::from_tensor(&t).unwrap()),
            "[[0,-1,3,143,2,170]]"
        );
        for shape in [&[3usize, 5][..], &[15], &[1, 3, 5], &[5, 3, 1]] {
            let b = f64_bytes(&[0.0; 15]);
            let t = TensorView::new(&b, DType::F64, shape).unwrap();
            let e = Object3D::from_tensor(&t).unwrap_err();
            assert!(e
                .message
                .starts_with("The shape of the numpy array must be one of either"));
        }
    }

    #[test]
    fn file_types_match_by_suffix() {
        assert_eq!(Object3D::file_type_of("a/cube.obj"), Some("obj"));
        assert_eq!(Object3D::file_type_of("scan.pts.json"), Some("pts.json"));
        assert_eq!(Object3D::file_type_of("noext_obj"), Some("obj"));
        assert_eq!(Object3D::file_type_of("cube.OBJ"), None);
        assert_eq!(Object3D::file_type_of("x.json"), None);
        let o = Object3D::from_text("v 0 0 0\n", "obj").unwrap();
        assert_eq!(o.file.ext, ".obj");
        assert!(Object3D::from_text("x", "ply").is_err());
    }

    #[test]
    fn spec_point_cloud_example() {
        let b: Vec<u8> = [0i64, 0, 0, 1, 1, 1, 1, 2]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let t = TensorView::new(&b, DType::I64, &[2, 4]).unwrap();
        let boxes = Json::parse(r#"[{"center":[0,0,0],"size":[2,2,2],"orientation":[1,0,0,0],"color":[255,0,0],"label":"car","score":0.9}]"#).unwrap();
        let Json::Array(boxes) = boxes else { panic!() };
        let boxes: Vec<Json> = boxes
            .iter()
            .enumerate()
            .map(|(i, b)| box_from_json(b, i).unwrap())
            .collect();
        let vectors = vec![Json::parse(r#"{"start":[0,0,0],"end":[1,1,1]}"#).unwrap()];
        let o = Object3D::from_scene(tolist(&t).unwrap(), boxes, vectors);
        assert_eq!(
            text(&o),
            r#"{"type":"lidar/beta","vectors":[{"start":[0,0,0],"end":[1,1,1]}],"points":[[0,0,0,1],[1,1,1,2]],"boxes":[{"corners":[[-1.0,-1.0,-1.0],[-1.0,-1.0,1.0],[-1.0,1.0,-1.0],[-1.0,1.0,1.0],[1.0,-1.0,-1.0],[1.0,-1.0,1.0],[1.0,1.0,-1.0],[1.0,1.0,1.0]],"color":[255,0,0],"label":"car","score":0.9}]}"#
        );
    }

    #[test]
    fn box3d_matches_sdk_bits() {
        // Expected values: wandb.box3d(...) in the reference environment (numpy/OpenBLAS).
        let cases = [
            (
                r#"{"center":[1,2,3],"size":[4,2,1],"orientation":[1,0,0,1],"color":[0,1,0]}"#,
                r#"{"corners":[[1.9999999999999993,2.220446049250313e-16,2.5],[1.9999999999999993,2.220446049250313e-16,3.5],[-2.220446049250313e-16,6.661338147750939e-16,2.5],[-2.220446049250313e-16,6.661338147750939e-16,3.5],[2.0,3.999999999999999,2.5],[2.0,3.999999999999999,3.5],[6.661338147750939e-16,4.0,2.5],[6.661338147750939e-16,4.0,3.5]],"color":[0,1,0],"label":null,"score":null}"#,
            ),
            (
                r#"{"center":[0.3,-1.25,2.5],"size":[0.7,1.9,0.33],"orientation":[0.12,-0.8,0.35,0.41],"color":[0.5,0.5,1.0],"label":"x","score":1}"#,
                r#"{"corners":[[-0.42798941798941786,-0.8356878306878308,1.9078835978835982],[-0.16957671957671944,-0.8025132275132276,1.7053439153439156],[0.5000952380952379,-2.185190476190476,2.8709523809523807],[0.7585079365079364,-2.152015873015873,2.6684126984126983],[-0.15850793650793632,-0.3479841269841272,2.3315873015873017],[0.09990476190476208,-0.314809523809524,2.1290476190476193],[0.7695767195767194,-1.6974867724867724,3.2946560846560846],[1.0279894179894178,-1.6643121693121692,3.092116402116402]],"color":[0.5,0.5,1.0],"label":"x","score":1}"#,
            ),
            (
                r#"{"center":[-3.1,0.01,7.0],"size":[2.2,0.4,1.6],"orientation":[-0.9,0.05,0.2,-0.3],"color":[0.5,0.5,1.0],"label":"x","score":1}"#,
                r#"{"corners":[[-4.117241379310345,-0.8297877984084883,6.612732095490716],[-3.4551724137931035,-0.7788594164456235,8.068435013262599],[-4.337931034482759,-0.5083023872679047,6.701856763925729],[-3.6758620689655173,-0.4573740053050399,8.157559681697613],[-2.524137931034483,0.47737400530503993,5.842440318302387],[-1.8620689655172415,0.5283023872679047,7.298143236074271],[-2.7448275862068967,0.7988594164456235,5.931564986737401],[-2.0827586206896553,0.8497877984084883,7.387267904509284]],"color":[0.5,0.5,1.0],"label":"x","score":1}"#,
            ),
        ];
        for (spec, expected) in cases {
            let got = box_from_json(&Json::parse(spec).unwrap(), 0).unwrap();
            assert_eq!(got.to_compact(), expected, "{spec}");
        }
    }

    #[test]
    fn box3d_validation() {
        let bad = [
            r#"{"center":[0,0],"size":[1,1,1],"orientation":[1,0,0,0],"color":[1,1,1]}"#,
            r#"{"center":[0,0,0],"size":[1,1,1],"orientation":[0,0,0,0],"color":[1,1,1]}"#,
            r#"{"center":[0,0,0],"size":[1,1,1],"orientation":[1,0,0,0]}"#,
            r#"{"center":[0,0,0],"size":[1,1,1],"orientation":[1,0,0,0],"color":1,"extra":1}"#,
            r#"{"center":["a",0,0],"size":[1,1,1],"orientation":[1,0,0,0],"color":1}"#,
            r#"[1]"#,
        ];
        for b in bad {
            assert!(box_from_json(&Json::parse(b).unwrap(), 0).is_err(), "{b}");
        }
        let e = box_from_json(
            &Json::parse(r#"{"center":[0,0,0],"size":[1,1,1],"orientation":[0,0,0,0],"color":1}"#)
                .unwrap(),
            0,
        )
        .unwrap_err();
        assert!(e.message.contains("Unexpected zero quaternion."));
        // A precomputed box is kept verbatim.
        let pre = Json::parse(r#"{"corners":[],"color":1,"extra":true}"#).unwrap();
        assert_eq!(box_from_json(&pre, 0).unwrap(), pre);
        // NaN quaternions never panic.
        let r = rotation([f64::NAN, 1.0, 0.0, 0.0]).unwrap();
        assert!(r[0][0].is_nan());
    }
}
