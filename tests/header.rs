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
    assert!(COMMITTED.contains("#define WF_RESOURCE_FROM_NAME 0"));
}
