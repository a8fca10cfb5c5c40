//! All-In-One operations: validation of a configuration, their life cycle and what each result
//! endpoint answers (docs/rest-api.md, "All-In-One").

use crate::filestore::{FileStore, ResourceKind};
use crate::http::Response;
use crate::output::Body;
use crate::records::Records;
use crate::settings::{EarlyResult, Settings};
use crate::spool::{Format, Spool};
use crate::util::{epoch_millis, new_uuid};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

pub const STEPS: [&str; 4] = ["datamining", "contentcreation", "jobcreation", "outputcreation"];

/// What a finished operation yields, by its last step (docs/rest-api.md, "All-In-One").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    DataSet,
    ContentSet,
    JobSet,
    Output,
}

pub struct Operation {
    pub id: String,
    started: Instant,
    start_epoch_ms: u64,
    duration: Duration,
    steps: [bool; 4],
    template: Option<String>,
    outcome: Outcome,
    return_ids: bool,
    fail: Option<String>,
    data_set: Option<i64>,
    content_set: Option<i64>,
    job_set: Option<i64>,
    spool: Spool,
    managed_folder: Option<u64>,
    /// The File Store references (ids or names) of the resources it uses.
    pub uses: Vec<String>,
}

/// Rejection of a configuration: status, message, parameter.
pub type Rejection = (u16, String, Option<String>);

fn reject(status: u16, message: impl Into<String>, parameter: Option<&str>) -> Rejection {
    (status, message.into(), parameter.map(str::to_string))
}

fn reference(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `sim_*` runtime parameters a test may put in any step's `parameters` object.
fn sim_parameter<'a>(config: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    STEPS.iter().find_map(|s| config.get(*s)?.get("parameters")?.get(key))
}

/// The records an operation's output renders: those of its data file when it maps data, else
/// one per record ID (content creation) or job ID (output creation) the configuration lists.
fn records_of(config: &Map<String, Value>, store: &FileStore, maps_data: bool) -> Records {
    if maps_data {
        let data = reference(config["datamining"].get("identifier")).and_then(|r| store.find(&r));
        return data.map(|e| Records::from_data(&e.name, e.data())).unwrap_or_default();
    }
    for (step, label) in [("contentcreation", "Data record ID"), ("outputcreation", "Job ID")] {
        let ids: Vec<String> = config
            .get(step)
            .and_then(|s| s.get("identifiers"))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| reference(Some(v))).collect())
            .unwrap_or_default();
        if !ids.is_empty() {
            return Records::from_ids(label, &ids);
        }
    }
    Records::default()
}

impl Operation {
    /// Validates a JSON All-In-One configuration against the File Store and makes the operation.
    pub fn from_config(
        config: &Value,
        store: &FileStore,
        settings: &Settings,
        entity_ids: &mut impl FnMut() -> i64,
    ) -> Result<Operation, Rejection> {
        let config = config
            .as_object()
            .ok_or_else(|| reject(400, "The All-In-One configuration must be a JSON object", None))?;
        for key in config.keys() {
            if !STEPS.contains(&key.as_str()) && key != "printRange" && key != "returnIdInHeader" {
                return Err(reject(400, format!("Unknown All-In-One configuration key '{key}'"), Some(key)));
            }
        }
        let steps = STEPS.map(|s| config.contains_key(s));
        let first = steps
            .iter()
            .position(|&b| b)
            .ok_or_else(|| reject(500, "The configuration names no workflow step", None))?;
        let last = steps.iter().rposition(|&b| b).unwrap_or(first);
        if steps[first..=last].iter().any(|&b| !b) || first == 2 {
            let named: Vec<&str> = STEPS.iter().zip(steps).filter(|(_, b)| *b).map(|(s, _)| *s).collect();
            return Err(reject(
                500,
                format!("Invalid sequence of workflow steps: {} do not form a logical sequence", named.join(" + ")),
                None,
            ));
        }
        for (i, step) in STEPS.iter().enumerate() {
            if steps[i] && !config[*step].is_object() {
                return Err(reject(400, format!("Step '{step}' must be a JSON object"), Some(step)));
            }
        }
        let check = |step: &str,
                     field: &str,
                     kind: ResourceKind,
                     what: &str,
                     required: bool|
         -> Result<Option<String>, Rejection> {
            match reference(config[step].get(field)) {
                Some(r) if store.has(&r, kind) => Ok(Some(r)),
                Some(r) => Err(reject(400, format!("{what} '{r}' could not be found in the File Store"), Some(&r))),
                None if required => Err(reject(400, format!("{what} is missing: '{step}.{field}' is required"), None)),
                None => Ok(None),
            }
        };
        let ids_present =
            |step: &str| config[step].get("identifiers").is_some_and(|v| v.as_array().is_some_and(|a| !a.is_empty()));
        if steps[0] {
            check("datamining", "identifier", ResourceKind::DataFile, "Datafile", true)?;
            check("datamining", "config", ResourceKind::DataMapper, "Datamapper config", true)?;
        }
        let mut template = None;
        if steps[1] {
            if !steps[0] && !ids_present("contentcreation") {
                return Err(reject(
                    400,
                    "contentcreation.identifiers (data record IDs) are required without datamining",
                    None,
                ));
            }
            template = check("contentcreation", "config", ResourceKind::Template, "Template ", true)?;
        }
        if steps[2] {
            check("jobcreation", "config", ResourceKind::JobPreset, "Job preset config", false)?;
        }
        let mut preset = None;
        if steps[3] {
            if !steps[1] && !ids_present("outputcreation") {
                return Err(reject(
                    400,
                    "outputcreation.identifiers (job IDs) are required without contentcreation",
                    None,
                ));
            }
            preset = check("outputcreation", "config", ResourceKind::OutputPreset, "Output creation config", true)?;
        }
        let preset_name =
            preset.as_deref().and_then(|p| store.find(p)).map(|e| e.name.to_ascii_lowercase()).unwrap_or_default();
        let number =
            |key: &str| sim_parameter(config, key).and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
        let spool_files =
            number("sim_spool_files").unwrap_or(if preset_name.contains("split") { 3 } else { 1 }).max(1) as usize;
        let outcome = [Outcome::DataSet, Outcome::ContentSet, Outcome::JobSet, Outcome::Output][last];
        let id = new_uuid();
        let records = if steps[3] { records_of(config, store, steps[0]) } else { Records::default() };
        let spool = Spool::new(
            Format::of_preset(&preset_name),
            spool_files,
            number("sim_output_size").or(settings.output_size),
            records,
            &id,
            settings,
        );
        Ok(Operation {
            id,
            started: Instant::now(),
            start_epoch_ms: epoch_millis(),
            duration: number("sim_duration_ms").map(Duration::from_millis).unwrap_or(settings.op_duration),
            steps,
            template,
            outcome,
            return_ids: config.get("returnIdInHeader").and_then(Value::as_bool).unwrap_or(false),
            fail: sim_parameter(config, "sim_fail").and_then(Value::as_str).map(str::to_string),
            data_set: steps[0].then(&mut *entity_ids),
            content_set: steps[1].then(&mut *entity_ids),
            job_set: steps[2].then(&mut *entity_ids),
            spool,
            managed_folder: None,
            uses: Vec::new(),
        })
    }

    pub fn is_done(&self) -> bool {
        self.started.elapsed() >= self.duration
    }

    fn done_since(&self) -> Option<Duration> {
        self.started.elapsed().checked_sub(self.duration)
    }

    pub fn remaining(&self) -> Duration {
        self.duration.saturating_sub(self.started.elapsed())
    }

    pub fn percent(&self) -> u64 {
        if self.duration.is_zero() {
            return 100;
        }
        ((self.started.elapsed().as_millis() * 100) / self.duration.as_millis()).min(100) as u64
    }

    /// `getProgress`: `0`..`100`, then `done`; `None` when the operation is gone (field behaviour).
    pub fn progress(&self, settings: &Settings) -> Option<String> {
        match (self.done_since(), settings.progress_gone_after) {
            (Some(since), Some(grace)) if since >= grace => None,
            (Some(_), _) => Some("done".to_string()),
            (None, _) => Some(self.percent().min(99).to_string()),
        }
    }

    /// An entry of the JSON Operations List (docs/rest-api.md, "All-In-One").
    pub fn list_entry(&self) -> Value {
        let pct = self.percent();
        let sub_task = if !self.steps[0] || pct >= 25 { "Content Creation" } else { "Extracting data" };
        let mut v = json!({
            "id": self.id, "type": "PrintRestService", "subTask": format!("{sub_task} {pct}%"),
            "startTime": self.start_epoch_ms, "progress": pct,
        });
        if let Some(t) = &self.template {
            v["template"] = json!(t);
        }
        v
    }

    fn spool_paths(&self, settings: &Settings) -> Vec<String> {
        let dir = settings.spool_dir.trim_end_matches('/');
        self.spool.names().into_iter().map(|n| format!("{dir}/{}/{n}", self.id)).collect()
    }

    fn entity_id(&self) -> i64 {
        match self.outcome {
            Outcome::DataSet => self.data_set,
            Outcome::ContentSet => self.content_set,
            Outcome::JobSet => self.job_set,
            Outcome::Output => None,
        }
        .unwrap_or(0)
    }

    fn add_id_headers(&self, mut r: Response, result_type: &str) -> Response {
        if !self.return_ids {
            return r;
        }
        for (name, id) in
            [("X-Data-Set-ID", self.data_set), ("X-Content-Set-ID", self.content_set), ("X-Job-Set-ID", self.job_set)]
        {
            if let Some(id) = id {
                r = r.with_header(name, id.to_string());
            }
        }
        r.with_header("X-Result-Type", result_type)
    }

    fn entity_type(&self) -> &'static str {
        match self.outcome {
            Outcome::DataSet => "Data-Set-ID",
            Outcome::ContentSet => "Content-Set-ID",
            _ => "Job-Set-ID",
        }
    }

    /// `getResult` (octet-stream): an entity ID, one spool file's bytes, or the spool paths.
    pub fn result(&self, settings: &Settings) -> Response {
        if let Some(fail) = self.failed() {
            return fail;
        }
        if self.outcome != Outcome::Output {
            let r =
                Response::new(200, "application/octet-stream", Body::Bytes(self.entity_id().to_string().into_bytes()));
            return self.add_id_headers(r, self.entity_type());
        }
        if self.spool.files == 1 {
            return match self.spool.content(0, settings) {
                Ok(part) => self.add_id_headers(
                    Response::new(200, "application/octet-stream", Body::Parts(vec![part])),
                    "Output-Streamed",
                ),
                Err(e) => Response::error(500, &format!("Output file cannot be read: {e}"), None),
            };
        }
        let paths = self.spool_paths(settings).join(&settings.path_separator);
        self.add_id_headers(
            Response::new(200, "application/octet-stream", Body::Bytes(paths.into_bytes())),
            "Output-Local-Filepath",
        )
    }

    /// `getResultTxt` (text/plain): an entity ID or the spool paths, never file content.
    pub fn result_text(&self, settings: &Settings) -> Response {
        if let Some(fail) = self.failed() {
            return fail;
        }
        if self.outcome != Outcome::Output {
            return self.add_id_headers(Response::text(200, self.entity_id().to_string()), self.entity_type());
        }
        let paths = self.spool_paths(settings).join(&settings.path_separator);
        self.add_id_headers(Response::text(200, paths), "Output-Local-Filepath")
    }

    /// `getManagedResult`: `{identifier, files}` of the output folder in the File Store.
    pub fn managed_result(&mut self, store: &mut FileStore) -> Response {
        if let Some(fail) = self.failed() {
            return fail;
        }
        if self.outcome != Outcome::Output {
            return Response::error(
                400,
                "The operation produced no output to manage (its last step is not outputcreation)",
                Some(&self.id),
            );
        }
        let names = self.spool.names();
        let folder = match self.managed_folder {
            Some(id) => id,
            None => {
                let id = store.add_output_folder(&format!("output-{}", self.id), self.spool.clone());
                self.managed_folder = Some(id);
                id
            }
        };
        let body = json!({ "identifier": folder, "files": names }).to_string().into_bytes();
        self.add_id_headers(Response::json(200, body), "Output-Managed-Info")
    }

    fn failed(&self) -> Option<Response> {
        self.fail.as_ref().map(|m| Response::error(500, m, Some(&self.id)))
    }

    /// What the result endpoints answer before completion, when `early_result` is `error`.
    pub fn early(&self, settings: &Settings) -> Option<Response> {
        (!self.is_done() && settings.early_result == EarlyResult::Error).then(|| {
            Response::error(
                500,
                &format!("Operation {} has not completed yet: poll getProgress until it answers done", self.id),
                Some(&self.id),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(config: Value) -> Result<Operation, Rejection> {
        let mut n = 0;
        Operation::from_config(&config, &FileStore::demo(), &Settings::default(), &mut || {
            n += 1;
            n
        })
    }

    #[test]
    fn every_documented_step_combination_is_accepted() {
        let dm = json!({"identifier": "invoices.csv", "config": "Invoice.OL-datamapper"});
        let cc = json!({"config": "Invoice.OL-template", "identifiers": [1]});
        let jc = json!({});
        let oc = json!({"config": "Invoice-PDF.OL-outputpreset", "identifiers": [1]});
        let cases = [
            (json!({"datamining": dm}), Outcome::DataSet),
            (json!({"datamining": dm, "contentcreation": cc}), Outcome::ContentSet),
            (json!({"contentcreation": cc}), Outcome::ContentSet),
            (json!({"datamining": dm, "contentcreation": cc, "jobcreation": jc}), Outcome::JobSet),
            (json!({"contentcreation": cc, "jobcreation": jc}), Outcome::JobSet),
            (json!({"contentcreation": cc, "jobcreation": jc, "outputcreation": oc}), Outcome::Output),
            (json!({"outputcreation": oc}), Outcome::Output),
            (
                json!({"datamining": dm, "contentcreation": cc, "jobcreation": jc, "outputcreation": oc}),
                Outcome::Output,
            ),
        ];
        for (config, outcome) in cases {
            assert_eq!(make(config.clone()).map(|o| o.outcome).ok(), Some(outcome), "{config}");
        }
    }

    #[test]
    fn broken_sequences_and_missing_resources_are_rejected() {
        let dm = json!({"identifier": "invoices.csv", "config": "Invoice.OL-datamapper"});
        let oc = json!({"config": "Invoice-PDF.OL-outputpreset", "identifiers": [1]});
        assert_eq!(make(json!({"datamining": dm, "outputcreation": oc})).err().unwrap().0, 500);
        assert_eq!(make(json!({"jobcreation": {}})).err().unwrap().0, 500);
        assert_eq!(make(json!({})).err().unwrap().0, 500);
        let (status, msg, param) =
            make(json!({"datamining": {"identifier": "x.csv", "config": "Invoice.OL-datamapper"}})).err().unwrap();
        assert_eq!((status, param.as_deref()), (400, Some("x.csv")));
        assert!(msg.contains("Datafile"));
        let (status, msg, _) =
            make(json!({"datamining": dm, "contentcreation": {"config": "Nope.OL-template"}})).err().unwrap();
        assert!(status == 400 && msg.contains("Template "));
        assert_eq!(make(json!({"datamining": dm, "bogus": 1})).err().unwrap().0, 400);
        assert_eq!(make(json!([1, 2])).err().unwrap().0, 400);
        assert_eq!(make(json!({"datamining": 5})).err().unwrap().0, 400);
    }

    #[test]
    fn progress_goes_from_numbers_to_done_to_gone() {
        let mut settings = Settings::default();
        let mut op = make(json!({"datamining": {"identifier": 1001, "config": 1002}})).unwrap();
        op.duration = Duration::from_secs(3600);
        assert_eq!(op.progress(&settings).as_deref(), Some("0"));
        op.duration = Duration::ZERO;
        assert_eq!(op.progress(&settings).as_deref(), Some("done"));
        settings.progress_gone_after = Some(Duration::ZERO);
        assert_eq!(op.progress(&settings), None);
    }
}
