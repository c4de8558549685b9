//! `msk-mtls-rule check` with the CA check, which calls AWS: the built binary against the local AWS
//! emulator (moto).

#[path = "e2e/harness.rs"]
#[allow(dead_code)] // shared with the Lambda end-to-end tests, which use more of it
mod harness;

use serde_json::{json, Value};

#[test]
fn the_ca_check_runs_only_when_the_parameters_ask_for_it() {
    let emulator = harness::Emulator::start();
    let disabled = emulator.control(
        "/_e2e/private-ca",
        json!({"days": 400, "status": "DISABLED"}),
    )["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = std::env::temp_dir().join(format!("msk-check-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = dir.join("ca.yaml");
    std::fs::write(
        &template,
        format!(
            "Resources:\n  Orders:\n    Type: AWS::MSK::Cluster\n    Properties:\n      ClientAuthentication:\n        Tls:\n          Enabled: true\n          CertificateAuthorityArnList: [{disabled}]\n      EncryptionInfo:\n        EncryptionInTransit:\n          ClientBroker: TLS\n"
        ),
    )
    .unwrap();
    let run = |parameters: Option<&str>| {
        let mut command = harness::cli_against(&emulator, Some("us-east-1"));
        command.args(["check", "--format", "json"]);
        if let Some(parameters) = parameters {
            command.args(["--parameters", parameters]);
        }
        command.arg(&template).output().unwrap()
    };
    let without = run(None);
    assert_eq!(
        without.status.code(),
        Some(0),
        "no AWS call without asking: {}",
        String::from_utf8_lossy(&without.stderr)
    );
    assert!(emulator.calls().is_empty());
    let with = run(Some(r#"{"checkCertificateAuthorityStatus":"true"}"#));
    assert_eq!(with.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&with.stdout).unwrap();
    assert!(
        report[0]["findings"][0]
            .as_str()
            .unwrap()
            .ends_with("is DISABLED"),
        "{report}"
    );
    assert_eq!(emulator.calls_to("DescribeCertificateAuthority").len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
