// The one table of log levels: value, core variant, C name and the documentation the header
// carries. Expanded by `log_level_table!` in src/session/log.rs (`LogLevel`) and by build.rs (the C enum
// `wf_log_level` in the header).
log_level_table! {
    1 Error WF_LOG_ERROR "A call failed; the line is its error message.";
    2 Warn WF_LOG_WARN "Something went wrong and was handled: a refused connection retried, a re-login and replay.";
    3 Info WF_LOG_INFO "One line per HTTP exchange: method, path, status, announced length, time to the answer.";
    4 Debug WF_LOG_DEBUG "Details beyond one line per exchange.";
}
