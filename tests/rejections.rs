//! Refused clients counted from the brokers' logs, end to end: the release binary served CloudWatch
//! Logs subscription events (gzip, base64) through the Lambda Runtime API, mapping log groups to
//! clusters through the real AWS SDK's ListClustersV2 against the emulator, writing EMF lines.
//! Needs `make tools build` first.

#[path = "e2e/harness.rs"]
#[allow(dead_code)] // shared with the other end-to-end tests
mod harness;

use std::io::Write;
use std::time::Duration;

use base64::Engine;
use harness::{Emulator, Function, Outcome, RuntimeApi};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(60);
const OWN_ACCOUNT: &str = "123456789012";

fn tls_refusal(address: &str, port: u16) -> String {
    format!(
        "[2026-12-03 05:30:00,123] INFO [SocketServer listenerType=ZK_BROKER, nodeId=2] Failed authentication with /{address} (channelId=10.0.0.7:9094-{address}:{port}-12) (SSL handshake failed) (org.apache.kafka.common.network.Selector)"
    )
}

const SASL_REFUSAL: &str = "[2026-12-03 05:30:01,456] INFO [SocketServer listenerType=ZK_BROKER, nodeId=1] Failed authentication with /10.0.2.9 (channelId=10.0.0.8:9096-10.0.2.9:40112-3) (Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512) (org.apache.kafka.common.network.Selector)";

/// A subscription event as CloudWatch Logs invokes a function with it.
fn subscription(owner: &str, group: &str, kind: &str, messages: &[String]) -> Value {
    let data = json!({
        "messageType": kind,
        "owner": owner,
        "logGroup": group,
        "logStream": "Broker-2",
        "subscriptionFilters": ["msk-mtls-rule-rejections"],
        "logEvents": messages.iter().enumerate().map(|(i, message)| json!({
            "id": format!("3795317000000000000000000000000000000000000000000{i:07}"),
            "timestamp": 1_764_739_800_000_u64 + i as u64,
            "message": message,
        })).collect::<Vec<_>>(),
    });
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(data.to_string().as_bytes()).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(gzip.finish().unwrap());
    json!({"awslogs": {"data": encoded}})
}

fn answer(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Response(body) => body,
        Outcome::Error {
            error_type,
            message,
        } => panic!("{error_type}: {message}"),
    }
}

/// The EMF lines the function wrote with `RejectedHandshakes`.
fn rejection_lines(function: &Function) -> Vec<Value> {
    function
        .logs()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("RejectedHandshakes").is_some() && line.get("_aws").is_some())
        .collect()
}

fn seed(emulator: &Emulator) {
    let logging = |group: &str| json!({"brokerLogs": {"cloudWatchLogs": {"enabled": true, "logGroup": group}}});
    emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [
            {"name": "payments", "loggingInfo": logging("/msk/payments")},
            {"name": "orders", "loggingInfo": logging("/msk/shared")},
            {"name": "billing", "loggingInfo": logging("/msk/shared")},
            {"name": "quiet"},
        ]}),
    );
}

#[test]
fn refusals_are_counted_per_cluster_from_the_log_group_its_brokers_write() {
    let emulator = Emulator::start();
    seed(&emulator);
    let runtime = RuntimeApi::start();
    let function = Function::start(&runtime, &emulator);
    let mut lines: Vec<String> = (0..7)
        .map(|i| tls_refusal("10.0.1.23", 50_000 + i))
        .collect();
    lines.extend((0..2).map(|i| tls_refusal("10.0.1.99", 51_000 + i)));
    lines.push(SASL_REFUSAL.to_owned());
    lines.push(
        "[2026-12-03 05:30:02,000] INFO [GroupCoordinator 2]: Stabilized group orders generation 4"
            .into(),
    );
    let counted = answer(runtime.invoke(
        &subscription(OWN_ACCOUNT, "/msk/payments", "DATA_MESSAGE", &lines),
        TIMEOUT,
    ));
    assert_eq!(counted["clusterName"], "payments", "{counted}");
    assert_eq!(counted["lines"], 11);
    assert_eq!(counted["rejectedHandshakes"], 9);
    assert_eq!(counted["failedSaslAuthentications"], 1);
    assert_eq!(
        counted["topAddresses"],
        json!([{"address": "10.0.1.23", "refusals": 7}, {"address": "10.0.1.99", "refusals": 2}, {"address": "10.0.2.9", "refusals": 1}])
    );
    let emf = rejection_lines(&function);
    assert_eq!(emf.len(), 1, "{emf:?}");
    assert_eq!(emf[0]["ClusterName"], "payments");
    assert_eq!(emf[0]["RejectedHandshakes"], 9);
    assert_eq!(emf[0]["FailedSaslAuthentications"], 1);
    assert_eq!(
        emf[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["ClusterName"], []])
    );
    assert_eq!(
        emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "MskMtlsRule"
    );

    // A group two clusters share is counted by the group, and the log says why.
    let shared = answer(runtime.invoke(
        &subscription(
            OWN_ACCOUNT,
            "/msk/shared",
            "DATA_MESSAGE",
            &[tls_refusal("10.0.3.3", 40_000)],
        ),
        TIMEOUT,
    ));
    assert_eq!(shared["clusterName"], Value::Null);
    assert_eq!(shared["sharedBy"], json!(["billing", "orders"]));
    let emf = rejection_lines(&function);
    assert_eq!(emf[1]["LogGroup"], "/msk/shared");
    assert_eq!(
        emf[1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["LogGroup"], []])
    );
    assert!(function
        .logs()
        .contains("several clusters log to this group"));

    // The listing was read once for both events: the function keeps it while warm.
    assert_eq!(emulator.calls_to("ListClustersV2").len(), 1);
}

#[test]
fn a_control_message_another_accounts_group_and_malformed_payloads_are_said_out_loud() {
    let emulator = Emulator::start();
    seed(&emulator);
    let runtime = RuntimeApi::start();
    let mut function = Function::start(&runtime, &emulator);
    let control = subscription(
        "CloudwatchLogs",
        "",
        "CONTROL_MESSAGE",
        &["CWL CONTROL MESSAGE: Checking health of destination Lambda.".into()],
    );
    let checked = answer(runtime.invoke(&control, TIMEOUT));
    assert_eq!(checked["messageType"], "CONTROL_MESSAGE");
    assert_eq!(checked["rejectedHandshakes"], 0);
    assert!(emulator.calls_to("ListClustersV2").is_empty());
    assert!(
        rejection_lines(&function).is_empty(),
        "a control message writes no metric"
    );

    let foreign = answer(runtime.invoke(
        &subscription(
            "444455556666",
            "/msk/payments",
            "DATA_MESSAGE",
            &[tls_refusal("10.9.9.9", 1)],
        ),
        TIMEOUT,
    ));
    assert_eq!(foreign["clusterName"], Value::Null);
    assert_eq!(foreign["rejectedHandshakes"], 1);
    assert!(function
        .logs()
        .contains("no cluster of this account and region logs to this group"));

    for (data, words) in [
        (json!("%%% not base64"), "is not base64"),
        (
            json!(base64::engine::general_purpose::STANDARD.encode(b"plain")),
            "is not gzip",
        ),
        (json!(17), "CloudWatch Logs subscription event"),
    ] {
        match runtime.invoke(&json!({"awslogs": {"data": data}}), TIMEOUT) {
            Outcome::Error {
                error_type,
                message,
            } => {
                assert_eq!(error_type, "InvalidEvent", "{message}");
                assert!(message.contains(words), "{words}: {message}");
            }
            Outcome::Response(body) => panic!("{words}: answered {body}"),
        }
    }
    assert!(function.is_running());
    assert!(emulator.calls_to("PutEvaluations").is_empty());
}
