//! Generates the C header into OUT_DIR with cbindgen. The committed copy in `include/` is
//! compared with it by `tests/header.rs`; `make header` refreshes it.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("olconnect_wf.h");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let version = env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let major: u32 = env::var("CARGO_PKG_VERSION_MAJOR").unwrap().parse().unwrap();
    let minor: u32 = env::var("CARGO_PKG_VERSION_MINOR").unwrap().parse().unwrap();
    let patch: u32 = env::var("CARGO_PKG_VERSION_PATCH").unwrap().parse().unwrap();
    let version_macros = format!(
        "\n/* Version of this header; wf_version() gives the library's. */\n\
         #define WF_VERSION \"{version}\"\n\
         #define WF_VERSION_MAJOR {major}\n\
         #define WF_VERSION_MINOR {minor}\n\
         #define WF_VERSION_PATCH {patch}\n\
         #define WF_VERSION_NUMBER (((WF_VERSION_MAJOR) << 16) | ((WF_VERSION_MINOR) << 8) | (WF_VERSION_PATCH))\n"
    );
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .with_after_include(version_macros)
        .generate()
        .expect("cbindgen generates the header")
        .write_to_file(&out);
    println!("cargo:rustc-env=WF_GENERATED_HEADER={}", out.display());
}
