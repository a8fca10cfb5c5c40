//! The C names of the log levels (`wf_log_level_name`), from the one table in
//! src/session/log_level_table.rs that also gives the core's `LogLevel` and the header's enum.

macro_rules! log_level_table {
    ($($value:literal $variant:ident $c_name:ident $doc:literal;)*) => {
        /// The C name of a log level value with its NUL, e.g. "WF_LOG_WARN\0".
        pub(crate) fn log_level_name(value: i32) -> Option<&'static str> {
            match value {
                $($value => Some(concat!(stringify!($c_name), "\0")),)*
                _ => None,
            }
        }
    };
}

include!("../session/log_level_table.rs");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::log::LogLevel;

    #[test]
    fn names_match_the_core_levels() {
        for (level, c_name) in LogLevel::all() {
            assert_eq!(log_level_name(*level as i32).unwrap(), format!("{c_name}\0"));
        }
        assert_eq!(log_level_name(0), None);
        assert_eq!(log_level_name(5), None);
    }
}
