//! The handler over plain fakes: dispatch, applicability, CA look-ups, batching, retries, errors.

mod common;

use common::{fixed_now, handle, read_json, send, FakeCas, FakeFleet, FakeHistory, FakeSink, CA};
use msk_mtls_rule::app::access::{account_access, account_of_function_arn, AccountAccess};
use msk_mtls_rule::app::delivery::{send_evaluations, InvocationSummary};
use msk_mtls_rule::aws::ports::{
    Accounts, ConfigService, ConnectService, KafkaService, Page, PrivateCaService,
};
use msk_mtls_rule::edge::configuration::read_facts_from_value;
use msk_mtls_rule::edge::event::{ConfigRuleEvent, Notification, ResultToken};
use msk_mtls_rule::edge::kafka::ListedCluster;
use msk_mtls_rule::rule::arn::ClusterArn;
use msk_mtls_rule::rule::ca::{CaDescription, CaHealth, CaKind, CaProfile, Issuers, UsageMode};
use msk_mtls_rule::rule::doors::{ClientVpcConnection, Connector, Listing, Replicator};
use msk_mtls_rule::rule::evaluation::{ComplianceType, Evaluation, ResourceKey, ResourceType};
use msk_mtls_rule::rule::facts::Cluster;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn sample(name: &str) -> Value {
    read_json(format!("events/{name}.json"))
}

fn invoking(event: &Value) -> Value {
    serde_json::from_str(event["invokingEvent"].as_str().unwrap()).unwrap()
}

fn set_invoking(event: &mut Value, invoking: Value) {
    event["invokingEvent"] = Value::String(invoking.to_string());
}

fn with_parameters(mut event: Value, parameters: Value) -> Value {
    event["ruleParameters"] = Value::String(parameters.to_string());
    event
}

async fn run(
    event: Value,
    cas: FakeCas,
) -> (
    Result<InvocationSummary, msk_mtls_rule::RuleError>,
    FakeSink,
) {
    let sink = FakeSink::default();
    let result = handle(
        &FakeHistory::default(),
        &cas,
        &FakeFleet::default(),
        &sink,
        event,
    )
    .await;
    (result, sink)
}

#[tokio::test]
async fn compliant_change_sends_one_test_mode_evaluation_stamped_with_the_capture_time() {
    let (result, sink) = run(sample("compliant"), FakeCas::default()).await;
    assert_eq!(
        result.unwrap(),
        InvocationSummary {
            evaluations: 1,
            compliant: 1,
            non_compliant: 0,
            not_applicable: 0,
            ca_days_to_expiry: None,
            // The sample runs MSK's default configuration: counted for the dashboard.
            acl_open_by_default: 1,
            ..InvocationSummary::default()
        }
    );
    let calls = sink.calls();
    assert_eq!(calls.len(), 1);
    let (test_mode, batch) = &calls[0];
    assert!(test_mode, "resultToken TESTMODE must set TestMode");
    assert_eq!(batch[0].compliance, ComplianceType::Compliant);
    assert_eq!(
        batch[0].annotation.as_deref(),
        Some("authorization open by default: MSK's default configuration sets allow.everyone.if.no.acl.found true"),
        "the sample runs MSK's default configuration: noted, not failed"
    );
    assert_eq!(batch[0].ordering_timestamp.secs(), 1_682_607_791); // 2023-04-27T15:03:11.636Z
}

#[tokio::test]
async fn ca_health_is_looked_up_once_per_distinct_ca() {
    let mut event = with_parameters(sample("compliant"), json!({}));
    let mut inv = invoking(&event);
    inv["configurationItem"]["configuration"]["ClientAuthentication"]["Tls"]
        ["CertificateAuthorityArnList"] = json!([CA, CA]);
    set_invoking(&mut event, inv);
    let cas = FakeCas::active_for_days(CA, 365);
    let sink = FakeSink::default();
    let summary = handle(
        &FakeHistory::default(),
        &cas,
        &FakeFleet::default(),
        &sink,
        event,
    )
    .await
    .unwrap();
    assert_eq!(sink.sent()[0].compliance, ComplianceType::Compliant);
    assert_eq!(*cas.calls.lock().unwrap(), vec![CA.to_owned()]);
    assert_eq!(summary.ca_days_to_expiry, Some(365));
}

#[tokio::test]
async fn unhealthy_ca_makes_the_cluster_non_compliant() {
    let event = with_parameters(
        sample("compliant"),
        json!({"certificateAuthorityExpiryDays": "60"}),
    );
    for (health, words) in [
        (
            CaHealth::NotActive {
                status: msk_mtls_rule::rule::ca::CaStatus::Disabled,
            },
            "is DISABLED",
        ),
        (CaHealth::NotFound, "does not exist"),
        (
            CaHealth::Unreadable {
                reason: "AccessDeniedException".into(),
            },
            "could not be checked",
        ),
    ] {
        let (result, sink) = run(event.clone(), FakeCas::with(CA, health)).await;
        result.unwrap();
        let sent = sink.sent();
        assert_eq!(sent[0].compliance, ComplianceType::NonCompliant, "{words}");
        assert!(
            sent[0].annotation.as_deref().unwrap().contains(words),
            "{words}"
        );
    }
    let (result, sink) = run(event, FakeCas::active_for_days(CA, 45)).await;
    result.unwrap();
    assert!(sink.sent()[0]
        .annotation
        .as_deref()
        .unwrap()
        .contains("expires in 45 days"));
}

#[tokio::test]
async fn a_ca_that_cannot_be_looked_up_fails_the_invocation_and_sends_nothing() {
    let event = with_parameters(sample("compliant"), json!({}));
    let (result, sink) = run(event, FakeCas::default()).await;
    let error = result.unwrap_err();
    assert_eq!(error.error_type(), "AwsApi");
    assert!(
        error.to_string().contains("DescribeCertificateAuthority"),
        "{error}"
    );
    assert!(
        sink.calls().is_empty(),
        "never a verdict on unverified trust"
    );
}

#[tokio::test]
async fn no_ca_call_when_the_check_is_off_or_the_cluster_is_not_applicable() {
    let default_parameters = |name| with_parameters(sample(name), json!({}));
    for (name, event) in [
        ("check off", sample("compliant")),
        ("deleted", default_parameters("notapplicable-deleted")),
        ("serverless", default_parameters("notapplicable-serverless")),
        ("left scope", default_parameters("notapplicable-left-scope")),
    ] {
        let cas = FakeCas::default();
        let sink = FakeSink::default();
        handle(
            &FakeHistory::default(),
            &cas,
            &FakeFleet::default(),
            &sink,
            event,
        )
        .await
        .unwrap();
        assert_eq!(sink.sent().len(), 1, "{name}");
        assert!(cas.calls.lock().unwrap().is_empty(), "{name}");
    }
}

#[tokio::test]
async fn oversized_item_is_fetched_as_of_the_summary_capture_time_and_judged_like_the_inline_one() {
    let inline = ConfigRuleEvent::from_json(sample("noncompliant-sasl-iam")).unwrap();
    let Notification::Change(item) = inline.notification else {
        unreachable!()
    };
    let mut history = FakeHistory::default();
    history.items.insert(item.resource_id.clone(), item.clone());
    let sink = FakeSink::default();
    handle(
        &history,
        &FakeCas::default(),
        &FakeFleet::default(),
        &sink,
        read_json("events/aws/oversized-compliant.json"),
    )
    .await
    .unwrap();

    let calls = history.calls.lock().unwrap().clone();
    assert_eq!(
        calls,
        vec![(
            "AWS::MSK::Cluster".to_owned(),
            item.resource_id.clone(),
            item.capture_time
        )]
    );
    let (inline_result, inline_sink) =
        run(sample("noncompliant-sasl-iam"), FakeCas::default()).await;
    inline_result.unwrap();
    assert_eq!(sink.sent(), inline_sink.sent());
    assert_eq!(sink.sent()[0].compliance, ComplianceType::NonCompliant);
}

#[tokio::test]
async fn oversized_without_a_recorded_item_fails_and_sends_nothing() {
    let sink = FakeSink::default();
    let error = handle(
        &FakeHistory::default(),
        &FakeCas::default(),
        &FakeFleet::default(),
        &sink,
        read_json("events/aws/oversized-compliant.json"),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_type(), "AwsApi");
    assert!(
        error.to_string().contains("GetResourceConfigHistory"),
        "{error}"
    );
    assert!(sink.calls().is_empty());
}

#[tokio::test]
async fn deleted_oversized_summary_is_not_applicable_without_fetching() {
    let mut event = read_json("events/aws/oversized-compliant.json");
    let mut inv = invoking(&event);
    inv["configurationItemSummary"]["configurationItemStatus"] = json!("ResourceDeleted");
    set_invoking(&mut event, inv);
    let (result, sink) = run(event, FakeCas::default()).await;
    assert_eq!(result.unwrap().not_applicable, 1);
    assert_eq!(
        sink.sent()[0].annotation.as_deref(),
        Some("the cluster was deleted")
    );
}

#[tokio::test]
async fn api_style_envelope_with_configuration_as_a_string_reads_the_same() {
    let mut event = sample("noncompliant-sasl-scram");
    let mut inv = invoking(&event);
    let item = inv["configurationItem"].as_object_mut().unwrap();
    let configuration = item.remove("configuration").unwrap();
    item.insert(
        "configuration".into(),
        Value::String(configuration.to_string()),
    );
    for (from, to) in [
        ("awsAccountId", "accountId"),
        ("ARN", "arn"),
        ("configurationItemVersion", "version"),
    ] {
        let value = item.remove(from).unwrap();
        item.insert(to.into(), value);
    }
    item.insert("configurationStateId".into(), json!("1682607791636"));
    set_invoking(&mut event, inv);
    let (result, sink) = run(event, FakeCas::default()).await;
    result.unwrap();
    let annotation = sink.sent()[0].annotation.clone().unwrap();
    assert_eq!(
        msk_mtls_rule::rule::held::split_since(&annotation).0,
        "SASL/SCRAM is enabled and not allowed"
    );
}

#[tokio::test]
async fn malformed_events_fail_with_a_named_problem_and_send_nothing() {
    let good = sample("compliant");
    let mut cases: Vec<(&str, Value, &str)> = vec![
        ("not an object", json!([1, 2]), "event"),
        (
            "no invokingEvent",
            json!({"resultToken": "TESTMODE"}),
            "invokingEvent",
        ),
        (
            "invokingEvent not JSON",
            json!({"invokingEvent": "{oops", "resultToken": "TESTMODE"}),
            "invokingEvent",
        ),
        (
            "invokingEvent as object",
            json!({"invokingEvent": {"messageType": "ScheduledNotification"}, "resultToken": "TESTMODE"}),
            "invokingEvent",
        ),
    ];
    type Mutation = Box<dyn Fn(&mut Value)>;
    let mutations: Vec<(&str, Mutation, &str)> = vec![
        (
            "unknown message type",
            Box::new(|i| i["messageType"] = json!("ComplianceChange")),
            "\"ComplianceChange\"",
        ),
        (
            "no messageType",
            Box::new(|i| {
                i.as_object_mut().unwrap().remove("messageType");
            }),
            "messageType",
        ),
        (
            "no item",
            Box::new(|i| {
                i.as_object_mut().unwrap().remove("configurationItem");
            }),
            "configurationItem is missing",
        ),
        (
            "unknown status",
            Box::new(|i| i["configurationItem"]["configurationItemStatus"] = json!("Gone")),
            "\"Gone\"",
        ),
        (
            "no capture time",
            Box::new(|i| {
                i["configurationItem"]
                    .as_object_mut()
                    .unwrap()
                    .remove("configurationItemCaptureTime");
            }),
            "configurationItemCaptureTime",
        ),
        (
            "bad capture time",
            Box::new(|i| {
                i["configurationItem"]["configurationItemCaptureTime"] = json!("yesterday")
            }),
            "RFC 3339",
        ),
        (
            "no resourceId",
            Box::new(|i| {
                i["configurationItem"]
                    .as_object_mut()
                    .unwrap()
                    .remove("resourceId");
            }),
            "resourceId",
        ),
        (
            "empty resourceId",
            Box::new(|i| i["configurationItem"]["resourceId"] = json!(" ")),
            "resourceId is empty",
        ),
        (
            "configuration is a list",
            Box::new(|i| i["configurationItem"]["configuration"] = json!([])),
            "configuration must be an object",
        ),
        (
            "configuration missing",
            Box::new(|i| i["configurationItem"]["configuration"] = Value::Null),
            "configuration is missing",
        ),
        (
            "flag as string",
            Box::new(|i| {
                i["configurationItem"]["configuration"]["ClientAuthentication"]["Tls"]["Enabled"] =
                    json!("true")
            }),
            "ClientAuthentication.Tls.Enabled",
        ),
    ];
    let mutated: Vec<(&str, Value, &str)> = mutations
        .into_iter()
        .map(|(name, mutate, words)| {
            let mut event = good.clone();
            let mut inv = invoking(&event);
            mutate(&mut inv);
            set_invoking(&mut event, inv);
            (name, event, words)
        })
        .collect();
    cases.extend(mutated);
    for (name, event, words) in cases {
        let (result, sink) = run(event, FakeCas::default()).await;
        let error = result.expect_err(name);
        assert_eq!(error.error_type(), "InvalidEvent", "{name}: {error}");
        assert!(error.to_string().contains(words), "{name}: {error}");
        assert!(sink.calls().is_empty(), "{name}");
    }
}

#[tokio::test]
async fn proactive_evaluation_is_refused_clearly() {
    let mut proactive = sample("compliant");
    proactive["evaluationMode"] = json!("PROACTIVE");
    let (result, sink) = run(proactive, FakeCas::default()).await;
    let error = result.unwrap_err();
    assert_eq!(error.error_type(), "UnsupportedEvent");
    assert!(error.to_string().contains("DETECTIVE"), "{error}");
    assert!(sink.calls().is_empty());
}

#[test]
fn execution_role_is_in_the_event_account_and_the_rule_partition() {
    let access_of = |event: Value, own: Option<&str>| {
        let event = ConfigRuleEvent::from_json(event).unwrap();
        let params =
            msk_mtls_rule::rule::params::RuleParams::parse(event.rule_parameters.as_deref())
                .unwrap();
        account_access(&event, &params, own)
    };
    let role_of = |event: Value| access_of(event, None);
    assert_eq!(role_of(sample("compliant")).unwrap(), AccountAccess::Own);
    let mut event = with_parameters(
        sample("compliant"),
        json!({"executionRoleName": "msk-mtls-member"}),
    );
    event["accountId"] = json!("210987654321");
    event["configRuleArn"] =
        json!("arn:aws-cn:config:cn-north-1:123456789012:config-rule/config-rule-x");
    assert_eq!(
        role_of(event.clone()).unwrap(),
        AccountAccess::Role("arn:aws-cn:iam::210987654321:role/msk-mtls-member".into())
    );
    // the function's own account is evaluated with its own credentials, in organization mode too
    assert_eq!(
        access_of(event.clone(), Some("210987654321")).unwrap(),
        AccountAccess::Own
    );
    assert_eq!(
        access_of(event.clone(), Some("123456789012")).unwrap(),
        AccountAccess::Role("arn:aws-cn:iam::210987654321:role/msk-mtls-member".into())
    );
    for bad_account in [
        json!("21098765432"),
        json!("2109876543210"),
        json!("21098765432x"),
    ] {
        let mut bad = event.clone();
        bad["accountId"] = bad_account;
        assert!(role_of(bad)
            .unwrap_err()
            .to_string()
            .contains("12-digit accountId"));
    }
    let mut no_account = event.clone();
    no_account.as_object_mut().unwrap().remove("accountId");
    assert!(role_of(no_account)
        .unwrap_err()
        .to_string()
        .contains("accountId"));
    let mut no_rule = event;
    no_rule["configRuleArn"] = json!("config-rule-x");
    assert!(role_of(no_rule)
        .unwrap_err()
        .to_string()
        .contains("configRuleArn"));
}

#[test]
fn without_a_role_an_event_from_another_account_is_refused_before_any_call() {
    let mut event = sample("compliant");
    event["accountId"] = json!("210987654321");
    let parsed = ConfigRuleEvent::from_json(event.clone()).unwrap();
    let params =
        msk_mtls_rule::rule::params::RuleParams::parse(parsed.rule_parameters.as_deref()).unwrap();
    let error = account_access(&parsed, &params, Some("123456789012")).unwrap_err();
    assert_eq!(error.error_type(), "InvalidEvent");
    let message = error.to_string();
    assert!(
        message.contains("210987654321")
            && message.contains("123456789012")
            && message.contains("refused"),
        "{message}"
    );
    assert_eq!(
        account_access(&parsed, &params, Some("210987654321")).unwrap(),
        AccountAccess::Own
    );
    let mut anonymous = event;
    anonymous.as_object_mut().unwrap().remove("accountId");
    let parsed = ConfigRuleEvent::from_json(anonymous).unwrap();
    assert!(account_access(&parsed, &params, Some("123456789012")).is_err());
    // the local command knows no own account and evaluates with the credentials at hand
    assert_eq!(
        account_access(&parsed, &params, None).unwrap(),
        AccountAccess::Own
    );
}

#[test]
fn the_account_of_a_function_arn() {
    assert_eq!(
        account_of_function_arn("arn:aws:lambda:us-east-1:123456789012:function:msk-mtls-rule"),
        Some("123456789012")
    );
    assert_eq!(
        account_of_function_arn("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:live"),
        Some("123456789012")
    );
    for bad in [
        "",
        "msk-mtls-rule",
        "arn:aws:lambda:us-east-1:12345:function:f",
        "x:aws:lambda:r:123456789012:function:f",
    ] {
        assert_eq!(account_of_function_arn(bad), None, "{bad}");
    }
}

fn evaluations(count: usize) -> Vec<Evaluation> {
    (0..count)
        .map(|i| Evaluation {
            resource_type: ResourceType::MskCluster,
            resource_id: format!("arn:aws:kafka:us-east-1:123456789012:cluster/c{i}/uuid"),
            compliance: ComplianceType::Compliant,
            annotation: None,
            ordering_timestamp: fixed_now(),
        })
        .collect()
}

#[tokio::test]
async fn evaluations_go_in_batches_of_at_most_100() {
    let sink = FakeSink::default();
    let all = evaluations(250);
    send_evaluations(&sink, &ResultToken::new("token"), &all)
        .await
        .unwrap();
    let sizes: Vec<(bool, usize)> = sink.calls().iter().map(|(t, b)| (*t, b.len())).collect();
    assert_eq!(sizes, vec![(false, 100), (false, 100), (false, 50)]);
    assert_eq!(sink.sent(), all);
}

#[tokio::test]
async fn nothing_to_send_makes_no_call() {
    let sink = FakeSink::default();
    send_evaluations(&sink, &ResultToken::new("token"), &[])
        .await
        .unwrap();
    assert!(sink.calls().is_empty());
}

#[tokio::test]
async fn failed_evaluations_are_sent_again_and_only_those() {
    let all = evaluations(5);
    let failed = vec![key_of(&all[1]), key_of(&all[3])]
        .into_iter()
        .map(|(t, i)| (t.to_owned(), i.to_owned()))
        .collect();
    let sink = FakeSink::failing_with(vec![Ok(failed)]);
    send_evaluations(&sink, &ResultToken::new("token"), &all)
        .await
        .unwrap();
    let calls = sink.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].1, vec![all[1].clone(), all[3].clone()]);
}

#[tokio::test]
async fn evaluations_that_keep_failing_fail_the_invocation() {
    let all = evaluations(3);
    let failed: Vec<(String, String)> =
        vec![(all[2].resource_type.to_string(), all[2].resource_id.clone())];
    let sink = FakeSink::failing_with(vec![
        Ok(failed.clone()),
        Ok(failed.clone()),
        Ok(failed.clone()),
        Ok(failed),
    ]);
    let error = send_evaluations(&sink, &ResultToken::new("token"), &all)
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "EvaluationsRejected");
    assert!(error.to_string().contains(&all[2].resource_id), "{error}");
    assert_eq!(sink.calls().len(), 3);
}

#[tokio::test]
async fn a_put_evaluations_error_fails_the_invocation() {
    let sink = FakeSink::failing_with(vec![Err("AccessDenied".into())]);
    let error = send_evaluations(&sink, &ResultToken::new("token"), &evaluations(1))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "AwsApi");
    assert!(error.to_string().contains("AccessDenied"));
}

fn listed(index: usize, ca: Option<String>) -> ListedCluster {
    let arn = format!("arn:aws:kafka:us-east-1:123456789012:cluster/c{index}/uuid-5");
    let kraft = json!({"kafkaVersion": "3.7.x.kraft"});
    let configuration = match ca {
        Some(ca) => {
            json!({"clientAuthentication": {"tls": {"enabled": true, "certificateAuthorityArnList": [ca]},
                                                     "unauthenticated": {"enabled": false}},
                           "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}},
                           "currentBrokerSoftwareInfo": kraft})
        }
        None => json!({"currentBrokerSoftwareInfo": kraft}),
    };
    ListedCluster {
        resource_type: ResourceType::MskCluster,
        arn,
        tags: BTreeMap::from([("environment".to_owned(), format!("env{}", index % 2))]),
        cluster: Cluster::Provisioned(read_facts_from_value(configuration, []).unwrap()),
    }
}

fn scheduled(parameters: Value) -> Value {
    with_parameters(read_json("events/aws/scheduled.json"), parameters)
}

fn ca(n: usize) -> String {
    format!("arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/{n:08}-0000-0000-0000-000000000000")
}

#[tokio::test]
async fn a_sweep_sends_every_cluster_in_full_batches_as_pages_arrive_and_looks_up_each_ca_once() {
    let clusters: Vec<ListedCluster> = (0..250).map(|i| listed(i, Some(ca(i % 3)))).collect();
    let fleet = FakeFleet {
        clusters,
        page_size: 30,
        ..FakeFleet::default()
    };
    let mut cas = FakeCas::default();
    for n in 0..3 {
        cas.health.insert(
            ca(n),
            CaHealth::Active {
                not_after: Some(fixed_now()),
            },
        );
    }
    let sink = FakeSink::default();
    let summary = handle(
        &FakeHistory::default(),
        &cas,
        &fleet,
        &sink,
        scheduled(json!({})),
    )
    .await
    .unwrap();
    assert_eq!(summary.evaluations, 250);
    let sizes: Vec<usize> = sink.calls().iter().map(|(_, batch)| batch.len()).collect();
    assert_eq!(sizes, vec![100, 100, 50]);
    assert_eq!(
        cas.calls.lock().unwrap().len(),
        3,
        "one look-up per distinct CA"
    );
    let calls = fleet.calls.lock().unwrap().clone();
    assert_eq!(calls.iter().filter(|c| *c == "ListClustersV2").count(), 9); // ceil(250 / 30)
    assert_eq!(
        calls
            .iter()
            .filter(|c| *c == "GetComplianceDetailsByConfigRule")
            .count(),
        1
    );
    // every CA expires now, within the 30-day horizon: every cluster is NON_COMPLIANT
    assert_eq!(summary.non_compliant, 250);
    let sent = sink.sent();
    assert!(sent
        .iter()
        .all(|e| e.ordering_timestamp.secs() == 1_682_601_977)); // notificationCreationTime
}

#[tokio::test]
async fn a_sweep_marks_stale_results_not_applicable_with_their_own_type_only() {
    let fleet = FakeFleet {
        clusters: vec![listed(0, None)],
        stored: vec![
            ("AWS::MSK::Cluster".into(), listed(0, None).arn),
            (
                "AWS::MSK::Cluster".into(),
                "arn:aws:kafka:us-east-1:123456789012:cluster/gone/x-5".into(),
            ),
            (
                "AWS::MSK::ServerlessCluster".into(),
                "arn:aws:kafka:us-east-1:123456789012:cluster/sls/y-s1".into(),
            ),
            ("AWS::EC2::Instance".into(), "i-0123".into()),
        ],
        page_size: 2,
        ..FakeFleet::default()
    };
    let sink = FakeSink::default();
    let summary = handle(
        &FakeHistory::default(),
        &FakeCas::default(),
        &fleet,
        &sink,
        scheduled(json!({"checkCertificateAuthorityStatus": "false"})),
    )
    .await
    .unwrap();
    assert_eq!((summary.non_compliant, summary.not_applicable), (1, 2));
    let sent = sink.sent();
    assert_eq!(sent[1].resource_type, "AWS::MSK::Cluster");
    assert_eq!(sent[2].resource_type, "AWS::MSK::ServerlessCluster");
    assert!(sent[1..]
        .iter()
        .all(|e| e.compliance == ComplianceType::NotApplicable
            && e.annotation.as_deref() == Some("the cluster no longer exists")));
    assert_eq!(sink.calls().len(), 1);
}

#[tokio::test]
async fn an_empty_account_sends_nothing() {
    let sink = FakeSink::default();
    let summary = handle(
        &FakeHistory::default(),
        &FakeCas::default(),
        &FakeFleet::default(),
        &sink,
        scheduled(json!({})),
    )
    .await
    .unwrap();
    assert_eq!(summary, InvocationSummary::default());
    assert!(sink.calls().is_empty());
}

#[tokio::test]
async fn a_sweep_without_the_rule_name_is_refused() {
    let mut event = scheduled(json!({}));
    event.as_object_mut().unwrap().remove("configRuleName");
    let (result, sink) = run(event, FakeCas::default()).await;
    let error = result.unwrap_err();
    assert_eq!(error.error_type(), "InvalidEvent");
    assert!(error.to_string().contains("configRuleName"));
    assert!(sink.calls().is_empty());
}

#[tokio::test]
async fn a_sweep_gives_clusters_outside_the_tag_scope_not_applicable_without_judging_them() {
    let fleet = FakeFleet {
        clusters: (0..4).map(|i| listed(i, Some(ca(i)))).collect(),
        ..FakeFleet::default()
    };
    let mut cas = FakeCas::default();
    for n in 0..4 {
        cas.health.insert(ca(n), CaHealth::NotFound);
    }
    let sink = FakeSink::default();
    let parameters = json!({"scopeTagKey": "environment", "scopeTagValue": "env0"});
    let summary = handle(
        &FakeHistory::default(),
        &cas,
        &fleet,
        &sink,
        scheduled(parameters),
    )
    .await
    .unwrap();
    assert_eq!((summary.non_compliant, summary.not_applicable), (2, 2));
    for (index, evaluation) in sink.sent().iter().enumerate() {
        if index % 2 == 0 {
            assert_eq!(evaluation.compliance, ComplianceType::NonCompliant);
        } else {
            assert_eq!(evaluation.compliance, ComplianceType::NotApplicable);
            assert_eq!(
                evaluation.annotation.as_deref(),
                Some(r#"the cluster is outside the rule's scope (tag "environment" = "env0")"#)
            );
        }
    }
    let looked_up = cas.calls.lock().unwrap().clone();
    assert_eq!(
        looked_up,
        vec![ca(0), ca(2)],
        "only clusters in scope are judged"
    );
}

#[tokio::test]
async fn a_change_outside_the_tag_scope_is_not_applicable() {
    let in_scope = with_parameters(
        sample("compliant"),
        json!({"checkCertificateAuthorityStatus": "false", "scopeTagKey": "env", "scopeTagValue": "prod"}),
    );
    let (result, _) = run(in_scope, FakeCas::default()).await;
    assert_eq!(result.unwrap().compliant, 1);

    let other_value = with_parameters(
        sample("compliant"),
        json!({"checkCertificateAuthorityStatus": "false", "scopeTagKey": "env", "scopeTagValue": "staging"}),
    );
    let (result, sink) = run(other_value, FakeCas::default()).await;
    assert_eq!(result.unwrap().not_applicable, 1);
    assert!(sink.sent()[0]
        .annotation
        .as_deref()
        .unwrap()
        .contains("outside the rule's scope"));
}

/// A fleet whose listings answer tokens from a script: `(token asked, items, next token)`.
#[derive(Default)]
struct ScriptedFleet {
    clusters: Vec<(
        Option<&'static str>,
        Vec<ListedCluster>,
        Option<&'static str>,
    )>,
    stored: Vec<(Option<&'static str>, Option<&'static str>)>,
    /// The listing's calls and the held results' calls.
    calls: std::sync::Mutex<(usize, usize)>,
    sink: FakeSink,
    /// Where a sweep's call streams must meet, when they are tested for it.
    meetings: Option<Meetings>,
}

/// Barriers for two calls each, which only calls in flight at once can pass: the first page of
/// the listing and of the held results; the listing's third page and the first page's CA read;
/// the first PutEvaluations and the listing's fourth page.
struct Meetings {
    held_beside_listing: tokio::sync::Barrier,
    listing_ahead_of_judging: tokio::sync::Barrier,
    sent_while_listing: tokio::sync::Barrier,
    first_put: std::sync::Mutex<bool>,
}

impl Meetings {
    async fn at(&self, barrier: impl Fn(&Meetings) -> &tokio::sync::Barrier) {
        barrier(self).wait().await;
    }
}

impl KafkaService for ScriptedFleet {
    async fn list_clusters(
        &self,
        next_token: Option<String>,
    ) -> Result<Page<ListedCluster>, msk_mtls_rule::RuleError> {
        self.calls.lock().unwrap().0 += 1;
        if let Some(meetings) = &self.meetings {
            match next_token.as_deref() {
                None => meetings.at(|m| &m.held_beside_listing).await,
                Some("A") => {}
                Some("B") => meetings.at(|m| &m.listing_ahead_of_judging).await,
                Some(_) => meetings.at(|m| &m.sent_while_listing).await,
            }
        }
        let (_, items, next) = self
            .clusters
            .iter()
            .find(|(asked, _, _)| asked.map(str::to_owned) == next_token)
            .expect("a scripted page");
        Ok(Page {
            items: items.clone(),
            next_token: next.map(str::to_owned),
        })
    }

    async fn configuration_revision(
        &self,
        revision: &msk_mtls_rule::rule::authorization::ConfigurationRevision,
    ) -> Result<msk_mtls_rule::rule::authorization::ConfigurationRead, msk_mtls_rule::RuleError>
    {
        panic!("the scripted fleet's clusters run MSK's default configuration, not {revision:?}")
    }

    async fn zookeeper_changes(
        &self,
        cluster_arn: &str,
    ) -> Result<msk_mtls_rule::rule::zookeeper::OperationsRead, msk_mtls_rule::RuleError> {
        panic!("the scripted fleet's clusters run KRaft, not ZooKeeper: {cluster_arn}")
    }

    async fn replicators(&self) -> Listing<Replicator> {
        Ok(Vec::new())
    }

    async fn client_vpc_connections(&self, cluster_arn: &str) -> Listing<ClientVpcConnection> {
        panic!("the scripted fleet's clusters open no multi-VPC door: {cluster_arn}")
    }

    async fn broker_hosts(&self, cluster_arn: &str) -> Listing<String> {
        panic!("the scripted fleet has no connector to match {cluster_arn}'s brokers against")
    }
}

impl ConnectService for ScriptedFleet {
    async fn connectors(&self) -> Listing<Connector> {
        Ok(Vec::new())
    }
}

impl ConfigService for ScriptedFleet {
    async fn put_evaluations(
        &self,
        token: &ResultToken,
        batch: &[Evaluation],
    ) -> Result<Vec<ResourceKey>, msk_mtls_rule::RuleError> {
        if let Some(meetings) = &self.meetings {
            let first = std::mem::replace(&mut *meetings.first_put.lock().unwrap(), false);
            if first {
                meetings.at(|m| &m.sent_while_listing).await;
            }
        }
        ConfigService::put_evaluations(&self.sink, token, batch).await
    }

    async fn latest_item(
        &self,
        _: &ResourceKey,
        _: msk_mtls_rule::Timestamp,
    ) -> Result<msk_mtls_rule::edge::item::ConfigurationItem, msk_mtls_rule::RuleError> {
        Err(msk_mtls_rule::RuleError::aws(
            "GetResourceConfigHistory",
            "not scripted",
        ))
    }

    async fn evaluated_resources(
        &self,
        _rule_name: &str,
        next_token: Option<String>,
    ) -> Result<Page<msk_mtls_rule::aws::ports::Held>, msk_mtls_rule::RuleError> {
        self.calls.lock().unwrap().1 += 1;
        if let Some(meetings) = &self.meetings {
            meetings.at(|m| &m.held_beside_listing).await;
        }
        let (_, next) = self
            .stored
            .iter()
            .find(|(asked, _)| asked.map(str::to_owned) == next_token)
            .expect("a scripted page");
        Ok(Page {
            items: vec![],
            next_token: next.map(str::to_owned),
        })
    }

    async fn held_result(
        &self,
        _: &str,
        _: &ResourceKey,
    ) -> Result<Option<msk_mtls_rule::rule::held::HeldResult>, msk_mtls_rule::RuleError> {
        Ok(None)
    }
}

impl msk_mtls_rule::aws::ports::Notifier for ScriptedFleet {
    async fn publish(
        &self,
        _: &str,
        _: &msk_mtls_rule::aws::ports::Message,
    ) -> Result<(), msk_mtls_rule::RuleError> {
        Err(msk_mtls_rule::RuleError::aws("Publish", "not scripted"))
    }
}

impl PrivateCaService for ScriptedFleet {
    async fn issuers(&self, _: &str) -> Result<Issuers, msk_mtls_rule::RuleError> {
        Ok(Issuers::Known(Default::default()))
    }

    async fn describe(&self, arn: &str) -> Result<CaDescription, msk_mtls_rule::RuleError> {
        if let Some(meetings) = &self.meetings {
            meetings.at(|m| &m.listing_ahead_of_judging).await;
            return Ok(CaDescription {
                health: CaHealth::Active {
                    not_after: Some(msk_mtls_rule::Timestamp::from_secs(
                        common::NOW_SECS + 400 * 86_400,
                    )),
                },
                profile: Some(CaProfile {
                    kind: CaKind::Subordinate,
                    usage: UsageMode::GeneralPurpose,
                }),
            });
        }
        Err(msk_mtls_rule::RuleError::aws(
            "DescribeCertificateAuthority",
            format!("{arn} not scripted"),
        ))
    }
}

impl Accounts for ScriptedFleet {
    async fn own_account(&self) -> Result<String, msk_mtls_rule::RuleError> {
        Ok("123456789012".into())
    }

    async fn assume_role(&self, _: &str) -> Result<Self, msk_mtls_rule::RuleError> {
        Err(msk_mtls_rule::RuleError::aws("AssumeRole", "not scripted"))
    }
}

async fn sweep_with(
    fleet: ScriptedFleet,
) -> (
    Result<InvocationSummary, msk_mtls_rule::RuleError>,
    FakeSink,
    (usize, usize),
) {
    let event = scheduled(json!({"checkCertificateAuthorityStatus": "false"}));
    let result = send(&fleet, &event).await.map(|outcome| outcome.summary);
    let calls = *fleet.calls.lock().unwrap();
    (result, fleet.sink, calls)
}

/// A sweep's call streams overlap: the held results are read beside the listing, the listing runs
/// pages ahead while the first page's reads (here its CA's health) are out, and a full batch is
/// sent while the listing goes on. Each pair waits at a barrier only both in flight can pass: made
/// one after another, the sweep would wait forever.
#[tokio::test]
async fn a_sweeps_call_streams_overlap() {
    let page = |range: std::ops::Range<usize>| range.map(|i| listed(i, Some(CA.into()))).collect();
    let fleet = ScriptedFleet {
        clusters: vec![
            (None, page(0..100), Some("A")),
            (Some("A"), page(100..200), Some("B")),
            (Some("B"), page(200..300), Some("C")),
            (Some("C"), page(300..301), None),
        ],
        stored: vec![(None, None)],
        meetings: Some(Meetings {
            held_beside_listing: tokio::sync::Barrier::new(2),
            listing_ahead_of_judging: tokio::sync::Barrier::new(2),
            sent_while_listing: tokio::sync::Barrier::new(2),
            first_put: std::sync::Mutex::new(true),
        }),
        ..ScriptedFleet::default()
    };
    let event = scheduled(json!({}));
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(5), send(&fleet, &event))
        .await
        .expect("the sweep's calls were made one after another")
        .unwrap();
    assert_eq!(outcome.summary.evaluations, 301);
    let batches: Vec<usize> = fleet
        .sink
        .calls()
        .iter()
        .map(|(_, batch)| batch.len())
        .collect();
    assert_eq!(batches, [100, 100, 100, 1]);
    assert_eq!(*fleet.calls.lock().unwrap(), (4, 1));
}

#[tokio::test]
async fn a_listing_whose_tokens_cycle_fails_naming_the_api_and_sends_no_duplicate() {
    // ListClustersV2 pages A, B, then A again
    let (result, sink, calls) = sweep_with(ScriptedFleet {
        clusters: vec![
            (None, vec![listed(0, Some(CA.into()))], Some("A")),
            (Some("A"), vec![listed(1, Some(CA.into()))], Some("B")),
            (Some("B"), vec![listed(2, Some(CA.into()))], Some("A")),
        ],
        stored: vec![(None, None)],
        ..ScriptedFleet::default()
    })
    .await;
    let error = result.unwrap_err();
    assert_eq!(error.error_type(), "AwsApi");
    let message = error.to_string();
    assert!(
        message.contains("ListClustersV2")
            && message.contains("cycle")
            && message.contains("\"A\""),
        "{message}"
    );
    assert_eq!(calls.0, 3, "stopped at the repeated token");
    assert!(
        calls.1 <= 1,
        "the held results are read beside the listing, once"
    );
    assert!(
        sink.calls().is_empty(),
        "the batch of a failed sweep is not sent"
    );

    // GetComplianceDetailsByConfigRule pages A, B, A
    let (result, _, calls) = sweep_with(ScriptedFleet {
        clusters: vec![(None, vec![], None)],
        stored: vec![
            (None, Some("A")),
            (Some("A"), Some("B")),
            (Some("B"), Some("A")),
        ],
        ..ScriptedFleet::default()
    })
    .await;
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains("GetComplianceDetailsByConfigRule") && message.contains("cycle"),
        "{message}"
    );
    assert_eq!(calls.1, 3, "stopped at the repeated token");
}

#[tokio::test]
async fn a_cluster_listed_on_two_pages_gets_one_evaluation() {
    let (result, sink, _) = sweep_with(ScriptedFleet {
        clusters: vec![
            (
                None,
                vec![listed(0, Some(CA.into())), listed(1, None)],
                Some("A"),
            ),
            (
                Some("A"),
                vec![listed(1, None), listed(2, Some(CA.into()))],
                None,
            ),
        ],
        stored: vec![(None, None)],
        ..ScriptedFleet::default()
    })
    .await;
    assert_eq!(result.unwrap().evaluations, 3);
    let ids: Vec<String> = sink.sent().into_iter().map(|e| e.resource_id).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(
        ids.iter().collect::<std::collections::BTreeSet<_>>().len(),
        3,
        "{ids:?}"
    );
}

/// A cluster changed while the listing was read, listed on two pages with different settings:
/// before, the first reading won (a safe first page passed it); now the walk is refused.
#[tokio::test]
async fn a_cluster_listed_twice_with_different_settings_makes_the_walk_ambiguous() {
    let (result, _, _) = sweep_with(ScriptedFleet {
        clusters: vec![
            (
                None,
                vec![listed(0, Some(CA.into())), listed(1, Some(CA.into()))],
                Some("A"),
            ),
            (
                Some("A"),
                vec![listed(1, None), listed(2, Some(CA.into()))],
                None,
            ),
        ],
        stored: vec![(None, None)],
        ..ScriptedFleet::default()
    })
    .await;
    let error = result.unwrap_err().message();
    assert!(
        error.contains("listed twice with different settings"),
        "{error}"
    );
}

#[tokio::test]
async fn an_oversized_notification_whose_item_is_not_recorded_yet_fails_instead_of_judging_an_older_one(
) {
    let inline = ConfigRuleEvent::from_json(sample("compliant")).unwrap();
    let Notification::Change(mut older) = inline.notification else {
        unreachable!()
    };
    // the summary is captured at 2023-04-27T15:03:11.636Z; history only has the item before it
    older.capture_time = msk_mtls_rule::Timestamp::from_secs(1_682_600_000);
    let mut history = FakeHistory::default();
    history.items.insert(older.resource_id.clone(), older);
    let sink = FakeSink::default();
    let error = handle(
        &history,
        &FakeCas::default(),
        &FakeFleet::default(),
        &sink,
        read_json("events/aws/oversized-compliant.json"),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_type(), "AwsApi");
    let message = error.to_string();
    assert!(
        message.contains("GetResourceConfigHistory") && message.contains("not readable yet"),
        "{message}"
    );
    assert!(sink.calls().is_empty());
}

#[tokio::test]
async fn an_unreadable_configuration_from_history_is_an_aws_error() {
    let inline = ConfigRuleEvent::from_json(sample("compliant")).unwrap();
    let Notification::Change(mut item) = inline.notification else {
        unreachable!()
    };
    item.configuration = Some(
        msk_mtls_rule::edge::json::Json::parse(r#"{"ClientAuthentication":{"Oauth":{}}}"#).unwrap(),
    );
    let mut history = FakeHistory::default();
    history.items.insert(item.resource_id.clone(), item);
    let error = handle(
        &history,
        &FakeCas::default(),
        &FakeFleet::default(),
        &FakeSink::default(),
        read_json("events/aws/oversized-compliant.json"),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_type(), "AwsApi");
    assert!(
        error.to_string().contains("unknown key \"Oauth\""),
        "{error}"
    );
}

#[tokio::test]
async fn a_sweep_takes_a_rule_name_of_64_characters_and_refuses_a_longer_one_before_any_call() {
    for (length, ok) in [(64, true), (65, false)] {
        let mut event = scheduled(json!({"checkCertificateAuthorityStatus": "false"}));
        event["configRuleName"] = json!("r".repeat(length));
        let fleet = FakeFleet::default();
        let result = handle(
            &FakeHistory::default(),
            &FakeCas::default(),
            &fleet,
            &FakeSink::default(),
            event,
        )
        .await;
        assert_eq!(result.is_ok(), ok, "{length}: {result:?}");
        if !ok {
            let error = result.unwrap_err();
            assert_eq!(error.error_type(), "InvalidEvent");
            assert!(error.to_string().contains("65 characters"), "{error}");
            assert!(fleet.calls.lock().unwrap().is_empty());
        }
    }
}

fn key_of(evaluation: &Evaluation) -> (String, String) {
    (
        evaluation.resource_type.to_string(),
        evaluation.resource_id.clone(),
    )
}

#[tokio::test]
async fn without_a_function_arn_the_own_account_comes_from_sts_and_only_other_accounts_assume_the_role(
) {
    let (sink, history, cas, fleet) = (
        FakeSink::default(),
        FakeHistory::default(),
        FakeCas::default(),
        FakeFleet::default(),
    );
    let assumed = std::sync::Mutex::new(Vec::new());
    let account = common::FakeAccount {
        sink: &sink,
        history: &history,
        cas: &cas,
        fleet: &fleet,
        assumed: &assumed,
    };
    for (event_account, roles) in [("123456789012", 0), ("210987654321", 1)] {
        let mut event = with_parameters(
            sample("compliant"),
            json!({"executionRoleName": "member", "checkCertificateAuthorityStatus": "false"}),
        );
        event["accountId"] = json!(event_account);
        send(&account, &event).await.unwrap();
        assert_eq!(assumed.lock().unwrap().len(), roles, "{event_account}");
    }
    assert_eq!(
        assumed.lock().unwrap().as_slice(),
        ["arn:aws:iam::210987654321:role/member"]
    );
    assert_eq!(sink.sent().len(), 2);
}

/// Progress as a terminal would show it, kept for the test to read.
#[derive(Clone, Default)]
struct Screen(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Screen {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Screen {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

const OWN: &str = "123456789012";

fn member(id: &str, state: Option<&str>) -> msk_mtls_rule::aws::ports::MemberAccount {
    msk_mtls_rule::aws::ports::MemberAccount {
        id: id.into(),
        state: state.map(str::to_owned),
    }
}

/// `audit` over the fakes: the caller's account, a directory, one compliant and one
/// NON_COMPLIANT cluster in every account-region.
async fn audit_with(
    directory: &common::FakeDirectory,
    args: &[&str],
    screen: &Screen,
) -> (
    Result<msk_mtls_rule::audit::report::AuditReport, msk_mtls_rule::audit::AuditError>,
    Vec<String>,
) {
    let fleet = FakeFleet {
        clusters: vec![listed(0, Some(ca(0))), listed(1, None)],
        ..FakeFleet::default()
    };
    audit_of_fleet(directory, args, screen, fleet).await
}

async fn audit_of_fleet(
    directory: &common::FakeDirectory,
    args: &[&str],
    screen: &Screen,
    fleet: FakeFleet,
) -> (
    Result<msk_mtls_rule::audit::report::AuditReport, msk_mtls_rule::audit::AuditError>,
    Vec<String>,
) {
    use msk_mtls_rule::audit::{audit, Progress};
    let request = msk_mtls_rule::cli::audit::request_from_args(args, |_| unreachable!()).unwrap();
    let (history, sink) = (FakeHistory::default(), FakeSink::default());
    let cas = FakeCas::active_for_days(&ca(0), 400);
    let assumed = std::sync::Mutex::new(Vec::new());
    let own = common::FakeOrgAccount {
        services: common::FakeAccount {
            sink: &sink,
            history: &history,
            cas: &cas,
            fleet: &fleet,
            assumed: &assumed,
        },
        directory,
        account: OWN,
        region: None,
    };
    let report = audit(&own, &request, fixed_now(), &Progress::to(screen.clone())).await;
    let assumed = assumed.into_inner().unwrap();
    (report, assumed)
}

/// The sweep's rule in `audit` too: a cluster listed twice with other settings makes the region's
/// walk ambiguous, reported as not read (exit 3), never judged on its first, safe reading.
#[tokio::test]
async fn an_audit_whose_listing_names_a_cluster_twice_with_other_settings_reads_nothing_of_it() {
    let directory = common::FakeDirectory {
        home_region: Some("us-east-1".into()),
        enabled_regions: vec!["us-east-1".into()],
        ..common::FakeDirectory::default()
    };
    let shifted = FakeFleet {
        clusters: vec![
            listed(0, Some(ca(0))),
            listed(1, Some(ca(0))),
            listed(1, None),
        ],
        page_size: 2,
        ..FakeFleet::default()
    };
    let (report, _) = audit_of_fleet(&directory, &[], &Screen::default(), shifted).await;
    let report = report.unwrap();
    assert_eq!(report.exit_status(), 3);
    assert!(report.clusters.is_empty(), "{:?}", report.clusters);
    let reasons: Vec<&str> = report
        .unreadable
        .iter()
        .map(|unreadable| unreadable.reason.as_str())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|reason| reason.contains("listed twice with different settings")),
        "{reasons:?}"
    );
    let same = FakeFleet {
        clusters: vec![listed(0, Some(ca(0))), listed(1, None), listed(1, None)],
        page_size: 2,
        ..FakeFleet::default()
    };
    let (report, _) = audit_of_fleet(&directory, &[], &Screen::default(), same).await;
    assert_eq!(
        report.unwrap().exit_status(),
        1,
        "the same reading twice is judged once"
    );
}

#[tokio::test]
async fn an_organization_audit_reads_active_accounts_through_the_role_and_names_what_it_cannot() {
    let directory = common::FakeDirectory {
        home_region: Some("us-east-1".into()),
        enabled_regions: vec!["us-east-1".into(), "eu-west-1".into()],
        organization: vec![
            member(OWN, Some("ACTIVE")),
            member("222222222222", Some("SUSPENDED")),
            member("333333333333", Some("ACTIVE")),
            member("444444444444", None),
            member("444444444444", Some("ACTIVE")),
        ],
        denied_accounts: vec!["333333333333".into()],
        ..common::FakeDirectory::default()
    };
    let screen = Screen::default();
    let (report, assumed) = audit_with(
        &directory,
        &[
            "--organization",
            "--role-name",
            "Auditor",
            "--regions",
            "all",
            "--concurrency",
            "1",
        ],
        &screen,
    )
    .await;
    let report = report.unwrap();
    assert_eq!(
        assumed,
        [
            "arn:aws:iam::333333333333:role/Auditor",
            "arn:aws:iam::444444444444:role/Auditor"
        ],
        "no role in the caller's own account; a listed-twice account once"
    );
    assert_eq!(
        report.skipped_accounts,
        [("222222222222".to_owned(), "SUSPENDED".to_owned())]
    );
    assert_eq!(report.unreadable.len(), 1);
    assert_eq!(report.unreadable[0].account, "333333333333");
    assert_eq!(report.unreadable[0].region, None);
    assert!(report.unreadable[0].reason.contains("AccessDenied"));
    let rows: Vec<(&str, &str, String, ComplianceType)> = report
        .clusters
        .iter()
        .map(|c| {
            (
                c.account.as_str(),
                c.region.as_str(),
                c.name().into_owned(),
                c.compliance,
            )
        })
        .collect();
    let mut expected = Vec::new();
    for account in [OWN, "444444444444"] {
        for region in ["eu-west-1", "us-east-1"] {
            expected.push((account, region, "c0".to_owned(), ComplianceType::Compliant));
            expected.push((
                account,
                region,
                "c1".to_owned(),
                ComplianceType::NonCompliant,
            ));
        }
    }
    assert_eq!(rows, expected, "every account-region, sorted");
    assert_eq!(report.regions_read.len(), 4);
    assert!(report.clusters[1]
        .findings
        .contains(&"TLS client authentication is disabled".to_owned()));
    assert_eq!(report.exit_status(), 1);
    let calls = directory.calls.lock().unwrap().clone();
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("ListAccounts"))
            .count(),
        5,
        "one page per account, to the last: {calls:?}"
    );
    assert!(
        calls.contains(&"ListRegions 444444444444 -".to_owned()),
        "{calls:?}"
    );
    assert!(
        calls.contains(&"ListClustersV2 444444444444 eu-west-1".to_owned()),
        "{calls:?}"
    );
    // Each account's regions are read right after its role is assumed, not once every account's
    // role is: a role assumed first would lapse in a large organization before its regions came up.
    let position = |call: &str| calls.iter().position(|c| c.starts_with(call)).unwrap();
    assert!(
        position("ListClustersV2 ") < position("ListRegions 444444444444"),
        "{calls:?}"
    );
    assert_eq!(
        screen.text(),
        "\r\x1b[2Kaudit: accounts 0/3, account-regions 1\r\x1b[2Kaudit: accounts 0/3, account-regions 2\
         \r\x1b[2Kaudit: accounts 1/3, account-regions 2\r\x1b[2Kaudit: accounts 2/3, account-regions 2\
         \r\x1b[2Kaudit: accounts 2/3, account-regions 3\r\x1b[2Kaudit: accounts 2/3, account-regions 4\
         \r\x1b[2Kaudit: accounts 3/3, account-regions 4\r\x1b[2K"
    );
}

#[tokio::test]
async fn an_unreadable_region_is_named_and_the_others_are_read() {
    let directory = common::FakeDirectory {
        home_region: Some("us-east-1".into()),
        enabled_regions: vec!["us-east-1".into(), "eu-west-1".into()],
        unreadable_regions: vec!["eu-west-1".into()],
        ..common::FakeDirectory::default()
    };
    let (report, assumed) = audit_with(
        &directory,
        &["--regions", "us-east-1,eu-west-1"],
        &Screen::default(),
    )
    .await;
    let report = report.unwrap();
    assert!(assumed.is_empty());
    assert_eq!(report.clusters.len(), 2);
    assert!(report
        .clusters
        .iter()
        .all(|c| c.region == "us-east-1" && c.account == OWN));
    assert_eq!(report.regions_read.len(), 1);
    assert_eq!(report.unreadable.len(), 1);
    assert_eq!(report.unreadable[0].region.as_deref(), Some("eu-west-1"));
    assert!(report.unreadable[0].reason.contains("ListClustersV2"));
}

#[tokio::test]
async fn with_no_region_configured_the_audit_needs_regions_named() {
    let directory = common::FakeDirectory {
        enabled_regions: vec!["eu-west-1".into()],
        ..common::FakeDirectory::default()
    };
    let (report, _) = audit_with(&directory, &[], &Screen::default()).await;
    assert!(matches!(
        report,
        Err(msk_mtls_rule::audit::AuditError::NoRegion)
    ));
    assert!(directory.calls.lock().unwrap().is_empty(), "no call at all");
    let (report, _) = audit_with(&directory, &["--regions", "eu-west-1"], &Screen::default()).await;
    let report = report.unwrap();
    assert_eq!(report.clusters.len(), 2);
    assert_eq!(
        directory.calls.lock().unwrap().first().map(String::as_str),
        Some("GetCallerIdentity 123456789012 eu-west-1"),
        "the caller is asked in the first region named"
    );
}

/// A hook request for a serverless cluster is judged as serverless, whatever its properties hold.
#[tokio::test]
async fn a_serverless_cluster_in_a_hook_request_is_judged_as_serverless() {
    use msk_mtls_rule::app::hook::answer_hook;
    use msk_mtls_rule::edge::json::Json;
    let (history, sink, cas, fleet) = (
        FakeHistory::default(),
        FakeSink::default(),
        FakeCas::default(),
        FakeFleet::default(),
    );
    let assumed = std::sync::Mutex::new(Vec::new());
    let account = common::FakeAccount {
        sink: &sink,
        history: &history,
        cas: &cas,
        fleet: &fleet,
        assumed: &assumed,
    };
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events/hook/create-serverless.json"),
    )
    .unwrap();
    let payload = Json::parse(&text).unwrap();
    let answer = answer_hook(
        &account,
        &payload,
        Some(r#"{"serverlessClusterCompliance":"NON_COMPLIANT"}"#),
        fixed_now(),
    )
    .await;
    let answer = serde_json::to_value(answer).unwrap();
    assert_eq!(answer["hookStatus"], "FAILED", "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.contains("MSK Serverless supports only SASL/IAM and cannot enforce mTLS"),
        "{message}"
    );
    assert!(!message.contains("TLS client authentication"), "{message}");
}

/// The hook's answer to an `events/hook/` request (edited), in process, over the fakes.
async fn hook_answer(
    fleet: &FakeFleet,
    name: &str,
    edit: impl FnOnce(&mut Value),
    parameters: &str,
) -> Value {
    use msk_mtls_rule::app::hook::answer_hook;
    use msk_mtls_rule::edge::json::Json;
    let (history, sink, cas) = (
        FakeHistory::default(),
        FakeSink::default(),
        FakeCas::default(),
    );
    let assumed = std::sync::Mutex::new(Vec::new());
    let account = common::FakeAccount {
        sink: &sink,
        history: &history,
        cas: &cas,
        fleet,
        assumed: &assumed,
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events/hook")
        .join(name);
    let mut request: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut request);
    let payload = Json::parse(&request.to_string()).unwrap();
    serde_json::to_value(answer_hook(&account, &payload, Some(parameters), fixed_now()).await)
        .unwrap()
}

/// The stack is read only when a tag parameter needs it; its tags count; a stack that cannot be
/// read leaves the scope tag assumed and a missing required tag a warning; Cloud Control, with no
/// stack, is judged in scope.
#[tokio::test]
async fn the_hook_reads_the_stack_for_tag_parameters_only_and_never_passes_what_it_cannot_read() {
    let reads = |fleet: &FakeFleet| {
        fleet
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|call| call.starts_with("DescribeStacks"))
            .count()
    };
    let production = FakeFleet {
        stack_tags: Some(BTreeMap::from([(
            "environment".to_owned(),
            "production".to_owned(),
        )])),
        ..FakeFleet::default()
    };
    let no_ca = r#"{"checkCertificateAuthorityStatus":"false"}"#;
    let answer = hook_answer(&production, "create-compliant.json", |_| {}, no_ca).await;
    assert_eq!(answer["hookStatus"], "SUCCESS", "{answer}");
    assert_eq!(reads(&production), 0, "no tag parameter: no read");

    let scoped = r#"{"checkCertificateAuthorityStatus":"false","scopeTagKey":"environment","scopeTagValue":"production"}"#;
    let answer = hook_answer(&production, "update-noncompliant.json", |_| {}, scoped).await;
    assert_eq!(
        answer["errorCode"], "NonCompliant",
        "the stack puts it in scope: {answer}"
    );
    assert_eq!(reads(&production), 1);
    let staging = FakeFleet {
        stack_tags: Some(BTreeMap::from([(
            "environment".to_owned(),
            "staging".to_owned(),
        )])),
        ..FakeFleet::default()
    };
    let answer = hook_answer(&staging, "update-noncompliant.json", |_| {}, scoped).await;
    assert_eq!(
        answer["hookStatus"], "SUCCESS",
        "the stack puts it out of scope: {answer}"
    );

    let required = r#"{"checkCertificateAuthorityStatus":"false","requiredTagKeys":"cost-center"}"#;
    let unreadable = FakeFleet::default();
    let answer = hook_answer(&unreadable, "create-compliant.json", |_| {}, required).await;
    assert_eq!(
        answer["hookStatus"], "SUCCESS",
        "a warning, not a failure: {answer}"
    );
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("warning, not judged: tag \"cost-center\" is missing"),
        "{answer}"
    );
    assert_eq!(
        reads(&unreadable),
        1,
        "a required tag alone asks for the stack"
    );

    let cloud_control = |request: &mut Value| {
        request["stackId"] = json!("");
        request["requestData"]["targetType"] = json!("RESOURCE");
    };
    let answer = hook_answer(
        &unreadable,
        "update-noncompliant.json",
        cloud_control,
        scoped,
    )
    .await;
    assert_eq!(
        answer["errorCode"], "NonCompliant",
        "no stack: the scope tag is assumed: {answer}"
    );
    assert_eq!(reads(&unreadable), 1, "no stack, no read");
}

/// The scheduled probe's clusters when none are named: the region's provisioned clusters, every
/// page, those with the tag key (and value) when given; named ones are taken as named, unlisted.
#[tokio::test]
async fn the_scheduled_probe_lists_provisioned_clusters_by_tag() {
    use msk_mtls_rule::app::scheduled_probe::{clusters_to_probe, Clusters};
    let mut serverless = listed(2, None);
    serverless.resource_type = ResourceType::MskServerlessCluster;
    serverless.cluster = msk_mtls_rule::rule::facts::Cluster::Serverless;
    let fleet = FakeFleet {
        clusters: vec![listed(1, None), listed(0, None), serverless],
        page_size: 1,
        ..FakeFleet::default()
    };
    let (sink, history, cas) = (
        FakeSink::default(),
        FakeHistory::default(),
        FakeCas::default(),
    );
    let assumed = std::sync::Mutex::new(Vec::new());
    let account = common::FakeAccount {
        sink: &sink,
        history: &history,
        cas: &cas,
        fleet: &fleet,
        assumed: &assumed,
    };
    let arn = |index: usize| {
        ClusterArn::parse(&format!(
            "arn:aws:kafka:us-east-1:123456789012:cluster/c{index}/uuid-5"
        ))
        .unwrap()
    };
    let tagged = |key: Option<&str>, value: Option<&str>| Clusters::Listed {
        tag_key: key.map(str::to_owned),
        tag_value: value.map(str::to_owned),
    };
    for (clusters, expected) in [
        (tagged(None, None), vec![arn(0), arn(1)]),
        (tagged(Some("environment"), None), vec![arn(0), arn(1)]),
        (tagged(Some("environment"), Some("env1")), vec![arn(1)]),
    ] {
        assert_eq!(
            clusters_to_probe(&account, &clusters).await.unwrap(),
            expected,
            "{clusters:?}"
        );
    }
    // A listing that selects nothing fails the run, naming the tag: never a quiet empty probe.
    for (clusters, said) in [
        (
            tagged(Some("environment"), Some("env2")),
            "tagged environment=env2",
        ),
        (tagged(Some("owner"), None), "tagged owner in"),
    ] {
        let error = clusters_to_probe(&account, &clusters).await.unwrap_err();
        assert!(error.message().contains(said), "{}", error.message());
    }
    let pages = fleet.calls.lock().unwrap().len();
    assert_eq!(pages, 5 * 3, "every page of every listing");
    let named = Clusters::Named(vec![arn(7)]);
    assert_eq!(clusters_to_probe(&account, &named).await.unwrap(), [arn(7)]);
    assert_eq!(
        fleet.calls.lock().unwrap().len(),
        pages,
        "named clusters are not listed"
    );
}

/// The scheduled probe's clusters, probed together until the deadline: one whose broker takes the
/// connection and never answers is INCONCLUSIVE for the deadline, one that finished keeps its own
/// reading (a closed port), and every cluster has a report, in the order given.
#[tokio::test]
async fn scheduled_clusters_not_done_by_the_deadline_are_inconclusive_and_none_is_left_out() {
    use msk_mtls_rule::app::scheduled_probe::{probe_clusters, ProbeSettings};
    use msk_mtls_rule::probe::endpoints::Network;
    use msk_mtls_rule::probe::{Outcome, Verdict};
    use std::time::Duration;
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().collect();
        drop(held);
    });
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let arn = |name: &str| format!("arn:aws:kafka:us-east-1:123456789012:cluster/{name}/u-1");
    let fleet = FakeFleet {
        bootstrap_brokers: [("slow", silent_port), ("shut", closed_port)]
            .into_iter()
            .map(|(name, port)| {
                (
                    arn(name),
                    vec![(
                        "bootstrapBrokerStringTls".to_owned(),
                        format!("127.0.0.1:{port}"),
                    )],
                )
            })
            .collect(),
        ..FakeFleet::default()
    };
    let directory = common::FakeDirectory {
        home_region: Some("us-east-1".into()),
        enabled_regions: vec!["us-east-1".into()],
        ..common::FakeDirectory::default()
    };
    let (sink, history, cas) = (
        FakeSink::default(),
        FakeHistory::default(),
        FakeCas::default(),
    );
    let assumed = std::sync::Mutex::new(Vec::new());
    let own = common::FakeOrgAccount {
        services: common::FakeAccount {
            sink: &sink,
            history: &history,
            cas: &cas,
            fleet: &fleet,
            assumed: &assumed,
        },
        directory: &directory,
        account: OWN,
        region: None,
    };
    let settings = ProbeSettings {
        timeout: Duration::from_secs(60),
        networks: vec![Network::Private],
        allowed_sasl: Vec::new(),
        security_hub: false,
    };
    let arns = [arn("slow"), arn("shut")].map(|arn| ClusterArn::parse(&arn).unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1500);
    let reports = probe_clusters(&own, &arns, &settings, deadline).await;
    let read: Vec<(&str, Verdict, bool)> = reports
        .iter()
        .map(|r| (r.target.as_str(), r.verdict, r.reason.contains("deadline")))
        .collect();
    assert_eq!(
        read,
        [
            (arns[0].as_str(), Verdict::Inconclusive, true),
            (arns[1].as_str(), Verdict::Inconclusive, false)
        ],
        "{reports:?}"
    );
    assert!(!reports[1].results.is_empty());
    assert!(reports[1]
        .results
        .iter()
        .all(|r| r.outcome == Outcome::Closed));
}

/// `--exclude-accounts`: the accounts named are neither assumed nor read, and the report names them.
#[tokio::test]
async fn an_organization_audit_leaves_out_the_accounts_excluded_and_names_them() {
    let directory = common::FakeDirectory {
        home_region: Some("us-east-1".into()),
        enabled_regions: vec!["us-east-1".into()],
        organization: vec![
            member(OWN, Some("ACTIVE")),
            member("333333333333", Some("ACTIVE")),
            member("444444444444", Some("ACTIVE")),
        ],
        ..common::FakeDirectory::default()
    };
    let (report, assumed) = audit_with(
        &directory,
        &[
            "--organization",
            "--role-name",
            "Auditor",
            "--exclude-accounts",
            "333333333333",
        ],
        &Screen::default(),
    )
    .await;
    let report = report.unwrap();
    assert_eq!(assumed, ["arn:aws:iam::444444444444:role/Auditor"]);
    assert_eq!(report.excluded_accounts, ["333333333333"]);
    assert!(report.clusters.iter().all(|c| c.account != "333333333333"));
    assert_eq!(
        report.regions_read.len(),
        2,
        "the caller's account and 444444444444"
    );
}

/// A sweep reads each configuration revision once, however many clusters run it; a revision it
/// cannot read is never closed (with `requireAclDefaultDeny`, it fails the cluster and says why).
#[tokio::test]
async fn a_sweep_reads_each_configuration_revision_once_and_an_unreadable_one_is_open() {
    use msk_mtls_rule::rule::authorization::{BrokerConfiguration, ConfigurationRevision};
    let revision = |name: &str| ConfigurationRevision {
        arn: format!("arn:aws:kafka:us-east-1:123456789012:configuration/{name}/abc-1"),
        revision: 2,
    };
    let clusters: Vec<ListedCluster> = (0..5)
        .map(|i| {
            let mut cluster = listed(i, Some(ca(0)));
            if let Cluster::Provisioned(facts) = &mut cluster.cluster {
                let name = if i < 4 { "closed" } else { "gone" };
                facts.configuration = BrokerConfiguration::Revision(revision(name));
            }
            cluster
        })
        .collect();
    let fleet = FakeFleet {
        clusters,
        configurations: BTreeMap::from([(
            revision("closed"),
            "# tenants\nallow.everyone.if.no.acl.found = false\n".to_owned(),
        )]),
        ..FakeFleet::default()
    };
    let sink = FakeSink::default();
    let parameters =
        json!({"checkCertificateAuthorityStatus": "false", "requireAclDefaultDeny": "true"});
    let summary = handle(
        &FakeHistory::default(),
        &FakeCas::default(),
        &fleet,
        &sink,
        scheduled(parameters),
    )
    .await
    .unwrap();
    let reads: Vec<String> = fleet
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|call| call.starts_with("DescribeConfigurationRevision"))
        .cloned()
        .collect();
    assert_eq!(reads.len(), 2, "one read per revision: {reads:?}");
    assert_eq!((summary.compliant, summary.non_compliant), (4, 1));
    let sent = sink.sent();
    let gone = sent
        .iter()
        .find(|evaluation| evaluation.resource_id.contains("/c4/"))
        .unwrap();
    assert!(
        gone.annotation.as_deref().unwrap().starts_with(
            "authorization open by default: configuration gone revision 2 could not be read (NotFoundException)"
        ),
        "{gone:?}"
    );
}

/// A sweep reads the operations of each ZooKeeper-mode cluster (one listing each) and of no KRaft
/// one: direct access turned off passes, never turned off or unreadable fails, saying why.
#[tokio::test]
async fn a_sweep_judges_zookeeper_access_from_each_zookeeper_mode_clusters_operations() {
    use msk_mtls_rule::rule::time::Timestamp;
    use msk_mtls_rule::rule::zookeeper::Metadata;
    use msk_mtls_rule::rule::zookeeper::{OperationsRead, ZooKeeperChange};
    let clusters: Vec<ListedCluster> = (0..4)
        .map(|i| {
            let mut cluster = listed(i, Some(ca(0)));
            if let Cluster::Provisioned(facts) = &mut cluster.cluster {
                if i > 0 {
                    facts.metadata = Metadata::ZooKeeper;
                }
            }
            cluster
        })
        .collect();
    let arn = |i: usize| clusters[i].arn.clone();
    let turned_off = ZooKeeperChange {
        created: Timestamp::from_secs(1_700_000_000),
        completed: true,
        enabled: Some(false),
    };
    let fleet = FakeFleet {
        zookeeper: BTreeMap::from([
            (arn(1), OperationsRead::Changes(vec![turned_off])),
            (
                arn(3),
                OperationsRead::Unreadable("AccessDeniedException".into()),
            ),
        ]),
        clusters: clusters.clone(),
        ..FakeFleet::default()
    };
    let sink = FakeSink::default();
    let summary = handle(
        &FakeHistory::default(),
        &FakeCas::default(),
        &fleet,
        &sink,
        scheduled(json!({"checkCertificateAuthorityStatus": "false"})),
    )
    .await
    .unwrap();
    let listings: Vec<String> = fleet
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|call| call.starts_with("ListClusterOperations"))
        .cloned()
        .collect();
    assert_eq!(
        listings,
        [1, 2, 3].map(|i| format!("ListClusterOperations {}", arn(i))),
        "the KRaft cluster's operations are not read"
    );
    assert_eq!((summary.compliant, summary.non_compliant), (2, 2));
    let annotation = |i: usize| {
        sink.sent()
            .into_iter()
            .find(|evaluation| evaluation.resource_id == arn(i))
            .unwrap()
            .annotation
            .unwrap_or_default()
    };
    assert!(
        annotation(2).starts_with("ZooKeeper is reachable directly: ACLs can be changed without a certificate (never turned off)"),
        "{}",
        annotation(2)
    );
    assert!(
        annotation(3)
            .contains("(the cluster's operations could not be read: AccessDeniedException)"),
        "{}",
        annotation(3)
    );
}

/// A sweep's page of clusters is judged with its reads out together: three ZooKeeper-mode
/// clusters' operations and their CA's health each wait at a barrier only all four in flight can
/// pass; made cluster by cluster, the first would wait forever. The three are ten clusters apart:
/// clusters with nothing to read hold no place among the reads in flight.
#[tokio::test]
async fn a_sweep_pages_reads_go_out_together() {
    use std::sync::Arc;
    let clusters: Vec<ListedCluster> = (0..30)
        .map(|i| {
            let mut cluster = listed(i, Some(ca(0)));
            if let Cluster::Provisioned(facts) = &mut cluster.cluster {
                if i % 10 == 1 {
                    facts.metadata = msk_mtls_rule::rule::zookeeper::Metadata::ZooKeeper;
                }
            }
            cluster
        })
        .collect();
    let together = Arc::new(tokio::sync::Barrier::new(4));
    let cas = FakeCas {
        together: Some(together.clone()),
        ..FakeCas::active_for_days(&ca(0), 400)
    };
    let fleet = FakeFleet {
        clusters,
        together: Some(together),
        ..FakeFleet::default()
    };
    let sink = FakeSink::default();
    let summary = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        handle(
            &FakeHistory::default(),
            &cas,
            &fleet,
            &sink,
            scheduled(json!({})),
        ),
    )
    .await
    .expect("the page's reads were made one after another")
    .unwrap();
    assert_eq!(summary.evaluations, 30);
    assert_eq!(cas.calls.lock().unwrap().len(), 1, "the CA is read once");
}

/// A change event's reads that depend on nothing but the cluster go out together: the CA's health,
/// the configuration revision, a ZooKeeper-mode cluster's operations and the result Config holds
/// each wait at a barrier that only all four in flight at once can pass; made one after another,
/// the first would wait forever.
#[tokio::test]
async fn a_change_events_independent_reads_go_out_together() {
    use std::sync::Arc;
    let mut event = with_parameters(sample("aws/zookeeper-access"), json!({}));
    let mut invoking = invoking(&event);
    invoking["configurationItem"]["configuration"]["ConfigurationInfo"] = json!({
        "Arn": "arn:aws:kafka:us-east-1:123456789012:configuration/tenants/abc-1", "Revision": 2});
    set_invoking(&mut event, invoking);
    let together = Arc::new(tokio::sync::Barrier::new(4));
    let cas = FakeCas {
        together: Some(together.clone()),
        ..FakeCas::active_for_days(CA, 400)
    };
    let fleet = FakeFleet {
        together: Some(together),
        ..FakeFleet::default()
    };
    let sink = FakeSink::default();
    let summary = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        handle(&FakeHistory::default(), &cas, &fleet, &sink, event),
    )
    .await
    .expect("the four reads were made one after another")
    .unwrap();
    assert_eq!(summary.non_compliant, 1);
    let calls = fleet.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(cas.calls.lock().unwrap().len(), 1);
}

const SASL_CLUSTER: &str =
    "arn:aws:kafka:us-east-1:123456789012:cluster/demo-cluster-1/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";

fn connector(name: &str, servers: &str, iam: bool) -> msk_mtls_rule::rule::doors::Connector {
    msk_mtls_rule::rule::doors::Connector {
        name: name.into(),
        hosts: msk_mtls_rule::rule::doors::hosts_of(servers),
        iam,
    }
}

/// The evaluations `event` gives over `fleet` (no CA, no history).
async fn sent_for(fleet: &FakeFleet, event: Value) -> Vec<Evaluation> {
    let sink = FakeSink::default();
    handle(
        &FakeHistory::default(),
        &FakeCas::default(),
        fleet,
        &sink,
        event,
    )
    .await
    .unwrap();
    sink.sent()
}

/// A fleet where a connector and a replicator use the sample SASL/IAM cluster, and another
/// connector another cluster.
fn fleet_with_door_users() -> FakeFleet {
    use msk_mtls_rule::rule::doors::Replicator;
    FakeFleet {
        bootstrap_brokers: BTreeMap::from([(
            SASL_CLUSTER.to_owned(),
            vec![(
                "bootstrapBrokerStringSaslIam".to_owned(),
                "b-1.democluster1.x1y2z3.c5.kafka.us-east-1.amazonaws.com:9098,b-2.democluster1.x1y2z3.c5.kafka.us-east-1.amazonaws.com:9098".to_owned(),
            )],
        )]),
        connectors: Some(Ok(vec![
            connector("orders-sink", "b-2.democluster1.x1y2z3.c5.kafka.us-east-1.amazonaws.com:9098", true),
            connector("billing-sink", "b-1.billing.q9w8e7.c2.kafka.us-east-1.amazonaws.com:9098", true),
        ])),
        replicators: Some(Ok(vec![Replicator {
            name: "orders-to-eu".into(),
            cluster_arns: vec![SASL_CLUSTER.into()],
        }])),
        ..FakeFleet::default()
    }
}

/// Why SASL/IAM is open: the connector whose bootstrap servers are the cluster's brokers and the
/// replicator that names the cluster are named in the annotation, and nothing else is.
#[tokio::test]
async fn a_sasl_finding_names_the_connector_and_replicator_that_use_the_door() {
    let fleet = fleet_with_door_users();
    let sent = sent_for(&fleet, sample("noncompliant-sasl-iam")).await;
    assert_eq!(sent[0].compliance, ComplianceType::NonCompliant);
    assert_eq!(
        sent[0].annotation.as_deref(),
        Some("SASL/IAM is enabled and not allowed (used by MSK Connect connector orders-sink, MSK Replicator orders-to-eu) (since 2023-04-27T15:03:11Z)")
    );
    let mut calls = fleet.calls.lock().unwrap().clone();
    calls.sort();
    assert_eq!(
        calls,
        [
            format!("GetBootstrapBrokers {SASL_CLUSTER}"),
            "ListConnectors".to_owned(),
            "ListReplicators".to_owned(),
        ]
    );
}

/// A cluster that only mTLS admits makes none of the listings; nor does one whose SASL door the
/// parameters allow.
#[tokio::test]
async fn a_cluster_with_no_door_open_lists_no_user() {
    for event in [
        sample("compliant"),
        with_parameters(
            sample("noncompliant-sasl-iam"),
            json!({"allowedSaslMechanisms": "IAM", "checkCertificateAuthorityStatus": "false"}),
        ),
    ] {
        let fleet = fleet_with_door_users();
        let sent = sent_for(&fleet, event).await;
        assert_eq!(sent[0].compliance, ComplianceType::Compliant);
        assert!(
            fleet.calls.lock().unwrap().is_empty(),
            "{:?}",
            fleet.calls.lock().unwrap()
        );
    }
}

/// A listing the role cannot make is said beside the finding, which fails the cluster all the
/// same; the broker hosts are not read when no connector could use the door.
#[tokio::test]
async fn a_listing_that_cannot_be_made_is_said_and_never_passes_the_cluster() {
    let fleet = FakeFleet {
        connectors: Some(Err("ListConnectors: AccessDeniedException".into())),
        replicators: Some(Err("ListReplicators: no connection".into())),
        ..fleet_with_door_users()
    };
    let sent = sent_for(&fleet, sample("noncompliant-sasl-iam")).await;
    let sent = &sent[0];
    assert_eq!(sent.compliance, ComplianceType::NonCompliant);
    assert_eq!(
        sent.annotation.as_deref(),
        Some("SASL/IAM is enabled and not allowed (users not listed: ListConnectors: AccessDeniedException, ListReplicators: no connection) (since 2023-04-27T15:03:11Z)")
    );
    assert!(!fleet
        .calls
        .lock()
        .unwrap()
        .iter()
        .any(|c| c.starts_with("GetBootstrapBrokers")));
}

/// A sweep lists the account's connectors and replicators once, however many clusters open the
/// door; only the brokers of the clusters a connector's hosts name are read, to match them.
#[tokio::test]
async fn a_sweep_lists_connectors_and_replicators_once() {
    let open = |arn: &str| {
        let arn = arn.to_owned();
        let item = invoking(&sample("noncompliant-sasl-iam"))["configurationItem"]["configuration"]
            .clone();
        ListedCluster {
            resource_type: msk_mtls_rule::rule::evaluation::ResourceType::MskCluster,
            arn,
            tags: BTreeMap::new(),
            cluster: Cluster::Provisioned(read_facts_from_value(item, []).unwrap()),
        }
    };
    let fleet = FakeFleet {
        clusters: vec![
            open(SASL_CLUSTER),
            open("arn:aws:kafka:us-east-1:123456789012:cluster/billing/abc-1"),
            open("arn:aws:kafka:us-east-1:123456789012:cluster/payments/abc-1"),
        ],
        ..fleet_with_door_users()
    };
    let sent = sent_for(
        &fleet,
        scheduled(json!({"checkCertificateAuthorityStatus": "false"})),
    )
    .await;
    let calls = fleet.calls.lock().unwrap().clone();
    let count = |name: &str| calls.iter().filter(|c| c.starts_with(name)).count();
    assert_eq!(
        (
            count("ListConnectors"),
            count("ListReplicators"),
            count("GetBootstrapBrokers")
        ),
        (1, 1, 2),
        "{calls:?}"
    );
    let said: Vec<String> = sent.iter().map(|e| e.annotation.clone().unwrap()).collect();
    assert!(
        said[0]
            .contains("(used by MSK Connect connector orders-sink, MSK Replicator orders-to-eu)"),
        "{said:?}"
    );
    assert!(
        said[1].contains("(users not listed: GetBootstrapBrokers: NotFoundException)"),
        "{said:?}"
    );
    assert!(
        said[2].starts_with("SASL/IAM is enabled and not allowed (since"),
        "{said:?}"
    );
}

/// Unauthenticated access names the connectors that authenticate with NONE on the cluster's
/// brokers (not those with IAM); no replicator is listed for it.
#[tokio::test]
async fn an_unauthenticated_finding_names_the_connectors_without_authentication() {
    let fleet = FakeFleet {
        connectors: Some(Ok(vec![
            connector(
                "legacy-source",
                "b-1.democluster1.x1y2z3.c5.kafka.us-east-1.amazonaws.com:9094",
                false,
            ),
            connector(
                "orders-sink",
                "b-1.democluster1.x1y2z3.c5.kafka.us-east-1.amazonaws.com:9098",
                true,
            ),
        ])),
        ..fleet_with_door_users()
    };
    let sent = sent_for(&fleet, sample("noncompliant-unauthenticated-access")).await;
    let said = sent[0].annotation.clone().unwrap();
    assert!(
        said.starts_with("unauthenticated access is enabled (used by MSK Connect connector legacy-source) (since"),
        "{said}"
    );
    let calls = fleet.calls.lock().unwrap().clone();
    assert!(!calls.contains(&"ListReplicators".to_owned()), "{calls:?}");
}

/// A multi-VPC SASL door names the clients' VPC connections of its mechanism, read for that
/// cluster alone.
#[tokio::test]
async fn a_multi_vpc_finding_names_the_clients_vpc_connections() {
    use msk_mtls_rule::rule::doors::ClientVpcConnection;
    let event = sample("noncompliant-multi-vpc-sasl-iam");
    let arn = invoking(&event)["configurationItem"]["resourceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let connection = |id: &str, sasl| ClientVpcConnection {
        arn: format!(
            "arn:aws:kafka:us-east-1:444455556666:vpc-connection/123456789012/demo-cluster-1/{id}"
        ),
        owner: Some("444455556666".into()),
        sasl,
    };
    let fleet = FakeFleet {
        vpc_connections: BTreeMap::from([(
            arn.clone(),
            Ok(vec![
                connection(
                    "analytics-1",
                    Some(msk_mtls_rule::rule::params::SaslMechanism::Iam),
                ),
                connection("tls-1", None),
            ]),
        )]),
        ..FakeFleet::default()
    };
    let sent = sent_for(&fleet, event).await;
    let said = sent[0].annotation.clone().unwrap();
    assert!(
        said.starts_with("multi-VPC connectivity allows SASL/IAM (used by VPC connection analytics-1 of account 444455556666) (since"),
        "{said}"
    );
    assert_eq!(
        fleet.calls.lock().unwrap().clone(),
        [format!("ListClientVpcConnections {arn}")]
    );
}
