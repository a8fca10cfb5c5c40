//! Generates the C header into OUT_DIR with cbindgen, plus the C enums that come from the one
//! tables in src/ffi/status_table.rs, src/session/result_type_table.rs and src/session/log_level_table.rs (the
//! library expands the same tables into its Rust enums). The committed copy in `include/` is compared with the
//! generated one by `tests/header.rs`; `make header` refreshes it from the same file.

use std::env;
use std::fmt::Write;
use std::path::PathBuf;

macro_rules! status_table {
    ($($value:literal $name:ident [$($core:ident)?] $doc:literal;)*) => {
        &[$(($value, stringify!($name), $doc)),*]
    };
}

macro_rules! result_type_table {
    ($($value:literal $variant:ident $c_name:ident [$($header:literal)?] $doc:literal;)*) => {
        &[$(($value, stringify!($c_name), $doc)),*]
    };
}

macro_rules! log_level_table {
    ($($value:literal $variant:ident $c_name:ident $doc:literal;)*) => {
        &[$(($value, stringify!($c_name), $doc)),*]
    };
}

macro_rules! resource_kind_table {
    ($($value:literal $variant:ident $c_name:ident $endpoint:literal $content_type:literal $extension:literal $doc:literal;)*) => {
        &[$(($value, stringify!($c_name), $doc)),*]
    };
}

const STATUSES: &[(i32, &str, &str)] = include!("src/ffi/status_table.rs");
const RESOURCE_KINDS: &[(i32, &str, &str)] = include!("src/api/resource_kind_table.rs");
const LOG_LEVELS: &[(i32, &str, &str)] = include!("src/session/log_level_table.rs");
const RESULT_TYPES: &[(i32, &str, &str)] = include!("src/session/result_type_table.rs");
/// The languages of messages, as `Language` in src/error.rs numbers them (tests/header.rs
/// compares the two).
const LANGUAGES: &[(i32, &str, &str)] = &[
    (0, "WF_LANGUAGE_C", "C: hints name the C functions (`wf_client_set_timeouts`). The default."),
    (
        1,
        "WF_LANGUAGE_PYTHON",
        "Python: hints name the arguments and methods of the olconnect_wf package (`timeout=`, `login()`).",
    ),
    (2, "WF_LANGUAGE_DOTNET", ".NET: hints name the members of OLConnect.Workflow (`ReadTimeout`, `Login()`)."),
    (3, "WF_LANGUAGE_CLI", "The olcwf command line: hints name its options and variables (`--read-timeout`)."),
];

/// A doxygen comment block, wrapped at 100 columns, at the given indentation.
fn doc_block(out: &mut String, indent: &str, text: &str) {
    let width = 100 - indent.len() - 3;
    out.push_str(indent);
    out.push_str("/**\n");
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            writeln!(out, "{indent} * {line}").unwrap();
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    writeln!(out, "{indent} * {line}").unwrap();
    writeln!(out, "{indent} */").unwrap();
}

/// A C enum with a fixed `int32_t` representation, written as cbindgen writes its enums.
fn c_enum(name: &str, doc: &str, rows: &[(i32, &str, &str)]) -> String {
    let mut out = String::from("\n");
    doc_block(&mut out, "", doc);
    let cond = "defined(__cplusplus) || __STDC_VERSION__ >= 202311L";
    writeln!(out, "enum {name}\n#if {cond}\n  : int32_t\n#endif // {cond}\n {{").unwrap();
    for (value, variant, doc) in rows {
        doc_block(&mut out, "  ", doc);
        writeln!(out, "  {variant} = {value},").unwrap();
    }
    writeln!(out, "}};").unwrap();
    writeln!(
        out,
        "#ifndef __cplusplus\n#if __STDC_VERSION__ >= 202311L\ntypedef enum {name} {name};\n#else\ntypedef int32_t {name};\n#endif // __STDC_VERSION__ >= 202311L\n#endif // __cplusplus"
    )
    .unwrap();
    out
}

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("olconnect_wf.h");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let version = env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let major: u32 = env::var("CARGO_PKG_VERSION_MAJOR").unwrap().parse().unwrap();
    let minor: u32 = env::var("CARGO_PKG_VERSION_MINOR").unwrap().parse().unwrap();
    let patch: u32 = env::var("CARGO_PKG_VERSION_PATCH").unwrap().parse().unwrap();
    let mut after_includes = format!(
        "\n/* Version of this header; wf_version() gives the library's. */\n\
         #define WF_VERSION \"{version}\"\n\
         #define WF_VERSION_MAJOR {major}\n\
         #define WF_VERSION_MINOR {minor}\n\
         #define WF_VERSION_PATCH {patch}\n\
         #define WF_VERSION_NUMBER (((WF_VERSION_MAJOR) << 16) | ((WF_VERSION_MINOR) << 8) | (WF_VERSION_PATCH))\n"
    );
    after_includes.push_str(&c_enum(
        "wf_status",
        "Status of every fallible call. Values are fixed: new ones are appended, none renumbered.",
        STATUSES,
    ));
    after_includes.push_str(&c_enum(
        "wf_result_type",
        "What the body of a result holds, from the `X-Result-Type` header (sent by 2023.1+ servers when the configuration had `\"returnIdInHeader\": true`).",
        RESULT_TYPES,
    ));
    after_includes.push_str(&c_enum("wf_log_level", "How much a line given to the log hook matters.", LOG_LEVELS));
    after_includes.push_str(&c_enum(
        "wf_resource_kind",
        "What a File Store upload is (wf_upload; WF_RESOURCE_FROM_NAME chooses from the file name).",
        RESOURCE_KINDS,
    ));
    after_includes.push_str(&c_enum(
        "wf_language",
        "The language of a client's messages (wf_client_set_message_language): what a message tells the caller to call or set is named in the words of that language.",
        LANGUAGES,
    ));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is valid");
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .with_after_include(after_includes.trim_end())
        .generate()
        .expect("cbindgen generates the header")
        .write_to_file(&out);
    println!("cargo:rustc-env=WF_GENERATED_HEADER={}", out.display());
    // The shared library's SONAME carries the major version: programs link against
    // libolconnect_wf.so.MAJOR, so a minor or patch release replaces it in place.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libolconnect_wf.so.{major}");
    }
}
