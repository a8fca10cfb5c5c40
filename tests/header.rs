//! The committed header matches the one build.rs generates, and its version macros match
//! Cargo.toml and the library.

use std::ffi::CStr;

const COMMITTED: &str = include_str!("../include/olconnect_wf.h");
const GENERATED: &str = include_str!(env!("WF_GENERATED_HEADER"));

#[test]
fn committed_header_is_up_to_date() {
    // `make header` runs this test with WF_WRITE_HEADER=1: the same generated text is written over
    // the committed copy, so the refresh and the check can never disagree.
    if std::env::var_os("WF_WRITE_HEADER").is_some() {
        let committed = concat!(env!("CARGO_MANIFEST_DIR"), "/include/olconnect_wf.h");
        std::fs::write(committed, GENERATED).expect("include/olconnect_wf.h is writable");
        return;
    }
    assert!(
        COMMITTED == GENERATED,
        "include/olconnect_wf.h differs from the header generated from the sources ({}).\n\
         Refresh the committed copy with `make header` and commit it.",
        env!("WF_GENERATED_HEADER")
    );
}

fn define(name: &str) -> String {
    COMMITTED
        .lines()
        .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
        .unwrap_or_else(|| panic!("#define {name} missing from the header"))
        .trim()
        .to_string()
}

#[test]
fn version_macros_match_the_crate() {
    assert_eq!(define("WF_VERSION"), format!("\"{}\"", env!("CARGO_PKG_VERSION")));
    assert_eq!(define("WF_VERSION_MAJOR"), env!("CARGO_PKG_VERSION_MAJOR"));
    assert_eq!(define("WF_VERSION_MINOR"), env!("CARGO_PKG_VERSION_MINOR"));
    assert_eq!(define("WF_VERSION_PATCH"), env!("CARGO_PKG_VERSION_PATCH"));
    let v = unsafe { CStr::from_ptr(olconnect_wf::ffi::wf_version()) }.to_str().unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    assert_eq!(define("WF_ABI_VERSION"), olconnect_wf::ffi::wf_abi_version().to_string());
    // The combined macro, computed as a C compiler would.
    // The combined macro packs one byte per component: each must fit, and PATCH must be used.
    assert_eq!(
        define("WF_VERSION_NUMBER"),
        "(((WF_VERSION_MAJOR) << 16) | ((WF_VERSION_MINOR) << 8) | (WF_VERSION_PATCH))"
    );
    for part in ["WF_VERSION_MINOR", "WF_VERSION_PATCH"] {
        assert!(define(part).parse::<u32>().unwrap() < 256, "{part} does not fit WF_VERSION_NUMBER");
    }
}

/// The `NAME = value` lines of a C enum in the committed header.
fn enum_rows(name: &str) -> Vec<(String, i32)> {
    let body = COMMITTED.split(&format!("enum {name}\n")).nth(1).expect("enum in the header");
    let body = &body[..body.find("};").unwrap()];
    body.lines()
        .filter_map(|l| l.trim().strip_suffix(',')?.split_once(" = "))
        .map(|(n, v)| (n.to_string(), v.parse().unwrap()))
        .collect()
}

#[test]
fn status_names_are_those_of_the_header_enum() {
    let rows = enum_rows("wf_status");
    assert!(rows.len() >= 16);
    for (name, value) in rows {
        let got = unsafe { CStr::from_ptr(olconnect_wf::ffi::wf_status_name(value)) };
        assert_eq!(got.to_str().unwrap(), name);
    }
    let unknown = unsafe { CStr::from_ptr(olconnect_wf::ffi::wf_status_name(-1)) };
    assert_eq!(unknown.to_str().unwrap(), "WF_UNKNOWN_STATUS");
}

#[test]
fn result_types_are_those_of_the_header_enum() {
    let rows = enum_rows("wf_result_type");
    let all = olconnect_wf::ResultType::all();
    assert_eq!(rows.len(), all.len());
    for ((name, value), (t, c_name)) in rows.iter().zip(all) {
        assert_eq!((name.as_str(), *value), (*c_name, *t as i32));
    }
}

#[test]
fn log_levels_are_those_of_the_header_enum() {
    let rows = enum_rows("wf_log_level");
    let all = olconnect_wf::LogLevel::all();
    assert_eq!(rows.len(), all.len());
    for ((name, value), (level, c_name)) in rows.iter().zip(all) {
        assert_eq!((name.as_str(), *value), (*c_name, *level as i32));
    }
}

#[test]
fn languages_are_those_of_the_header_enum() {
    let rows = enum_rows("wf_language");
    let all = olconnect_wf::error::Language::ALL;
    assert_eq!(rows.len(), all.len());
    for ((name, value), lang) in rows.iter().zip(all) {
        assert_eq!((name.as_str(), *value), (lang.c_name(), lang as i32));
    }
    assert!(COMMITTED.contains("wf_status wf_client_set_message_language(wf_client *client, wf_language language);"));
}

#[test]
fn resource_kinds_are_those_of_the_header_enum() {
    let rows = enum_rows("wf_resource_kind");
    let all = olconnect_wf::ResourceKind::all();
    assert_eq!(rows.len(), all.len());
    for ((name, value), (kind, c_name)) in rows.iter().zip(all) {
        assert_eq!((name.as_str(), *value), (*c_name, *kind as i32));
    }
    // Typed, so that C++ passes it where wf_upload expects a wf_resource_kind.
    assert!(COMMITTED.contains("#define WF_RESOURCE_FROM_NAME (wf_resource_kind)0"));
    assert!(
        COMMITTED.contains("wf_status wf_upload(const wf_client *client,\n                    wf_resource_kind kind,")
    );
}

#[test]
fn log_level_names_are_those_of_the_header_enum() {
    let rows = enum_rows("wf_log_level");
    assert!(rows.len() >= 4);
    for (name, value) in rows {
        let got = unsafe { CStr::from_ptr(olconnect_wf::ffi::wf_log_level_name(value)) };
        assert_eq!(got.to_str().unwrap(), name);
    }
    for other in [0, -1, 5, i32::MAX] {
        let got = unsafe { CStr::from_ptr(olconnect_wf::ffi::wf_log_level_name(other)) };
        assert_eq!(got.to_str().unwrap(), "WF_UNKNOWN_LOG_LEVEL");
    }
}

/// Each function declaration of the header as one line: its name and its parameter list.
fn declarations() -> Vec<(String, String)> {
    let mut code = String::new();
    let mut rest = COMMITTED;
    while let Some(start) = rest.find("/*") {
        code.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("comments end") + start + 2;
        rest = &rest[end..];
    }
    code.push_str(rest);
    let code: String = code.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n");
    let flat = code.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    for part in flat.split(';') {
        let part = part.trim();
        let Some(open) = part.find('(') else { continue };
        if part.contains("typedef") || !part.ends_with(')') {
            continue;
        }
        let head = &part[..open];
        let name = head.rsplit([' ', '*']).next().unwrap_or("");
        if name.starts_with("wf_") {
            out.push((name.to_string(), part[open + 1..part.len() - 1].to_string()));
        }
    }
    out
}

/// A handle argument is `const` unless the call changes the handle: it frees it, or changes the
/// client's settings (credentials, connection options). docs/c-contract.md, "Const handles".
#[test]
fn handles_are_const_unless_the_call_changes_them() {
    let decls = declarations();
    assert!(decls.len() > 50, "found {} declarations", decls.len());
    let changes_client = |name: &str| {
        name == "wf_client_free"
            || name == "wf_client_login"
            || name == "wf_client_clear_auth"
            || name.starts_with("wf_client_set_")
    };
    let mut wrong = Vec::new();
    for (name, params) in &decls {
        let first = params.split(',').next().unwrap_or("").trim();
        let mutable = |ty: &str| first.starts_with(&format!("{ty} *")) && !first.starts_with(&format!("{ty} **"));
        let bad = (mutable("wf_client") && !changes_client(name))
            || (mutable("wf_result") && name != "wf_result_free")
            || (mutable("wf_abort") && name != "wf_abort_free");
        if bad {
            wrong.push(format!("{name}({first}, ...)"));
        }
    }
    assert!(wrong.is_empty(), "these calls do not change the handle: make it const: {wrong:?}");
    let get_result = decls.iter().find(|(n, _)| n == "wf_get_result").expect("wf_get_result declared");
    assert!(get_result.1.starts_with("const wf_client *client"), "{get_result:?}");
}
