//! Connection handling, fault selection and the router of the REST API; the `/sim/` control
//! routes are in `control`, the request log in `requestlog`, the shared state in `state`.

use crate::accesslog::{self, Counted, Exchange};
use crate::auth;
use crate::control;
use crate::faults::Fault;
use crate::filestore::ResourceKind;
use crate::http::{read_request, write_response, ReadError, Request, Response, Wire};
use crate::settings::{Dialect, Role, Settings};
use crate::state::Shared;
use crate::util::percent_decode;
use crate::workflow::Operation;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const PREFIX: &str = "/rest/serverengine";

pub fn accept_loop(listener: TcpListener, shared: Arc<Shared>, tls: Option<Arc<rustls::ServerConfig>>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        shared.connections.fetch_add(1, Ordering::Relaxed);
        let shared = shared.clone();
        let tls = tls.clone();
        let _ = thread::Builder::new().name("sim-conn".into()).spawn(move || handle_connection(stream, &shared, tls));
    }
}

fn handle_connection(stream: TcpStream, shared: &Shared, tls: Option<Arc<rustls::ServerConfig>>) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(120)));
    let peer = stream.peer_addr().ok();
    match tls {
        None => serve(BufReader::with_capacity(64 * 1024, stream), shared, peer),
        Some(config) => {
            let Ok(conn) = rustls::ServerConnection::new(config) else { return };
            serve(BufReader::with_capacity(64 * 1024, rustls::StreamOwned::new(conn, stream)), shared, peer)
        }
    }
}

/// Writes an answer, then its access log line when the log is on (`log`: who asked what, since when).
fn answer(
    stream: &mut dyn Wire,
    resp: &Response,
    head_only: bool,
    fault: Option<&Fault>,
    log: (&Shared, Option<SocketAddr>, Option<&Request>, Instant),
) -> std::io::Result<bool> {
    let (shared, peer, request, started) = log;
    let mut counted = Counted { inner: stream, written: 0 };
    let result = write_response(&mut counted, resp, head_only, fault);
    if shared.settings.read().unwrap().access_log {
        let took = started.elapsed();
        accesslog::log(&Exchange { peer, request, status: resp.status, bytes: counted.written, took, fault });
    }
    result
}

fn serve<S: Wire>(mut reader: BufReader<S>, shared: &Shared, peer: Option<SocketAddr>) {
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        let max_body = shared.settings.read().unwrap().max_body;
        let body_fault = |path: &str| take_fault(shared, path, true);
        // The clock of the access log starts with the request's first byte, not the idle wait.
        if reader.fill_buf().map_or(true, |b| b.is_empty()) {
            return;
        }
        let started = Instant::now();
        let req = match read_request(&mut reader, max_body, &body_fault) {
            Ok(r) => r,
            Err(ReadError::Closed) => return,
            Err(ReadError::Bad(status, msg)) => {
                let resp = Response::error(status, &msg, None).with_header("Connection", "close");
                let _ = answer(reader.get_mut(), &resp, false, None, (shared, peer, None, started));
                return;
            }
        };
        shared.requests.fetch_add(1, Ordering::Relaxed);
        let head_only = req.method == "HEAD";
        let (resp, fault) = if req.path.starts_with("/sim/") && shared.settings.read().unwrap().control {
            (control::handle(shared, &req), None)
        } else {
            shared.log.record(shared.settings.read().unwrap().log_capacity, &req);
            let fault = take_fault(shared, &req.path, false);
            let resp = match &fault {
                Some(Fault::Error500Json(m)) => Response::error(500, m, None),
                Some(Fault::Error500Text(m)) => Response::text(500, m.clone()),
                Some(Fault::Unavailable) => Response::error(503, "Service temporarily unavailable, try again", None),
                _ => route(shared, &req),
            };
            (resp, fault)
        };
        let resp = if req.close { resp.with_header("Connection", "close") } else { resp };
        match answer(reader.get_mut(), &resp, head_only, fault.as_ref(), (shared, peer, Some(&req), started)) {
            Ok(true) if !req.close => continue,
            _ => return,
        }
    }
}

fn operation_in(path: &str) -> Option<String> {
    let rest = path.strip_prefix(PREFIX)?.strip_prefix("/workflow/print/")?;
    let (verb, id) = rest.split_once('/')?;
    matches!(verb, "getProgress" | "getResult" | "getResultTxt" | "getManagedResult" | "cancel")
        .then(|| percent_decode(id))?
}

/// Takes the first fault rule for this request, among those that act while its body is read
/// (`on_body`) or among the others.
fn take_fault(shared: &Shared, path: &str, on_body: bool) -> Option<Fault> {
    let mut faults = shared.faults.lock().unwrap();
    if faults.is_empty() {
        return None;
    }
    let op = operation_in(path);
    let i = faults.iter().position(|r| r.fault.on_request_body() == on_body && r.matches(path, op.as_deref()))?;
    let fault = faults[i].fault.clone();
    if let Some(n) = faults[i].remaining.as_mut() {
        *n -= 1;
        if *n == 0 {
            faults.remove(i);
        }
    }
    Some(fault)
}

fn method_not_allowed(allowed: &str) -> Response {
    Response::error(405, &format!("Method not allowed here; use {allowed}"), None).with_header("Allow", allowed)
}

fn not_found_op(id: &str) -> Response {
    Response::error(404, "Operation not found in Server", Some(id))
}

const DATA: &[Role] = &[Role::Data];
const WATCH: &[Role] = &[Role::Data, Role::Monitor];
const FILES: &[Role] = &[Role::Data, Role::Resource];

fn route(shared: &Shared, req: &Request) -> Response {
    let settings = shared.settings();
    let Some(path) = req.path.strip_prefix(PREFIX) else {
        return Response::error(404, &format!("No resource at {}", req.path), None);
    };
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let m = req.method.as_str();
    let is_get = m == "GET" || m == "HEAD";
    let guarded = |roles: &[Role], handler: &dyn Fn() -> Response| match auth::check(shared, &settings, req, roles) {
        Ok(()) => handler(),
        Err(denied) => denied,
    };
    match segments.as_slice() {
        ["authentication"] if is_get => {
            guarded(&[], &|| Response::text(200, "Server Engine REST Service available: AuthenticationRestService"))
        }
        ["authentication"] => method_not_allowed("GET, HEAD"),
        ["authentication", "login"] if m == "POST" => auth::login(shared, &settings, req),
        ["authentication", "login"] => method_not_allowed("POST"),
        ["authentication", "version"] | ["workflow", "print", "version"] if is_get => {
            guarded(&[], &|| Response::text(200, settings.server_version.clone()))
        }
        ["workflow", "print"] if is_get => {
            guarded(WATCH, &|| Response::text(200, "Server Engine REST Service available: PrintRestService"))
        }
        ["workflow", "print", "submit"] if m == "POST" => guarded(DATA, &|| submit(shared, &settings, req)),
        ["workflow", "print", "getOperations"] if is_get && !settings.operations_list => {
            guarded(WATCH, &|| Response::error(404, "getOperations is not served (operations_list = false)", None))
        }
        ["workflow", "print", "getOperations"] if is_get => guarded(WATCH, &|| operations(shared)),
        ["workflow", "print", "getProgress", id] if is_get => {
            guarded(WATCH, &|| with_id(id, |id| progress(shared, &settings, id)))
        }
        ["workflow", "print", verb @ ("getResult" | "getResultTxt" | "getManagedResult"), id] if m == "POST" => {
            guarded(DATA, &|| with_id(id, |id| result(shared, &settings, verb, id)))
        }
        ["workflow", "print", "cancel", id] if m == "POST" => guarded(DATA, &|| with_id(id, |id| cancel(shared, id))),
        ["workflow", "print", "getProgress" | "getOperations" | "version", ..] => method_not_allowed("GET"),
        ["workflow", "print", "submit" | "getResult" | "getResultTxt" | "getManagedResult" | "cancel", ..] => {
            method_not_allowed("POST")
        }
        ["workflow", "print", dm, tpl, jc, oc] if m == "POST" => {
            guarded(DATA, &|| adhoc(shared, &settings, req, [dm, tpl, jc, oc]))
        }
        ["filestore", "file", id, rel @ ..] if is_get => guarded(FILES, &|| download(shared, &settings, id, rel)),
        ["filestore", kind @ ("DataFile" | "DataMiningConfig" | "template" | "JobCreationConfig" | "OutputCreationConfig")]
            if m == "POST" =>
        {
            guarded(FILES, &|| upload(shared, &settings, req, kind))
        }
        ["filestore", "delete", id] if m == "GET" || m == "POST" => guarded(FILES, &|| delete(shared, &settings, id)),
        _ => Response::error(404, &format!("No resource at {}", req.path), None),
    }
}

fn with_id(raw: &str, f: impl FnOnce(&str) -> Response) -> Response {
    match percent_decode(raw) {
        Some(id) if !id.is_empty() => f(&id),
        _ => Response::error(400, "Malformed operation id in the path", Some(raw)),
    }
}

fn new_operation(shared: &Shared, settings: &Settings, config: &Value) -> Result<Operation, Response> {
    let mut store = shared.store.lock().unwrap();
    // Only when clean-up is on: listing what runs costs a pass over every operation ever submitted.
    if settings.cleanup_after.is_some() {
        store.clean_up(settings.cleanup_after, &running_references(shared));
    }
    let mut op =
        Operation::from_config(config, &store, settings, &mut || shared.next_entity.fetch_add(1, Ordering::Relaxed))
            .map_err(|(status, msg, param)| Response::error(status, &msg, param.as_deref()))?;
    // The File Store resources it uses, by the references the configuration gave.
    op.uses = ["datamining", "contentcreation", "jobcreation", "outputcreation"]
        .iter()
        .flat_map(|step| ["identifier", "config"].map(|k| config[step][k].clone()))
        .filter_map(|v| match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    Ok(op)
}

fn accepted(shared: &Shared, op: Operation) -> Response {
    let id = op.id.clone();
    shared.ops.lock().unwrap().insert(id.clone(), op);
    let base = format!("{PREFIX}/workflow/print");
    Response::empty(202).with_header("operationId", id.clone()).with_header(
        "Link",
        format!("<{base}/getProgress/{id}>; rel=\"progress\", <{base}/getResult/{id}>; rel=\"result\", <{base}/cancel/{id}>; rel=\"cancel\""),
    )
}

fn submit(shared: &Shared, settings: &Settings, req: &Request) -> Response {
    let config: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => return Response::error(400, &format!("Malformed JSON All-In-One configuration: {e}"), None),
    };
    match new_operation(shared, settings, &config) {
        Ok(op) => accepted(shared, op),
        Err(resp) => resp,
    }
}

fn adhoc(shared: &Shared, settings: &Settings, req: &Request, refs: [&&str; 4]) -> Response {
    let decoded: Option<Vec<String>> = refs.iter().map(|r| percent_decode(r)).collect();
    let Some([dm, tpl, jc, oc]) = decoded.as_deref() else {
        return Response::error(400, "Malformed resource reference in the path", None);
    };
    let flag = |name: &str, default: bool| req.query(name).map_or(default, |v| v.eq_ignore_ascii_case("true"));
    let name =
        req.query("filename").map(str::to_string).unwrap_or_else(|| format!("adhoc-{}.dat", crate::util::new_uuid()));
    let data_id = shared.store.lock().unwrap().add_data_file(&name, &req.body);
    let mut config = json!({
        "datamining": { "identifier": data_id, "config": dm },
        "contentcreation": { "config": tpl },
        "jobcreation": if jc == "0" { json!({}) } else { json!({ "config": jc }) },
        "outputcreation": { "config": oc, "createOnly": flag("createOnly", false) },
    });
    if let Some(range) = req.query("printRange") {
        config["printRange"] = json!(range);
    }
    let op = match new_operation(shared, settings, &config) {
        Ok(op) => op,
        Err(resp) => return resp,
    };
    if flag("async", true) {
        return accepted(shared, op);
    }
    thread::sleep(op.remaining());
    if flag("resultAsTxt", false) {
        op.result_text(settings)
    } else {
        op.result(settings)
    }
}

fn operations(shared: &Shared) -> Response {
    let ops = shared.ops.lock().unwrap();
    let list: Vec<Value> = ops.values().filter(|o| !o.is_done()).map(Operation::list_entry).collect();
    Response::json(200, Value::Array(list).to_string().into_bytes())
}

fn progress(shared: &Shared, settings: &Settings, id: &str) -> Response {
    match shared.ops.lock().unwrap().get(id).map(|op| op.progress(settings)) {
        Some(Some(p)) => Response::text(200, p),
        _ => not_found_op(id),
    }
}

fn result(shared: &Shared, settings: &Settings, verb: &str, id: &str) -> Response {
    loop {
        let mut ops = shared.ops.lock().unwrap();
        let Some(op) = ops.get_mut(id) else { return not_found_op(id) };
        if let Some(early) = op.early(settings) {
            return early;
        }
        if !op.is_done() {
            let wait = op.remaining().min(Duration::from_millis(50));
            drop(ops);
            thread::sleep(wait);
            continue;
        }
        let resp = match verb {
            "getResult" => op.result(settings),
            "getResultTxt" => op.result_text(settings),
            _ => op.managed_result(&mut shared.store.lock().unwrap()),
        };
        if settings.delete_after_read && resp.status == 200 {
            ops.remove(id);
        }
        return resp;
    }
}

fn cancel(shared: &Shared, id: &str) -> Response {
    match shared.ops.lock().unwrap().remove(id) {
        Some(_) => Response::empty(204),
        None => not_found_op(id),
    }
}

/// `POST /filestore/{kind}?filename=&persistent=`: stores the body; answers its id as text.
fn upload(shared: &Shared, settings: &Settings, req: &Request, endpoint: &str) -> Response {
    if req.body.is_empty() && settings.dialect == Dialect::Modern {
        return Response::error(400, "no data", None);
    }
    let kind = match endpoint {
        "DataMiningConfig" => ResourceKind::DataMapper,
        "template" => ResourceKind::Template,
        "JobCreationConfig" => ResourceKind::JobPreset,
        "OutputCreationConfig" => ResourceKind::OutputPreset,
        _ => ResourceKind::DataFile,
    };
    let persistent = req.query("persistent").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let name =
        req.query("filename").map(str::to_string).unwrap_or_else(|| format!("upload-{}", crate::util::new_uuid()));
    let mut store = shared.store.lock().unwrap();
    // Only when clean-up is on: listing what runs costs a pass over every operation ever submitted.
    if settings.cleanup_after.is_some() {
        store.clean_up(settings.cleanup_after, &running_references(shared));
    }
    match store.add_upload(&name, kind, req.body.clone(), persistent, settings.upload_store_limit) {
        Some(id) => Response::text(200, id.to_string()),
        None => Response::error(500, "The File Store is full (upload_store_limit)", Some(&name)),
    }
}

/// The File Store references (ids and names) of the operations still running.
fn running_references(shared: &Shared) -> Vec<String> {
    shared.ops.lock().unwrap().values().filter(|op| !op.is_done()).flat_map(|op| op.uses.clone()).collect()
}

/// `/filestore/delete/{id}`: true when deleted; 404 unknown; a file a running operation uses is
/// "still required" (400 JSON in the modern dialect, false in the legacy one).
fn delete(shared: &Shared, settings: &Settings, id: &str) -> Response {
    let Some(id) = percent_decode(id) else {
        return Response::error(400, "Malformed File Store reference", None);
    };
    let running = running_references(shared);
    let mut store = shared.store.lock().unwrap();
    match store.delete(&id, &running) {
        None => Response::error(404, "Managed file or directory not found in the File Store", Some(&id)),
        Some(true) => Response::text(200, "true"),
        Some(false) if settings.dialect == Dialect::Modern => {
            Response::error(400, "Deletion failed: the file is still required by OL Connect", Some(&id))
        }
        Some(false) => Response::text(200, "false"),
    }
}

fn download(shared: &Shared, settings: &Settings, id: &str, rel: &[&str]) -> Response {
    let (Some(id), Some(rel)) = (percent_decode(id), rel.iter().map(|s| percent_decode(s)).collect::<Option<Vec<_>>>())
    else {
        return Response::error(400, "Malformed File Store reference", None);
    };
    let rel = (!rel.is_empty()).then(|| rel.join("/"));
    match shared.store.lock().unwrap().download(&id, rel.as_deref(), settings) {
        Some(Ok((body, name, ctype))) => Response::new(200, ctype, body)
            .with_header("Content-Disposition", format!("attachment; filename={name}"))
            .with_header("OL-Original-Filename", name),
        Some(Err(e)) => Response::error(500, &format!("File Store entry cannot be read: {e}"), Some(&id)),
        None => Response::error(404, "Managed file or directory not found in the File Store", Some(&id)),
    }
}
