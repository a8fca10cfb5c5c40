//! Messages speak the client's language (docs/c-contract.md, "Messages"): a hint of what to
//! call or set names the C function by default, and the Python, .NET or CLI words once the
//! client's language is chosen; the rest of the message does not change.

mod common;
use common::scripted::Scripted;
use common::*;
use olconnect_wf::error::Language;
use olconnect_wf::{CallControls, Transfer};
use std::ffi::{CStr, CString};
use std::sync::Arc;
use std::time::Duration;

fn no_c_name(lang: Language, message: &str) {
    if lang != Language::C {
        assert!(!message.contains("wf_") && !message.contains("WF_"), "{lang:?} names a C function: {message}");
    }
}

#[test]
fn missing_credentials_say_where_to_give_them_in_each_language() {
    let sim = sim();
    let c = Client::new(&sim.url()).unwrap();
    let view = c.with_controls(CallControls::default()); // made before the setting: shares it
    for (lang, words) in [
        (Language::C, "wf_client_login"),
        (Language::Python, "username= and password="),
        (Language::DotNet, "Login()"),
        (Language::Cli, "--user"),
    ] {
        c.set_message_language(lang);
        let e = view.server_version().unwrap_err();
        assert_eq!(e.status, Status::AuthRequired, "{}", e.message);
        assert!(e.message.contains(words), "{lang:?}: {}", e.message);
        no_c_name(lang, &e.message);
    }
}

#[test]
fn a_timeout_says_how_to_raise_the_limit_in_python_words() {
    let silent = Scripted::start(|_, _| std::thread::sleep(Duration::from_secs(3)));
    let c = Client::new(&silent.url()).unwrap();
    c.set_timeouts(1000, 200);
    for (lang, words) in [(Language::C, "wf_client_set_timeouts"), (Language::Python, "timeout=")] {
        c.set_message_language(lang);
        let e = c.server_version().unwrap_err();
        assert_eq!(e.status, Status::Timeout, "{}", e.message);
        assert!(e.message.contains(words), "{lang:?}: {}", e.message);
        no_c_name(lang, &e.message);
    }
}

#[test]
fn a_call_stopped_by_its_transfer_callback_says_so_in_the_callers_words() {
    let sim = sim();
    let c = basic_client(&sim);
    let stop: olconnect_wf::wire::interrupt::TransferFn = Arc::new(|_: &Transfer| false);
    let view = c.with_controls(CallControls { on_transfer: Some(stop), ..Default::default() });
    let e = view.server_version().unwrap_err();
    assert_eq!(e.status, Status::Aborted);
    assert!(e.message.contains("stopped by its transfer callback"), "{}", e.message);
    c.set_message_language(Language::Python);
    let e = view.server_version().unwrap_err();
    assert_eq!(e.status, Status::Aborted);
    assert!(e.message.contains("interrupted (Ctrl-C"), "{}", e.message);
    assert!(!e.message.contains("transfer callback"), "{}", e.message);
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(olconnect_wf::ffi::wf_last_error_message()) }.to_string_lossy().into_owned()
}

#[test]
fn the_c_function_sets_the_language_and_refuses_an_unknown_one() {
    use olconnect_wf::ffi::client::*;
    use olconnect_wf::ffi::result::*;
    use olconnect_wf::ffi::wf_status;
    use olconnect_wf::ffi::workflow::*;
    let sim = sim();
    let url = CString::new(sim.url()).unwrap();
    let (user, pass) = (CString::new(USER).unwrap(), CString::new(PASSWORD).unwrap());
    let mut c = std::ptr::null_mut();
    unsafe {
        assert_eq!(wf_client_new(url.as_ptr(), &mut c), wf_status::WF_OK);
        assert_eq!(wf_client_set_message_language(c, 4), wf_status::WF_INVALID_ARGUMENT);
        assert_eq!(wf_client_set_message_language(c, -1), wf_status::WF_INVALID_ARGUMENT);
        assert_eq!(wf_client_set_message_language(std::ptr::null_mut(), 1), wf_status::WF_INVALID_ARGUMENT);
        assert_eq!(wf_client_set_basic_auth(c, user.as_ptr(), pass.as_ptr()), wf_status::WF_OK);
        assert_eq!(wf_client_set_kept_body_limit(c, 0), wf_status::WF_OK);
        // A result too large for the buffer and for the (empty) budget of kept bodies: the
        // message made at the C boundary names where the budget is set and the streaming calls.
        let config = CString::new(print_config("Invoice-PDF.OL-outputpreset", r#""sim_output_size":5000"#)).unwrap();
        let mut expect = Vec::new();
        for (lang, words) in [(1, "kept_body_limit="), (0, "wf_client_set_kept_body_limit")] {
            assert_eq!(wf_client_set_message_language(c, lang), wf_status::WF_OK);
            let mut op = [0u8; 128];
            let mut op_len = op.len();
            assert_eq!(wf_submit(c, config.as_ptr(), op.as_mut_ptr().cast(), &mut op_len), wf_status::WF_OK);
            assert_eq!(wf_wait(c, op.as_ptr().cast(), 10_000, None, std::ptr::null_mut()), wf_status::WF_OK);
            let mut buf = [0u8; 16];
            let mut len = buf.len();
            let status = wf_get_result(c, op.as_ptr().cast(), buf.as_mut_ptr().cast(), &mut len);
            assert_eq!(status, wf_status::WF_BUFFER_TOO_SMALL);
            let message = last_error();
            assert!(message.contains(words), "{lang}: {message}");
            expect.push(message);
        }
        assert!(!expect[0].contains("wf_") && expect[0].contains("get_result_to_file()"), "{}", expect[0]);
        assert!(expect[1].contains("wf_get_result_to_file"), "{}", expect[1]);
        wf_client_free(c);
    }
}
