//! Generates `include/wandb_media.h` with cbindgen on every build (checked in; CI fails if a
//! fresh build changes it) and sets the shared library's SONAME.
//!
//! cbindgen emits all constants, then all types, then all functions. A reader needs the
//! opposite: one topic at a time (conventions, errors, values, tensor, image, …, runs), each
//! with its types, its functions and a short usage example. So the generated text is split
//! into its items (cbindgen separates items by one blank line) and regrouped by topic here;
//! the text of every item is cbindgen's, unchanged except for the typed-enum parameters
//! listed in `ENUM_PARAMS`.

use std::env;
use std::path::PathBuf;

/// Sections of the header, in reading order: (title, usage example, item-name matcher).
/// The first matching section takes an item; names are matched by prefix or exactly.
struct Section {
    title: &'static str,
    example: &'static str,
    matches: fn(&str) -> bool,
}

fn starts(name: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| name.starts_with(p))
}

const SECTIONS: &[Section] = &[
    Section {
        title: "1. Conventions, errors, diagnostics",
        example: "wb_error err;                               // optional: pass NULL if not needed\n\
                  if (wb_value_int(1, &v, &err) != WB_OK)\n\
                  \x20   fprintf(stderr, \"%s: %s\\n\", wb_status_name(err.code), err.message);\n\
                  wb_set_log_handler(my_log, my_ctx, WB_LOG_WARN, NULL);   // SDK warnings",
        matches: |n| {
            starts(
                n,
                &[
                    "wb_version",
                    "WB_VERSION",
                    "wb_status",
                    "wb_error",
                    "WB_ERROR",
                    "wb_string_free",
                    "wb_log",
                    "wb_set_log_handler",
                ],
            )
        },
    },
    Section {
        title: "2. Values: scalars, strings, lists, dicts",
        example: "wb_value *row, *loss;\n\
                  wb_dict_new(&row, NULL);\n\
                  wb_value_float(0.25, &loss, NULL);\n\
                  wb_dict_set(row, \"loss\", loss, NULL);   // row keeps a copy\n\
                  wb_value_free(loss);                    // ... and row later",
        matches: |n| {
            n == "wb_value"
                || (starts(n, &["wb_value_", "wb_list_", "wb_dict_"])
                    && !starts(
                        n,
                        &["wb_value_from_tensor", "wb_value_to_json", "wb_value_to_summary"],
                    ))
        },
    },
    Section {
        title: "3. Tensors: caller arrays (DLPack-like, strides in elements)",
        example: "int64_t shape[3] = {64, 64, 3};\n\
                  wb_tensor t = {pixels, WB_DTYPE_U8, 3, shape, NULL};   // NULL strides = C order\n\
                  wb_value_from_tensor(&t, &arr, NULL);                  // like logging an np.ndarray",
        matches: |n| starts(n, &["wb_tensor", "wb_dtype", "WB_TENSOR", "wb_value_from_tensor"]),
    },
    Section {
        title: "4. Images, bounding boxes, masks",
        example: "wb_image_options o = wb_image_options_default();\n\
                  o.convert = WB_CONVERT_CAST;                      // exactly the SDK\n\
                  wb_image_from_tensor(&t, &o, &img, &err);          // (H,W,C) any dtype\n\
                  wb_image_add_boxes(img, \"pred\", boxes_json, labels_json, &err);",
        matches: |n| starts(n, &["wb_image", "wb_convert", "wb_png", "WB_IMAGE"]),
    },
    Section {
        title: "5. Video",
        example: "wb_video_options o = wb_video_options_default();\n\
                  o.format = WB_VIDEO_MP4; o.fps = 30;\n\
                  wb_video_writer *w;\n\
                  wb_video_writer_new(height, width, 3, &o, &w, &err);   // shape order\n\
                  for (...) wb_video_writer_push(w, &frame_hwc, &err);\n\
                  // optional sound (MP4): PCM (frames, channels), 1 or 2 channels, 1000-384000 Hz\n\
                  wb_video_writer_push_audio(w, &pcm_frames_ch, 44100, &err);\n\
                  wb_video_writer_finish(w, &video, &err);",
        matches: |n| starts(n, &["wb_video"]),
    },
    Section {
        title: "6. Audio",
        example: "wb_audio_from_tensor(&samples, 16000, &audio, &err);   // (frames) or (frames, channels)",
        matches: |n| starts(n, &["wb_audio"]),
    },
    Section {
        title: "7. Histograms",
        example: "wb_histogram_from_tensor(&weights, 64, &hist, &err);   // numpy.histogram, 64 bins",
        matches: |n| starts(n, &["wb_histogram"]),
    },
    Section {
        title: "8. Tables",
        example: "wb_table_new(\"[\\\"id\\\",\\\"image\\\"]\", NULL, &table, &err);\n\
                  wb_value *cells[2] = {id, img};\n\
                  wb_table_add_row(table, cells, 2, &err);",
        matches: |n| starts(n, &["wb_table", "wb_joined_table", "WB_TABLE"]),
    },
    Section {
        title: "9. Other media: Html, Object3D, Molecule, Plotly, Graph",
        example: "wb_html_from_string(\"<b>hi</b>\", true, &html, &err);\n\
                  wb_object3d_from_tensor(&points_n3, &cloud, &err);",
        matches: |n| {
            starts(
                n,
                &["wb_html", "wb_object3d", "wb_molecule", "wb_plotly", "wb_graph"],
            )
        },
    },
    Section {
        title: "10. Rows: values to the SDK's JSON, media files in a run directory",
        example: "wb_run_dir *dir; char *json;\n\
                  wb_run_dir_new(\"run/files\", &dir, &err);\n\
                  wb_row_to_json(row, dir, 0, &json, &err);   // step 0: {\"loss\":0.25,...}\n\
                  wb_string_free(json);",
        matches: |n| {
            matches!(
                n,
                "wb_run_dir" | "wb_run_dir_new" | "wb_run_dir_free" | "wb_run_dir_config_json"
            ) || starts(n, &["wb_value_to_json", "wb_value_to_summary", "wb_row_"])
        },
    },
    Section {
        title: "11. Runs: a whole run (wandb.init / run.log / run.finish)",
        example: "wb_run_options o = wb_run_options_default();\n\
                  o.project = \"demo\";\n\
                  wb_run *run;\n\
                  wb_run_open(\".\", &o, &run, &err);\n\
                  wb_run_log(run, row, WB_RUN_STEP_NONE, WB_RUN_COMMIT_DEFAULT, &err);\n\
                  wb_run_finish(run, 0, &err);               // exit code 0\n\
                  wb_run_free(run, &err);",
        matches: |_| true,
    },
];

/// Parameters declared as `int32_t` in Rust (so that any integer the caller passes is
/// defined behaviour on the Rust side) but typed as the C enum in the header (same ABI: C
/// enums are `int`). (function, parameter, enum).
const ENUM_PARAMS: &[(&str, &str, &str)] = &[
    ("wb_status_name", "status", "wb_status"),
    ("wb_set_log_handler", "min_level", "wb_log_level"),
    ("wb_run_save", "policy", "wb_save_policy"),
    ("wb_run_console_write", "stream", "wb_console_stream"),
];

/// The declared name of one cbindgen item (its code, doc comment removed).
fn item_name(code: &str) -> String {
    let code = code.trim();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    if let Some(rest) = code.strip_prefix("#define ") {
        return ident(rest);
    }
    if let Some(p) = code.find("(*") {
        return ident(&code[p + 2..]);
    }
    for kw in ["typedef enum ", "typedef struct ", "typedef union "] {
        if let Some(rest) = code.strip_prefix(kw) {
            return ident(rest);
        }
    }
    if let Some(rest) = code.strip_prefix("typedef ") {
        let before = rest.trim_end_matches(';');
        return before
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("")
            .to_string();
    }
    // a function: the identifier right before the first '('
    let p = code.find('(').unwrap_or(code.len());
    code[..p]
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("")
        .to_string()
}

fn is_type_item(code: &str) -> bool {
    let code = code.trim();
    code.starts_with("#define") || code.starts_with("typedef")
}

/// Regroups cbindgen's output by topic (see the module doc).
fn arrange(generated: &str) -> String {
    const MARK: &str = "#define WB_VERSION_STRING";
    let start = generated
        .find(MARK)
        .and_then(|p| generated[p..].find('\n').map(|q| p + q + 1))
        .expect("version block in the generated header");
    let (prologue, body) = generated.split_at(start);
    let mut sections: Vec<(Vec<String>, Vec<String>)> = vec![Default::default(); SECTIONS.len()];
    for chunk in body.split("\n\n") {
        let chunk = chunk.trim_matches('\n');
        if chunk.is_empty()
            || chunk.starts_with("#ifdef __cplusplus")
            || chunk.starts_with("#endif  /* WANDB_MEDIA_H")
        {
            continue;
        }
        let code: String = chunk
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                !(t.starts_with("/**") || t.starts_with("* ") || t == "*" || t.starts_with("*/"))
            })
            .collect::<Vec<_>>()
            .join("\n");
        let name = item_name(&code);
        let mut text = chunk.to_string();
        for (f, param, ty) in ENUM_PARAMS {
            if name == *f {
                let from = format!("int32_t {param}");
                assert!(text.contains(&from), "{f}: parameter {param} not found");
                text = text.replace(&from, &format!("enum {ty} {param}"));
            }
        }
        let idx = SECTIONS
            .iter()
            .position(|s| (s.matches)(&name))
            .expect("the last section takes everything");
        if is_type_item(&code) {
            sections[idx].0.push(text);
        } else {
            sections[idx].1.push(text);
        }
    }
    let mut out = String::from(prologue);
    out.push_str("\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n");
    for (s, (types, fns)) in SECTIONS.iter().zip(&sections) {
        if types.is_empty() && fns.is_empty() {
            continue;
        }
        let bar = "=".repeat(92);
        out.push_str(&format!("\n/* {bar}\n * {}\n *\n", s.title));
        for l in s.example.lines() {
            out.push_str(&format!(" *     {}\n", l.trim_end()).replace("  \n", "\n"));
        }
        out.push_str(&format!(" * {bar} */\n"));
        for item in types.iter().chain(fns) {
            out.push('\n');
            out.push_str(item);
            out.push('\n');
        }
    }
    out.push_str(
        "\n#ifdef __cplusplus\n}  // extern \"C\"\n#endif\n\n#endif  /* WANDB_MEDIA_H */\n",
    );
    out
}

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("version");
    let minor = env::var("CARGO_PKG_VERSION_MINOR").expect("version");
    let patch = env::var("CARGO_PKG_VERSION_PATCH").expect("version");

    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libwandb_media.so.{major}");
    }
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let mut config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    config.after_includes = Some(format!(
        "\n/** Version of the library these declarations belong to (checked against wb_version()). */\n\
         #define WB_VERSION_MAJOR {major}\n#define WB_VERSION_MINOR {minor}\n#define WB_VERSION_PATCH {patch}\n\
         #define WB_VERSION_STRING \"{major}.{minor}.{patch}\"\n"
    ));
    let out = crate_dir.join("include").join("wandb_media.h");
    let bindings = match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(b) => b,
        Err(e) => panic!("cbindgen failed to generate the header: {e}"),
    };
    let mut raw = Vec::new();
    bindings.write(&mut raw);
    let text = arrange(&String::from_utf8(raw).expect("UTF-8 header"));
    // only touch the file when the content changed (keeps dependants' mtimes)
    if std::fs::read_to_string(&out).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&out, text).expect("write include/wandb_media.h");
    }
}
