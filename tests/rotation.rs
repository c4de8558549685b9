//! Client certificates rotated before they lapse, end to end: the release binary under the Runtime
//! API sweeps clusters that trust a Private CA of the local emulator (moto, taught ACM PCA's audit
//! reports, which it lacks), finds the CA's newest report in its S3 bucket, asks for a new one when
//! it is stale, reads it, and writes the metrics, the log line and the alert. A report that is
//! missing, still being written, malformed or failed is said so, never read as no rotation due.

#[path = "e2e/harness.rs"]
#[allow(dead_code)] // shared with the Lambda end-to-end tests, which use more of it
mod harness;

use std::time::Duration;

use harness::{response, sample, Emulator, Function, Outcome, RuntimeApi};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(60);
const BUCKET: &str = "msk-audit-reports";

struct Sweep {
    emulator: Emulator,
    runtime: RuntimeApi,
    function: Function,
    ca: String,
}

/// A CA trusted by one cluster, an alert topic with one unfiltered subscriber, and the function
/// watching rotations in `BUCKET`; the CA's audit reports set up by `reports` (the emulator's
/// `/_e2e/audit-report`, less the CA and the bucket).
fn sweep_with(reports: Value) -> Sweep {
    let emulator = Emulator::start();
    let topic = emulator.control(
        "/_e2e/alert-topic",
        json!({"name": "msk-mtls-alerts", "subscribers": [{"queue": "security"}]}),
    )["topicArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let ca = emulator.control("/_e2e/private-ca", json!({"days": 400}))["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [{"name": "orders",
            "clientAuthentication": {"tls": {"enabled": true, "certificateAuthorityArnList": [ca]},
                                     "unauthenticated": {"enabled": false}},
            "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}}}]}),
    );
    let mut setup = reports;
    setup["caArn"] = json!(ca);
    setup["bucket"] = json!(BUCKET);
    emulator.control("/_e2e/audit-report", setup);
    let runtime = RuntimeApi::start();
    let function = Function::start_with(
        &runtime,
        &emulator,
        &[
            ("ALERT_TOPIC_ARN", topic.as_str()),
            ("AUDIT_REPORT_BUCKET", BUCKET),
            ("SWEEP_FREQUENCY", "TwentyFour_Hours"),
        ],
    );
    Sweep {
        emulator,
        runtime,
        function,
        ca,
    }
}

impl Sweep {
    /// A scheduled sweep, which must succeed: the clusters' results reach Config whatever the
    /// reports.
    fn run(&self) -> Value {
        let mut event = sample(
            "aws/scheduled.json",
            Some(json!({"checkCertificateAuthorityStatus": "false"})),
        );
        event["resultToken"] = json!("e2e-result-token");
        let outcome = self.runtime.invoke(&event, TIMEOUT);
        assert!(
            !matches!(outcome, Outcome::Error { .. }),
            "{outcome:?}\n{}",
            self.function.logs()
        );
        response(outcome)
    }

    /// The rotation metrics line the sweep wrote for the CA.
    fn metrics(&self) -> Value {
        std::thread::sleep(Duration::from_millis(200));
        let logs = self.function.logs();
        let lines: Vec<Value> = logs
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line.get("RotationsNotJudged").is_some())
            .collect();
        assert_eq!(lines.len(), 1, "{logs}");
        assert_eq!(
            lines[0]["CertificateAuthorityId"],
            self.ca.rsplit('/').next().unwrap()
        );
        lines[0].clone()
    }

    fn alerts(&self) -> Vec<Value> {
        self.emulator
            .control("/_e2e/alert-messages", json!({"queue": "security"}))["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["MessageAttributes"]["event"]["Value"] == "certificate-rotation")
            .cloned()
            .collect()
    }

    fn operations(&self) -> Vec<String> {
        self.emulator
            .calls()
            .iter()
            .map(|call| call["operation"].as_str().unwrap_or_default().to_owned())
            .filter(|operation| operation.contains("AuditReport"))
            .collect()
    }
}

fn certificate(subject: &str, serial: &str, from_days: f64, to_days: f64) -> Value {
    json!({"subject": subject, "serial": serial, "fromDays": from_days, "toDays": to_days})
}

/// Due, missed since the last sweep, rotated with overlap, and retired by revocation, in a report
/// an hour old: read without asking for another; one identity turned due and one lapsed since
/// yesterday's sweep, so the alert goes out listing both.
#[test]
fn a_fresh_report_gives_the_rotations_due_and_missed_and_an_alert_listing_them() {
    let revoked = json!({"subject": "CN=retired", "serial": "05", "fromDays": -30, "toDays": 335, "revoked": true});
    let s = sweep_with(
        json!({"mode": "write", "existing": {"hoursOld": 1, "certificates": [
            certificate("CN=payments", "01", -335.5, 29.5),
            certificate("CN=billing", "02", -365.0, -0.5),
            certificate("CN=orders", "03", -355.0, 10.0),
            certificate("CN=orders", "04", -5.0, 360.0),
            revoked,
            certificate("CN=search", "06", -300.0, 65.0),
        ]}}),
    );
    let summary = s.run();
    assert_eq!(summary["compliant"], 1, "{summary}");
    let metrics = s.metrics();
    assert_eq!(metrics["ClientCertificatesRotationDue"], 1, "{metrics}");
    assert_eq!(metrics["ClientCertificateRotationsMissed"], 1, "{metrics}");
    assert_eq!(metrics["RotationsNotJudged"], 0);
    assert_eq!(
        s.operations(),
        Vec::<String>::new(),
        "a fresh report is read as it is"
    );
    let alerts = s.alerts();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let body = alerts[0]["Message"].as_str().unwrap();
    assert!(body.contains("CN=billing: rotation missed"), "{body}");
    assert!(body.contains("CN=payments: rotation due"), "{body}");
    for fine in ["CN=orders", "CN=retired", "CN=search"] {
        assert!(!body.contains(fine), "{fine} is listed: {body}");
    }
    assert_eq!(
        alerts[0]["Subject"],
        "MSK client certificates: 1 due, 1 missed in 123456789012"
    );
    let logs = s.function.logs();
    assert!(
        logs.lines()
            .any(|line| line.contains("certificate-rotations")
                && line.contains("\"certificates\":6")),
        "{logs}"
    );
}

/// A report older than a sweep interval is replaced: the new one is asked for, written at once by
/// the emulator, and is the one read (its due identity, not the stale one's). Nothing turned since
/// the last sweep: no alert.
#[test]
fn a_stale_report_is_replaced_and_the_new_one_read() {
    let s = sweep_with(json!({"mode": "write",
        "certificates": [certificate("CN=fresh", "11", -350.0, 15.0)],
        "existing": {"hoursOld": 30, "certificates": [certificate("CN=stale", "10", -10.0, 355.0)]}}));
    s.run();
    let metrics = s.metrics();
    assert_eq!(metrics["ClientCertificatesRotationDue"], 1, "{metrics}");
    assert_eq!(
        s.operations(),
        [
            "CreateCertificateAuthorityAuditReport",
            "DescribeCertificateAuthorityAuditReport"
        ]
    );
    assert!(s.alerts().is_empty(), "CN=fresh turned due 15 days ago");
}

/// One was asked for within 30 minutes (by the command line, say): the stale report is read, and
/// the log says a newer one is coming.
#[test]
fn a_report_already_asked_for_is_shared_and_the_stale_one_read_meanwhile() {
    let s = sweep_with(json!({"mode": "in-progress",
        "existing": {"hoursOld": 30, "certificates": [certificate("CN=stale", "10", -350.0, 15.0)]}}));
    s.run();
    assert_eq!(s.metrics()["ClientCertificatesRotationDue"], 1);
    let logs = s.function.logs();
    assert!(
        logs.lines()
            .any(|line| line.contains("certificate-rotations")
                && line.contains("\"newer_requested\":true")),
        "{logs}"
    );
}

/// No report yet, and the new one still being written when the sweep stops waiting: not judged,
/// said in the metrics and the log, with no figure that could read as none due.
#[test]
fn a_report_still_being_written_is_not_judged_yet() {
    let s = sweep_with(json!({"mode": "creating"}));
    s.run();
    let metrics = s.metrics();
    assert_eq!(metrics["RotationsNotJudged"], 1);
    assert_eq!(
        metrics.get("ClientCertificatesRotationDue"),
        None,
        "{metrics}"
    );
    let logs = s.function.logs();
    assert!(
        logs.lines()
            .any(|line| line.contains("\"level\":\"WARN\"") && line.contains("not judged yet")),
        "{logs}"
    );
    assert!(s.alerts().is_empty());
}

/// A report that is not what ACM PCA writes, and a report ACM PCA failed to write: errors naming
/// what is wrong, and not judged; the sweep's cluster results still reach Config.
#[test]
fn a_malformed_or_failed_report_is_an_error_not_a_pass() {
    let malformed = sweep_with(json!({"mode": "write",
        "existing": {"hoursOld": 1, "raw": "[{\"serial\": \"01\", \"subject\": \"CN=x\"}"}}));
    let summary = malformed.run();
    assert_eq!(summary["compliant"], 1);
    assert_eq!(malformed.metrics()["RotationsNotJudged"], 1);
    let logs = malformed.function.logs();
    assert!(
        logs.lines().any(|line| line.contains("\"level\":\"ERROR\"")
            && line.contains("audit report could not be read")
            && line.contains("GetObject")),
        "{logs}"
    );
    let failed = sweep_with(json!({"mode": "fail"}));
    failed.run();
    assert_eq!(failed.metrics()["RotationsNotJudged"], 1);
    let logs = failed.function.logs();
    assert!(
        logs.lines()
            .any(|line| line.contains("\"level\":\"ERROR\"") && line.contains("bucket policy")),
        "{logs}"
    );
}

/// The command line reads the CA's newest report where the sweep does, asks for a new one when it
/// is stale (shared with the sweep), and says when it cannot read one: exit 3, never a clean 0.
#[test]
fn the_command_line_reads_the_newest_report_and_exits_3_when_it_cannot() {
    let s = sweep_with(json!({"mode": "in-progress",
        "existing": {"hoursOld": 2, "certificates": [certificate("CN=payments", "01", -350.0, 15.0)]}}));
    let run_in = |bucket: &str, extra: &[&str]| {
        let output = harness::cli_against(&s.emulator, Some("us-east-1"))
            .args([
                "certificates",
                "--ca-arn",
                &s.ca,
                "--bucket",
                bucket,
                "--format",
                "json",
            ])
            .args(extra)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let run = |extra: &[&str]| run_in(BUCKET, extra);
    let (code, stdout, stderr) = run(&[]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let listed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(listed["identities"][0]["state"], "rotation due");
    assert!(stderr.contains("earlier.json"), "{stderr}");
    assert!(s.operations().is_empty(), "a report 2 hours old is fresh");

    // Stale for the caller, and one already being written: the older report, said so.
    let (code, _, stderr) = run(&["--max-age-hours", "1"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("a newer report is being written"),
        "{stderr}"
    );

    // A bucket that is not there: not judged, exit 3 naming the call.
    let (code, stdout, stderr) = run_in("no-such-bucket", &[]);
    assert_eq!((code, stdout.as_str()), (Some(3), ""), "{stderr}");
    assert!(stderr.contains("ListObjectsV2"), "{stderr}");

    // An object that is not there: exit 3 naming GetObject.
    let output = harness::cli_against(&s.emulator, Some("us-east-1"))
        .args([
            "certificates",
            "--report",
            &format!("s3://{BUCKET}/audit-report/none.json"),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("GetObject"), "{stderr}");
}
