//! The committed header matches the one build.rs generates, and its version macros match
//! Cargo.toml and the library.

use std::ffi::CStr;

const COMMITTED: &str = include_str!("../include/olconnect_wf.h");
const GENERATED: &str = include_str!(env!("WF_GENERATED_HEADER"));

#[test]
fn committed_header_is_up_to_date() {
    assert!(
        COMMITTED == GENERATED,
        "include/olconnect_wf.h differs from the header generated from the sources ({}).\n\
         Refresh the committed copy with `make header` (or copy that file over it) and commit it.",
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

#[test]
fn every_exported_function_is_declared() {
    for name in [
        "wf_version",
        "wf_abi_version",
        "wf_status_name",
        "wf_last_error_message",
        "wf_last_http_status",
        "wf_client_new",
        "wf_client_free",
        "wf_client_set_basic_auth",
        "wf_client_set_token",
        "wf_client_login",
        "wf_client_clear_auth",
        "wf_client_set_timeouts",
        "wf_client_set_tls_ca_file",
        "wf_client_set_tls_insecure",
        "wf_client_set_proxy",
        "wf_get_result",
        "wf_get_result_ex",
        "wf_result_data",
        "wf_result_type_of",
        "wf_result_data_set_id",
        "wf_result_content_set_id",
        "wf_result_job_set_id",
        "wf_result_path_count",
        "wf_result_path",
        "wf_result_free",
        "wf_get_result_stream",
        "wf_get_result_to_file",
        "wf_submit",
        "wf_get_progress",
        "wf_wait",
        "wf_cancel",
        "wf_get_result_text",
        "wf_get_managed_result",
        "wf_get_operations",
        "wf_server_version",
        "wf_download_managed",
    ] {
        assert!(
            COMMITTED.contains(&format!(" {name}(")) || COMMITTED.contains(&format!("*{name}(")),
            "{name} is not in the header"
        );
    }
}
