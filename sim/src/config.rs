//! What a simulator starts with: its settings and its fault rules, from a TOML file (the keys of
//! `Settings`, plus `faults`) and the command line. See docs/simulator.md, "Configuration file".

use crate::faults::FaultRule;
use crate::settings::Settings;
use serde_json::{json, Value};

#[derive(Clone, Debug, Default)]
pub struct Startup {
    pub settings: Settings,
    /// Rules in force from the first request on.
    pub faults: Vec<FaultRule>,
}

impl Startup {
    /// Applies a TOML document: top-level keys are settings (`SETTING_KEYS`), except `faults`, a
    /// list of rules, each a `PATH:KIND[:KEY=VALUE...]` string or a table of the same keys.
    pub fn apply_toml(&mut self, text: &str) -> Result<(), String> {
        let table: toml::Table = text.parse().map_err(|e| format!("invalid TOML: {e}"))?;
        let mut doc = toml_to_json(toml::Value::Table(table));
        let map = doc.as_object_mut().expect("a TOML document is a table");
        match map.remove("faults") {
            None => {}
            Some(Value::Array(rules)) => {
                for rule in &rules {
                    self.faults.push(FaultRule::from_json(rule).map_err(|e| format!("faults: {e}"))?);
                }
            }
            Some(_) => return Err("faults must be a list of rules".into()),
        }
        self.settings.apply(&doc)
    }

    /// Adds a rule given on the command line (`--fault`).
    pub fn add_fault(&mut self, spec: &str) -> Result<(), String> {
        self.faults.push(FaultRule::parse(spec)?);
        Ok(())
    }
}

fn toml_to_json(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::Fault;
    use crate::settings::{Dialect, Role};
    use std::time::Duration;

    #[test]
    fn toml_file_sets_every_kind_of_value() {
        let mut start = Startup::default();
        start
            .apply_toml(
                "security = false\ndialect = \"legacy\"\ntoken_ttl = 5\npath_separator = \";\"\n\
                 users = [\"a:b:data\", { name = \"m\", password = \"p\", roles = [\"monitor\"] }]\n",
            )
            .unwrap();
        let s = &start.settings;
        assert!(!s.security);
        assert_eq!(s.dialect, Dialect::Legacy);
        assert_eq!(s.token_ttl, Duration::from_secs(5));
        assert_eq!(s.path_separator, ";");
        assert_eq!(s.users.len(), 2);
        assert_eq!(s.users[1].roles, vec![Role::Monitor]);
        assert!(start.faults.is_empty());
    }

    #[test]
    fn faults_come_as_strings_or_tables() {
        let mut start = Startup::default();
        start
            .apply_toml(
                "op_duration_ms = 0\nfaults = [\"getResult:close-mid-body:after=65536:times=1\",\n\
                 { path = \"getProgress\", kind = \"delay\", ms = 250, times = \"always\" }]\n",
            )
            .unwrap();
        assert_eq!(start.faults.len(), 2);
        assert_eq!(start.faults[0].fault, Fault::CloseMidBody(65536));
        assert_eq!(
            (start.faults[1].fault.clone(), start.faults[1].remaining),
            (Fault::Delay(Duration::from_millis(250)), None)
        );
        assert!(Startup::default().apply_toml("faults = [\"x:meteor\"]").unwrap_err().contains("meteor"));
        assert!(Startup::default().apply_toml("faults = 3").is_err());
        assert!(Startup::default().apply_toml("nope = 1").unwrap_err().contains("unknown setting"));
    }
}
