//! Secrets the library does not know in every form are cut out of what olcwf prints: the proxy
//! password, as given and as percent-encoded in the proxy URL (the library scrubs the form it
//! was handed; the other form must not slip through a message or a -v line either).

use std::sync::Mutex;

/// A secret shorter than this is not cut out of a line (that would mangle it): the line is
/// withheld whole.
const SHORTEST_CUT: usize = 4;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Adds a secret to cut out of every line printed from now on.
pub fn add(secret: &str) {
    if !secret.is_empty() {
        SECRETS.lock().unwrap_or_else(|e| e.into_inner()).push(secret.to_string());
    }
}

/// `text` with every secret replaced by `<redacted>`.
pub fn clean(text: &str) -> String {
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // Longest first, so that a secret is cut out whole before a shorter one inside it.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_string();
    for secret in &secrets {
        if out.contains(secret.as_str()) {
            if secret.len() < SHORTEST_CUT {
                return "(a line withheld: it contained the proxy password)".to_string();
            }
            out = out.replace(secret.as_str(), "<redacted>");
        }
    }
    if secrets.iter().any(|s| out.contains(s.as_str())) {
        return "(a line withheld: it contained the proxy password)".to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_cut_out_and_a_short_one_withholds_the_line() {
        add("Pr0xy:p@ss");
        add("Pr0xy%3Ap%40ss");
        assert_eq!(clean("a Pr0xy:p@ss b Pr0xy%3Ap%40ss"), "a <redacted> b <redacted>");
        add("xy");
        assert!(clean("proxy").starts_with("(a line withheld"));
        assert_eq!(clean("nothing here"), "nothing here");
    }
}
