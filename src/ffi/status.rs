//! `wf_status`, generated with its conversion from the core's `Status` and its names from the
//! one table in status_table.rs (which build.rs also turns into the C enum of the header).

use crate::error::Status;

macro_rules! status_table {
    ($($value:literal $name:ident [$($core:ident)?] $doc:literal;)*) => {
        /// Status of every fallible call (the C enum is written into the header by build.rs
        /// from the same table).
        #[repr(i32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum wf_status {
            $(#[doc = $doc] $name = $value,)*
        }

        impl From<Status> for wf_status {
            fn from(s: Status) -> wf_status {
                match s {
                    $($(Status::$core => wf_status::$name,)?)*
                }
            }
        }

        /// The name of a status value with its NUL, e.g. "WF_NOT_FOUND\0".
        pub(crate) fn status_name(value: i32) -> Option<&'static str> {
            match value {
                $($value => Some(concat!(stringify!($name), "\0")),)*
                _ => None,
            }
        }
    };
}

include!("status_table.rs");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_variants() {
        for (value, status) in [(0, wf_status::WF_OK), (6, wf_status::WF_NOT_FOUND), (99, wf_status::WF_INTERNAL_ERROR)]
        {
            assert_eq!(status as i32, value);
            assert_eq!(status_name(value).unwrap(), format!("{status:?}\0"));
        }
        assert_eq!(status_name(16), None);
        assert_eq!(wf_status::from(Status::OutOfMemory), wf_status::WF_OUT_OF_MEMORY);
    }
}
