//! Contract tests over real AWS event shapes (tests/fixtures/aws, copied with their sources).

mod common;

use common::{handle, read_json, FakeCas, FakeFleet, FakeHistory, FakeSink, CA};
use msk_mtls_rule::edge::event::{ConfigRuleEvent, Notification};
use msk_mtls_rule::edge::item::ItemStatus;
use msk_mtls_rule::rule::evaluation::ComplianceType;
use msk_mtls_rule::rule::params::RuleParams;
use msk_mtls_rule::RuleError;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    read_json(format!("tests/fixtures/aws/{name}.json"))
}

fn with_parameters(mut event: Value, parameters: &str) -> Value {
    event["ruleParameters"] = Value::String(parameters.to_owned());
    event
}

#[tokio::test]
async fn documented_ec2_change_event_is_not_applicable_once_its_placeholder_parameters_are_replaced(
) {
    let sink = FakeSink::default();
    let event = with_parameters(fixture("config-event-change"), "{}");
    let summary = handle(
        &FakeHistory::default(),
        &FakeCas::default(),
        &FakeFleet::default(),
        &sink,
        event,
    )
    .await
    .unwrap();
    assert_eq!(summary.not_applicable, 1);
    let sent = sink.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].resource_type, "AWS::EC2::Instance");
    assert_eq!(sent[0].resource_id, "i-00000000");
    assert_eq!(sent[0].compliance, ComplianceType::NotApplicable);
    assert_eq!(
        sent[0].annotation.as_deref(),
        Some("AWS::EC2::Instance is not an MSK cluster")
    );
    assert_eq!(sent[0].ordering_timestamp.secs(), 1_455_672_994); // 2016-02-17T01:36:34.043Z
}

#[tokio::test]
async fn documented_placeholder_parameter_is_rejected_by_name_and_nothing_is_sent() {
    let sink = FakeSink::default();
    let error = handle(
        &FakeHistory::default(),
        &FakeCas::default(),
        &FakeFleet::default(),
        &sink,
        fixture("config-event-change"),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_type(), "InvalidRuleParameter");
    assert!(error.to_string().contains("myParameterKey"), "{error}");
    assert!(sink.calls().is_empty());
}

#[test]
fn powertools_events_parse_and_their_parameters_are_rejected_by_name() {
    for (name, bad_key) in [
        (
            "powertools-awsConfigRuleConfigurationChanged",
            "desiredInstanceType",
        ),
        (
            "powertools-awsConfigRuleOversizedConfiguration",
            "myParameterKey",
        ),
        ("powertools-awsConfigRuleScheduled", "test"),
    ] {
        let event =
            ConfigRuleEvent::from_json(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        match RuleParams::parse(event.rule_parameters.as_deref()) {
            Err(RuleError::InvalidRuleParameter { key, .. }) => assert_eq!(key, bad_key, "{name}"),
            other => panic!("{name}: expected {bad_key} to be rejected, got {other:?}"),
        }
    }
}

#[test]
fn every_message_type_of_the_documentation_parses() {
    let change =
        ConfigRuleEvent::from_json(fixture("powertools-awsConfigRuleConfigurationChanged"))
            .unwrap();
    let Notification::Change(item) = change.notification else {
        panic!("not a change")
    };
    assert_eq!(item.resource_id, "i-042dd005362091826");
    assert_eq!(item.status, ItemStatus::Ok);
    assert_eq!(item.tags.get("Name").map(String::as_str), Some("Minha"));

    for name in [
        "config-event-oversized",
        "powertools-awsConfigRuleOversizedConfiguration",
    ] {
        let event = ConfigRuleEvent::from_json(fixture(name)).unwrap();
        let Notification::Oversized(summary) = event.notification else {
            panic!("{name} not oversized")
        };
        assert_eq!(summary.resource_id, "i-00000000");
        assert_eq!(summary.configuration, None);
        assert!(!event.event_left_scope);
    }

    for name in [
        "config-event-scheduled",
        "powertools-awsConfigRuleScheduled",
    ] {
        let event = ConfigRuleEvent::from_json(fixture(name)).unwrap();
        assert!(
            matches!(event.notification, Notification::Scheduled { .. }),
            "{name}"
        );
    }
}

#[test]
fn result_token_never_shows_in_debug_output() {
    let event = ConfigRuleEvent::from_json(fixture("powertools-awsConfigRuleConfigurationChanged"))
        .unwrap();
    let token = event.result_token.expose().to_owned();
    assert!(token.len() > 100);
    let debug = format!("{event:?}");
    assert!(
        !debug.contains(&token[..40]),
        "token leaked into Debug output"
    );
    assert!(debug.contains("<redacted>"));
}

#[tokio::test]
async fn reconstructed_msk_item_is_read_and_its_plaintext_listener_found() {
    let sink = FakeSink::default();
    let event = fixture("config-event-change-msk.reconstructed");
    handle(
        &FakeHistory::default(),
        &FakeCas::active_for_days(CA, 400),
        &FakeFleet::default(),
        &sink,
        event,
    )
    .await
    .unwrap();
    let sent = sink.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].resource_type, "AWS::MSK::Cluster");
    assert!(sent[0]
        .resource_id
        .starts_with("arn:aws:kafka:us-east-1:123456789012:cluster/demo-cluster-1/"));
    assert_eq!(sent[0].compliance, ComplianceType::NonCompliant);
    assert_eq!(
        sent[0].annotation.as_deref(),
        Some(
            "client-broker encryption is TLS_PLAINTEXT, not TLS: a plaintext listener is open; \
             ZooKeeper is reachable directly: ACLs can be changed without a certificate (never \
             turned off) (since 2023-04-27T15:03:11Z)"
        )
    );
}
