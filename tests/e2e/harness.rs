//! The real parts of the end-to-end tests: the local AWS emulator (moto behind tests/e2e/aws_emulator.py),
//! a Lambda Runtime API server, and the release binary started as Lambda starts it.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python of the pinned test tools: `E2E_PYTHON`, or .venv-test's.
pub fn python() -> PathBuf {
    let python = std::env::var("E2E_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest_dir().join(".venv-test/bin/python"));
    assert!(
        python.exists(),
        "{python:?} not found: run `make tools` (or `make e2e`) first"
    );
    python
}

/// The Security Hub actions a template grants (its `- securityhub:...` lines).
pub fn security_hub_grants(template: &str) -> std::collections::BTreeSet<String> {
    std::fs::read_to_string(manifest_dir().join(template))
        .unwrap()
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- securityhub:"))
        .map(|action| format!("securityhub:{action}"))
        .collect()
}

/// The release command line the tests run: `MSK_MTLS_RULE_BIN`, or target/release's.
pub fn binary() -> PathBuf {
    let binary = std::env::var("MSK_MTLS_RULE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest_dir().join("target/release/msk-mtls-rule"));
    assert!(
        binary.exists(),
        "{binary:?} not found: run `make build` first"
    );
    binary
}

/// The release Lambda function the tests start as Lambda does: `msk-mtls-rule-lambda`, beside the
/// command line.
pub fn lambda_binary() -> PathBuf {
    release_beside_the_cli("msk-mtls-rule-lambda")
}

/// The scheduled probe's release function: `msk-mtls-rule-probe`, beside the command line.
pub fn probe_binary() -> PathBuf {
    release_beside_the_cli("msk-mtls-rule-probe")
}

fn release_beside_the_cli(name: &str) -> PathBuf {
    let binary = binary().with_file_name(name);
    assert!(
        binary.exists(),
        "{binary:?} not found: run `make build` first"
    );
    binary
}

/// The release binary as a user runs a command against the emulator: the caller's credentials (and
/// `region`) in the environment, the emulator as every endpoint, nothing else of this machine's.
pub fn cli_against(emulator: &Emulator, region: Option<&str>) -> Command {
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .env("AWS_ACCESS_KEY_ID", "AKIAE2EEXAMPLEKEY000")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "e2e-secret-access-key-must-not-be-logged",
        )
        .env("AWS_ENDPOINT_URL", emulator.endpoint())
        .env("AWS_EC2_METADATA_DISABLED", "true");
    if let Some(region) = region {
        command.env("AWS_REGION", region);
    }
    command
}

/// The moto-based emulator, one per test, on a free loopback port.
pub struct Emulator {
    child: Child,
    pub port: u16,
}

impl Emulator {
    pub fn start() -> Emulator {
        let mut child = Command::new(python())
            .arg(manifest_dir().join("tests/e2e/aws_emulator.py"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the AWS emulator");
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first_line)
            .unwrap();
        let port = first_line
            .strip_prefix("READY ")
            .and_then(|port| port.trim().parse().ok())
            .unwrap_or_else(|| panic!("emulator did not start: {first_line:?}"));
        Emulator { child, port }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn control(&self, path: &str, body: Value) -> Value {
        http_request(self.port, "POST", path, &body.to_string()).1
    }

    /// Every AWS call the emulator saw: `{operation, status, fault}`.
    pub fn calls(&self) -> Vec<Value> {
        let answer = http_request(self.port, "GET", "/_e2e/calls", "").1;
        answer["calls"].as_array().unwrap().clone()
    }

    pub fn calls_to(&self, operation: &str) -> Vec<Value> {
        self.calls()
            .into_iter()
            .filter(|c| c["operation"] == operation)
            .collect()
    }

    /// The evaluations that reached moto, read back from moto's request recorder.
    pub fn recorded_evaluations(&self) -> Vec<Value> {
        let answer = http_request(self.port, "GET", "/_e2e/recorded-evaluations", "").1;
        answer["requests"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|request| {
                request["Evaluations"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A one-shot HTTP/1.1 request with `Connection: close`; returns the status and the JSON body.
fn http_request(port: u16, method: &str, path: &str, body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// What the function posted back for an invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Response(Value),
    Error { error_type: String, message: String },
}

/// The body of a successful invocation; a failed one panics with its error.
pub fn response(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Response(body) => body,
        Outcome::Error {
            error_type,
            message,
        } => panic!("invocation failed: {error_type}: {message}"),
    }
}

#[derive(Default)]
struct RuntimeState {
    queue: VecDeque<(String, Vec<u8>, u64)>,
    outcomes: HashMap<String, Outcome>,
    init_error: Option<String>,
    /// When each `GET /next` arrived: the first one ends the function's init.
    polls: Vec<Instant>,
    /// When each request's event was written to the function, and when its outcome came back.
    served: HashMap<String, Instant>,
    answered: HashMap<String, Instant>,
}

/// A Lambda Runtime API server: events go out through `/next`; responses and errors come back
/// through `/response` and `/error`, with the request-id, deadline and function-ARN headers.
pub struct RuntimeApi {
    pub port: u16,
    state: Arc<(Mutex<RuntimeState>, Condvar)>,
    next_id: Mutex<u64>,
}

impl RuntimeApi {
    pub fn start() -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state: Arc<(Mutex<RuntimeState>, Condvar)> = Arc::default();
        let shared = state.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                thread::spawn(move || serve_connection(stream, state));
            }
        });
        RuntimeApi {
            port,
            state,
            next_id: Mutex::new(0),
        }
    }

    /// Queues an event with a deadline `timeout` from now and waits for the function's outcome.
    pub fn invoke(&self, event: &Value, timeout: Duration) -> Outcome {
        self.invoke_timed(event, timeout).0
    }

    /// Waits for the function's first `GET /next` (its init done) and returns when it arrived.
    pub fn wait_for_first_poll(&self, timeout: Duration) -> Instant {
        let (lock, ready) = &*self.state;
        let (state, _) = ready
            .wait_timeout_while(lock.lock().unwrap(), timeout, |state| {
                state.polls.is_empty()
            })
            .unwrap();
        *state
            .polls
            .first()
            .expect("the function never polled the Runtime API")
    }

    /// `invoke`, with the time from the event written to the function to its outcome received.
    pub fn invoke_timed(&self, event: &Value, timeout: Duration) -> (Outcome, Duration) {
        self.invoke_raw(
            event.to_string().into_bytes(),
            deadline_in(timeout),
            timeout,
        )
    }

    /// Queues a payload as given (it may be anything Lambda would accept) with a deadline in epoch
    /// milliseconds (it may have passed), and waits up to `timeout` + 30 s for the outcome.
    pub fn invoke_raw(
        &self,
        payload: Vec<u8>,
        deadline_ms: u64,
        timeout: Duration,
    ) -> (Outcome, Duration) {
        let id = {
            let mut next = self.next_id.lock().unwrap();
            *next += 1;
            format!("e2e-request-{next}")
        };
        let (lock, ready) = &*self.state;
        lock.lock()
            .unwrap()
            .queue
            .push_back((id.clone(), payload, deadline_ms));
        ready.notify_all();
        let wait_until = Instant::now() + timeout + Duration::from_secs(30);
        let mut state = lock.lock().unwrap();
        loop {
            if let Some(outcome) = state.outcomes.remove(&id) {
                let served = state.served.remove(&id).unwrap();
                let answered = state.answered.remove(&id).unwrap();
                return (outcome, answered - served);
            }
            if let Some(error) = &state.init_error {
                panic!("function reported an init error: {error}");
            }
            let left = wait_until.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no outcome for {id}: the function hung past its deadline"
            );
            state = ready.wait_timeout(state, left).unwrap().0;
        }
    }
}

fn serve_connection(stream: TcpStream, state: Arc<(Mutex<RuntimeState>, Condvar)>) {
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let body = read_body(&mut reader, &headers);
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let path = path.trim_start_matches("/2018-06-01/runtime/");
        let (lock, ready) = &*state;
        let reply = if method == "GET" && path == "invocation/next" {
            let mut guard = lock.lock().unwrap();
            guard.polls.push(Instant::now());
            ready.notify_all();
            let (id, event, deadline) = loop {
                if let Some(next) = guard.queue.pop_front() {
                    break next;
                }
                guard = ready.wait(guard).unwrap();
            };
            drop(guard);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: {id}\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:msk-mtls-rule\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1\r\n\
                 Content-Length: {}\r\n\r\n",
                event.len()
            );
            let mut reply = head.into_bytes();
            reply.extend(event);
            if writer.write_all(&reply).is_err() {
                return;
            }
            lock.lock().unwrap().served.insert(id, Instant::now());
            continue;
        } else if method == "POST" && path.starts_with("invocation/") {
            let mut segments = path.split('/');
            let id = segments.nth(1).unwrap_or("").to_owned();
            let outcome = match segments.next() {
                Some("response") => {
                    Outcome::Response(serde_json::from_slice(&body).unwrap_or(Value::Null))
                }
                _ => {
                    let error: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    Outcome::Error {
                        error_type: error["errorType"].as_str().unwrap_or("").to_owned(),
                        message: error["errorMessage"].as_str().unwrap_or("").to_owned(),
                    }
                }
            };
            let mut guard = lock.lock().unwrap();
            guard.answered.insert(id.clone(), Instant::now());
            guard.outcomes.insert(id, outcome);
            ready.notify_all();
            accepted()
        } else if method == "POST" && path == "init/error" {
            lock.lock().unwrap().init_error = Some(String::from_utf8_lossy(&body).into_owned());
            ready.notify_all();
            accepted()
        } else {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec()
        };
        if writer.write_all(&reply).is_err() {
            return;
        }
    }
}

/// A request's body: `Content-Length` bytes, or chunks (as the Python runtime client sends).
fn read_body(reader: &mut impl BufRead, headers: &HashMap<String, String>) -> Vec<u8> {
    if headers.get("transfer-encoding").map(String::as_str) != Some("chunked") {
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        return body;
    }
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).unwrap();
        let size = usize::from_str_radix(size.trim().split(';').next().unwrap(), 16).unwrap();
        let mut chunk = vec![0; size + 2]; // the chunk and its CRLF
        reader.read_exact(&mut chunk).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

fn accepted() -> Vec<u8> {
    let body = r#"{"status":"OK"}"#;
    format!(
        "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The release binary, started as Lambda starts it, with its logs captured.
pub struct Function {
    child: Child,
    logs: Arc<Mutex<String>>,
    /// Just before the process was spawned.
    pub started: Instant,
}

impl Function {
    pub fn start(runtime: &RuntimeApi, emulator: &Emulator) -> Function {
        Self::start_with(runtime, emulator, &[])
    }

    /// `start`, with extra environment variables.
    pub fn start_with(runtime: &RuntimeApi, emulator: &Emulator, env: &[(&str, &str)]) -> Function {
        Self::start_command(Command::new(lambda_binary()), runtime, emulator, env)
    }

    /// Any handler of the Lambda Runtime API (`command`), started as Lambda starts one, with the
    /// emulator as its AWS and extra environment variables.
    pub fn start_command(
        mut command: Command,
        runtime: &RuntimeApi,
        emulator: &Emulator,
        env: &[(&str, &str)],
    ) -> Function {
        let started = Instant::now();
        let mut child = command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("127.0.0.1:{}", runtime.port),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "msk-mtls-rule")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_LAMBDA_LOG_LEVEL", "DEBUG")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIAE2EEXAMPLEKEY000")
            .env(
                "AWS_SECRET_ACCESS_KEY",
                "e2e-secret-access-key-must-not-be-logged",
            )
            .env("AWS_SESSION_TOKEN", "e2e-session-token-must-not-be-logged")
            .env("AWS_ENDPOINT_URL", emulator.endpoint())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the function");
        let logs = Arc::new(Mutex::new(String::new()));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let logs = logs.clone();
            thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut logs = logs.lock().unwrap();
                    logs.push_str(&line);
                    logs.push('\n');
                }
            });
        }
        Function {
            child,
            logs,
            started,
        }
    }

    /// The CPU time the process has used so far (user + system), at the kernel's tick resolution.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // fields after the command name, which is in parentheses and may hold spaces
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
    }

    /// The process's peak resident set (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status")
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Lambda deadline `timeout` from now, in epoch milliseconds.
pub fn deadline_in(timeout: Duration) -> u64 {
    (SystemTime::now() + timeout)
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A sample event from events/, with its rule parameters replaced when `parameters` is given.
pub fn sample(path: &str, parameters: Option<Value>) -> Value {
    let text = std::fs::read_to_string(manifest_dir().join("events").join(path)).unwrap();
    let mut event: Value = serde_json::from_str(&text).unwrap();
    if let Some(parameters) = parameters {
        event["ruleParameters"] = Value::String(parameters.to_string());
    }
    event
}

/// The configuration item inside a change event.
pub fn item_of(event: &Value) -> Value {
    let invoking: Value = serde_json::from_str(event["invokingEvent"].as_str().unwrap()).unwrap();
    invoking["configurationItem"].clone()
}

/// Rewrites the item of a change event (e.g. to give each event its own cluster).
pub fn with_item(mut event: Value, edit: impl FnOnce(&mut Value)) -> Value {
    let mut invoking: Value =
        serde_json::from_str(event["invokingEvent"].as_str().unwrap()).unwrap();
    edit(&mut invoking["configurationItem"]);
    event["invokingEvent"] = Value::String(invoking.to_string());
    event
}

pub fn no_ca_check() -> Option<Value> {
    Some(json!({"checkCertificateAuthorityStatus": "false"}))
}
