//! `msk-mtls-rule check` through the built binary: CloudFormation templates written the way users
//! write them (YAML short forms, JSON, nested `!If`, parameters, resources that are not clusters) and
//! Terraform plans in `terraform show -json`'s format, every output format parsed back. Offline, so
//! it is a unit layer (and a mutation-testing layer); the CA check, which calls AWS, is in
//! `check_aws.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/check")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

/// The built binary, offline: any AWS call would fail.
fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_msk-mtls-rule"))
        .arg("check")
        .args(args)
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIAE2EEXAMPLEKEY000")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .output()
        .unwrap()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

fn verdicts(report: &Value) -> Vec<(String, String)> {
    report
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["resource"].as_str().unwrap().to_owned(),
                r["complianceType"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn row<'a>(report: &'a Value, resource: &str) -> &'a Value {
    report
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == resource)
        .unwrap_or_else(|| panic!("no {resource} in {report}"))
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_yaml_template_with_short_forms_conditions_and_parameters() {
    let output = check(&["--format", "json", &fixture("clusters.yaml")]);
    assert_eq!(output.status.code(), Some(1), "a cluster is NON_COMPLIANT");
    let report = json_of(&output);
    assert_eq!(
        verdicts(&report),
        pairs(&[
            ("Orders", "COMPLIANT"),
            ("Clickstream", "NON_COMPLIANT"),
            ("Events", "NOT_APPLICABLE")
        ]),
        "only the clusters, not the topic or the CA"
    );
    let clickstream = row(&report, "Clickstream");
    assert_eq!(
        clickstream["findings"],
        json!([
            "unauthenticated access is enabled",
            "CA ClientCa is a root CA trusted directly: every CA under it can issue client certificates",
            "client-broker encryption is TLS_PLAINTEXT, not TLS: a plaintext listener is open",
            "SASL/IAM is enabled and not allowed"
        ]),
        "the dev branch of each !If, and !Ref AllowAnonymous read as open"
    );
    assert_eq!(clickstream["line"], 48);
    assert_eq!(
        clickstream["unknownBeforeDeploy"],
        // The CA is the template's own ClientCa, read from it, not unknown.
        json!(["ClientAuthentication.Unauthenticated.Enabled"])
    );
    assert_eq!(row(&report, "Orders")["line"], 23);
    assert_eq!(row(&report, "Orders")["annotation"], Value::Null);
    assert_eq!(
        row(&report, "Events")["resourceType"],
        "AWS::MSK::ServerlessCluster"
    );
}

#[test]
fn the_same_clusters_in_json_and_text_output() {
    let output = check(&[&fixture("clusters.json")]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].ends_with("clusters.json:44: Legacy (AWS::MSK::Cluster) NON_COMPLIANT: unauthenticated access is enabled; TLS client authentication is disabled; no Private CA is set for TLS client authentication; client-broker encryption is not recorded (MSK default TLS_PLAINTEXT: a plaintext listener is open) [note: authorization open by default: MSK's default configuration sets allow.everyone.if.no.acl.found true]"),
        "properties left out take MSK's defaults, the unsafe one where sources disagree: {text}"
    );
    assert!(
        lines[0].ends_with("clusters.json:9: Orders (AWS::MSK::Cluster) COMPLIANT [note: authorization open by default: MSK's default configuration sets allow.everyone.if.no.acl.found true] [not known before deploy, read the unsafe way: ClientAuthentication.Tls.CertificateAuthorityArnList[0]]"),
        "{text}"
    );
}

#[test]
fn a_terraform_plan_judges_creates_and_updates_only() {
    let output = check(&["--format", "json", &fixture("plan.json")]);
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_eq!(
        verdicts(&report),
        pairs(&[
            ("aws_msk_cluster.orders", "COMPLIANT"),
            (
                "module.streaming.aws_msk_cluster.clickstream",
                "NON_COMPLIANT"
            ),
            ("aws_msk_cluster.payments", "COMPLIANT"),
            ("aws_msk_cluster.analytics", "NON_COMPLIANT"),
            ("aws_msk_serverless_cluster.events", "NOT_APPLICABLE"),
        ]),
        "no-op, delete and the bucket are not judged; a replacement is"
    );
    assert_eq!(
        row(&report, "aws_msk_cluster.analytics")["findings"],
        json!(["unauthenticated access is enabled"]),
        "unauthenticated access unknown until apply counts as on"
    );
    assert_eq!(row(&report, "aws_msk_cluster.orders")["line"], Value::Null);
}

#[test]
fn an_allow_list_fails_a_ca_it_cannot_check_and_parameters_apply() {
    let allow = r#"{"allowedCertificateAuthorityArns":"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555","allowedSaslMechanisms":"IAM","requiredTagKeys":"owner"}"#;
    let output = check(&[
        "--format",
        "json",
        "--parameters",
        allow,
        &fixture("plan.json"),
        &fixture("clusters.yaml"),
    ]);
    let report = json_of(&output);
    let payments = row(&report, "aws_msk_cluster.payments");
    assert_eq!(payments["complianceType"], "NON_COMPLIANT");
    assert_eq!(
        payments["findings"],
        json!(["CA not-known-before-deploy is not on the allow-list"])
    );
    assert_eq!(
        row(&report, "aws_msk_cluster.orders")["findings"],
        json!(["CA not-known-before-deploy is not on the allow-list"])
    );
    let orders = row(&report, "Orders");
    assert_eq!(orders["complianceType"], "NON_COMPLIANT", "{orders}");
    let clickstream = row(&report, "Clickstream");
    assert!(
        !clickstream["findings"].to_string().contains("SASL/IAM"),
        "IAM allowed: {clickstream}"
    );
    assert!(
        clickstream["findings"]
            .to_string()
            .contains("tag \\\"owner\\\" is missing"),
        "{clickstream}"
    );
    assert_eq!(
        row(&report, "module.streaming.aws_msk_cluster.clickstream")["file"],
        fixture("plan.json")
    );
}

#[test]
fn sarif_has_one_rule_per_check_and_a_located_result_per_finding() {
    let output = check(&["--format", "sarif", &fixture("clusters.yaml")]);
    assert_eq!(output.status.code(), Some(1));
    let sarif = json_of(&output);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"unauthenticated-access") && rules.contains(&"tls-only-listener"),
        "{rules:?}"
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        5,
        "four findings on Clickstream (its root CA, which the template creates, among them), and the note of its open ACL default: {results:?}"
    );
    assert_eq!(results[1]["ruleId"], "root-ca");
    assert_eq!(results[4]["ruleId"], "authorization-closed-by-default");
    assert_eq!(results[4]["level"], "note");
    let first = &results[0];
    assert_eq!(first["ruleId"], "unauthenticated-access");
    assert!(rules.contains(&first["ruleId"].as_str().unwrap()));
    assert_eq!(
        first["locations"][0]["physicalLocation"]["region"]["startLine"],
        48
    );
    assert_eq!(
        first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        fixture("clusters.yaml")
    );
    assert_eq!(first["level"], "error");
    // Types generated from the SARIF 2.1.0 schema take it (tests/findings.rs validates it against
    // the schema itself).
    let typed: serde_sarif::sarif::Sarif = serde_json::from_value(sarif.clone()).unwrap();
    assert_eq!(typed.runs[0].results.as_ref().map(Vec::len), Some(5));
}

#[test]
fn unreadable_input_exits_2_naming_the_file_and_the_path() {
    let dir = std::env::temp_dir().join(format!("msk-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    for (path, named) in [
        (write("twice.yaml", "Resources:\n  A:\n    Type: AWS::MSK::Cluster\n  A:\n    Type: AWS::SNS::Topic\n"), "line 4: key \"A\" is given twice"),
        (write("twice.json", r#"{"Resources": {"A": {"Type": "AWS::MSK::Cluster", "Type": "AWS::SNS::Topic"}}}"#), "Resources.A.Type is given twice"),
        (write("bad-if.yaml", "Resources:\n  A:\n    Type: AWS::MSK::Cluster\n    Properties:\n      ClientAuthentication: !If [OnlyTwo, x]\n"), "A (AWS::MSK::Cluster): Fn::If takes"),
        (write("flag.yaml", "Resources:\n  A:\n    Type: AWS::MSK::Cluster\n    Properties:\n      ClientAuthentication:\n        Unauthenticated:\n          Enabled: maybe\n"), "Enabled"),
        (write("other.json", r#"{"hello": "world"}"#), "not a CloudFormation template"),
        (write("tag.yaml", "Resources:\n  A:\n    Type: !Reff x\n"), "!Reff is not a CloudFormation function"),
        (dir.join("missing.yaml"), "cannot read"),
    ] {
        let output = check(&[path.to_str().unwrap()]);
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{path:?}: {stderr}");
        assert!(stderr.contains(path.to_str().unwrap()) && stderr.contains(named), "{path:?}: {stderr}");
        assert!(output.stdout.is_empty(), "nothing judged from a file that cannot be read");
    }
    for (args, named) in [
        (&[][..], "<PATH>..."),
        (
            &["--format", "xml", "x.yaml"][..],
            "[possible values: text, json, sarif, ocsf]",
        ),
        (&["--parameters", "{\"x\":1}", "x.yaml"][..], "x=\"1\""),
    ] {
        let output = check(args);
        assert_eq!(output.status.code(), Some(2));
        assert!(
            String::from_utf8(output.stderr).unwrap().contains(named),
            "{args:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Exit 0 when no cluster is NON_COMPLIANT: a compliant one, and one out of the rule's scope.
#[test]
fn a_file_with_no_non_compliant_cluster_exits_0() {
    let dir = std::env::temp_dir().join(format!("msk-check-ok-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = dir.join("ok.yaml");
    std::fs::write(
        &template,
        "Resources:\n  Orders:\n    Type: AWS::MSK::Cluster\n    Properties:\n      \
         ClientAuthentication:\n        Tls:\n          Enabled: true\n          \
         CertificateAuthorityArnList: [arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/1]\n      \
         EncryptionInfo:\n        EncryptionInTransit:\n          ClientBroker: TLS\n  \
         Events:\n    Type: AWS::MSK::ServerlessCluster\n",
    )
    .unwrap();
    let output = check(&["--format", "json", template.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        verdicts(&json_of(&output)),
        pairs(&[("Orders", "COMPLIANT"), ("Events", "NOT_APPLICABLE")])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Public access and encryption between brokers, in a template (InCluster as CloudFormation may
/// write it, a string) and in a Terraform plan (a public access type unknown until apply reads as
/// public); `allowPublicAccess` lifts the public-access check alone.
#[test]
fn public_access_and_plaintext_between_brokers_fail_in_templates_and_plans() {
    let dir = std::env::temp_dir().join(format!("msk-check-doors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mtls = "      ClientAuthentication:\n        Tls:\n          \
         CertificateAuthorityArnList: [arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/1]\n";
    let template = dir.join("doors.yaml");
    std::fs::write(
        &template,
        format!(
            "Resources:\n  Public:\n    Type: AWS::MSK::Cluster\n    Properties:\n{mtls}      \
             EncryptionInfo: {{EncryptionInTransit: {{ClientBroker: TLS}}}}\n      \
             BrokerNodeGroupInfo: {{ConnectivityInfo: {{PublicAccess: {{Type: SERVICE_PROVIDED_EIPS}}}}}}\n  \
             Replication:\n    Type: AWS::MSK::Cluster\n    Properties:\n{mtls}      \
             EncryptionInfo: {{EncryptionInTransit: {{ClientBroker: TLS, InCluster: \"false\"}}}}\n"
        ),
    )
    .unwrap();
    let plan = dir.join("plan.json");
    let cluster = |after: Value, unknown: Value| {
        json!({"address": "aws_msk_cluster.x", "mode": "managed", "type": "aws_msk_cluster", "name": "x",
               "change": {"actions": ["create"], "after": after, "after_unknown": unknown}})
    };
    let mtls_after = json!({
        "client_authentication": [{"tls": [{"certificate_authority_arns": ["arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/1"]}]}],
        "encryption_info": [{"encryption_in_transit": [{"client_broker": "TLS", "in_cluster": false}]}],
        "broker_node_group_info": [{"connectivity_info": [{"public_access": [{}]}]}],
    });
    let unknown = json!({"broker_node_group_info": [{"connectivity_info": [{"public_access": [{"type": true}]}]}]});
    std::fs::write(
        &plan,
        json!({"format_version": "1.2", "resource_changes": [cluster(mtls_after, unknown)]})
            .to_string(),
    )
    .unwrap();
    let output = check(&[
        "--format",
        "json",
        template.to_str().unwrap(),
        plan.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_of(&output);
    let public = "brokers are reachable from the internet (public access SERVICE_PROVIDED_EIPS)";
    let plaintext = "brokers replicate to each other in plaintext (in-cluster encryption is off)";
    assert_eq!(row(&report, "Public")["findings"], json!([public]));
    assert_eq!(row(&report, "Replication")["findings"], json!([plaintext]));
    assert_eq!(
        row(&report, "aws_msk_cluster.x")["findings"],
        json!([plaintext, public])
    );
    let allowed = check(&[
        "--format",
        "json",
        "--parameters",
        r#"{"allowPublicAccess":"true"}"#,
        template.to_str().unwrap(),
        plan.to_str().unwrap(),
    ]);
    let report = json_of(&allowed);
    assert_eq!(row(&report, "Public")["complianceType"], "COMPLIANT");
    assert_eq!(
        row(&report, "aws_msk_cluster.x")["findings"],
        json!([plaintext])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// What may create clusters the file does not show is said in every format, and the exit is 3
/// (could not finish), never 0.
#[test]
fn nested_stacks_and_macros_are_not_judged_out_loud_and_exit_3() {
    let text = check(&[&fixture("nested.yaml")]);
    assert_eq!(text.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("nested.yaml:7: Streaming (AWS::CloudFormation::Stack) NOT_JUDGED: a nested stack: check its template on its own"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Transform (AWS::Include) NOT_JUDGED: the macro AWS::Include"),
        "{stdout}"
    );
    let json = json_of(&check(&["--format", "json", &fixture("nested.yaml")]));
    assert_eq!(
        verdicts(&json),
        pairs(&[
            ("Streaming", "NOT_JUDGED"),
            ("Connectors", "NOT_JUDGED"),
            ("Transform", "NOT_JUDGED")
        ])
    );
    let sarif = json_of(&check(&["--format", "sarif", &fixture("nested.yaml")]));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        assert_eq!(result["level"], "note");
        assert_eq!(result["ruleId"], "not-judged");
    }
    // An open cluster beside a nested stack: the finding decides, exit 1.
    let open = check(&[&fixture("nested.yaml"), &fixture("clusters.json")]);
    assert_eq!(open.status.code(), Some(1));
}

/// Before, only the first document was read and the open cluster after `---` passed.
#[test]
fn a_multi_document_yaml_file_with_a_template_is_refused_by_name() {
    let output = check(&[&fixture("two-documents.yaml")]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "two-documents.yaml: a YAML file of 2 documents, document 1 a CloudFormation template"
        ),
        "{stderr}"
    );
}

/// `--skip-unrecognised` (the pre-commit hooks' flag): a file that is neither a template nor a plan
/// is passed over with a note and the others are judged; a file that may be a template and cannot be
/// read still stops the check.
#[test]
fn skip_unrecognised_passes_over_other_files_only() {
    let dir = std::env::temp_dir().join(format!("msk-check-skip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| -> String {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let workflow = write("ci.yml", "on: push\njobs: {}\n");
    let package = write("package.json", r#"{"name": "web"}"#);
    let open = write(
        "open.template",
        "Resources:\n  Open:\n    Type: AWS::MSK::Cluster\n    Properties: {}\n",
    );
    let output = check(&[
        "--skip-unrecognised",
        "--format",
        "json",
        &workflow,
        &package,
        &open,
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        verdicts(&json_of(&output)),
        pairs(&[("Open", "NON_COMPLIANT")])
    );
    for skipped in [&workflow, &package] {
        assert!(
            stderr.contains(&format!("check: skipped {skipped}: ")),
            "{stderr}"
        );
    }
    let output = check(&["--skip-unrecognised", &workflow, &package]);
    assert_eq!(output.status.code(), Some(0));

    let broken = write(
        "broken.yaml",
        "Resources:\n  Open:\n    Type: AWS::MSK::Cluster\n  Open: {}\n",
    );
    let output = check(&["--skip-unrecognised", &workflow, &broken]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("broken.yaml"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A directory is walked: its templates and plans judged, other files of those extensions passed
/// over with a note, the rest and hidden directories not read; `-` is standard input.
#[test]
fn a_directory_is_walked_and_standard_input_is_read() {
    let dir = std::env::temp_dir().join(format!("msk-check-dir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let open = "Resources:\n  Open:\n    Type: AWS::MSK::Cluster\n    Properties: {}\n";
    for (path, text) in [
        ("stacks/open.yaml", open),
        ("stacks/.hidden/also-open.yaml", open),
        ("stacks/web/package.json", r#"{"name": "web"}"#),
        ("stacks/web/notes.md", "Resources: AWS::MSK::Cluster"),
    ] {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let stacks = dir.join("stacks");
    let output = check(&["--format", "json", stacks.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let report = json_of(&output);
    assert_eq!(verdicts(&report), pairs(&[("Open", "NON_COMPLIANT")]));
    assert!(report[0]["file"]
        .as_str()
        .unwrap()
        .ends_with("stacks/open.yaml"));
    assert!(stderr.contains("package.json: "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_msk-mtls-rule"))
        .args(["check", "--format", "json", "-"])
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(open.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output);
    assert_eq!(verdicts(&report), pairs(&[("Open", "NON_COMPLIANT")]));
    assert_eq!(report[0]["file"], "-");
    let _ = std::fs::remove_dir_all(&dir);
}

/// docs/check.md's sample text output is what the command prints for the fixtures it names.
/// `MSK_MTLS_RULE_WRITE_DOCS=1` writes it instead of failing.
#[test]
fn the_documented_text_output_is_the_commands() {
    let files = ["clusters.yaml", "plan.json", "nested.yaml"]
        .map(|name| format!("tests/fixtures/check/{name}"));
    let output = Command::new(env!("CARGO_BIN_EXE_msk-mtls-rule"))
        .arg("check")
        .args(&files)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let expected = format!(
        "```text\n{}```\n",
        String::from_utf8(output.stdout).unwrap()
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/check.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let begin =
        "<!-- check-sample:begin (the output of the command above, tested by tests/check.rs) -->\n";
    let start = doc.find(begin).expect("the sample's begin marker") + begin.len();
    let stop = start
        + doc[start..]
            .find("<!-- check-sample:end -->")
            .expect("its end marker");
    if doc[start..stop] != expected {
        if std::env::var_os("MSK_MTLS_RULE_WRITE_DOCS").is_some() {
            std::fs::write(
                &path,
                format!("{}{expected}{}", &doc[..start], &doc[stop..]),
            )
            .unwrap();
        } else {
            panic!("docs/check.md's sample differs from the output:\n{expected}");
        }
    }
}

/// The ACL default before deploy: a template's own `AWS::MSK::Configuration` is read (the last of
/// duplicate keys wins, the key exactly as Kafka reads it); no `ConfigurationInfo` is MSK's default,
/// open; a configuration the file does not hold is not known, open, and said so. A note without
/// `requireAclDefaultDeny`, a failure with it (exit 1).
#[test]
fn the_acl_default_is_read_from_the_templates_configuration_and_fails_only_when_required() {
    let dir = std::env::temp_dir().join(format!("msk-check-acl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cluster = |name: &str, info: &str| {
        format!(
            "  {name}:\n    Type: AWS::MSK::Cluster\n    Properties:\n      ClientAuthentication:\n        Tls:\n          \
             CertificateAuthorityArnList: [arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/1]\n      \
             EncryptionInfo: {{EncryptionInTransit: {{ClientBroker: TLS}}}}\n      KafkaVersion: 3.7.x.kraft\n{info}"
        )
    };
    let configuration = |name: &str, properties: &str| {
        format!(
            "  {name}:\n    Type: AWS::MSK::Configuration\n    Properties:\n      ServerProperties: |\n{}",
            properties
                .lines()
                .map(|line| format!("        {line}\n"))
                .collect::<String>()
        )
    };
    let info = |arn: &str| format!("      ConfigurationInfo: {{Arn: {arn}, Revision: 1}}\n");
    let template = dir.join("acl.yaml");
    std::fs::write(
        &template,
        format!(
            "Parameters:\n  SharedConfiguration: {{Type: String}}\nResources:\n{}{}{}{}{}{}{}",
            cluster("Closed", &info("!Ref Closing")),
            cluster("UpperCase", &info("!GetAtt UpperCasing.Arn")),
            cluster("Default", ""),
            cluster("Shared", &info("!Ref SharedConfiguration")),
            configuration("Closing", "allow.everyone.if.no.acl.found=true\nallow.everyone.if.no.acl.found : false"),
            configuration("UpperCasing", "ALLOW.EVERYONE.IF.NO.ACL.FOUND=false"),
            cluster("Reopened", &info("!Ref Reopening")),
        ) + &configuration("Reopening", "allow.everyone.if.no.acl.found=false\n# a later line wins\nallow.everyone.if.no.acl.found=true"),
    )
    .unwrap();
    let path = template.to_str().unwrap();
    let noted = check(&["--format", "json", path]);
    assert_eq!(noted.status.code(), Some(0), "notes do not fail");
    let report = json_of(&noted);
    let notes = |name: &str| row(&report, name)["notes"].clone();
    assert_eq!(notes("Closed"), json!([]));
    assert_eq!(row(&report, "Closed")["annotation"], Value::Null);
    assert_eq!(
        notes("UpperCase"),
        json!(["authorization open by default: allow.everyone.if.no.acl.found is not set (MSK's default is true)"])
    );
    assert_eq!(
        notes("Default"),
        json!(["authorization open by default: MSK's default configuration sets allow.everyone.if.no.acl.found true"])
    );
    assert_eq!(
        notes("Shared"),
        json!(["authorization open by default: the configuration is not known before deploy"])
    );
    assert_eq!(
        notes("Reopened"),
        json!(["authorization open by default: allow.everyone.if.no.acl.found is true"])
    );
    assert_eq!(row(&report, "Default")["complianceType"], "COMPLIANT");
    assert_eq!(row(&report, "Default")["annotation"], notes("Default")[0]);

    let required = check(&[
        "--format",
        "json",
        "--parameters",
        r#"{"requireAclDefaultDeny":"true"}"#,
        path,
    ]);
    assert_eq!(required.status.code(), Some(1));
    let report = json_of(&required);
    for name in ["UpperCase", "Default", "Shared", "Reopened"] {
        assert_eq!(
            row(&report, name)["complianceType"],
            "NON_COMPLIANT",
            "{name}"
        );
        assert_eq!(row(&report, name)["notes"], json!([]), "{name}");
    }
    assert_eq!(row(&report, "Closed")["complianceType"], "COMPLIANT");
    let _ = std::fs::remove_dir_all(&dir);
}

/// ZooKeeper direct access does not exist before the cluster does: a ZooKeeper-mode cluster (a
/// version before 4 without `.kraft`, or one not known before deploy) with Standard brokers gets a
/// note, in a template and in a plan, and never fails `check`; KRaft and Express brokers none.
#[test]
fn a_zookeeper_mode_cluster_is_noted_before_deploy_and_kraft_or_express_is_not() {
    let dir = std::env::temp_dir().join(format!("msk-check-zk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cluster = |name: &str, extra: &str| {
        format!(
            "  {name}:\n    Type: AWS::MSK::Cluster\n    Properties:\n      ClientAuthentication:\n        Tls:\n          \
             CertificateAuthorityArnList: [arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/1]\n      \
             EncryptionInfo: {{EncryptionInTransit: {{ClientBroker: TLS}}}}\n      \
             ConfigurationInfo: {{Arn: !Ref Closing, Revision: 1}}\n{extra}"
        )
    };
    let template = dir.join("zk.yaml");
    std::fs::write(
        &template,
        format!(
            "Parameters:\n  Version: {{Type: String}}\nResources:\n{}{}{}{}{}  Closing:\n    Type: AWS::MSK::Configuration\n    \
             Properties:\n      ServerProperties: allow.everyone.if.no.acl.found=false\n",
            cluster("ZooKeeper", "      KafkaVersion: 3.6.0\n      BrokerNodeGroupInfo: {InstanceType: kafka.m5.large}\n"),
            cluster("KRaft", "      KafkaVersion: 3.7.x.kraft\n"),
            cluster("Kafka4", "      KafkaVersion: 4.0.x\n"),
            cluster("Express", "      KafkaVersion: 3.6.0\n      BrokerNodeGroupInfo: {InstanceType: express.m7g.large}\n"),
            cluster("Unknown", "      KafkaVersion: !Ref Version\n"),
        ),
    )
    .unwrap();
    let output = check(&["--format", "json", template.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "a note never fails check");
    let report = json_of(&output);
    let note = json!(["ZooKeeper is reachable directly: ACLs can be changed without a certificate (MSK creates the cluster with it on; judged once the cluster exists)"]);
    for name in ["ZooKeeper", "Unknown"] {
        assert_eq!(row(&report, name)["notes"], note, "{name}");
        assert_eq!(row(&report, name)["complianceType"], "COMPLIANT", "{name}");
    }
    for name in ["KRaft", "Kafka4", "Express"] {
        assert_eq!(row(&report, name)["notes"], json!([]), "{name}");
    }

    let plan = dir.join("zk-plan.json");
    let change = |name: &str, version: Value, unknown: Value| {
        json!({"address": format!("aws_msk_cluster.{name}"), "mode": "managed", "type": "aws_msk_cluster", "name": name,
               "change": {"actions": ["create"], "before": null, "after_unknown": unknown, "after": {
                   "kafka_version": version,
                   "client_authentication": [{"tls": [{"certificate_authority_arns": ["arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/1"]}]}],
                   "encryption_info": [{"encryption_in_transit": [{"client_broker": "TLS", "in_cluster": true}]}],
                   "broker_node_group_info": [{"instance_type": "kafka.m5.large"}]}}})
    };
    let plan_json = json!({"format_version": "1.2", "terraform_version": "1.9.8", "resource_changes": [
        change("zookeeper", json!("2.8.1"), json!({})),
        change("kraft", json!("3.9.x.kraft"), json!({})),
        change("unknown", Value::Null, json!({"kafka_version": true})),
    ]});
    std::fs::write(&plan, plan_json.to_string()).unwrap();
    let output = check(&["--format", "json", plan.to_str().unwrap()]);
    let report = json_of(&output);
    let zookeeper_note = |name: &str| {
        row(&report, name)["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|note| {
                note.as_str()
                    .unwrap()
                    .starts_with("ZooKeeper is reachable directly")
            })
    };
    assert!(zookeeper_note("aws_msk_cluster.zookeeper"), "{report}");
    assert!(zookeeper_note("aws_msk_cluster.unknown"), "{report}");
    assert!(!zookeeper_note("aws_msk_cluster.kraft"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A CA the template creates is judged from the template, offline: its RAM share names the other
/// account (the ACM renewal permission, for the CA's own account, names nobody); its type and
/// usage mode pass or fail as the parameters say; whether another cluster trusts it is a note.
#[test]
fn the_trust_anchor_a_template_shows_is_judged_from_it() {
    let template = fixture("trust-anchor.yaml");
    let output = check(&["--format", "json", &template]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_of(&output);
    assert_eq!(
        verdicts(&report),
        pairs(&[("Orders", "NON_COMPLIANT"), ("Payments", "COMPLIANT")])
    );
    assert_eq!(
        row(&report, "Orders")["findings"],
        json!(["CA TeamCa lets other accounts issue client certificates: 444455556666"])
    );

    let strict = r#"{"allowedIssuerAccounts":"444455556666","requireShortLivedCertificates":"true","certificateAuthorityPerCluster":"true"}"#;
    let output = check(&["--format", "json", "--parameters", strict, &template]);
    let report = json_of(&output);
    assert_eq!(
        verdicts(&report),
        pairs(&[("Orders", "COMPLIANT"), ("Payments", "NON_COMPLIANT")])
    );
    assert_eq!(
        row(&report, "Payments")["findings"],
        json!(["CA PaymentsCa issues GENERAL_PURPOSE certificates, not short-lived ones (MSK never checks revocation)"])
    );
    assert_eq!(
        row(&report, "Orders")["notes"][1],
        "whether CA TeamCa is trusted by other clusters is not known before deploy"
    );
}

#[test]
fn ocsf_has_a_compliance_finding_per_cluster_and_check_made_and_one_per_part_not_judged() {
    let output = check(&["--format", "ocsf", &fixture("clusters.yaml")]);
    assert_eq!(output.status.code(), Some(1));
    let events = json_of(&output);
    let events = events.as_array().unwrap();
    assert!(events
        .iter()
        .all(|e| e["class_uid"] == 2003 && e.get("cloud").is_none()));
    let of = |resource: &str, check: &str| {
        events
            .iter()
            .find(|e| e["resources"][0]["name"] == resource && e["compliance"]["control"] == check)
            .unwrap_or_else(|| panic!("no {check} finding of {resource}"))
    };
    let open = of("Clickstream", "unauthenticated access");
    assert_eq!(open["compliance"]["status_id"], 3, "{open}");
    assert_eq!(open["severity_id"], 4);
    assert_eq!(
        open["finding_info"]["uid"],
        format!(
            "{}#Clickstream/unauthenticated-access",
            fixture("clusters.yaml")
        )
    );
    assert_eq!(open["resources"][0]["data"]["line"], 48);
    assert_eq!(
        of("Clickstream", "authorization closed by default")["compliance"]["status_id"],
        2
    );
    assert_eq!(of("Clickstream", "SASL")["compliance"]["status_id"], 3);
    assert_eq!(
        of("Clickstream", "public access")["compliance"]["status_id"],
        1
    );
    // Off by default: no finding, never a passed one.
    assert!(events
        .iter()
        .all(|e| e["compliance"]["control"] != "required tags"));

    let nested = json_of(&check(&["--format", "ocsf", &fixture("nested.yaml")]));
    let not_judged: Vec<&Value> = nested
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["compliance"]["control"] == "not judged")
        .collect();
    assert!(!not_judged.is_empty(), "{nested}");
    assert!(not_judged.iter().all(|e| e["compliance"]["status_id"] == 0));
}
