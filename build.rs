//! Generates `include/wandb_media.h` with cbindgen on every build (checked in; CI fails if a
//! fresh build changes it) and sets the shared library's SONAME.

use std::env;
use std::path::PathBuf;

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
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            // write_to_file only touches the file when the content changed
            bindings.write_to_file(&out);
        }
        Err(e) => panic!("cbindgen failed to generate the header: {e}"),
    }
}
