//! Alerts end to end: the release binary under the Runtime API publishes to an SNS topic of the
//! local emulator (moto), whose SQS subscribers filter by message attributes as SNS does. An owner
//! subscribed with a filter policy receives only their clusters' alerts, the security team's
//! unfiltered queue receives all; alerts go out on transitions only, a resolved alert carries the
//! time to remediate, and the same figure reaches the metrics.

#[path = "e2e/harness.rs"]
#[allow(dead_code)] // shared with the Lambda end-to-end tests, which use more of it
mod harness;

use std::time::Duration;

use harness::{response, sample, with_item, Emulator, Function, Outcome, RuntimeApi};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(60);
const OPENED_AT: &str = "2026-11-01T08:00:00.000Z";

struct Alerts {
    emulator: Emulator,
    runtime: RuntimeApi,
    function: Function,
}

/// A topic with three subscribers: the payments team and the search team, each filtered to their
/// clusters, and the security team, unfiltered.
fn alerts_with(env: &[(&str, &str)]) -> Alerts {
    let emulator = Emulator::start();
    let topic = emulator.control(
        "/_e2e/alert-topic",
        json!({"name": "msk-mtls-alerts", "subscribers": [
            {"queue": "payments", "filterPolicy": {"owner": ["payments-team"]}},
            {"queue": "search", "filterPolicy": {"owner": ["search-team"]}},
            {"queue": "security"},
        ]}),
    )["topicArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let runtime = RuntimeApi::start();
    let mut settings = vec![
        ("ALERT_TOPIC_ARN", topic.as_str()),
        ("OWNER_TAG_KEYS", "owner,team"),
    ];
    settings.extend_from_slice(env);
    let function = Function::start_with(&runtime, &emulator, &settings);
    Alerts {
        emulator,
        runtime,
        function,
    }
}

impl Alerts {
    fn invoke(&self, event: &Value) -> Outcome {
        self.runtime.invoke(event, TIMEOUT)
    }

    /// What a subscriber's queue received since last asked: the SNS envelopes.
    fn received(&self, queue: &str) -> Vec<Value> {
        self.emulator
            .control("/_e2e/alert-messages", json!({"queue": queue}))["messages"]
            .as_array()
            .unwrap()
            .clone()
    }
}

/// A change event with a real result token (Config keeps its results), captured at `at`.
fn change(sample_name: &str, at: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut event = with_item(
        sample(
            sample_name,
            Some(json!({"checkCertificateAuthorityStatus": "false"})),
        ),
        |item| {
            item["configurationItemCaptureTime"] = json!(at);
            edit(item);
        },
    );
    event["resultToken"] = json!("e2e-result-token");
    event
}

fn attribute<'a>(envelope: &'a Value, name: &str) -> Option<&'a str> {
    envelope["MessageAttributes"][name]["Value"].as_str()
}

fn body(envelope: &Value) -> &str {
    envelope["Message"].as_str().unwrap()
}

#[test]
fn owners_hear_once_per_change_with_the_fix_and_then_that_it_is_resolved_with_the_time_it_took() {
    let a = alerts_with(&[]);

    // Opened: the owner's queue and the security team's, not the other team's.
    response(a.invoke(&change(
        "noncompliant-unauthenticated-access.json",
        OPENED_AT,
        |_| {},
    )));
    let payments = a.received("payments");
    assert_eq!(payments.len(), 1, "{payments:#?}");
    let opened = &payments[0];
    assert_eq!(attribute(opened, "event"), Some("opened"));
    assert_eq!(attribute(opened, "compliance"), Some("NON_COMPLIANT"));
    assert_eq!(attribute(opened, "owner"), Some("payments-team"));
    assert_eq!(attribute(opened, "account"), Some("123456789012"));
    assert_eq!(attribute(opened, "region"), Some("us-east-1"));
    assert_eq!(attribute(opened, "cluster"), Some("demo-cluster-1"));
    assert_eq!(
        attribute(opened, "team"),
        None,
        "the cluster has no team tag"
    );
    assert_eq!(
        opened["Subject"],
        "MSK cluster demo-cluster-1 lets clients in without mTLS"
    );
    for needle in [
        "Owner:    owner=payments-team, team=(not tagged)",
        "Open:     since 2026-11-01T08:00:00Z",
        "1. unauthenticated access: unauthenticated access is enabled",
        "Now:            aws kafka update-security --cluster-arn <arn>",
        "CloudFormation: ClientAuthentication.Unauthenticated.Enabled: false",
        "Terraform:      client_authentication { unauthenticated = false }",
        "https://us-east-1.console.aws.amazon.com/config/home?region=us-east-1#/resources/details?resourceId=arn%3Aaws%3Akafka",
    ] {
        assert!(body(opened).contains(needle), "{needle:?} not in\n{}", body(opened));
    }
    assert_eq!(a.received("security").len(), 1);
    assert!(a.received("search").is_empty());

    // The same result again (a retry, a re-recorded item): nothing.
    response(a.invoke(&change(
        "noncompliant-unauthenticated-access.json",
        "2026-11-01T08:30:00.000Z",
        |_| {},
    )));
    assert!(a.received("payments").is_empty());
    assert!(a.received("security").is_empty());

    // Other findings: one "changed" alert, and the clock is not reset.
    response(a.invoke(&change(
        "noncompliant-everything-open.json",
        "2026-11-01T09:00:00.000Z",
        |_| {},
    )));
    let changed = a.received("payments");
    assert_eq!(changed.len(), 1);
    assert_eq!(attribute(&changed[0], "event"), Some("changed"));
    assert!(body(&changed[0]).contains("Open:     since 2026-11-01T08:00:00Z"));
    let recorded = a.emulator.recorded_evaluations();
    let annotation = recorded.last().unwrap()["Annotation"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        annotation.ends_with(" (since 2026-11-01T08:00:00Z)"),
        "{annotation}"
    );
    assert!(annotation.chars().count() <= 256);

    // Fixed two hours after it opened: resolved, with the time to remediate, in the alert and the metrics.
    let summary = response(a.invoke(&change(
        "compliant.json",
        "2026-11-01T10:00:00.000Z",
        |_| {},
    )));
    assert_eq!(summary["timeToRemediateSecs"], json!([7_200]));
    assert_eq!(summary["alerts"], 1);
    let resolved = a.received("payments");
    assert_eq!(resolved.len(), 1);
    assert_eq!(attribute(&resolved[0], "event"), Some("resolved"));
    assert_eq!(attribute(&resolved[0], "compliance"), Some("COMPLIANT"));
    assert!(
        body(&resolved[0]).contains("time to remediate 2 h 0 min (7200 s)"),
        "{}",
        body(&resolved[0])
    );
    assert_eq!(a.received("security").len(), 2);

    // Another team's cluster reaches that team only (and the security team).
    response(a.invoke(&change("noncompliant-sasl-iam.json", OPENED_AT, |item| {
        item["resourceId"] = json!("arn:aws:kafka:us-east-1:123456789012:cluster/search-cluster/0f0f0f0f-1111-2222-3333-444444444444-5");
        item["resourceName"] = json!("search-cluster");
        item["tags"] = json!({"owner": "search-team", "team": "search"});
    })));
    let search = a.received("search");
    assert_eq!(search.len(), 1);
    assert_eq!(attribute(&search[0], "team"), Some("search"));
    assert!(a.received("payments").is_empty());
    assert_eq!(a.received("security").len(), 1);

    // Every alert was one Publish; the held result was read from Config for each change event.
    assert_eq!(a.emulator.calls_to("Publish").len(), 4);
    // Least privilege: the function's role grants each call made, the member role each Config call
    // (the function publishes with its own role, never a member's).
    let operations: std::collections::BTreeSet<String> = a
        .emulator
        .calls()
        .iter()
        .map(|call| call["operation"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        operations,
        [
            "GetComplianceDetailsByResource",
            "PutEvaluations",
            "Publish",
            // who uses the unauthenticated and SASL/IAM doors (no connector, no replicator)
            "ListConnectors",
            "ListReplicators"
        ]
        .map(str::to_owned)
        .into()
    );
    let read = |path: &str| {
        std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    let (template, member_role) = (read("template.yaml"), read("deploy/member-role.yaml"));
    for operation in &operations {
        if operation == "Publish" {
            assert!(template
                .contains("Action: sns:Publish\n                  Resource: !Ref AlertTopic"));
            assert!(!member_role.contains("sns:"));
        } else if operation.starts_with("List") {
            let action = if operation == "ListConnectors" {
                "- kafkaconnect:ListConnectors\n".to_owned()
            } else {
                format!("- kafka:{operation}\n")
            };
            assert!(
                template.contains(&action) && member_role.contains(&action),
                "{action}"
            );
        } else {
            let action = format!("- config:{operation}\n");
            assert!(
                template.contains(&action) && member_role.contains(&action),
                "{action}"
            );
        }
    }
    assert_eq!(
        a.emulator.calls_to("GetComplianceDetailsByResource").len(),
        5
    );
    let metrics: Vec<Value> = a
        .function
        .logs()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect();
    assert!(
        metrics
            .iter()
            .any(|line| line["TimeToRemediate"] == json!([7_200])
                && line["_aws"]["CloudWatchMetrics"][1]["Dimensions"]
                    == json!([["ConfigRuleName"]])),
        "{metrics:#?}"
    );
}

#[test]
fn a_sweep_alerts_on_what_changed_only_and_reports_the_cas_near_expiry_with_their_clusters() {
    let a = alerts_with(&[("CA_ALERT_DAYS", "500")]);
    let ca = a.emulator.control("/_e2e/private-ca", json!({"days": 400}))["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let mtls = |name: &str, unauthenticated: bool| {
        json!({"name": name, "tags": {"owner": "payments-team"},
            "clientAuthentication": {"tls": {"enabled": true, "certificateAuthorityArnList": [ca]},
                                     "unauthenticated": {"enabled": unauthenticated}},
            "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}}})
    };
    a.emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [mtls("fine", false), mtls("open", true)]}),
    );
    let mut sweep = sample("aws/scheduled.json", Some(json!({})));
    sweep["resultToken"] = json!("e2e-result-token");

    let first = response(a.invoke(&sweep));
    assert_eq!(
        (first["compliant"].as_u64(), first["nonCompliant"].as_u64()),
        (Some(1), Some(1))
    );
    let security = a.received("security");
    let events: Vec<Option<&str>> = security.iter().map(|m| attribute(m, "event")).collect();
    assert_eq!(events.len(), 2, "{security:#?}");
    assert!(
        events.contains(&Some("opened")) && events.contains(&Some("ca-health")),
        "{events:?}"
    );
    let report = security
        .iter()
        .find(|m| attribute(m, "event") == Some("ca-health"))
        .unwrap();
    assert!(
        body(report).contains(&format!("CA {ca}: its certificate expires in")),
        "{}",
        body(report)
    );
    assert!(
        body(report).contains("Trusted by 2 cluster(s)"),
        "{}",
        body(report)
    );
    assert!(
        body(report).contains("Type SUBORDINATE, usage mode GENERAL_PURPOSE, expires in"),
        "{}",
        body(report)
    );
    // The CA report has no owner: an owner's filtered queue gets the cluster alert only.
    assert_eq!(a.received("payments").len(), 1);

    // The same fleet again: no cluster alert; the CA is still near expiry, so it is reported again.
    response(a.invoke(&sweep));
    let again: Vec<Option<String>> = a
        .received("security")
        .iter()
        .map(|m| attribute(m, "event").map(str::to_owned))
        .collect();
    assert_eq!(again, [Some("ca-health".to_owned())]);
    assert!(a.received("payments").is_empty());
}

/// A CA other accounts can issue from is in the sweep's CA report with who can issue and the
/// clusters it lets them into, however far its expiry; the sweep's metrics count it, and the most
/// clusters one CA is trusted by.
#[test]
fn a_sweep_reports_a_ca_other_accounts_can_issue_from_and_counts_it() {
    let a = alerts_with(&[("CA_ALERT_DAYS", "30")]);
    let shared = a.emulator.control(
        "/_e2e/private-ca",
        json!({"days": 400, "ramShareWith": ["444455556666"]}),
    )["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let mtls = |name: &str| {
        json!({"name": name, "tags": {"owner": "payments-team"},
            "clientAuthentication": {"tls": {"enabled": true, "certificateAuthorityArnList": [shared]},
                                     "unauthenticated": {"enabled": false}},
            "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}}})
    };
    a.emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [mtls("orders"), mtls("payments")]}),
    );
    let mut sweep = sample("aws/scheduled.json", Some(json!({})));
    sweep["resultToken"] = json!("e2e-result-token");
    let summary = response(a.invoke(&sweep));
    assert_eq!(summary["nonCompliant"], 2, "{summary}");
    let security = a.received("security");
    let report = security
        .iter()
        .find(|m| attribute(m, "event") == Some("ca-health"))
        .unwrap_or_else(|| panic!("no CA report: {security:#?}"));
    assert!(
        body(report).contains(&format!(
            "CA {shared}: principals outside its account can issue from it (444455556666). Type SUBORDINATE, usage mode GENERAL_PURPOSE, expires in"
        )) && body(report).contains("its own account and 444455556666 can issue. Trusted by 2 cluster(s)"),
        "{}",
        body(report)
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    let logs = a.function.logs();
    let metrics: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("CaShared").is_some())
        .collect();
    assert_eq!(metrics.len(), 1, "{logs}");
    assert_eq!(
        (&metrics[0]["CaShared"], &metrics[0]["CaMostClusters"]),
        (&json!(1), &json!(2))
    );
}

/// Config is the record: a topic that refuses never keeps a result from it. The refusal is loud: the
/// invocation fails naming it, and the log names the alert that was lost.
#[test]
fn an_alert_sns_refuses_fails_the_invocation_loudly_after_the_result_reached_config() {
    let a = alerts_with(&[]);
    a.emulator.control(
        "/_e2e/faults",
        json!({"operations": ["Publish"], "kind": "error500"}),
    );
    let outcome = a.invoke(&change(
        "noncompliant-unauthenticated-access.json",
        OPENED_AT,
        |_| {},
    ));
    let Outcome::Error {
        error_type,
        message,
    } = outcome
    else {
        panic!("an alert was refused and yet the invocation succeeded");
    };
    assert_eq!(error_type, "AwsApi", "{message}");
    assert!(
        message.contains("Publish") && message.contains("1 alert(s) not published, 0 published"),
        "{message}"
    );
    let recorded = a.emulator.recorded_evaluations();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["ComplianceType"], "NON_COMPLIANT");
    let logs = a.function.logs();
    assert!(
        logs.lines().any(|line| line.contains("alert not published")
            && line.contains("\"level\":\"ERROR\"")
            && line.contains("MSK cluster demo-cluster-1 lets clients in without mTLS")),
        "{logs}"
    );
    assert!(a.received("security").is_empty());
}

/// SNS refuses an "opened" alert (every attempt of one Publish). Before, Lambda's retry found the
/// NON_COMPLIANT result already held, saw no transition, and the owner was never told. Now the
/// result reached Config marked "alert not sent", and the retry sends the alert, with the id the
/// first attempt's body would have carried.
#[test]
fn an_alert_sns_refused_once_is_sent_by_the_retry() {
    let a = alerts_with(&[]);
    a.emulator.control(
        "/_e2e/faults",
        json!({"operations": ["Publish"], "kind": "error500", "count": 5}),
    );
    let event = change(
        "noncompliant-unauthenticated-access.json",
        OPENED_AT,
        |_| {},
    );
    let outcome = a.invoke(&event);
    assert!(matches!(outcome, Outcome::Error { .. }), "{outcome:?}");
    let recorded = a.emulator.recorded_evaluations();
    assert_eq!(recorded.len(), 1);
    let annotation = recorded[0]["Annotation"].as_str().unwrap();
    assert!(
        annotation.ends_with(") [alert not sent: opened]"),
        "the result reached Config, marked: {annotation}"
    );
    assert!(a.received("security").is_empty());

    // Lambda retries the same event: the mark is held, the alert goes out, the mark is cleared.
    let summary = response(a.invoke(&event));
    assert_eq!(summary["alerts"], 1, "{summary}");
    let received = a.received("security");
    assert_eq!(received.len(), 1);
    assert_eq!(attribute(&received[0], "event"), Some("opened"));
    assert!(
        body(&received[0]).contains("Alert:    "),
        "{}",
        body(&received[0])
    );
    let recorded = a.emulator.recorded_evaluations();
    let annotation = recorded.last().unwrap()["Annotation"].as_str().unwrap();
    assert!(!annotation.contains("alert not sent"), "{annotation}");

    // And once told, a third delivery of the event is silent.
    response(a.invoke(&event));
    assert!(a.received("security").is_empty());
}

#[test]
fn an_invalid_alert_setting_fails_every_invocation_naming_it() {
    let a = alerts_with(&[("OWNER_TAG_KEYS", "owner,region")]);
    let outcome = a.invoke(&change("compliant.json", OPENED_AT, |_| {}));
    let Outcome::Error {
        error_type,
        message,
    } = outcome
    else {
        panic!("an invalid setting was ignored");
    };
    assert_eq!(error_type, "InvalidEnvironment", "{message}");
    assert!(message.contains("OWNER_TAG_KEYS"), "{message}");
    assert!(a.emulator.recorded_evaluations().is_empty());
}

/// An organization rule's member copy invokes the central function: the member's calls go through
/// the member role, the alert goes to the central topic with the function's own credentials, and
/// the metrics are filed under the stack's rule name with the member's account.
#[test]
fn a_member_account_s_alert_reaches_the_central_topic_published_with_the_function_s_own_role() {
    const MEMBER: &str = "210987654321";
    const OWN_KEY: &str = "AKIAE2EEXAMPLEKEY000";
    let a = alerts_with(&[("CONFIG_RULE_NAME", "msk-mtls-enforced")]);
    let mut event = change("noncompliant-sasl-iam.json", OPENED_AT, |item| {
        item["resourceId"] = json!(format!(
            "arn:aws:kafka:us-east-1:{MEMBER}:cluster/member-cluster/0a0a0a0a-1111-2222-3333-444444444444-5"
        ));
        item["resourceName"] = json!("member-cluster");
        item["awsAccountId"] = json!(MEMBER);
    });
    event["accountId"] = json!(MEMBER);
    event["configRuleName"] = json!("OrgConfigRule-msk-mtls-enforced-abcd1234");
    event["ruleParameters"] = json!(json!({
        "executionRoleName": "msk-mtls-rule-member",
        "checkCertificateAuthorityStatus": "false"
    })
    .to_string());
    response(a.invoke(&event));

    let central = a.received("security");
    assert_eq!(central.len(), 1);
    assert_eq!(attribute(&central[0], "account"), Some(MEMBER));
    assert_eq!(attribute(&central[0], "cluster"), Some("member-cluster"));
    assert!(body(&central[0]).contains("Rule:     OrgConfigRule-msk-mtls-enforced-abcd1234"));
    for call in a.emulator.calls() {
        let own = call["key"] == OWN_KEY;
        match call["operation"].as_str().unwrap() {
            "AssumeRole" | "Publish" => assert!(own, "{call}"),
            _ => assert!(!own, "a member call made without the member role: {call}"),
        }
    }
    assert_eq!(a.emulator.calls_to("Publish").len(), 1);
    let metrics = a
        .function
        .logs()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line.get("_aws").is_some())
        .expect("a metrics line");
    assert_eq!(metrics["ConfigRuleName"], "msk-mtls-enforced");
    assert_eq!(metrics["AccountId"], MEMBER);
    assert_eq!(metrics["AlertsPublished"], 1);
}

/// A tag-scoped rule is sent every tagged resource; one that is not an MSK cluster is never
/// NON_COMPLIANT, so no held result is read for it.
#[test]
fn another_resource_type_costs_no_read_of_the_held_result() {
    let a = alerts_with(&[]);
    let mut event = sample(
        "notapplicable-other-resource-type.json",
        Some(json!({"checkCertificateAuthorityStatus": "false"})),
    );
    event["resultToken"] = json!("e2e-result-token");
    assert_eq!(response(a.invoke(&event))["notApplicable"], 1);
    assert!(a
        .emulator
        .calls_to("GetComplianceDetailsByResource")
        .is_empty());
    assert_eq!(a.emulator.calls_to("PutEvaluations").len(), 1);
    assert!(a.emulator.calls_to("Publish").is_empty());
}

/// A COMPLIANT cluster's notes change: its owner hears it once (`event=noted`), with the note's
/// fix when one is noted; a first result and an unchanged one are no news.
#[test]
fn a_compliant_clusters_changed_notes_are_told_once() {
    let a = alerts_with(&[]);
    let configuration = "arn:aws:kafka:us-east-1:123456789012:configuration/tenants/7e1f-1";
    a.emulator.control(
        "/_e2e/configurations",
        json!({"configurations": [{"arn": configuration, "revision": 1,
                                   "serverProperties": "allow.everyone.if.no.acl.found=false"}]}),
    );
    let closed = |item: &mut Value| {
        item["configuration"]["ConfigurationInfo"] = json!({"Arn": configuration, "Revision": 1});
    };
    response(a.invoke(&change("compliant.json", OPENED_AT, closed)));
    assert!(
        a.received("payments").is_empty(),
        "a first result is no news"
    );

    // MSK's default configuration: authorization open by default, a note.
    response(a.invoke(&change(
        "compliant.json",
        "2026-11-01T09:00:00.000Z",
        |_| {},
    )));
    let noted = a.received("payments");
    assert_eq!(noted.len(), 1, "{noted:#?}");
    assert_eq!(attribute(&noted[0], "event"), Some("noted"));
    assert_eq!(attribute(&noted[0], "compliance"), Some("COMPLIANT"));
    assert_eq!(
        noted[0]["Subject"],
        "MSK cluster demo-cluster-1 enforces mTLS, with changed notes"
    );
    for needle in [
        "enforces mutual TLS, and what it notes has changed (COMPLIANT)",
        "Noted, not failing under the rule's parameters:",
        "- authorization closed by default: authorization open by default: MSK's default configuration sets allow.everyone.if.no.acl.found true",
    ] {
        assert!(body(&noted[0]).contains(needle), "{needle:?} not in\n{}", body(&noted[0]));
    }

    response(a.invoke(&change(
        "compliant.json",
        "2026-11-01T10:00:00.000Z",
        |_| {},
    )));
    assert!(
        a.received("payments").is_empty(),
        "an unchanged note is no news"
    );
}
