//! The `evaluate` command of the built binary, offline: every sample in events/ gives the verdict
//! its name says; bad input exits non-zero with one line on stderr and prints no evaluation. Also
//! offline: each subcommand reaching its own parser and exit status, and the log settings.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_msk-mtls-rule"));
    // Offline: no AWS endpoint, no instance metadata look-ups, whatever the machine has.
    command
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env_remove("RUST_LOG")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    command
}

/// The offline samples name no real cluster: who uses a door is not listed (no AWS call).
fn evaluate(path: &Path) -> Output {
    binary()
        .args(["evaluate", "--skip-door-users", "--event"])
        .arg(path)
        .output()
        .unwrap()
}

fn samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
}

/// What a sample's name promises: the verdict, and words its annotation must contain.
/// The note every sample that runs MSK's default configuration carries, offline (no
/// DescribeConfigurationRevision call).
const MSK_DEFAULT_NOTE: &str =
    "authorization open by default: MSK's default configuration sets allow.everyone.if.no.acl.found true";

fn promise(name: &str) -> (&'static str, &'static str) {
    let verdict = match name.split('-').next().unwrap() {
        "compliant" => "COMPLIANT",
        "noncompliant" => "NON_COMPLIANT",
        "notapplicable" => "NOT_APPLICABLE",
        other => panic!("sample {name}: name must start with a verdict, not {other}"),
    };
    let words = match name {
        "noncompliant-unauthenticated-access" => "unauthenticated access is enabled",
        "noncompliant-tls-client-auth-disabled" => "TLS client authentication is disabled",
        "noncompliant-no-private-ca" => "no Private CA",
        "noncompliant-client-broker-tls-plaintext" => "TLS_PLAINTEXT, not TLS",
        "noncompliant-client-broker-plaintext" => "PLAINTEXT, not TLS",
        "noncompliant-client-broker-not-recorded" => "not recorded",
        "noncompliant-sasl-iam" => "SASL/IAM is enabled",
        "noncompliant-sasl-scram" => "SASL/SCRAM is enabled",
        "noncompliant-multi-vpc-sasl-iam" => "multi-VPC connectivity allows SASL/IAM",
        "noncompliant-ca-not-allowed" => "not on the allow-list",
        "noncompliant-public-access" => {
            "brokers are reachable from the internet (public access SERVICE_PROVIDED_EIPS)"
        }
        "noncompliant-in-cluster-plaintext" => "brokers replicate to each other in plaintext",
        "noncompliant-acl-open-by-default" => MSK_DEFAULT_NOTE,
        "noncompliant-missing-tag" => "\"data-classification\" is missing",
        "noncompliant-everything-open" => {
            "unauthenticated access is enabled; TLS client authentication is disabled"
        }
        "noncompliant-serverless" | "notapplicable-serverless" => "MSK Serverless",
        "notapplicable-deleted" => "deleted",
        "notapplicable-left-scope" => "scope",
        "notapplicable-other-resource-type" => "AWS::EC2::Instance is not an MSK cluster",
        // a compliant sample runs MSK's default configuration: its annotation is the note of it
        name if verdict == "COMPLIANT" && name.starts_with("compliant") => MSK_DEFAULT_NOTE,
        other => panic!("sample {other}: say here which annotation it must give"),
    };
    (verdict, words)
}

#[test]
fn every_sample_gives_the_verdict_its_name_says() {
    let samples = samples();
    assert!(samples.len() >= 20, "samples missing: {samples:?}");
    for path in samples {
        let name = path.file_stem().unwrap().to_str().unwrap();
        let output = evaluate(&path);
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let evaluations: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(evaluations.len(), 1, "{name}");
        let evaluation = &evaluations[0];
        let (verdict, words) = promise(name);
        assert_eq!(evaluation["ComplianceType"], verdict, "{name}");
        let annotation = evaluation["Annotation"].as_str().unwrap_or("");
        assert!(annotation.contains(words), "{name}: {annotation:?}");
        if verdict == "COMPLIANT" {
            assert_eq!(
                annotation, MSK_DEFAULT_NOTE,
                "{name}: a compliant result's annotation holds its notes only"
            );
        }
        assert!(evaluation["ComplianceResourceId"]
            .as_str()
            .unwrap()
            .starts_with(if name.contains("other-resource") {
                "i-"
            } else {
                "arn:aws:kafka:"
            }));
        assert!(
            evaluation["OrderingTimestamp"]
                .as_str()
                .unwrap()
                .ends_with('Z'),
            "{name}"
        );
    }
}

#[test]
fn event_can_come_from_stdin() {
    let text = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("events/noncompliant-sasl-iam.json"),
    )
    .unwrap();
    let mut child = binary()
        .args(["evaluate", "--skip-door-users", "--event", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let evaluations: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(evaluations[0]["ComplianceType"], "NON_COMPLIANT");
}

fn fails_with_one_line(output: &Output, words: &str) {
    fails_with_status(output, 2, words);
}

/// The one exit-status scheme: 2 for input that cannot be used, 3 for what could not be finished.
fn fails_with_status(output: &Output, status: i32, words: &str) {
    assert_eq!(output.status.code(), Some(status), "{words}");
    assert!(output.stdout.is_empty(), "printed evaluations on failure");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(words), "{stderr}");
}

#[test]
fn bad_input_exits_non_zero_with_a_one_line_message() {
    let dir = std::env::temp_dir().join(format!("msk-mtls-rule-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("events/compliant.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut typo = sample.clone();
    typo["ruleParameters"] = Value::String(r#"{"allowedSaslMechanism":"IAM"}"#.into());
    let mut bad_days = sample.clone();
    bad_days["ruleParameters"] =
        Value::String(r#"{"certificateAuthorityExpiryDays":"soon"}"#.into());
    let mut bad_type = sample;
    bad_type["invokingEvent"] = Value::String(r#"{"messageType":"Nope"}"#.into());

    fails_with_one_line(&evaluate(&dir.join("missing.json")), "cannot read");
    fails_with_one_line(&evaluate(&write("text.json", "hello")), "not JSON");
    fails_with_one_line(
        &evaluate(&write("typo.json", &typo.to_string())),
        "InvalidRuleParameter: invalid rule parameter allowedSaslMechanism=\"IAM\"",
    );
    fails_with_one_line(
        &evaluate(&write("days.json", &bad_days.to_string())),
        "certificateAuthorityExpiryDays=\"soon\"",
    );
    fails_with_one_line(
        &evaluate(&write("type.json", &bad_type.to_string())),
        "InvalidEvent: invalid event",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_aws_failure_such_as_missing_credentials_is_one_line() {
    let output = binary()
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .args(["evaluate", "--skip-door-users", "--event"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("events/aws/oversized-compliant.json"))
        .output()
        .unwrap();
    fails_with_status(&output, 3, "AwsApi: AWS GetResourceConfigHistory failed");
    assert!(String::from_utf8_lossy(&output.stderr).contains("no credentials"));
}

#[test]
fn ambiguous_configurations_are_refused_naming_the_problem() {
    let dir = std::env::temp_dir().join(format!(
        "msk-mtls-rule-cli-ambiguous-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("events/compliant.json"),
    )
    .unwrap();
    // duplicate keys are written into the JSON text itself: a Value could not hold them
    for (find, replace, words) in [
        (
            r#"\"Unauthenticated\":{\"Enabled\":false}"#,
            r#"\"Unauthenticated\":{\"Enabled\":true},\"Unauthenticated\":{\"Enabled\":false}"#,
            "given twice",
        ),
        (
            r#"\"Unauthenticated\":{\"Enabled\":false}"#,
            r#"\"Unauthenticated\":{\"Enabled\":false},\"UNAUTHENTICATED\":{\"Enabled\":true}"#,
            "near miss",
        ),
        (
            r#"\"ClientBroker\":\"TLS\""#,
            r#"\"ClientBroker\":\"PLAINTEXT\",\"ClientBroker\":\"TLS\""#,
            "given twice",
        ),
    ] {
        assert!(text.contains(find), "the sample no longer holds {find}");
        let path = dir.join("ambiguous.json");
        std::fs::write(&path, text.replace(find, replace)).unwrap();
        fails_with_one_line(&evaluate(&path), words);
    }
    let mut duplicate_token = text.trim_end().trim_end_matches('}').to_owned();
    duplicate_token.push_str(r#","resultToken":"other"}"#);
    let path = dir.join("envelope.json");
    std::fs::write(&path, duplicate_token).unwrap();
    fails_with_one_line(&evaluate(&path), "duplicate field `resultToken`");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What a newcomer types first: help and the version exit 0 on stdout; a subcommand's help is its
/// own; a missing or mistyped argument is a usage error (2) that says what to do.
#[test]
fn help_version_and_usage_errors_are_what_people_expect() {
    let version = binary().arg("--version").output().unwrap();
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("msk-mtls-rule {}", env!("CARGO_PKG_VERSION"))
    );
    let help = binary().arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let help = String::from_utf8_lossy(&help.stdout);
    for subcommand in ["evaluate", "audit", "check", "probe", "completions"] {
        assert!(help.contains(subcommand), "{help}");
    }
    assert!(help.contains("Exit status"), "{help}");
    for (subcommand, own, other) in [
        ("evaluate", "--event <FILE>", "--regions"),
        ("audit", "--regions <R1,R2|all>", "--event"),
        ("check", "<PATH>...", "--regions"),
        ("probe", "--cluster-arn <ARN>", "--regions"),
    ] {
        let output = binary().args([subcommand, "--help"]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{subcommand}");
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(
            help.contains(own) && !help.contains(other),
            "{subcommand}: {help}"
        );
        assert!(help.contains("Exit status"), "{subcommand}: {help}");
        let short = binary().args(["help", subcommand]).output().unwrap();
        assert_eq!(short.status.code(), Some(0), "help {subcommand}");
    }
    let nothing = binary().output().unwrap();
    assert_eq!(nothing.status.code(), Some(2));
    assert!(stderr_of(&nothing).contains("Usage: msk-mtls-rule"));
    let evaluate = binary().args(["evaluate"]).output().unwrap();
    assert_eq!(evaluate.status.code(), Some(2));
    assert!(
        stderr_of(&evaluate)
            .contains("the following required arguments were not provided:\n  --event <FILE>"),
        "{}",
        stderr_of(&evaluate)
    );
}

/// `--explain` adds each finding with its check and fix, and nothing else changes: the default
/// output stays PutEvaluations-shaped.
#[test]
fn explain_gives_every_finding_its_check_and_fix_without_changing_the_evaluation() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("events/noncompliant-everything-open.json");
    let plain: Value = serde_json::from_slice(&evaluate(&path).stdout).unwrap();
    assert!(plain[0].get("Findings").is_none());
    for args in [["--explain", "--event"], ["--event", "--explain"]] {
        let mut command = binary();
        command.args(["evaluate", "--skip-door-users"]);
        let output = if args[0] == "--explain" {
            command.args(args).arg(&path).output().unwrap()
        } else {
            command
                .arg("--event")
                .arg(&path)
                .arg("--explain")
                .output()
                .unwrap()
        };
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut explained: Value = serde_json::from_slice(&output.stdout).unwrap();
        let findings = explained[0]
            .as_object_mut()
            .unwrap()
            .remove("Findings")
            .unwrap();
        let notes = explained[0]
            .as_object_mut()
            .unwrap()
            .remove("Notes")
            .unwrap();
        assert_eq!(notes[0]["check"], "authorization closed by default");
        assert_eq!(notes[0]["finding"], MSK_DEFAULT_NOTE);
        assert!(notes[0]["fix"]["inPlace"]["first"]
            .as_str()
            .unwrap()
            .starts_with("create the ACLs every client needs"));
        assert_eq!(explained, plain);
        let findings = findings.as_array().unwrap();
        // Everything open: more findings than the annotation has room to name.
        assert!(findings.len() >= 6, "{findings:#?}");
        for finding in findings {
            let fix = &finding["fix"];
            assert!(
                finding["check"].is_string() && finding["finding"].is_string(),
                "{finding}"
            );
            assert!(
                fix["inPlace"]["command"].is_string() || fix["inPlace"]["notPossible"].is_string(),
                "{finding}"
            );
            for text in [&fix["cloudFormation"], &fix["terraform"]] {
                assert!(!text.as_str().unwrap().contains('`'), "{finding}");
            }
        }
        assert_eq!(findings[0]["check"], "unauthenticated access");
    }
    let output = binary()
        .args(["evaluate", "--skip-door-users", "--event"])
        .arg(&path)
        .args(["--explain", "--explain"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A port nothing listens on: bound, then let go.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn every_subcommand_reaches_its_own_parser_and_suggests_the_near_flag() {
    let unknown = binary().arg("evalute").output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr_of(&unknown).contains("unrecognized subcommand 'evalute'")
            && stderr_of(&unknown).contains("a similar subcommand exists: 'evaluate'"),
        "{}",
        stderr_of(&unknown)
    );
    for (subcommand, typo, near) in [
        ("audit", "--region", "--regions"),
        ("check", "--skip-unrecognized", "--skip-unrecognised"),
        ("probe", "--cluster", "--cluster-arn"),
        ("evaluate", "--events", "--event"),
    ] {
        let output = binary().args([subcommand, typo, "x"]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{subcommand}");
        let stderr = stderr_of(&output);
        assert!(
            stderr.contains(&format!("unexpected argument '{typo}'"))
                && stderr.contains(&format!("a similar argument exists: '{near}'"))
                && stderr.contains(&format!("Usage: msk-mtls-rule {subcommand}")),
            "{stderr}"
        );
    }
}

/// `--flag=value` and `--flag value` are the same; a flag given twice is refused, not last-wins.
#[test]
fn a_flag_takes_its_value_after_a_space_or_an_equals_sign() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("events/noncompliant-sasl-iam.json");
    let spaced = evaluate(&path);
    let joined = binary()
        .args(["evaluate", "--skip-door-users"])
        .arg(format!("--event={}", path.display()))
        .output()
        .unwrap();
    assert!(joined.status.success(), "{}", stderr_of(&joined));
    assert_eq!(joined.stdout, spaced.stdout);
    let twice = binary()
        .args(["evaluate", "--skip-door-users", "--event"])
        .arg(&path)
        .arg("--event")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr_of(&twice).contains("cannot be used multiple times"));
}

/// `completions SHELL` prints a script the shell itself accepts (bash is on every machine that
/// runs the tests; the others are checked for what names the program).
#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = binary().args(["completions", shell]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&output.stdout);
        assert!(script.contains("msk-mtls-rule"), "{shell}");
        for subcommand in ["evaluate", "audit", "check", "probe"] {
            assert!(script.contains(subcommand), "{shell}: {subcommand}");
        }
    }
    let bash = binary().args(["completions", "bash"]).output().unwrap();
    let dir =
        std::env::temp_dir().join(format!("msk-mtls-rule-completions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("msk-mtls-rule.bash");
    std::fs::write(&script, &bash.stdout).unwrap();
    // Sourced, then asked what follows `msk-mtls-rule aud`: the shell's own answer.
    let asked = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; f=$(complete -p msk-mtls-rule | sed 's/.*-F \\([^ ]*\\) .*/\\1/'); \
             COMP_WORDS=(msk-mtls-rule aud); COMP_CWORD=1; COMP_LINE='msk-mtls-rule aud'; \
             COMP_POINT=${{#COMP_LINE}}; $f msk-mtls-rule aud msk-mtls-rule; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(asked.status.success(), "{}", stderr_of(&asked));
    assert_eq!(String::from_utf8_lossy(&asked.stdout).trim(), "audit");
    let unknown = binary().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `audit` where no region is configured: no profile, no region variable, an empty home.
fn audit_without_region(rust_log: Option<&str>) -> Output {
    let home = std::env::temp_dir().join(format!(
        "msk-mtls-rule-cli-home-{}-{}",
        std::process::id(),
        rust_log.unwrap_or("none")
    ));
    std::fs::create_dir_all(&home).unwrap();
    let mut command = binary();
    command
        .arg("audit")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_CONFIG_FILE")
        .env("HOME", &home);
    if let Some(level) = rust_log {
        command.env("RUST_LOG", level);
    }
    let output = command.output().unwrap();
    std::fs::remove_dir_all(&home).unwrap();
    output
}

/// Each subcommand exits with its own status when it can reach nothing: audit with no region is a
/// usage error (2); a probe of a closed port proves nothing (3, INCONCLUSIVE). (`check`'s are in
/// `tests/check.rs`.)
#[test]
fn each_subcommand_exits_with_its_own_status_offline() {
    let audit = audit_without_region(None);
    assert_eq!(audit.status.code(), Some(2), "{}", stderr_of(&audit));
    assert!(stderr_of(&audit).contains("no region is configured"));

    let port = closed_port();
    let probe = binary()
        .args(["probe", "--listener", "tls", "--connect-timeout", "500"])
        .args(["--bootstrap", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(probe.status.code(), Some(3), "{}", stderr_of(&probe));
    assert!(String::from_utf8_lossy(&probe.stdout).contains("INCONCLUSIVE"));
}

/// `RUST_LOG` turns on the local commands' logs on stderr (here the SDK's own, looking for a
/// region); without it a failure is one line.
#[test]
fn rust_log_turns_on_the_local_commands_logs() {
    let quiet = stderr_of(&audit_without_region(None));
    assert_eq!(quiet.lines().count(), 1, "{quiet}");
    let logged = stderr_of(&audit_without_region(Some("debug")));
    assert!(
        logged.lines().any(|line| line.contains(" DEBUG ")),
        "{logged}"
    );
}

/// Each function is its own binary: `msk-mtls-rule-lambda` serves the rule and the hook,
/// `msk-mtls-rule-probe` the scheduled probe, and each refuses by name a stack that gives it the
/// other's handler (`MSK_MTLS_RULE_HANDLER`). Both log as Lambda asks: JSON at
/// `AWS_LAMBDA_LOG_LEVEL`, TRACE served as DEBUG with a warning. A Runtime API that cannot be
/// reached fails the process.
#[test]
fn under_lambda_each_binary_serves_its_handler_and_logs_as_lambda_asks() {
    let port = closed_port();
    let lambda = |binary: &str, handler: Option<&str>, level: &str| {
        let mut command = Command::new(binary);
        command
            .env_remove("RUST_LOG")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
            .env("AWS_LAMBDA_FUNCTION_NAME", "msk-mtls-rule")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "stream")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "group")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_LAMBDA_LOG_LEVEL", level)
            .env("AWS_REGION", "us-east-1");
        match handler {
            Some(handler) => command.env("MSK_MTLS_RULE_HANDLER", handler),
            None => command.env_remove("MSK_MTLS_RULE_HANDLER"),
        };
        command.output().unwrap()
    };
    let binaries = [
        (env!("CARGO_BIN_EXE_msk-mtls-rule-lambda"), "rule", "probe"),
        (env!("CARGO_BIN_EXE_msk-mtls-rule-probe"), "probe", "rule"),
    ];
    for (binary, own, other) in binaries {
        let bogus = lambda(binary, Some("bogus"), "INFO");
        assert_eq!(bogus.status.code(), Some(2), "{binary}");
        assert!(stderr_of(&bogus).contains("MSK_MTLS_RULE_HANDLER=\"bogus\" is not rule or probe"));
        let wrong = lambda(binary, Some(other), "INFO");
        assert_eq!(wrong.status.code(), Some(2), "{binary}");
        assert!(
            stderr_of(&wrong).contains(&format!("this binary serves {own}")),
            "{}",
            stderr_of(&wrong)
        );
        for handler in [None, Some(own)] {
            let quiet = lambda(binary, handler, "INFO");
            assert_eq!(
                quiet.status.code(),
                Some(3),
                "no Runtime API to reach: could not finish: {binary} {handler:?}: {}",
                stderr_of(&quiet)
            );
            assert!(quiet.stdout.is_empty(), "{handler:?}");
            let traced = lambda(binary, handler, "TRACE");
            assert_eq!(traced.status.code(), Some(3), "{handler:?}");
            let stdout = String::from_utf8_lossy(&traced.stdout);
            let first: Value = serde_json::from_str(stdout.lines().next().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{handler:?}: {e}: {stdout}"));
            assert_eq!(first["level"], "WARN", "{first}");
            assert_eq!(
                first["fields"]["message"],
                "log level TRACE is served as DEBUG: TRACE would log the raw event"
            );
            assert!(stdout
                .lines()
                .skip(1)
                .any(|line| line.contains("\"level\":\"DEBUG\"")));
        }
    }
}

/// `certificates` on an audit report in the Private CA's JSON: each identity's state, the exit
/// status it gives, and what a report that cannot be read gives.
#[test]
fn certificates_reads_an_audit_report_and_names_each_rotation() {
    let report =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/certificates/audit-report.json");
    let run = |extra: &[&str]| {
        binary()
            .args(["certificates", "--report"])
            .arg(&report)
            .args(extra)
            .output()
            .unwrap()
    };
    let table = run(&["--at", "2026-12-03T00:00:00Z"]);
    assert_eq!(table.status.code(), Some(1), "{table:?}");
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.starts_with(
            "6 identities from 8 certificates: 1 rotation missed, 2 due, 2 fine, 1 revoked\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("rotation failures per quarter: 2026-Q2 1, 2026-Q4 1"),
        "{text}"
    );
    let json: Value =
        serde_json::from_slice(&run(&["--at", "2026-12-03T00:00:00Z", "--format", "json"]).stdout)
            .unwrap();
    let states: Vec<(&str, &str)> = json["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|identity| {
            (
                identity["subject"]
                    .as_str()
                    .unwrap()
                    .split(',')
                    .next()
                    .unwrap(),
                identity["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("CN=billing", "rotation missed"),
            ("CN=metrics", "rotation due"),
            ("CN=orders", "rotation due"),
            ("CN=audit", "fine"),
            ("CN=payments", "fine"),
            ("CN=legacy", "revoked"),
        ]
    );
    assert_eq!(
        json["lapsesByQuarter"],
        serde_json::json!({"2026-Q2": 1, "2026-Q4": 1})
    );
    let csv = String::from_utf8(run(&["--at", "2026-12-03T00:00:00Z", "--format", "csv"]).stdout)
        .unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("rotation missed,\"CN=billing,OU=Kafka clients,O=Example\","),
        "{csv}"
    );
    // Half a year earlier nothing was due: exit 0.
    assert_eq!(
        run(&["--at", "2026-06-01T00:00:00+00:00"]).status.code(),
        Some(0)
    );
    let bad_time = run(&["--at", "yesterday"]);
    assert_eq!(bad_time.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_time.stderr).contains("--at is not an RFC 3339 time"));

    let mut truncated = tempfile_with(
        "report.json",
        &std::fs::read_to_string(&report).unwrap()[..400],
    );
    let output = binary()
        .args(["certificates", "--report"])
        .arg(truncated.path())
        .output()
        .unwrap();
    fails_with_status(&output, 2, "audit report: it ends early");
    truncated.cleanup();
    // A bucket (and how long to wait for a report) is for --ca-arn: beside --report it is a usage
    // error, never ignored; and one of the two sources is required.
    for flags in [
        &[
            "--report",
            "tests/fixtures/certificates/audit-report.json",
            "--bucket",
            "b",
        ][..],
        &[
            "--ca-arn",
            "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x",
        ][..],
        &[][..],
    ] {
        let output = binary().arg("certificates").args(flags).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{flags:?}");
    }
    let mut stdin = binary()
        .args([
            "certificates",
            "--report",
            "-",
            "--at",
            "2026-12-03T00:00:00Z",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    stdin
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&report).unwrap())
        .unwrap();
    assert_eq!(stdin.wait_with_output().unwrap().status.code(), Some(1));
}

/// A file of `text` in the temporary directory (`name` apart from the other tests' files), removed
/// by `cleanup`.
struct TempFile(PathBuf);

impl TempFile {
    fn path(&self) -> &Path {
        &self.0
    }
    fn cleanup(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn tempfile_with(name: &str, text: &str) -> TempFile {
    let path = std::env::temp_dir().join(format!("msk-mtls-rule-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    TempFile(path)
}

/// `rejections` counts broker log files, plain and as MSK's S3 delivery writes them (gzip), as the
/// function counts a subscription's lines.
#[test]
fn rejections_counts_broker_log_files_plain_and_gzip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broker-logs");
    let output = binary()
        .args(["rejections", "--format", "json"])
        .arg(dir.join("Broker-1.log"))
        .arg(dir.join("Broker-2.log.gz"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let counted: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(counted["lines"], 18);
    assert_eq!(counted["rejectedHandshakes"], 14);
    assert_eq!(counted["failedSaslAuthentications"], 2);
    assert_eq!(
        counted["topAddresses"][0],
        serde_json::json!({"address": "10.0.1.23", "refusals": 12})
    );
    let mut corrupt = std::fs::read(dir.join("Broker-2.log.gz")).unwrap();
    corrupt.truncate(30);
    let mut file = tempfile_with("corrupt.log.gz", "");
    std::fs::write(file.path(), corrupt).unwrap();
    let output = binary()
        .args(["rejections"])
        .arg(file.path())
        .output()
        .unwrap();
    file.cleanup();
    fails_with_status(&output, 2, "rejections:");
}
