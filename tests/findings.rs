//! Findings where security teams look, end to end: the release binary's `audit --format asff|ocsf`
//! and `check --format sarif` validated against the formats' own definitions (botocore's Security
//! Hub model, py-ocsf-models, the SARIF 2.1.0 JSON schema), and `audit --security-hub` against the
//! local AWS emulator (moto's BatchImportFindings and GetFindings): several batches, one throttled,
//! one finding refused, Security Hub not enabled in a region, and the next audit after a cluster
//! was fixed and another deleted. Needs `make tools build` first.

#[path = "e2e/harness.rs"]
#[allow(dead_code)] // shared with the Lambda end-to-end tests, which use more of it
mod harness;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::{binary, cli_against, python, Emulator};
use serde_json::{json, Value};

const OWN: &str = "123456789012";
const REGION: &str = "us-east-1";

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Runs tests/e2e/validate_findings.py on `document`: its verdict, and what it printed.
fn validate(kind: &str, document: &str, extra: &[&Path]) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("findings-{}-{kind}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("document.json");
    std::fs::write(&file, document).unwrap();
    let output = Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/validate_findings.py"))
        .arg(kind)
        .arg(&file)
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.success(),
        text(&output.stdout) + &text(&output.stderr),
    )
}

fn ca(emulator: &Emulator) -> String {
    let own_only = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{OWN}:root")},
        "Action": "acm-pca:IssueCertificate", "Resource": "*"}]});
    emulator.control(
        "/_e2e/private-ca",
        json!({"account": OWN, "region": REGION, "days": 400, "status": "ACTIVE", "policy": own_only}),
    )["arn"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn mtls(ca: &str) -> Value {
    json!({"clientAuthentication": {"tls": {"enabled": true, "certificateAuthorityArnList": [ca]},
                                    "sasl": {"iam": {"enabled": false}, "scram": {"enabled": false}},
                                    "unauthenticated": {"enabled": false}},
           "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS", "inCluster": true}}})
}

/// `open` clusters with an unauthenticated, plaintext door and one enforcing mTLS, in `region`:
/// their cluster ARNs by name.
fn fleet(emulator: &Emulator, region: &str, open: usize, ca: &str) -> Vec<(String, String)> {
    let mut clusters: Vec<Value> = (0..open)
        .map(|n| {
            json!({"name": format!("open-{n:02}"),
                   "clientAuthentication": {"unauthenticated": {"enabled": true}},
                   "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT"}}})
        })
        .collect();
    let mut enforcing = mtls(ca);
    enforcing["name"] = json!("orders");
    clusters.push(enforcing);
    emulator.control(
        "/_e2e/clusters",
        json!({"account": OWN, "region": region, "clusters": clusters}),
    );
    let listed = cli_against(emulator, Some(region))
        .args(["audit", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&listed.stdout).unwrap();
    report
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let arn = row["resourceId"].as_str().unwrap().to_owned();
            (arn.split('/').nth(1).unwrap().to_owned(), arn)
        })
        .collect()
}

fn audit(emulator: &Emulator, args: &[&str]) -> Output {
    cli_against(emulator, Some(REGION))
        .arg("audit")
        .args(args)
        .output()
        .unwrap()
}

fn held(emulator: &Emulator, region: &str) -> Vec<Value> {
    emulator.control(
        "/_e2e/security-hub-findings",
        json!({"account": OWN, "region": region}),
    )["findings"]
        .as_array()
        .unwrap()
        .clone()
}

fn finding<'a>(findings: &'a [Value], cluster: &str, check: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| {
            let id = f["Id"].as_str().unwrap();
            id.contains(&format!("/{cluster}/")) && id.ends_with(&format!("/{check}"))
        })
        .unwrap_or_else(|| panic!("no {check} finding of {cluster}"))
}

#[test]
fn asff_output_is_what_security_hubs_model_takes_and_ocsf_what_the_ocsf_models_take() {
    let emulator = Emulator::start();
    let ca = ca(&emulator);
    fleet(&emulator, REGION, 2, &ca);
    let asff = audit(&emulator, &["--format", "asff"]);
    assert_eq!(asff.status.code(), Some(1), "{}", text(&asff.stderr));
    let findings: Vec<Value> = serde_json::from_slice(&asff.stdout).unwrap();
    // 13 checks made with the default parameters, on each of 3 clusters.
    assert_eq!(findings.len(), 3 * 13);
    let (valid, said) = validate("asff", &text(&asff.stdout), &[]);
    assert!(valid, "{said}");
    let open = finding(&findings, "open-00", "unauthenticated-access");
    assert_eq!(open["Compliance"]["Status"], "FAILED");
    assert_eq!(open["FindingProviderFields"]["Severity"]["Label"], "HIGH");
    let info = &open["Resources"][0]["Details"]["AwsMskCluster"]["ClusterInfo"];
    assert_eq!(
        info["ClientAuthentication"]["Unauthenticated"]["Enabled"],
        true
    );
    assert_eq!(
        info["EncryptionInfo"]["EncryptionInTransit"]["ClientBroker"],
        "TLS_PLAINTEXT"
    );
    let passed = finding(&findings, "orders", "unauthenticated-access");
    assert_eq!(passed["Compliance"]["Status"], "PASSED");
    assert_eq!(
        passed["Resources"][0]["Details"]["AwsMskCluster"]["ClusterInfo"]["ClientAuthentication"]
            ["Tls"]["CertificateAuthorityArnList"],
        json!([ca])
    );
    let noted = finding(&findings, "orders", "authorization-closed-by-default");
    assert_eq!(noted["Compliance"]["Status"], "WARNING");

    let ocsf = audit(&emulator, &["--format", "ocsf"]);
    let events: Vec<Value> = serde_json::from_slice(&ocsf.stdout).unwrap();
    assert_eq!(events.len(), findings.len());
    let (valid, said) = validate("ocsf", &text(&ocsf.stdout), &[]);
    assert!(valid, "{said}");
    assert!(events.iter().all(|e| e["class_uid"] == 2003));
}

#[test]
fn the_validators_refuse_what_the_formats_do_not_allow() {
    // Each validator can fail: a member ASFF does not have, a Title over its limit, an enum value
    // outside the model's; an OCSF member the class does not have, a wrong class; a SARIF level.
    let emulator = Emulator::start();
    let ca = ca(&emulator);
    fleet(&emulator, REGION, 1, &ca);
    let asff: Vec<Value> =
        serde_json::from_slice(&audit(&emulator, &["--format", "asff"]).stdout).unwrap();
    let spoil = |edit: &dyn Fn(&mut Value)| {
        let mut spoiled = asff.clone();
        edit(&mut spoiled[0]);
        Value::Array(spoiled).to_string()
    };
    for (spoiled, expected) in [
        (
            spoil(&|f| f["Colour"] = json!("red")),
            "Colour is not a member",
        ),
        (
            spoil(&|f| f["Title"] = json!("t".repeat(257))),
            "Title over 256",
        ),
        (
            spoil(&|f| f["RecordState"] = json!("GONE")),
            "is not one of",
        ),
        (
            spoil(&|f| {
                f.as_object_mut()
                    .unwrap()
                    .remove("Title")
                    .map(drop)
                    .unwrap_or(())
            }),
            "required Title missing",
        ),
    ] {
        let (valid, said) = validate("asff", &spoiled, &[]);
        assert!(!valid && said.contains(expected), "{expected}: {said}");
    }
    let ocsf: Vec<Value> =
        serde_json::from_slice(&audit(&emulator, &["--format", "ocsf"]).stdout).unwrap();
    let mut unknown = ocsf.clone();
    unknown[0]["finding_info"]["colour"] = json!("red");
    let (valid, said) = validate("ocsf", &Value::Array(unknown).to_string(), &[]);
    assert!(!valid && said.contains("colour is not a member"), "{said}");
    let mut detection = ocsf;
    detection[0]["class_uid"] = json!(2004);
    let (valid, _) = validate("ocsf", &Value::Array(detection).to_string(), &[]);
    assert!(!valid);
}

/// The SARIF 2.1.0 schema serde-sarif publishes in its crate (`src/schema.json`), found where cargo
/// keeps the locked version. Offline, and for this machine's platform only: the build downloaded
/// no other platform's crates, and without the filter cargo metadata wants them all.
fn sarif_schema() -> PathBuf {
    let version = Command::new(env!("CARGO")).arg("-vV").output().unwrap();
    let host = text(&version.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        .expect("cargo -vV names the host");
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let package = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .expect("serde-sarif is a dev-dependency");
    let schema = Path::new(package["manifest_path"].as_str().unwrap())
        .with_file_name("src")
        .join("schema.json");
    let text = std::fs::read_to_string(&schema).unwrap();
    assert!(text.contains("Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"));
    schema
}

#[test]
fn check_ocsf_validates_as_compliance_findings_with_no_cloud_before_deploy() {
    for fixture in ["clusters.yaml", "nested.yaml"] {
        let template = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/check")
            .join(fixture);
        let output = Command::new(binary())
            .args(["check", "--format", "ocsf"])
            .arg(&template)
            .output()
            .unwrap();
        let events: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
        assert!(!events.is_empty(), "{fixture}");
        let (valid, said) = validate("ocsf", &text(&output.stdout), &[]);
        assert!(valid, "{fixture}: {said}");
    }
}

#[test]
fn check_sarif_validates_against_the_sarif_2_1_0_schema() {
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/clusters.yaml");
    let output = Command::new(binary())
        .args(["check", "--format", "sarif"])
        .arg(&template)
        .output()
        .unwrap();
    let log: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
    let schema = sarif_schema();
    let (valid, said) = validate("sarif", &log.to_string(), &[&schema]);
    assert!(valid, "{said}");
    let mut spoiled = log;
    spoiled["runs"][0]["results"][0]["level"] = json!("fatal");
    let (valid, said) = validate("sarif", &spoiled.to_string(), &[&schema]);
    assert!(!valid, "a level SARIF does not have: {said}");
}

#[test]
fn security_hub_takes_every_finding_in_batches_names_the_refused_and_archives_a_gone_cluster() {
    let emulator = Emulator::start();
    let ca = ca(&emulator);
    // 9 clusters, 13 checks each: 117 findings, two BatchImportFindings calls.
    let arns = fleet(&emulator, REGION, 8, &ca);
    let arn_of = |name: &str| arns.iter().find(|(n, _)| n == name).unwrap().1.clone();
    // eu-west-1 is read but Security Hub is not enabled there.
    fleet(&emulator, "eu-west-1", 0, &ca);
    let refused = format!("{OWN}/{REGION}/{}/sasl", arn_of("open-03"));
    emulator.control(
        "/_e2e/security-hub",
        json!({"disabled": [[OWN, "eu-west-1"]], "refuse": {refused.clone(): 2}}),
    );
    // Security Hub's own throttling answer, three times: past the SDK's retries, then backed off.
    emulator.control(
        "/_e2e/faults",
        json!({"operations": ["BatchImportFindings"], "kind": "limit", "count": 3}),
    );
    let first = audit(
        &emulator,
        &[
            "--regions",
            "us-east-1,eu-west-1",
            "--security-hub",
            "--format",
            "json",
        ],
    );
    let said = text(&first.stderr);
    assert_eq!(first.status.code(), Some(3), "a finding not sent: {said}");
    assert!(
        said.contains(&format!(
            "finding {refused} not sent: InvalidInput: injected: refused"
        )),
        "{said}"
    );
    assert!(
        said.contains("region eu-west-1: not sent (Security Hub not enabled)"),
        "{said}"
    );
    assert!(
        said.contains("region us-east-1: 116 of 117 findings taken"),
        "{said}"
    );
    let imports = emulator.calls_to("BatchImportFindings");
    let throttled = imports.iter().filter(|c| c["status"] == 429).count();
    assert_eq!(throttled, 3, "{imports:?}");
    // Two batches, the throttled one made again, the refused finding retried once alone.
    let accepted: Vec<&Value> = imports.iter().filter(|c| c["status"] == 200).collect();
    assert_eq!(accepted.len(), 3, "{imports:?}");
    let stored = held(&emulator, REGION);
    assert_eq!(stored.len(), 116);
    let open = finding(&stored, "open-00", "unauthenticated-access");
    assert_eq!(open["Compliance"]["Status"], "FAILED");
    let created = open["CreatedAt"].clone();

    // open-00 is fixed, open-01 deleted: the next audit updates the one in place and archives the
    // other's, every finding sent this time.
    let mut fix = mtls(&ca);
    fix.as_object_mut().unwrap().remove("name");
    emulator.control(
        "/_e2e/cluster-change",
        json!({"account": OWN, "region": REGION, "fix": {arn_of("open-00"): fix},
               "delete": [arn_of("open-01")]}),
    );
    emulator.control("/_e2e/security-hub", json!({}));
    let second = audit(&emulator, &["--security-hub", "--format", "json"]);
    let said = text(&second.stderr);
    assert_eq!(
        second.status.code(),
        Some(1),
        "findings remain, every one sent: {said}"
    );
    assert!(said.contains("13 archived (cluster gone)"), "{said}");
    let stored = held(&emulator, REGION);
    let fixed = finding(&stored, "open-00", "unauthenticated-access");
    assert_eq!(fixed["Compliance"]["Status"], "PASSED");
    assert_eq!(fixed["RecordState"], "ACTIVE");
    assert_eq!(
        fixed["CreatedAt"], created,
        "updated in place: first made when it was"
    );
    assert_ne!(fixed["UpdatedAt"], created);
    let gone = finding(&stored, "open-01", "unauthenticated-access");
    assert_eq!(gone["RecordState"], "ARCHIVED");
    let still_open = finding(&stored, "open-02", "unauthenticated-access");
    assert_eq!(still_open["RecordState"], "ACTIVE");
    assert_eq!(finding(&stored, "open-03", "sasl")["RecordState"], "ACTIVE");

    // What --security-hub calls is what deploy/audit-role.yaml grants with SendsFindingsToSecurityHub.
    let called: std::collections::BTreeSet<String> = emulator
        .calls()
        .iter()
        .filter_map(|c| c["operation"].as_str())
        .filter(|op| {
            ["BatchImportFindings", "GetFindings"].contains(op) || op.starts_with("POST /")
        })
        .map(|op| format!("securityhub:{op}"))
        .collect();
    assert_eq!(
        called,
        harness::security_hub_grants("deploy/audit-role.yaml")
    );
}
