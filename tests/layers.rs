//! The layer rule (docs/architecture.md, "Layers"): `src/wire` < `src/session` < `src/api` <
//! `src/ffi`. A module may use its own layer, the layers below it and `crate::error`; never a
//! layer above it, and nothing but `ffi` may use the `extern "C"` surface. Checked on the source
//! text, so the rule holds without anyone remembering it.

use std::path::{Path, PathBuf};

const LAYERS: [&str; 4] = ["wire", "session", "api", "ffi"];

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

/// The first segments of every `crate::` path in `source` (comments left out), with the line.
fn crate_paths(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a::x, b}`: the first segment of each member (one level is enough here).
                let inner = group.split('}').next().unwrap_or("");
                for member in inner.split(',') {
                    let first = member.trim().split("::").next().unwrap_or("").trim();
                    if !first.is_empty() {
                        found.push((n + 1, first.to_string()));
                    }
                }
            } else {
                let first: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                found.push((n + 1, first));
            }
        }
        if code.contains("super::super") {
            found.push((n + 1, "super::super".to_string()));
        }
    }
    found
}

/// What is wrong with a file of `layer` whose text is `source`.
fn violations(layer: &str, source: &str) -> Vec<String> {
    let own = rank(layer).expect("a layer");
    let mut wrong = Vec::new();
    for (line, first) in crate_paths(source) {
        let allowed = match first.as_str() {
            "error" => true,
            "super::super" => false,
            other => match rank(other) {
                Some(r) => r <= own,
                // A re-export at the crate root hides which layer a thing lives in: only the C
                // boundary may use them.
                None => layer == "ffi",
            },
        };
        if !allowed {
            wrong.push(format!("line {line}: uses crate::{first}"));
        }
    }
    wrong
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_layer_uses_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut report = Vec::new();
    let mut checked = 0;
    for layer in LAYERS {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "src/{layer} has no files");
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            checked += 1;
            for v in violations(layer, &source) {
                report.push(format!("{}: {v}", file.strip_prefix(&src).unwrap().display()));
            }
        }
    }
    assert!(checked > 20, "only {checked} files were checked");
    assert!(report.is_empty(), "the layer rule is broken:\n{}", report.join("\n"));
}

#[test]
fn the_vocabulary_uses_no_layer() {
    // Every layer, the wire included, uses src/error.rs: it may use none of them.
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/error.rs")).unwrap();
    let used: Vec<String> =
        crate_paths(&source).into_iter().map(|(line, first)| format!("line {line}: {first}")).collect();
    assert!(used.is_empty(), "src/error.rs uses the crate: {used:?}");
}

#[test]
fn only_the_layer_folders_and_the_vocabulary_are_at_the_root() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut root: Vec<String> =
        std::fs::read_dir(&src).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    root.sort();
    assert_eq!(root, ["api", "error.rs", "ffi", "lib.rs", "session", "wire"], "a new module belongs in a layer");
}

#[test]
fn the_checker_catches_what_it_must() {
    assert!(violations("wire", "use crate::session::client::Client;").len() == 1);
    assert!(violations("wire", "use crate::{error::Error, api::wait};").len() == 1);
    assert!(violations("session", "    let x = crate::api::fetch::STREAM_BUFFER;").len() == 1);
    assert!(violations("api", "use crate::ffi::wf_status;").len() == 1);
    assert!(violations("session", "use crate::Client;").len() == 1, "a root re-export");
    assert!(violations("api", "use super::super::ffi;").len() == 1);
    assert!(violations("wire", "// crate::api in a comment is fine\nuse crate::error::Result;").is_empty());
    assert!(violations("api", "use crate::{session::client::Client, wire::body};").is_empty());
    assert!(violations("ffi", "use crate::{Client, Fetched};\nuse crate::api::fetch;").is_empty());
}
