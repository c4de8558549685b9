//! End to end: the release binary, started as Lambda starts it, served events through a Lambda
//! Runtime API, talking to a local AWS emulator (moto) through the real AWS SDK with faults injected.
//! Needs `make tools build` first (`make e2e` does both).

#[path = "e2e/harness.rs"]
#[allow(dead_code)] // shared with benches/lambda.rs, which uses more of it
mod harness;

use std::time::{Duration, Instant};

use harness::{
    deadline_in, item_of, no_ca_check, response, sample, with_item, Emulator, Function, Outcome,
    RuntimeApi,
};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(60);
/// The harness's function runs in 123456789012 (its ARN); a member account of the organization.
const OWN_ACCOUNT: &str = "123456789012";
const MEMBER_ACCOUNT: &str = "210987654321";

struct Setup {
    emulator: Emulator,
    runtime: RuntimeApi,
    function: Function,
}

fn setup() -> Setup {
    let emulator = Emulator::start();
    let runtime = RuntimeApi::start();
    let function = Function::start(&runtime, &emulator);
    Setup {
        emulator,
        runtime,
        function,
    }
}

impl Setup {
    fn invoke(&self, event: &Value) -> Outcome {
        self.runtime.invoke(event, TIMEOUT)
    }
}

fn error(outcome: Outcome) -> (String, String) {
    match outcome {
        Outcome::Error {
            error_type,
            message,
        } => (error_type, message),
        Outcome::Response(body) => panic!("expected an error, got {body}"),
    }
}

/// Gives an event its own cluster, so evaluations can be told apart.
fn cluster_event(name: &str, index: usize, parameters: Option<Value>) -> Value {
    with_item(sample(name, parameters), |item| {
        let arn = format!("arn:aws:kafka:us-east-1:123456789012:cluster/e2e-{index}/00000000-0000-0000-0000-{index:012}-5");
        item["resourceId"] = json!(arn);
        item["ARN"] = json!(arn);
        item["configuration"]["Arn"] = json!(arn);
    })
}

fn with_ca(event: Value, ca_arn: &str) -> Value {
    with_item(event, |item| {
        item["configuration"]["ClientAuthentication"]["Tls"]["CertificateAuthorityArnList"] =
            json!([ca_arn]);
    })
}

#[test]
fn change_events_send_exactly_one_evaluation_each_with_verdict_resource_timestamp_and_annotation() {
    let s = setup();
    let compliant = sample("compliant.json", no_ca_check());
    assert_eq!(
        response(s.invoke(&compliant)),
        json!({"evaluations": 1, "compliant": 1, "nonCompliant": 0, "notApplicable": 0})
    );
    let open = sample("noncompliant-unauthenticated-access.json", no_ca_check());
    assert_eq!(response(s.invoke(&open))["nonCompliant"], 1);

    let recorded = s.emulator.recorded_evaluations();
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    let item = item_of(&compliant);
    assert_eq!(recorded[0]["ComplianceResourceType"], "AWS::MSK::Cluster");
    assert_eq!(recorded[0]["ComplianceResourceId"], item["resourceId"]);
    assert_eq!(recorded[0]["ComplianceType"], "COMPLIANT");
    assert_eq!(
        recorded[0]["Annotation"],
        "authorization open by default: MSK's default configuration sets allow.everyone.if.no.acl.found true",
        "the sample runs MSK's default configuration: a note on the COMPLIANT result"
    );
    // 2023-04-27T15:03:11.636Z, as the SDK puts a timestamp on the wire: epoch seconds.
    assert_eq!(
        recorded[0]["OrderingTimestamp"].as_f64(),
        Some(1_682_607_791.636)
    );
    assert_eq!(recorded[1]["ComplianceType"], "NON_COMPLIANT");
    // The clock of time to remediate rides at the end: first NON_COMPLIANT at the capture time.
    assert_eq!(
        recorded[1]["Annotation"],
        "unauthenticated access is enabled (since 2023-04-27T15:03:11Z)"
    );
    let puts = s.emulator.calls_to("PutEvaluations");
    assert_eq!(puts.len(), 2);
    assert!(puts.iter().all(|call| call["status"] == 200));
}

#[test]
fn oversized_notification_fetches_the_item_and_gives_the_inline_verdict() {
    let s = setup();
    let inline = sample("noncompliant-sasl-scram.json", no_ca_check());
    s.emulator.control("/_e2e/config-history", item_of(&inline));
    response(s.invoke(&inline));
    let oversized = sample("aws/oversized-compliant.json", no_ca_check());
    assert_eq!(response(s.invoke(&oversized))["nonCompliant"], 1);

    let recorded = s.emulator.recorded_evaluations();
    assert_eq!(recorded.len(), 2);
    assert_eq!(
        recorded[0], recorded[1],
        "oversized and inline verdicts differ"
    );
    assert_eq!(
        recorded[1]["Annotation"],
        "SASL/SCRAM is enabled and not allowed (since 2023-04-27T15:03:11Z)"
    );
    assert_eq!(s.emulator.calls_to("GetResourceConfigHistory").len(), 1);
}

#[test]
fn bad_input_errors_through_the_runtime_api_sends_nothing_and_the_process_serves_on() {
    let mut s = setup();
    let good = sample("compliant.json", no_ca_check());
    let mut not_json = good.clone();
    not_json["invokingEvent"] = json!("{not json");
    let mut unknown_type = good.clone();
    unknown_type["invokingEvent"] =
        json!(r#"{"messageType":"ConfigurationSnapshotDeliveryCompleted"}"#);
    let cases = [
        (
            sample(
                "compliant.json",
                Some(json!({"allowedSaslMechanisms": "IAM,KERBEROS"})),
            ),
            "InvalidRuleParameter",
            "allowedSaslMechanisms",
        ),
        (
            sample(
                "compliant.json",
                Some(json!({"checkCertificateAuthorityStatus": "maybe"})),
            ),
            "InvalidRuleParameter",
            "\"maybe\"",
        ),
        (not_json, "InvalidEvent", "invokingEvent"),
        (
            unknown_type,
            "InvalidEvent",
            "ConfigurationSnapshotDeliveryCompleted",
        ),
        (json!({"hello": "world"}), "InvalidEvent", "invokingEvent"),
    ];
    for (event, expected_type, words) in cases {
        let (error_type, message) = error(s.invoke(&event));
        assert_eq!(error_type, expected_type, "{message}");
        assert!(message.contains(words), "{message}");
    }
    assert!(s.emulator.calls_to("PutEvaluations").is_empty());
    assert!(s.function.is_running());
    assert_eq!(response(s.invoke(&good))["compliant"], 1);
    assert_eq!(s.emulator.recorded_evaluations().len(), 1);
}

#[test]
fn with_a_fifth_of_all_calls_throttled_or_failing_every_evaluation_lands_exactly_once() {
    let s = setup();
    let ca = s.emulator.control("/_e2e/private-ca", json!({"days": 365}))["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    s.emulator.control(
        "/_e2e/faults",
        json!({"kind": "mixed", "rate": 0.2, "seed": 7,
               "operations": ["PutEvaluations", "DescribeCertificateAuthority", "GetResourceConfigHistory"]}),
    );
    let events = 12;
    for index in 0..events {
        let name = if index % 2 == 0 {
            "compliant.json"
        } else {
            "noncompliant-sasl-iam.json"
        };
        let event = with_ca(cluster_event(name, index, Some(json!({}))), &ca);
        let summary = response(s.invoke(&event));
        assert_eq!(summary["evaluations"], 1);
    }
    let calls = s.emulator.calls();
    let injected = calls.iter().filter(|c| !c["fault"].is_null()).count();
    assert!(
        injected >= 3,
        "too few faults injected to test anything: {injected}"
    );

    let recorded = s.emulator.recorded_evaluations();
    assert_eq!(recorded.len(), events, "{recorded:?}");
    for index in 0..events {
        let id = format!("cluster/e2e-{index}/");
        let mine: Vec<&Value> = recorded
            .iter()
            .filter(|e| e["ComplianceResourceId"].as_str().unwrap().contains(&id))
            .collect();
        assert_eq!(
            mine.len(),
            1,
            "cluster {index} evaluated {} times",
            mine.len()
        );
        let expected = if index % 2 == 0 {
            "COMPLIANT"
        } else {
            "NON_COMPLIANT"
        };
        assert_eq!(mine[0]["ComplianceType"], expected, "cluster {index}");
    }
}

#[test]
fn a_permanent_failure_errors_the_invocation_and_never_sends_compliant() {
    let s = setup();
    let ca = s.emulator.control("/_e2e/private-ca", json!({"days": 365}))["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let compliant = with_ca(sample("compliant.json", Some(json!({}))), &ca);
    for (operation, event) in [
        ("DescribeCertificateAuthority", compliant.clone()),
        (
            "GetResourceConfigHistory",
            sample("aws/oversized-compliant.json", no_ca_check()),
        ),
        ("PutEvaluations", compliant.clone()),
    ] {
        s.emulator.control(
            "/_e2e/faults",
            json!({"kind": "mixed", "rate": 1.0, "seed": 1, "operations": [operation]}),
        );
        let (error_type, message) = error(s.invoke(&event));
        assert_eq!(error_type, "AwsApi", "{operation}: {message}");
        assert!(message.contains(operation), "{message}");
    }
    assert!(
        s.emulator.recorded_evaluations().is_empty(),
        "an evaluation was sent for an unread cluster"
    );
    s.emulator.control("/_e2e/faults", json!({}));
    assert_eq!(response(s.invoke(&compliant))["compliant"], 1);
}

#[test]
fn failed_evaluations_are_retried_and_when_they_keep_failing_the_invocation_errors() {
    let s = setup();
    let event = sample("noncompliant-sasl-iam.json", no_ca_check());
    s.emulator
        .control("/_e2e/faults", json!({"failedEvaluations": 1}));
    assert_eq!(response(s.invoke(&event))["nonCompliant"], 1);
    assert_eq!(s.emulator.calls_to("PutEvaluations").len(), 2);
    assert_eq!(s.emulator.recorded_evaluations().len(), 1);

    s.emulator
        .control("/_e2e/faults", json!({"failedEvaluations": -1}));
    let (error_type, message) = error(s.invoke(&event));
    assert_eq!(error_type, "EvaluationsRejected");
    assert!(
        message.contains(item_of(&event)["resourceId"].as_str().unwrap()),
        "{message}"
    );
    assert_eq!(
        s.emulator.recorded_evaluations().len(),
        1,
        "nothing more reached Config"
    );
}

#[test]
fn a_stalled_endpoint_fails_the_invocation_before_its_deadline() {
    let s = setup();
    s.emulator.control(
        "/_e2e/faults",
        json!({"kind": "stall", "rate": 1.0, "operations": ["PutEvaluations"]}),
    );
    let event = sample("compliant.json", no_ca_check());
    let deadline = Duration::from_secs(3);
    let started = Instant::now();
    let outcome = s.runtime.invoke(&event, deadline);
    let elapsed = started.elapsed();
    let (error_type, message) = error(outcome);
    assert_eq!(error_type, "Timeout", "{message}");
    assert!(
        elapsed < deadline,
        "answered after the deadline: {elapsed:?}"
    );
    s.emulator.control("/_e2e/faults", json!({}));
    assert_eq!(response(s.invoke(&event))["compliant"], 1);
}

/// A Private CA in the emulator's ACM PCA, as `request` describes it (see /_e2e/private-ca): its ARN.
fn private_ca(s: &Setup, request: Value) -> String {
    s.emulator.control("/_e2e/private-ca", request)["arn"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn private_ca_health_from_acm_pca_shows_in_verdicts() {
    let s = setup();
    let ca = |request: Value| private_ca(&s, request);
    let healthy = ca(json!({"days": 400}));
    let expiring = ca(json!({"days": 10.5}));
    let disabled = ca(json!({"days": 400, "status": "DISABLED"}));
    let missing = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/00000000-dead-beef-0000-000000000000";
    for (index, (arn, verdict, words)) in [
        (healthy.as_str(), "COMPLIANT", ""),
        (
            expiring.as_str(),
            "NON_COMPLIANT",
            "certificate expires in 10 days",
        ),
        (disabled.as_str(), "NON_COMPLIANT", "is DISABLED"),
        (missing, "NON_COMPLIANT", "does not exist"),
    ]
    .into_iter()
    .enumerate()
    {
        let event = with_ca(cluster_event("compliant.json", index, Some(json!({}))), arn);
        response(s.invoke(&event));
        let recorded = s.emulator.recorded_evaluations();
        let last = recorded.last().unwrap();
        assert_eq!(last["ComplianceType"], verdict, "{arn}");
        assert!(
            last["Annotation"].as_str().unwrap_or("").contains(words),
            "{last}"
        );
    }
    assert_eq!(s.emulator.calls_to("DescribeCertificateAuthority").len(), 4);
}

/// The trust anchor, as ACM PCA tells it: the CA's type and usage mode (DescribeCertificateAuthority)
/// and who else can issue from it (GetPolicy; a RAM share writes the policy), each read once per
/// invocation, and a policy that cannot be read never a pass.
#[test]
fn the_trust_anchor_from_acm_pca_shows_in_verdicts() {
    let s = setup();
    let ca = |request: Value| private_ca(&s, request);
    let subordinate = ca(json!({"days": 400}));
    let root = ca(json!({"days": 400, "type": "ROOT"}));
    let shared = ca(json!({"days": 400, "ramShareWith": ["444455556666"]}));
    let anyone = ca(
        json!({"days": 400, "policy": {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "acm-pca:IssueCertificate", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}}),
    );
    let short = ca(json!({"days": 400, "usageMode": "SHORT_LIVED_CERTIFICATE"}));
    let cases = [
        (&subordinate, json!({}), "COMPLIANT", ""),
        (
            &root,
            json!({}),
            "NON_COMPLIANT",
            "is a root CA trusted directly",
        ),
        (
            &root,
            json!({"allowRootCertificateAuthority": "true"}),
            "COMPLIANT",
            "",
        ),
        (
            &shared,
            json!({}),
            "NON_COMPLIANT",
            "lets other accounts issue client certificates: 444455556666",
        ),
        (
            &shared,
            json!({"allowedIssuerAccounts": "444455556666"}),
            "COMPLIANT",
            "",
        ),
        (
            &anyone,
            json!({"allowedIssuerAccounts": "444455556666"}),
            "NON_COMPLIANT",
            "issue client certificates: *",
        ),
        (
            &subordinate,
            json!({"requireShortLivedCertificates": "true"}),
            "NON_COMPLIANT",
            "issues GENERAL_PURPOSE certificates",
        ),
        (
            &short,
            json!({"requireShortLivedCertificates": "true"}),
            "COMPLIANT",
            "",
        ),
    ];
    for (index, (arn, parameters, verdict, words)) in cases.iter().enumerate() {
        let event = with_ca(
            cluster_event("compliant.json", index, Some(parameters.clone())),
            arn,
        );
        response(s.invoke(&event));
        let recorded = s.emulator.recorded_evaluations();
        let last = recorded.last().unwrap();
        assert_eq!(
            last["ComplianceType"], *verdict,
            "{arn} {parameters}: {last}"
        );
        assert!(
            last["Annotation"].as_str().unwrap_or("").contains(words),
            "{last}"
        );
    }
    assert_eq!(
        s.emulator.calls_to("DescribeCertificateAuthority").len(),
        cases.len()
    );
    assert_eq!(s.emulator.calls_to("GetPolicy").len(), cases.len());

    s.emulator.control(
        "/_e2e/faults",
        json!({"operations": ["GetPolicy"], "kind": "denied"}),
    );
    let event = with_ca(
        cluster_event("compliant.json", 20, Some(json!({}))),
        &subordinate,
    );
    response(s.invoke(&event));
    let recorded = s.emulator.recorded_evaluations();
    let last = recorded.last().unwrap();
    assert_eq!(last["ComplianceType"], "NON_COMPLIANT", "{last}");
    assert!(
        last["Annotation"].as_str().unwrap().contains(
            "resource policy could not be read (AccessDeniedException: needs acm-pca:GetPolicy)"
        ),
        "{last}"
    );
}

/// With `certificateAuthorityPerCluster`, a CA that two clusters trust fails both, each naming the
/// other: in a sweep from its own listing, and in a change event from one ListClustersV2 walk.
#[test]
fn a_ca_trusted_by_two_clusters_fails_both_when_each_must_have_its_own() {
    let s = setup();
    let ca = || private_ca(&s, json!({"days": 400}));
    let (shared, own) = (ca(), ca());
    let cluster = |name: &str, ca: &str| {
        json!({"name": name,
               "clientAuthentication": {"tls": {"enabled": true, "certificateAuthorityArnList": [ca]},
                                        "sasl": {"iam": {"enabled": false}, "scram": {"enabled": false}},
                                        "unauthenticated": {"enabled": false}},
               "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS", "inCluster": true}},
               "configurationInfo": {"arn": FLEET_CONFIGURATION, "revision": 1}})
    };
    s.emulator.control(
        "/_e2e/configurations",
        json!({"configurations": [{"arn": FLEET_CONFIGURATION, "revision": 1,
                                   "serverProperties": "allow.everyone.if.no.acl.found=false\n"}]}),
    );
    let arns = s.emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [cluster("orders", &shared), cluster("payments", &shared), cluster("audit", &own)]}),
    )["arns"]
        .clone();
    let per_cluster = json!({"certificateAuthorityPerCluster": "true"});
    response(s.invoke(&scheduled(per_cluster.clone())));
    let verdicts: std::collections::HashMap<String, (String, String)> = s
        .emulator
        .recorded_evaluations()
        .iter()
        .map(|e| {
            let annotation = e["Annotation"].as_str().unwrap_or("").to_owned();
            (
                e["ComplianceResourceId"].as_str().unwrap().to_owned(),
                (e["ComplianceType"].as_str().unwrap().to_owned(), annotation),
            )
        })
        .collect();
    let of = |index: usize| verdicts[arns[index].as_str().unwrap()].clone();
    assert_eq!(of(0).0, "NON_COMPLIANT", "{:?}", of(0));
    assert!(
        of(0).1.contains("is also trusted by cluster(s) payments ("),
        "{:?}",
        of(0)
    );
    assert!(
        of(1).1.contains("is also trusted by cluster(s) orders ("),
        "{:?}",
        of(1)
    );
    assert_eq!(of(2).0, "COMPLIANT", "{:?}", of(2));
    assert_eq!(s.emulator.calls_to("ListClustersV2").len(), 1);

    let event = with_ca(
        cluster_event("compliant.json", 9, Some(per_cluster)),
        &shared,
    );
    response(s.invoke(&event));
    let recorded = s.emulator.recorded_evaluations();
    let last = recorded.last().unwrap();
    assert_eq!(last["ComplianceType"], "NON_COMPLIANT", "{last}");
    assert!(
        last["Annotation"]
            .as_str()
            .unwrap()
            .contains("is also trusted by cluster(s) orders, payments"),
        "{last}"
    );
    assert_eq!(
        s.emulator.calls_to("ListClustersV2").len(),
        2,
        "one walk for the change event"
    );
}

#[test]
fn logs_are_json_one_line_per_evaluation_and_never_carry_the_token_or_credentials() {
    let s = setup();
    let mut event = sample("noncompliant-sasl-scram.json", no_ca_check());
    let token = "eyJlbmNyeXB0ZWREYXRhIjpbLTQxLDEsLTU3LC0zMCwtMTIxLDUzLDUyLDQ1LC01NywtOCw3M-e2e";
    event["resultToken"] = json!(token);
    assert_eq!(response(s.invoke(&event))["nonCompliant"], 1);
    let mut bad = sample("compliant.json", Some(json!({"requiredTagKeys": ["x"]})));
    bad["resultToken"] = json!(token);
    assert_eq!(error(s.invoke(&bad)).0, "InvalidRuleParameter");
    std::thread::sleep(Duration::from_millis(200));
    let logs = s.function.logs();
    for secret in [
        token,
        "e2e-secret-access-key-must-not-be-logged",
        "e2e-session-token-must-not-be-logged",
    ] {
        assert!(!logs.contains(secret), "secret in logs:\n{logs}");
    }
    let resource_id = item_of(&event)["resourceId"].as_str().unwrap().to_owned();
    let evaluated: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "evaluated")
        .collect();
    assert_eq!(evaluated.len(), 1, "{logs}");
    assert_eq!(evaluated[0]["fields"]["resource_id"], resource_id.as_str());
    assert_eq!(evaluated[0]["fields"]["compliance"], "NON_COMPLIANT");

    // one EMF line for the invocation that succeeded, none for the one refused
    let metrics: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect();
    assert_eq!(metrics.len(), 1, "{logs}");
    let emf = &metrics[0];
    assert_eq!(
        emf["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "MskMtlsRule"
    );
    assert_eq!(emf["ConfigRuleName"], event["configRuleName"]);
    assert_eq!(emf["Trigger"], "ConfigurationItemChange");
    assert_eq!(
        (
            emf["ClustersEvaluated"].as_u64(),
            emf["NonCompliant"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

const CA_ARN: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/";

/// A cluster for the emulator, in the Kafka API's spelling, with the verdict it must get.
/// The configuration a fifth of the fleet runs, in two revisions.
const FLEET_CONFIGURATION: &str =
    "arn:aws:kafka:us-east-1:123456789012:configuration/fleet/5a7c1e2b-1";

fn fleet_cluster(index: usize, cas: &[String]) -> (Value, &'static str) {
    let ca = &cas[index % cas.len()];
    let mtls = json!({"tls": {"enabled": true, "certificateAuthorityArnList": [ca]},
                      "sasl": {"iam": {"enabled": false}, "scram": {"enabled": false}},
                      "unauthenticated": {"enabled": false}});
    let tls_only = json!({"encryptionInTransit": {"clientBroker": "TLS", "inCluster": true}});
    let name = format!("fleet-{index}");
    match index % 5 {
        0 => (
            json!({"name": name, "clientAuthentication": mtls, "encryptionInfo": tls_only,
                   "configurationInfo": {"arn": FLEET_CONFIGURATION, "revision": index % 2 + 1}}),
            "COMPLIANT",
        ),
        // ZooKeeper mode: direct access turned off by an operation (seeded by the test), or never.
        1 if index % 50 == 1 => (
            json!({"name": name, "clientAuthentication": mtls, "encryptionInfo": tls_only,
                   "kafkaVersion": "3.6.0"}),
            "COMPLIANT",
        ),
        1 if index % 50 == 11 => (
            json!({"name": name, "clientAuthentication": mtls, "encryptionInfo": tls_only,
                   "kafkaVersion": "2.8.1"}),
            "NON_COMPLIANT",
        ),
        1 => (
            json!({"name": name, "clientAuthentication": mtls, "encryptionInfo": tls_only}),
            "COMPLIANT",
        ),
        2 => (
            json!({"name": name, "clientAuthentication": mtls,
                   "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT"}}}),
            "NON_COMPLIANT",
        ),
        3 if index % 50 == 3 => (json!({"name": name, "serverless": true}), "NOT_APPLICABLE"),
        3 => (
            json!({"name": name, "encryptionInfo": tls_only}),
            "NON_COMPLIANT",
        ),
        _ => (
            json!({"name": name, "encryptionInfo": tls_only,
                   "clientAuthentication": {"tls": {"enabled": true, "certificateAuthorityArnList": [ca]},
                                            "sasl": {"iam": {"enabled": true}},
                                            "unauthenticated": {"enabled": false}}}),
            "NON_COMPLIANT",
        ),
    }
}

/// An UpdateConnectivity operation, completed, that turned direct ZooKeeper access off, as
/// ListClusterOperations lists it (the MSK API reference's ClusterOperationInfo).
fn zookeeper_turned_off(cluster_arn: &str) -> Value {
    json!({"clusterArn": cluster_arn, "operationArn": format!("{cluster_arn}/operation/zk-off"),
           "operationType": "UPDATE_CONNECTIVITY", "operationState": "UPDATE_COMPLETE",
           "creationTime": "2026-11-02T10:00:00.000Z", "endTime": "2026-11-02T10:20:00.000Z",
           "sourceClusterInfo": {"zookeeperAccess": {"enabled": true}},
           "targetClusterInfo": {"zookeeperAccess": {"enabled": false}}})
}

fn scheduled(parameters: Value) -> Value {
    sample("aws/scheduled.json", Some(parameters))
}

/// `count` clusters of `fleet_cluster`'s mix on 3 CAs, with the fleet's configuration revisions and
/// the ZooKeeper operations of those turned off: their ARNs and expected verdicts, in order.
fn seed_fleet(s: &Setup, count: usize) -> (Vec<String>, Vec<&'static str>) {
    let cas: Vec<String> = (0..3)
        .map(|_| {
            s.emulator.control("/_e2e/private-ca", json!({"days": 400}))["arn"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let (clusters, verdicts): (Vec<Value>, Vec<&str>) =
        (0..count).map(|i| fleet_cluster(i, &cas)).unzip();
    let revisions: Vec<Value> = [1, 2]
        .map(|revision| {
            json!({"arn": FLEET_CONFIGURATION, "revision": revision,
                   "serverProperties": "allow.everyone.if.no.acl.found=false\n"})
        })
        .to_vec();
    s.emulator.control(
        "/_e2e/configurations",
        json!({ "configurations": revisions }),
    );
    let arns: Vec<String> = s
        .emulator
        .control("/_e2e/clusters", json!({"clusters": clusters}))["arns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arn| arn.as_str().unwrap().to_owned())
        .collect();
    for arn in arns.iter().skip(1).step_by(50) {
        s.emulator.control(
            "/_e2e/cluster-operations",
            json!({"arn": arn, "operations": [zookeeper_turned_off(arn)]}),
        );
    }
    (arns, verdicts)
}

#[test]
fn a_scheduled_sweep_of_1000_clusters_gives_the_expected_counts_in_the_minimum_number_of_calls() {
    let s = setup();
    let (arns, verdicts) = seed_fleet(&s, 1000);
    let expected: std::collections::HashMap<String, &str> =
        arns.iter().cloned().zip(verdicts.iter().copied()).collect();

    let mut summary = response(s.invoke(&scheduled(json!({}))));
    let count = |verdict| verdicts.iter().filter(|v| **v == verdict).count();
    // the CAs were made to expire in 400 days, a moment ago (400 if still within the same second)
    let ca_days = summary.as_object_mut().unwrap().remove("caDaysToExpiry");
    let ca_days = ca_days.and_then(|days| days.as_i64());
    assert!(matches!(ca_days, Some(399 | 400)), "{ca_days:?}");
    assert_eq!(
        summary,
        json!({"evaluations": 1000, "compliant": count("COMPLIANT"),
               "nonCompliant": count("NON_COMPLIANT"), "notApplicable": count("NOT_APPLICABLE")})
    );
    let recorded = s.emulator.recorded_evaluations();
    assert_eq!(recorded.len(), 1000);
    for evaluation in &recorded {
        let arn = evaluation["ComplianceResourceId"].as_str().unwrap();
        assert_eq!(
            evaluation["ComplianceType"], expected[arn],
            "{arn}: {evaluation}"
        );
        let serverless = expected[arn] == "NOT_APPLICABLE";
        let resource_type = if serverless {
            "AWS::MSK::ServerlessCluster"
        } else {
            "AWS::MSK::Cluster"
        };
        assert_eq!(evaluation["ComplianceResourceType"], resource_type);
        // notificationCreationTime of the scheduled sample: 2023-04-27T13:26:17.741Z
        assert_eq!(
            evaluation["OrderingTimestamp"].as_f64(),
            Some(1_682_601_977.741)
        );
    }
    // The minimum: 10 list pages (100 a page), 10 PutEvaluations, 1 page of stored results, 3 CAs
    // (each described and its policy read),
    // 2 configuration revisions (200 clusters run them), and the operations of each of the 40
    // ZooKeeper-mode clusters (one page each; KRaft clusters have none to read), and one listing
    // each of the account's connectors and replicators for the clusters with SASL/IAM or
    // unauthenticated access open (none uses them here, so no cluster's brokers are read).
    let calls = s.emulator.calls();
    let count_calls =
        |operation: &str| calls.iter().filter(|c| c["operation"] == operation).count();
    assert_eq!(count_calls("ListClustersV2"), 10);
    assert_eq!(count_calls("PutEvaluations"), 10);
    assert_eq!(count_calls("GetComplianceDetailsByConfigRule"), 1);
    assert_eq!(count_calls("DescribeCertificateAuthority"), 3);
    assert_eq!(count_calls("GetPolicy"), 3);
    assert_eq!(count_calls("DescribeConfigurationRevision"), 2);
    assert_eq!(count_calls("ListClusterOperations"), 40);
    assert_eq!(count_calls("ListConnectors"), 1);
    assert_eq!(count_calls("ListReplicators"), 1);
    assert_eq!(calls.len(), 71, "{calls:?}");
}

/// A sweep whose call streams overlap, with 30% of its calls throttled: the held results, the
/// listing, the reads and the batches each back off and go on, and every cluster is evaluated once,
/// rightly. An invocation whose call ran out of retries fails, and is invoked again as Lambda
/// retries a failed invocation (twice); the one that succeeds is checked.
#[test]
fn a_sweep_with_30_percent_of_its_calls_throttled_evaluates_each_cluster_once() {
    let s = setup();
    let (arns, verdicts) = seed_fleet(&s, 450);
    let expected: std::collections::HashMap<&str, &str> = arns
        .iter()
        .map(String::as_str)
        .zip(verdicts.iter().copied())
        .collect();
    // a real token, so that the first sweep's results are held when the second reads them
    let mut event = scheduled(json!({}));
    event["resultToken"] = json!("e2e-result-token");
    response(s.invoke(&event));
    s.emulator.control(
        "/_e2e/faults",
        json!({"kind": "throttle", "rate": 0.3, "seed": 11,
               "operations": ["ListClustersV2", "GetComplianceDetailsByConfigRule", "PutEvaluations",
                              "DescribeCertificateAuthority", "DescribeConfigurationRevision",
                              "ListClusterOperations"]}),
    );
    let mut attempts = 0;
    let sent_from = loop {
        attempts += 1;
        let before = s.emulator.recorded_evaluations().len();
        match s.invoke(&event) {
            Outcome::Response(summary) => {
                assert_eq!(summary["evaluations"], 450, "{summary}");
                break before;
            }
            failed if attempts < 3 => eprintln!("attempt {attempts} failed: {failed:?}"),
            failed => panic!("three attempts failed, the last with {failed:?}"),
        }
    };
    let throttled = s
        .emulator
        .calls()
        .iter()
        .filter(|call| call["fault"] == "throttle")
        .count();
    assert!(
        throttled >= 5,
        "too few throttled calls to test anything: {throttled}"
    );
    let sent = &s.emulator.recorded_evaluations()[sent_from..];
    let mut seen = std::collections::HashSet::new();
    for evaluation in sent {
        let arn = evaluation["ComplianceResourceId"].as_str().unwrap();
        assert!(seen.insert(arn), "{arn} evaluated twice in one sweep");
        assert_eq!(
            evaluation["ComplianceType"], expected[arn],
            "{arn}: {evaluation}"
        );
    }
    assert_eq!(seen.len(), 450);
}

#[test]
fn a_sweep_marks_results_of_clusters_that_no_longer_exist_not_applicable_with_their_own_type() {
    let s = setup();
    let live = s.emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [{"name": "still-here", "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}}}]}),
    )["arns"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let gone =
        "arn:aws:kafka:us-east-1:123456789012:cluster/gone/11111111-1111-1111-1111-111111111111-5";
    let gone_serverless = "arn:aws:kafka:us-east-1:123456789012:cluster/gone-sls/22222222-2222-2222-2222-222222222222-s1";
    s.emulator.control(
        "/_e2e/stored-results",
        json!({"evaluations": [
            {"ComplianceResourceType": "AWS::MSK::Cluster", "ComplianceResourceId": live, "ComplianceType": "COMPLIANT"},
            {"ComplianceResourceType": "AWS::MSK::Cluster", "ComplianceResourceId": gone, "ComplianceType": "NON_COMPLIANT"},
            {"ComplianceResourceType": "AWS::MSK::ServerlessCluster", "ComplianceResourceId": gone_serverless, "ComplianceType": "NON_COMPLIANT"},
        ]}),
    );
    let summary = response(s.invoke(&scheduled(
        json!({"checkCertificateAuthorityStatus": "false"}),
    )));
    assert_eq!(
        summary,
        json!({"evaluations": 3, "compliant": 0, "nonCompliant": 1, "notApplicable": 2})
    );
    let recorded = s.emulator.recorded_evaluations();
    let find = |id: &str| {
        recorded
            .iter()
            .find(|e| e["ComplianceResourceId"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(find(&live)["ComplianceType"], "NON_COMPLIANT");
    assert_eq!(find(gone)["ComplianceType"], "NOT_APPLICABLE");
    assert_eq!(find(gone)["ComplianceResourceType"], "AWS::MSK::Cluster");
    assert_eq!(
        find(gone_serverless)["ComplianceResourceType"],
        "AWS::MSK::ServerlessCluster"
    );
    assert!(find(gone)["Annotation"]
        .as_str()
        .unwrap()
        .contains("no longer exists"));
    assert_eq!(
        s.emulator.calls_to("PutEvaluations").len(),
        1,
        "stale results share the last batch"
    );
}

#[test]
fn change_and_periodic_triggers_give_the_same_verdict_for_the_same_cluster() {
    let s = setup();
    let arn = s.emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [{"name": "both-paths",
            "clientAuthentication": {"tls": {"enabled": true, "certificateAuthorityArnList": [format!("{CA_ARN}x")]},
                                     "sasl": {"scram": {"enabled": true}}, "unauthenticated": {"enabled": false}},
            "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}}}]}),
    )["arns"][0]
        .as_str()
        .unwrap()
        .to_owned();
    response(s.invoke(&scheduled(
        json!({"checkCertificateAuthorityStatus": "false"}),
    )));
    let change = with_item(
        sample("noncompliant-sasl-scram.json", no_ca_check()),
        |item| {
            item["resourceId"] = json!(arn);
        },
    );
    response(s.invoke(&change));
    let recorded = s.emulator.recorded_evaluations();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0]["ComplianceType"], recorded[1]["ComplianceType"]);
    // The change event keeps the clock the sweep started (read back from Config), so the whole
    // annotation is the same.
    assert_eq!(recorded[0]["Annotation"], recorded[1]["Annotation"]);
    let annotation = recorded[0]["Annotation"].as_str().unwrap();
    assert!(
        annotation.starts_with("SASL/SCRAM is enabled and not allowed (since "),
        "{annotation}"
    );
}

#[test]
fn with_an_execution_role_every_call_for_the_account_uses_the_role_assumed_once_per_invocation() {
    let s = setup();
    s.emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [{"name": "member-cluster", "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}}}]}),
    );
    let parameters = json!({"executionRoleName": "msk-mtls-rule-member", "checkCertificateAuthorityStatus": "false"});
    let mut change = sample("noncompliant-sasl-iam.json", Some(parameters.clone()));
    change["accountId"] = json!(MEMBER_ACCOUNT);
    response(s.invoke(&change));
    let mut sweep = scheduled(parameters.clone());
    sweep["accountId"] = json!(MEMBER_ACCOUNT);
    response(s.invoke(&sweep));

    let calls = s.emulator.calls();
    let assume: Vec<&Value> = calls
        .iter()
        .filter(|c| c["operation"] == "AssumeRole")
        .collect();
    assert_eq!(assume.len(), 2, "one AssumeRole per invocation: {calls:?}");
    assert!(
        assume.iter().all(|c| c["key"] == "AKIAE2EEXAMPLEKEY000"),
        "assumed with the function's own key"
    );
    let member_calls: Vec<&Value> = calls
        .iter()
        .filter(|c| c["operation"] != "AssumeRole")
        .collect();
    assert!(member_calls.len() >= 3, "{calls:?}");
    for call in member_calls {
        assert!(
            call["key"]
                .as_str()
                .is_some_and(|key| key != "AKIAE2EEXAMPLEKEY000"),
            "{} made without the assumed role: {call}",
            call["operation"]
        );
    }

    s.emulator.control(
        "/_e2e/faults",
        json!({"kind": "error500", "rate": 1.0, "operations": ["AssumeRole"]}),
    );
    let (error_type, message) = error(s.invoke(&change));
    assert_eq!(error_type, "AwsApi");
    assert!(
        message.contains("AssumeRole")
            && message.contains("arn:aws:iam::210987654321:role/msk-mtls-rule-member"),
        "{message}"
    );
}

#[test]
fn organization_mode_evaluates_the_functions_own_account_with_its_own_credentials() {
    // Service-managed StackSets never create the member role in the management account, which the
    // organization rule also runs in: no AssumeRole there, and evaluations still land.
    let s = setup();
    s.emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [{"name": "own-cluster", "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}}}]}),
    );
    let parameters = json!({"executionRoleName": "msk-mtls-rule-member", "checkCertificateAuthorityStatus": "false"});
    let mut change = sample("noncompliant-sasl-iam.json", Some(parameters.clone()));
    change["accountId"] = json!(OWN_ACCOUNT);
    assert_eq!(response(s.invoke(&change))["nonCompliant"], 1);
    let mut sweep = scheduled(parameters);
    sweep["accountId"] = json!(OWN_ACCOUNT);
    sweep["configRuleName"] = json!("OrgConfigRule-msk-mtls-enforced-abcd1234");
    let summary = response(s.invoke(&sweep));
    assert_eq!(summary["nonCompliant"], 1, "{summary}");

    let calls = s.emulator.calls();
    assert!(
        calls.iter().all(|c| c["operation"] != "AssumeRole"),
        "{calls:?}"
    );
    assert!(
        calls.iter().all(|c| c["key"] == "AKIAE2EEXAMPLEKEY000"),
        "every call with the function's own key: {calls:?}"
    );
    let recorded = s.emulator.recorded_evaluations();
    assert!(recorded.len() >= 2, "{recorded:?}");
    assert!(recorded.iter().any(|e| e["ComplianceResourceId"]
        .as_str()
        .is_some_and(|id| id.contains("/own-cluster/"))));
}

#[test]
fn an_event_from_another_account_without_a_role_is_refused_before_any_call() {
    let s = setup();
    let mut change = sample("noncompliant-sasl-iam.json", no_ca_check());
    change["accountId"] = json!(MEMBER_ACCOUNT);
    let (error_type, message) = error(s.invoke(&change));
    assert_eq!(error_type, "InvalidEvent");
    assert!(
        message.contains(MEMBER_ACCOUNT) && message.contains("refused"),
        "{message}"
    );
    assert!(s.emulator.calls().is_empty(), "{:?}", s.emulator.calls());
}

#[test]
fn a_listing_whose_tokens_cycle_fails_naming_the_api_without_duplicate_evaluations() {
    let s = setup();
    let clusters: Vec<Value> = (0..250)
        .map(|i| json!({"name": format!("cycle-{i}"), "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}}}))
        .collect();
    s.emulator
        .control("/_e2e/clusters", json!({"clusters": clusters}));
    for operation in ["ListClustersV2", "GetComplianceDetailsByConfigRule"] {
        s.emulator
            .control("/_e2e/token-cycle", json!({"operations": [operation]}));
        let before = s.emulator.calls_to(operation).len();
        let started = Instant::now();
        let (error_type, message) = error(s.invoke(&scheduled(
            json!({"checkCertificateAuthorityStatus": "false"}),
        )));
        assert_eq!(error_type, "AwsApi", "{message}");
        assert!(
            message.contains(operation) && message.contains("cycle"),
            "{message}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "took {:?}",
            started.elapsed()
        );
        assert_eq!(
            s.emulator.calls_to(operation).len() - before,
            3,
            "{operation}: A, B, then A again"
        );
    }
    let recorded = s.emulator.recorded_evaluations();
    let ids: std::collections::BTreeSet<&str> = recorded
        .iter()
        .filter_map(|e| e["ComplianceResourceId"].as_str())
        .collect();
    assert_eq!(ids.len(), recorded.len(), "an evaluation was sent twice");
}

#[test]
fn a_past_deadline_and_one_inside_the_margin_end_at_once_without_blaming_aws() {
    let s = setup();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let payload = sample("compliant.json", no_ca_check())
        .to_string()
        .into_bytes();
    for (deadline_ms, words) in [
        (now_ms - 5_000, "deadline had passed"),
        (now_ms + 400, "ms were left before the deadline"),
    ] {
        let started = Instant::now();
        let (outcome, _) =
            s.runtime
                .invoke_raw(payload.clone(), deadline_ms, Duration::from_secs(5));
        let (error_type, message) = error(outcome);
        assert_eq!(error_type, "Timeout");
        assert!(
            message.contains(words) && !message.contains("AWS"),
            "{message}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
    }
    assert!(s.emulator.calls().is_empty());
    assert_eq!(
        response(s.invoke(&sample("compliant.json", no_ca_check())))["compliant"],
        1
    );
}

#[test]
fn a_payload_nested_past_the_parsers_depth_limit_is_an_invalid_event() {
    // Lambda accepts any JSON; serde's depth limit is 128. The runtime's own deserializer used to
    // report such a payload with a type outside the README's list.
    let s = setup();
    let deep = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let change = sample("compliant.json", no_ca_check());
    let invoking = change["invokingEvent"].as_str().unwrap();
    let nested_configuration = invoking.replacen(
        "\"configuration\":{",
        &format!("\"configuration\":{{\"Deep\":{},", deep(300)),
        1,
    );
    assert_ne!(nested_configuration, invoking);
    let mut inner = change.clone();
    inner["invokingEvent"] = json!(nested_configuration);
    for (payload, words) in [
        (
            format!(
                r#"{{"invokingEvent":"{{}}","resultToken":"x","extra":{}}}"#,
                deep(5_000)
            ),
            "invokingEvent",
        ),
        (
            format!(
                r#"{{"invokingEvent":"{{}}","resultToken":"x","ruleParameters":{}}}"#,
                deep(5_000)
            ),
            "ruleParameters",
        ),
        (inner.to_string(), "recursion limit"),
    ] {
        let (outcome, _) =
            s.runtime
                .invoke_raw(payload.into_bytes(), deadline_in(TIMEOUT), TIMEOUT);
        let (error_type, message) = error(outcome);
        assert_eq!(error_type, "InvalidEvent", "{message}");
        assert!(message.contains(words), "{message}");
    }
    assert_eq!(response(s.invoke(&change))["compliant"], 1);
}

#[test]
fn a_sweep_works_with_the_longest_rule_name_config_lets_it_query() {
    // 64 characters: the template's 38 plus a conformance pack's 26-character suffix.
    let s = setup();
    let mut event = scheduled(json!({"checkCertificateAuthorityStatus": "false"}));
    event["configRuleName"] = json!(format!("{}-conformance-pack-abcd1234", "r".repeat(38)));
    response(s.invoke(&event));
    assert_eq!(
        s.emulator.calls_to("GetComplianceDetailsByConfigRule")[0]["status"],
        200
    );
    event["configRuleName"] = json!("r".repeat(65));
    let (error_type, message) = error(s.invoke(&event));
    assert_eq!(error_type, "InvalidEvent");
    assert!(message.contains("at most 64"), "{message}");
}

/// The log levels template.yaml offers (its LogLevel AllowedValues), read from the template.
fn template_log_levels() -> Vec<String> {
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml")).unwrap();
    let after = template
        .split("\n  LogLevel:\n")
        .nth(1)
        .expect("a LogLevel parameter");
    let line = after
        .lines()
        .find(|line| line.trim_start().starts_with("AllowedValues:"))
        .unwrap();
    let list = line.split_once('[').unwrap().1.split_once(']').unwrap().0;
    list.split(',')
        .map(|level| level.trim().to_owned())
        .collect()
}

#[test]
fn at_every_log_level_the_template_allows_metrics_reach_cloudwatch_and_no_secret_is_logged() {
    use msk_mtls_rule::logging::{lambda_keeps, LogLevel};
    let levels = template_log_levels();
    assert!(
        levels.len() >= 4 && !levels.contains(&"TRACE".to_owned()),
        "{levels:?}"
    );
    let emulator = Emulator::start();
    let token = "eyJlbmNyeXB0ZWREYXRhIjpbLTQxLDEsLTU3LC0zMCwtMTIxLDUzLDUyLDQ1LC01NywtOCw3M-levels";
    // TRACE too, although the template does not offer it: the function must serve it as DEBUG
    for level in levels.iter().map(String::as_str).chain(["TRACE"]) {
        let runtime = RuntimeApi::start();
        let function =
            Function::start_with(&runtime, &emulator, &[("AWS_LAMBDA_LOG_LEVEL", level)]);
        let mut event = sample("noncompliant-sasl-scram.json", Some(json!({})));
        event["resultToken"] = json!(token);
        let ca = emulator.control("/_e2e/private-ca", json!({"days": 400}))["arn"]
            .as_str()
            .unwrap()
            .to_owned();
        let event = with_ca(event, &ca);
        assert_eq!(response(runtime.invoke(&event, TIMEOUT))["nonCompliant"], 1);
        let mut bad = sample("compliant.json", Some(json!({"requiredTagKeys": ["x"]})));
        bad["resultToken"] = json!(token);
        assert_eq!(
            error(runtime.invoke(&bad, TIMEOUT)).0,
            "InvalidRuleParameter"
        );
        std::thread::sleep(Duration::from_millis(200));
        let logs = function.logs();
        for secret in [
            token,
            "e2e-secret-access-key-must-not-be-logged",
            "e2e-session-token-must-not-be-logged",
        ] {
            assert!(!logs.contains(secret), "{level}: secret in logs:\n{logs}");
        }
        let threshold = LogLevel::parse(level).unwrap();
        let kept: Vec<Value> = logs
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| lambda_keeps(line, threshold))
            .collect();
        let metrics: Vec<&Value> = kept
            .iter()
            .filter(|line| line.get("_aws").is_some())
            .collect();
        assert_eq!(
            metrics.len(),
            1,
            "{level}: the metrics line Lambda keeps:\n{logs}"
        );
        assert_eq!(metrics[0]["NonCompliant"], 1);
    }
}

/// The value of a CloudWatch metric-math expression of the forms template.yaml's CA alarm uses
/// (`IF`, `FILL`, `<`, `>`, `||`, numbers, metric ids): `None` where CloudWatch has no data point,
/// which an alarm that treats missing data as not breaching reads as OK.
fn metric_math(expression: &str, metrics: &std::collections::HashMap<String, f64>) -> Option<f64> {
    fn tokens(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if c.is_alphanumeric() || c == '.' || c == '_' {
                let mut word = String::new();
                while let Some(&c) = chars
                    .peek()
                    .filter(|c| c.is_alphanumeric() || **c == '.' || **c == '_')
                {
                    word.push(c);
                    chars.next();
                }
                out.push(word);
            } else if c == '|' {
                chars.next();
                assert_eq!(chars.next(), Some('|'));
                out.push("||".into());
            } else {
                out.push(c.to_string());
                chars.next();
            }
        }
        out
    }
    struct Parser<'a> {
        tokens: Vec<String>,
        at: usize,
        metrics: &'a std::collections::HashMap<String, f64>,
    }
    impl Parser<'_> {
        fn next(&mut self) -> String {
            self.at += 1;
            self.tokens[self.at - 1].clone()
        }
        fn expect(&mut self, token: &str) {
            assert_eq!(self.next(), token, "in {:?}", self.tokens);
        }
        fn or(&mut self) -> Option<f64> {
            let mut left = self.comparison();
            while self.tokens.get(self.at).map(String::as_str) == Some("||") {
                self.at += 1;
                let right = self.comparison();
                left = match (left, right) {
                    (Some(a), Some(b)) => Some(f64::from(u8::from(a != 0.0 || b != 0.0))),
                    _ => None,
                };
            }
            left
        }
        fn comparison(&mut self) -> Option<f64> {
            let left = self.term();
            match self.tokens.get(self.at).map(String::as_str) {
                Some(op @ ("<" | ">")) => {
                    let op = op.to_owned();
                    self.at += 1;
                    let right = self.term();
                    Some(f64::from(u8::from(if op == "<" {
                        left? < right?
                    } else {
                        left? > right?
                    })))
                }
                _ => left,
            }
        }
        fn term(&mut self) -> Option<f64> {
            let token = self.next();
            match token.as_str() {
                "IF" => {
                    self.expect("(");
                    let condition = self.or();
                    self.expect(",");
                    let yes = self.or();
                    self.expect(",");
                    let no = self.or();
                    self.expect(")");
                    if condition? != 0.0 {
                        yes
                    } else {
                        no
                    }
                }
                "FILL" => {
                    self.expect("(");
                    let value = self.or();
                    self.expect(",");
                    let fill = self.or();
                    self.expect(")");
                    value.or(fill)
                }
                "(" => {
                    let value = self.or();
                    self.expect(")");
                    value
                }
                number if number.parse::<f64>().is_ok() => number.parse().ok(),
                id => self.metrics.get(id).copied(),
            }
        }
    }
    let mut parser = Parser {
        tokens: tokens(expression),
        at: 0,
        metrics,
    };
    let value = parser.or();
    assert_eq!(parser.at, parser.tokens.len(), "unread: {expression}");
    value
}

/// template.yaml's CA alarm, fed what the function writes when every CA its clusters trust is
/// DISABLED (no expiry to report at all): its expression must come out 1, so the alarm fires.
#[test]
fn the_ca_alarm_fires_on_a_sweep_whose_every_ca_is_disabled() {
    let s = setup();
    let disabled = s.emulator.control(
        "/_e2e/private-ca",
        json!({"days": 400, "status": "DISABLED"}),
    )["arn"]
        .as_str()
        .unwrap()
        .to_owned();
    s.emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [{"name": "orders",
            "clientAuthentication": {"tls": {"certificateAuthorityArnList": [disabled]}},
            "encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS"}}}]}),
    );
    let summary = response(s.invoke(&scheduled(json!({}))));
    assert_eq!(summary["nonCompliant"], 1, "{summary}");
    std::thread::sleep(Duration::from_millis(200));
    let logs = s.function.logs();
    let line: Value = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line.get("_aws").is_some() && line["Trigger"] == "Scheduled")
        .unwrap_or_else(|| panic!("no sweep metrics line: {logs}"));

    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml")).unwrap();
    let template = msk_mtls_rule::check::yaml::read_yaml(&template)
        .unwrap()
        .value;
    let alarm = &template["Resources"]["CaHealthAlarm"]["Properties"];
    let alert_days = template["Parameters"]["CaAlertDays"]["Default"]
        .as_f64()
        .unwrap();
    // Each of the alarm's metrics as CloudWatch would file it from this line: declared under
    // exactly the alarm's dimension names, with the line's values for them.
    let mut metrics = std::collections::HashMap::new();
    let mut expression = None;
    for query in alarm["Metrics"].as_array().unwrap() {
        let id = query["Id"].as_str().unwrap().to_owned();
        if let Some(text) = query.get("Expression") {
            expression = Some(
                text["Fn::Sub"]
                    .as_str()
                    .unwrap()
                    .replace("${CaAlertDays}", &alert_days.to_string()),
            );
            continue;
        }
        let metric = &query["MetricStat"]["Metric"];
        let name = metric["MetricName"].as_str().unwrap();
        let dimensions: Vec<&str> = metric["Dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["Name"].as_str().unwrap())
            .collect();
        assert_eq!(metric["Dimensions"][1]["Value"], line["Trigger"]);
        let declared = line["_aws"]["CloudWatchMetrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|directive| {
                directive["Dimensions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|set| set == &json!(dimensions))
                    && directive["Metrics"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|m| m["Name"] == name)
            });
        if declared {
            metrics.insert(id, line[name].as_f64().unwrap());
        }
    }
    assert!(
        !metrics.contains_key("days"),
        "no CA has an expiry to report: {line}"
    );
    assert_eq!(metrics.get("unhealthy"), Some(&1.0), "{line}");
    let expression = expression.unwrap();
    assert_eq!(
        metric_math(&expression, &metrics),
        Some(1.0),
        "{expression} over {metrics:?}"
    );
    // The same expression goes back to 0 for a healthy sweep, and without FILL the all-disabled
    // sweep would have no data point at all: the alarm would never fire.
    let healthy = std::collections::HashMap::from([
        ("days".to_owned(), 400.0),
        ("unhealthy".to_owned(), 0.0),
    ]);
    assert_eq!(metric_math(&expression, &healthy), Some(0.0));
    assert_eq!(
        metric_math("IF(days < 45 || unhealthy > 0, 1, 0)", &metrics),
        None
    );
}

/// A ZooKeeper-mode cluster's change event (events/aws/zookeeper-access.json) through the release
/// binary: NON_COMPLIANT while no operation turned direct access off; COMPLIANT once the latest
/// completed one did, read across pages (ListClusterOperations gives 100 a page) and whatever the
/// order; and NON_COMPLIANT again when a later one turned it back on.
#[test]
fn a_zookeeper_mode_clusters_direct_access_is_read_from_its_operations_across_pages() {
    let s = setup();
    let event = sample("aws/zookeeper-access.json", no_ca_check());
    let arn = item_of(&event)["resourceId"].as_str().unwrap().to_owned();
    let operation = |n: usize, day: u32, state: &str, target: Value| {
        json!({"clusterArn": arn, "operationArn": format!("{arn}/operation/{n}"),
               "operationType": "UPDATE_CONNECTIVITY", "operationState": state,
               "creationTime": format!("2026-10-{day:02}T10:00:00.000Z"), "targetClusterInfo": target})
    };
    let unrelated =
        |n: usize| operation(n, 1, "UPDATE_COMPLETE", json!({"numberOfBrokerNodes": 6}));
    let set = |operations: Vec<Value>| {
        s.emulator.control(
            "/_e2e/cluster-operations",
            json!({"arn": arn, "operations": operations}),
        );
    };
    let annotation = |outcome: Value| {
        let recorded = s.emulator.recorded_evaluations();
        (outcome, recorded.last().unwrap()["Annotation"].clone())
    };

    set((0..150).map(unrelated).collect());
    let (outcome, said) = annotation(response(s.invoke(&event)));
    assert_eq!(outcome["nonCompliant"], 1, "{outcome}");
    assert!(
        said.as_str().unwrap().starts_with(
            "ZooKeeper is reachable directly: ACLs can be changed without a certificate (never turned off)"
        ),
        "{said}"
    );

    // Turned off on page 2, with a later attempt that failed and an earlier one that turned it on.
    let mut operations: Vec<Value> = (0..150).map(unrelated).collect();
    operations.insert(
        3,
        operation(
            900,
            5,
            "UPDATE_COMPLETE",
            json!({"zookeeperAccess": {"enabled": true}}),
        ),
    );
    operations.push(operation(
        901,
        20,
        "UPDATE_COMPLETE",
        json!({"zookeeperAccess": {"enabled": false}}),
    ));
    operations.push(operation(
        902,
        25,
        "UPDATE_FAILED",
        json!({"zookeeperAccess": {"enabled": true}}),
    ));
    set(operations.clone());
    let before = s.emulator.calls_to("ListClusterOperations").len();
    assert_eq!(response(s.invoke(&event))["compliant"], 1);
    assert_eq!(
        s.emulator.calls_to("ListClusterOperations").len() - before,
        2,
        "153 operations are two pages"
    );

    operations.push(operation(
        903,
        28,
        "UPDATE_COMPLETE",
        json!({"zookeeperAccess": {"enabled": true}}),
    ));
    set(operations);
    let (outcome, said) = annotation(response(s.invoke(&event)));
    assert_eq!(outcome["nonCompliant"], 1, "{outcome}");
    assert!(
        said.as_str().unwrap().contains("(turned on again)"),
        "{said}"
    );
}

/// Why SASL/IAM is open, through the release binary and the real SDK: MSK Connect's
/// ListConnectors, ListReplicators and GetBootstrapBrokers as the emulator answers them (each
/// across pages where it has them) name the connector whose bootstrap servers are the cluster's
/// brokers and the replicator that names it; others are not named. A listing the role may not make
/// is said, and the cluster stays NON_COMPLIANT.
#[test]
fn a_sasl_iam_finding_names_the_connector_and_replicator_that_use_the_door() {
    let s = setup();
    let event = sample("noncompliant-sasl-iam.json", no_ca_check());
    let arn = item_of(&event)["resourceId"].as_str().unwrap().to_owned();
    let host = |n: u32| format!("b-{n}.democluster1.x1y2z3.c5.kafka.us-east-1.amazonaws.com:9098");
    s.emulator.control(
        "/_e2e/bootstrap-brokers",
        json!({"arn": arn, "brokers": {"bootstrapBrokerStringSaslIam": format!("{},{}", host(1), host(2))}}),
    );
    let connector = |name: &str, servers: &str, auth: &str| {
        json!({"connectorName": name, "connectorArn": format!("arn:aws:kafkaconnect:us-east-1:123456789012:connector/{name}/x"),
               "connectorState": "RUNNING",
               "kafkaCluster": {"apacheKafkaCluster": {"bootstrapServers": servers, "vpc": {"subnets": ["subnet-1"]}}},
               "kafkaClusterClientAuthentication": {"authenticationType": auth},
               "kafkaClusterEncryptionInTransit": {"encryptionType": "TLS"}})
    };
    let mut connectors: Vec<Value> = (0..120)
        .map(|n| {
            connector(
                &format!("other-{n}"),
                "b-1.billing.q9w8e7.c2.kafka.us-east-1.amazonaws.com:9098",
                "IAM",
            )
        })
        .collect();
    connectors.push(connector("orders-sink", &host(2).to_uppercase(), "IAM"));
    connectors.push(connector("orders-unauthenticated", &host(1), "NONE"));
    s.emulator.control(
        "/_e2e/door-users",
        json!({"connectors": connectors,
               "replicators": [{"replicatorName": "orders-to-eu", "replicatorArn": "arn:aws:kafka:us-east-1:123456789012:replicator/orders-to-eu/r1",
                                "replicatorState": "RUNNING",
                                "kafkaClustersSummary": [{"amazonMskCluster": {"mskClusterArn": arn}, "kafkaClusterAlias": "source"},
                                                         {"amazonMskCluster": {"mskClusterArn": "arn:aws:kafka:eu-west-1:123456789012:cluster/eu/y-1"}}]}]}),
    );
    assert_eq!(response(s.invoke(&event))["nonCompliant"], 1);
    let said = s.emulator.recorded_evaluations().last().unwrap()["Annotation"].clone();
    assert!(
        said.as_str().unwrap().starts_with(
            "SASL/IAM is enabled and not allowed (used by MSK Connect connector orders-sink, MSK Replicator orders-to-eu) (since "
        ),
        "{said}"
    );
    assert_eq!(
        s.emulator.calls_to("ListConnectors").len(),
        2,
        "122 connectors are two pages"
    );
    assert_eq!(s.emulator.calls_to("ListReplicators").len(), 1);
    assert_eq!(s.emulator.calls_to("GetBootstrapBrokers").len(), 1);

    s.emulator.control(
        "/_e2e/faults",
        json!({"operations": ["ListReplicators"], "kind": "throttle"}),
    );
    assert_eq!(response(s.invoke(&event))["nonCompliant"], 1);
    let said = s.emulator.recorded_evaluations().last().unwrap()["Annotation"].clone();
    assert!(
        said.as_str().unwrap().starts_with(
            "SASL/IAM is enabled and not allowed (used by MSK Connect connector orders-sink; users not listed: ListReplicators: ThrottlingException) (since "
        ),
        "{said}"
    );
}

/// A multi-VPC SASL/IAM door names the clients' VPC connections that use it, read with
/// ListClientVpcConnections across pages through the real SDK; TLS connections and rejected ones are
/// not named. The cluster's own SASL is off, so no connector or replicator listing is made.
#[test]
fn a_multi_vpc_sasl_finding_names_the_clients_vpc_connections() {
    let s = setup();
    let event = sample("noncompliant-multi-vpc-sasl-iam.json", no_ca_check());
    let arn = item_of(&event)["resourceId"].as_str().unwrap().to_owned();
    let connection = |id: &str, auth: &str, state: &str| {
        json!({"vpcConnectionArn": format!("arn:aws:kafka:us-east-1:444455556666:vpc-connection/123456789012/demo-cluster-1/{id}"),
               "owner": "444455556666", "authentication": auth, "state": state,
               "creationTime": "2026-11-01T08:00:00.000Z"})
    };
    let mut connections: Vec<Value> = (0..100)
        .map(|n| connection(&format!("tls-{n}"), "TLS", "AVAILABLE"))
        .collect();
    connections.push(connection("rejected-1", "SASL_IAM", "REJECTED"));
    connections.push(connection("analytics-1", "SASL_IAM", "AVAILABLE"));
    s.emulator.control(
        "/_e2e/door-users",
        json!({"clientVpcConnections": {arn.clone(): connections}}),
    );
    assert_eq!(response(s.invoke(&event))["nonCompliant"], 1);
    let said = s.emulator.recorded_evaluations().last().unwrap()["Annotation"].clone();
    assert!(
        said.as_str().unwrap().starts_with(
            "multi-VPC connectivity allows SASL/IAM (used by VPC connection analytics-1 of account 444455556666) (since "
        ),
        "{said}"
    );
    assert_eq!(
        s.emulator.calls_to("ListClientVpcConnections").len(),
        2,
        "102 connections are two pages"
    );
    assert!(s.emulator.calls_to("ListConnectors").is_empty());
    assert!(s.emulator.calls_to("ListReplicators").is_empty());
}
