//! Just enough JSON to read the server's JSON Error object (spec §3) without a JSON crate:
//! a strict parser into a small value tree, bounded in depth.

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn parse(text: &str) -> Option<Json> {
        let mut p = Parser { s: text.as_bytes(), i: 0, depth: 0 };
        let v = p.value()?;
        p.ws();
        (p.i == p.s.len()).then_some(v)
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Strings as they are, numbers without a needless `.0`; `None` for other kinds.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(format!("{}", *n as i64)),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &[u8]) -> Option<()> {
        self.s[self.i..].starts_with(lit).then(|| self.i += lit.len())
    }

    fn value(&mut self) -> Option<Json> {
        self.ws();
        match *self.s.get(self.i)? {
            b'n' => self.eat(b"null").map(|_| Json::Null),
            b't' => self.eat(b"true").map(|_| Json::Bool(true)),
            b'f' => self.eat(b"false").map(|_| Json::Bool(false)),
            b'"' => self.string().map(Json::String),
            b'[' => self.nested(|p| {
                let mut items = Vec::new();
                p.ws();
                if p.eat(b"]").is_some() {
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(p.value()?);
                    p.ws();
                    if p.eat(b"]").is_some() {
                        return Some(Json::Array(items));
                    }
                    p.eat(b",")?;
                }
            }),
            b'{' => self.nested(|p| {
                let mut members = Vec::new();
                p.ws();
                if p.eat(b"}").is_some() {
                    return Some(Json::Object(members));
                }
                loop {
                    p.ws();
                    let key = p.string()?;
                    p.ws();
                    p.eat(b":")?;
                    members.push((key, p.value()?));
                    p.ws();
                    if p.eat(b"}").is_some() {
                        return Some(Json::Object(members));
                    }
                    p.eat(b",")?;
                }
            }),
            _ => self.number(),
        }
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self) -> Option<Json>) -> Option<Json> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.i += 1;
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        while self.i < self.s.len() && matches!(self.s[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        if text.is_empty() || text.starts_with('+') {
            return None;
        }
        text.parse().ok().map(Json::Number)
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
        self.i += 4;
        u32::from_str_radix(h, 16).ok()
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b"\"")?;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i] != b'"' && self.s[self.i] != b'\\' && self.s[self.i] >= 0x20 {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).ok()?);
            match *self.s.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.i += 1;
                    let c = *self.s.get(self.i)?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xd800..0xdc00).contains(&cp) {
                                self.eat(b"\\u")?;
                                let low = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&low) {
                                    return None;
                                }
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                            }
                            out.push(char::from_u32(cp)?);
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_json_error_object() {
        let v = Json::parse(r#"{"error":{"status":404,"message":"Operation not found","parameter":"a\u00e9\"b"}}"#)
            .unwrap();
        let e = v.get("error").unwrap();
        assert_eq!(e.get("status").unwrap().as_text().unwrap(), "404");
        assert_eq!(e.get("message").unwrap().as_text().unwrap(), "Operation not found");
        assert_eq!(e.get("parameter").unwrap().as_text().unwrap(), "a\u{e9}\"b");
    }

    #[test]
    fn rejects_malformed_and_too_deep_input() {
        for bad in ["", "{", "{\"a\" 1}", "[1,]", "\"\\x\"", "nul", "{} x", "+1", "\"\u{1}\""] {
            assert!(Json::parse(bad).is_none(), "{bad:?}");
        }
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert!(Json::parse(&deep).is_none());
        assert_eq!(
            Json::parse(" [1, 2.5, true, null, {}] ").unwrap(),
            Json::Array(vec![Json::Number(1.0), Json::Number(2.5), Json::Bool(true), Json::Null, Json::Object(vec![])])
        );
        assert_eq!(Json::parse("\"\\ud83d\\ude00\"").unwrap(), Json::String("\u{1F600}".into()));
    }
}
