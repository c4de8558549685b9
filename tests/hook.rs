//! The CloudFormation Lambda hook end to end: the release binary started as Lambda starts it, served
//! hook requests in the Hooks guide's shape (events/hook/, both token spellings, string booleans)
//! through the Runtime API, with the rule's parameters in `HOOK_RULE_PARAMETERS` and the CA check
//! against the local AWS emulator. The same process still serves Config events.

#[path = "e2e/harness.rs"]
#[allow(dead_code)] // shared with the Lambda end-to-end tests, which use more of it
mod harness;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use harness::{binary, response, sample, Emulator, Function, Outcome, RuntimeApi};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(60);
const NO_CA_CHECK: &str = r#"{"checkCertificateAuthorityStatus":"false"}"#;
/// What a request without `ConfigurationInfo` (MSK's default configuration) is told beside SUCCESS.
const MSK_DEFAULT_NOTE: &str =
    "; note: authorization open by default: MSK's default configuration sets allow.everyone.if.no.acl.found true";

fn hook_request(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("events/hook")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn properties(request: &mut Value) -> &mut Value {
    &mut request["requestData"]["targetModel"]["resourceProperties"]
}

struct Hook {
    emulator: Emulator,
    runtime: RuntimeApi,
    function: Function,
}

fn hook_with(parameters: &str) -> Hook {
    let emulator = Emulator::start();
    let runtime = RuntimeApi::start();
    let function =
        Function::start_with(&runtime, &emulator, &[("HOOK_RULE_PARAMETERS", parameters)]);
    Hook {
        emulator,
        runtime,
        function,
    }
}

impl Hook {
    fn answer(&self, request: &Value) -> Value {
        response(self.runtime.invoke(request, TIMEOUT))
    }
}

#[test]
fn every_verdict_comes_back_in_the_hooks_shape_with_the_token_echoed() {
    let hook = hook_with(NO_CA_CHECK);
    let compliant = hook.answer(&hook_request("create-compliant.json"));
    assert_eq!(
        compliant,
        json!({"hookStatus": "SUCCESS", "message": format!("OrdersCluster (AWS::MSK::Cluster) enforces mutual TLS{MSK_DEFAULT_NOTE}"),
               "clientRequestToken": "4b90a7e4-b790-456b-a937-0cfdfa211dfe"})
    );

    // ZooKeeper mode with Standard brokers: its direct access does not exist before the cluster,
    // and MSK creates it on: a note, not a failure. Express brokers have no such door.
    let mut zookeeper = hook_request("create-zookeeper-mode.json");
    let noted = hook.answer(&zookeeper);
    assert_eq!(noted["hookStatus"], "SUCCESS", "{noted}");
    assert_eq!(
        noted["message"],
        format!("OrdersCluster (AWS::MSK::Cluster) enforces mutual TLS{MSK_DEFAULT_NOTE}; note: ZooKeeper is reachable directly: ACLs can be changed without a certificate (MSK creates the cluster with it on; judged once the cluster exists)")
    );
    properties(&mut zookeeper)["BrokerNodeGroupInfo"]["InstanceType"] = json!("express.m7g.large");
    assert_eq!(hook.answer(&zookeeper), compliant, "Express brokers");
    assert!(
        hook.emulator.calls_to("ListClusterOperations").is_empty(),
        "the hook reads no operations: the cluster does not exist yet"
    );

    let open = hook.answer(&hook_request("update-noncompliant.json"));
    assert_eq!(open["hookStatus"], "FAILED");
    assert_eq!(open["errorCode"], "NonCompliant");
    assert_eq!(
        open["clientRequestToken"], "9e2c1d77-5a1b-4f0e-8c1a-3b7f6a2d9e10",
        "the guide's other spelling, clientRequesttoken, is echoed too"
    );
    let message = open["message"].as_str().unwrap();
    for finding in [
        "unauthenticated access is enabled",
        "TLS client authentication is disabled",
        "no Private CA is set",
        "TLS_PLAINTEXT, not TLS",
        "SASL/IAM is enabled and not allowed",
    ] {
        assert!(
            message.contains(finding),
            "every failed check is named: {message}"
        );
    }
    assert!(message.starts_with("OrdersCluster (AWS::MSK::Cluster) does not enforce mutual TLS: "));

    let serverless = hook.answer(&hook_request("create-serverless.json"));
    assert_eq!(
        serverless["hookStatus"], "SUCCESS",
        "NOT_APPLICABLE by default: {serverless}"
    );
    assert!(serverless["message"]
        .as_str()
        .unwrap()
        .contains("cannot enforce mTLS"));

    let delete = hook.answer(&hook_request("delete.json"));
    assert_eq!(delete["hookStatus"], "SUCCESS");

    // The same process still serves Config, and the hook sent nothing to Config.
    let summary = response(
        hook.runtime
            .invoke(&sample("compliant.json", None), TIMEOUT),
    );
    assert_eq!(summary["compliant"], 1);
    assert_eq!(
        hook.emulator.calls_to("PutEvaluations").len(),
        1,
        "only the Config event's"
    );
    assert!(!hook.function.logs().contains("e2e-secret-access-key"));
}

#[test]
fn the_rules_parameters_apply_to_the_hook() {
    let hook = hook_with(
        r#"{"checkCertificateAuthorityStatus":"false","allowedSaslMechanisms":"IAM","serverlessClusterCompliance":"NON_COMPLIANT","requiredTagKeys":"owner,cost-center"}"#,
    );
    let mut with_iam = hook_request("create-compliant.json");
    properties(&mut with_iam)["ClientAuthentication"]["Sasl"]["Iam"]["Enabled"] = json!("true");
    let answer = hook.answer(&with_iam);
    assert_eq!(
        answer["hookStatus"], "SUCCESS",
        "SASL/IAM allowed; the tag may come from the stack: {answer}"
    );
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.starts_with("OrdersCluster (AWS::MSK::Cluster) enforces mutual TLS; warning, not judged: tag \"cost-center\" is missing in the cluster's own tags, and the stack's tags, which may carry it, could not be read (AWS DescribeStacks failed"),
        "the stack does not exist: the missing tag is named as a warning: {answer}"
    );
    // Cloud Control has no stack: a tag missing from the cluster is missing.
    let mut no_stack = with_iam.clone();
    no_stack["stackId"] = json!("");
    no_stack["requestData"]["targetType"] = json!("RESOURCE");
    let answer = hook.answer(&no_stack);
    assert_eq!(answer["hookStatus"], "FAILED");
    assert_eq!(
        answer["message"], "OrdersCluster (AWS::MSK::Cluster) does not enforce mutual TLS: tag \"cost-center\" is missing",
        "the missing tag named: {answer}"
    );
    let serverless = hook.answer(&hook_request("create-serverless.json"));
    assert_eq!(
        (
            serverless["hookStatus"].as_str(),
            serverless["errorCode"].as_str()
        ),
        (Some("FAILED"), Some("NonCompliant"))
    );
}

/// Cloud Control (and Terraform's awscc provider, Pulumi's aws-native on top of it) sends
/// `targetType: RESOURCE` with the type in `targetName` and no stack: judged like a stack's.
#[test]
fn a_cloud_control_request_is_judged_like_a_stack_operation() {
    let hook = hook_with(NO_CA_CHECK);
    let open = hook.answer(&hook_request("cloudcontrol-create-noncompliant.json"));
    assert_eq!(
        (open["hookStatus"].as_str(), open["errorCode"].as_str()),
        (Some("FAILED"), Some("NonCompliant")),
        "{open}"
    );
    assert_eq!(
        open["clientRequestToken"],
        "c1c0c7a1-7e57-4d0b-9c55-0a1b2c3d4e5f"
    );
    let message = open["message"].as_str().unwrap();
    assert!(
        message.starts_with("cloudcontrol-AWS::MSK::Cluster-orders (AWS::MSK::Cluster) does not enforce mutual TLS: unauthenticated access is enabled"),
        "{message}"
    );
    let serverless = hook.answer(&hook_request("cloudcontrol-create-serverless.json"));
    assert_eq!(
        serverless["hookStatus"], "SUCCESS",
        "NOT_APPLICABLE by default: {serverless}"
    );
    assert!(serverless["message"]
        .as_str()
        .unwrap()
        .contains("is not judged"));
    let mut delete = hook_request("cloudcontrol-create-noncompliant.json");
    delete["actionInvocationPoint"] = json!("DELETE_PRE_PROVISION");
    delete["requestData"]["targetModel"] = json!({"resourceProperties": {}});
    assert_eq!(hook.answer(&delete)["hookStatus"], "SUCCESS");

    let strict = hook_with(
        r#"{"checkCertificateAuthorityStatus":"false","serverlessClusterCompliance":"NON_COMPLIANT"}"#,
    );
    let serverless = strict.answer(&hook_request("cloudcontrol-create-serverless.json"));
    assert_eq!(
        (
            serverless["hookStatus"].as_str(),
            serverless["errorCode"].as_str()
        ),
        (Some("FAILED"), Some("NonCompliant")),
        "{serverless}"
    );
}

/// The hook's TargetFilters send MSK clusters only; anything else that arrives is a surprise and
/// fails closed, naming what arrived.
#[test]
fn anything_the_filters_should_not_send_fails_closed_naming_it() {
    let hook = hook_with(NO_CA_CHECK);
    let retyped = |name: &str, kind: Option<&str>| {
        let mut request = hook_request("cloudcontrol-create-noncompliant.json");
        request["requestData"]["targetName"] = json!(name);
        match kind {
            Some(kind) => request["requestData"]["targetType"] = json!(kind),
            None => {
                request["requestData"]
                    .as_object_mut()
                    .unwrap()
                    .remove("targetType");
            }
        }
        request
    };
    for (request, named) in [
        (
            retyped("AWS::S3::Bucket", Some("RESOURCE")),
            "AWS::S3::Bucket arrived",
        ),
        (
            retyped("AWS::S3::Bucket", Some("AWS::S3::Bucket")),
            "AWS::S3::Bucket arrived",
        ),
        (retyped("STACK", Some("STACK")), "a STACK target arrived"),
        (
            retyped("CHANGE_SET", Some("CHANGE_SET")),
            "a CHANGE_SET target arrived",
        ),
        (
            retyped("AWS::MSK::Cluster", Some("AWS::MSK::ServerlessCluster")),
            "neither RESOURCE nor the targetName",
        ),
    ] {
        let answer = hook.answer(&request);
        assert_eq!(
            (answer["hookStatus"].as_str(), answer["errorCode"].as_str()),
            (Some("FAILED"), Some("InternalFailure")),
            "{named}: {answer}"
        );
        assert!(
            answer["message"].as_str().unwrap().contains(named),
            "{named}: {answer}"
        );
    }
    let mut no_name = hook_request("create-compliant.json");
    no_name["requestData"]
        .as_object_mut()
        .unwrap()
        .remove("targetName");
    let answer = hook.answer(&no_name);
    assert_eq!(answer["errorCode"], "InternalFailure", "{answer}");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("targetName is missing"));
}

/// AWS's own procedure writes the Tls block with a CA list and no `Enabled`: the hook passes it.
#[test]
fn the_tls_block_aws_documents_is_on() {
    let hook = hook_with(NO_CA_CHECK);
    let mut documented = hook_request("create-compliant.json");
    properties(&mut documented)["ClientAuthentication"]["Tls"]
        .as_object_mut()
        .unwrap()
        .remove("Enabled");
    let answer = hook.answer(&documented);
    assert_eq!(answer["hookStatus"], "SUCCESS", "{answer}");
    properties(&mut documented)["ClientAuthentication"]["Tls"]["Enabled"] = json!("false");
    let answer = hook.answer(&documented);
    assert_eq!(answer["hookStatus"], "FAILED", "{answer}");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("TLS client authentication is disabled"));
}

/// Stack-level tags are not in the request: a cluster without the scope tag may get it from the
/// stack, so it is judged; only a literal value that differs is outside the scope.
#[test]
fn a_scope_tag_the_request_does_not_show_is_judged_never_passed() {
    let hook = hook_with(
        r#"{"checkCertificateAuthorityStatus":"false","scopeTagKey":"environment","scopeTagValue":"production"}"#,
    );
    for name in [
        "update-noncompliant.json",
        "cloudcontrol-create-noncompliant.json",
    ] {
        let answer = hook.answer(&hook_request(name));
        assert_eq!(answer["errorCode"], "NonCompliant", "{name}: {answer}");
        let mut other_scope = hook_request(name);
        properties(&mut other_scope)["Tags"]["environment"] = json!("test");
        let answer = hook.answer(&other_scope);
        assert_eq!(answer["hookStatus"], "SUCCESS", "{name}: {answer}");
        assert!(answer["message"]
            .as_str()
            .unwrap()
            .contains("outside the rule's scope"));
    }
}

/// Stack-level tags are read with DescribeStacks: they put a cluster in the tag scope and carry
/// required tags; the cluster's own tags win over the stack's.
#[test]
fn the_stacks_tags_count_as_the_clusters_and_its_own_win() {
    let hook = hook_with(
        r#"{"checkCertificateAuthorityStatus":"false","scopeTagKey":"environment","scopeTagValue":"production","requiredTagKeys":"owner,cost-center"}"#,
    );
    let tagged = hook.emulator.control(
        "/_e2e/stack",
        json!({"name": "orders", "tags": {"environment": "production", "cost-center": "42"}}),
    )["stackId"]
        .clone();
    let untagged = hook
        .emulator
        .control("/_e2e/stack", json!({"name": "bare", "tags": {}}))["stackId"]
        .clone();
    let in_stack = |stack: &Value, own_tags: Value| {
        let mut request = hook_request("create-compliant.json");
        request["stackId"] = stack.clone();
        properties(&mut request)["Tags"] = own_tags;
        hook.answer(&request)
    };
    let answer = in_stack(&tagged, json!({"owner": "payments-team"}));
    assert_eq!(
        answer["message"],
        format!("OrdersCluster (AWS::MSK::Cluster) enforces mutual TLS{MSK_DEFAULT_NOTE}"),
        "the stack gives the scope tag and cost-center: {answer}"
    );
    let answer = in_stack(
        &tagged,
        json!({"owner": "payments-team", "environment": "test"}),
    );
    assert_eq!(answer["hookStatus"], "SUCCESS", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("outside the rule's scope"),
        "the cluster's own tag wins: {answer}"
    );
    let answer = in_stack(
        &untagged,
        json!({"owner": "payments-team", "environment": "production"}),
    );
    assert_eq!(
        answer["message"],
        "OrdersCluster (AWS::MSK::Cluster) does not enforce mutual TLS: tag \"cost-center\" is missing",
        "the stack was read and has no such tag: {answer}"
    );
    let answer = in_stack(&untagged, json!({"owner": "payments-team"}));
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("outside the rule's scope"),
        "neither the cluster nor its stack carries the scope tag: {answer}"
    );
    let calls = hook.emulator.calls_to("DescribeStacks");
    assert_eq!(calls.len(), 4, "one read per request");
}

#[test]
fn the_ca_is_checked_in_acm_pca_before_the_cluster_exists() {
    let hook = hook_with("{}");
    let mut request = hook_request("create-compliant.json");
    for (status, expected) in [("ACTIVE", "SUCCESS"), ("DISABLED", "FAILED")] {
        let ca = hook
            .emulator
            .control("/_e2e/private-ca", json!({"days": 400, "status": status}))["arn"]
            .clone();
        properties(&mut request)["ClientAuthentication"]["Tls"]["CertificateAuthorityArnList"] =
            json!([ca]);
        let answer = hook.answer(&request);
        assert_eq!(answer["hookStatus"], expected, "{status}: {answer}");
        if status == "DISABLED" {
            assert!(
                answer["message"].as_str().unwrap().ends_with("is DISABLED"),
                "{answer}"
            );
        }
    }
    assert_eq!(
        hook.emulator.calls_to("DescribeCertificateAuthority").len(),
        2
    );
}

/// The trust anchor before the cluster exists: a root CA, or one shared with another account
/// through AWS RAM, fails the request, named; each CA is described and its policy read once.
#[test]
fn the_hook_refuses_a_root_ca_and_one_other_accounts_can_issue_from() {
    let hook = hook_with("{}");
    let mut request = hook_request("create-compliant.json");
    for (ca, expected, words) in [
        (
            json!({"days": 400, "type": "ROOT"}),
            "FAILED",
            "is a root CA trusted directly",
        ),
        (
            json!({"days": 400, "ramShareWith": ["444455556666"]}),
            "FAILED",
            "lets other accounts issue client certificates: 444455556666",
        ),
        (json!({"days": 400}), "SUCCESS", ""),
    ] {
        let arn = hook.emulator.control("/_e2e/private-ca", ca.clone())["arn"].clone();
        properties(&mut request)["ClientAuthentication"]["Tls"]["CertificateAuthorityArnList"] =
            json!([arn]);
        let answer = hook.answer(&request);
        assert_eq!(answer["hookStatus"], expected, "{ca}: {answer}");
        assert!(
            answer["message"].as_str().unwrap_or("").contains(words),
            "{answer}"
        );
    }
    assert_eq!(
        hook.emulator.calls_to("DescribeCertificateAuthority").len(),
        3
    );
    assert_eq!(hook.emulator.calls_to("GetPolicy").len(), 3);
}

/// Whether a CA serves this cluster alone is not knowable before the cluster exists: the hook
/// lists no clusters and passes with the dedication as a note, not a failure.
#[test]
fn the_hook_lists_no_clusters_for_a_ca_per_cluster() {
    let hook = hook_with(r#"{"certificateAuthorityPerCluster":"true"}"#);
    let arn = hook
        .emulator
        .control("/_e2e/private-ca", json!({"days": 400}))["arn"]
        .clone();
    let mut request = hook_request("create-compliant.json");
    properties(&mut request)["ClientAuthentication"]["Tls"]["CertificateAuthorityArnList"] =
        json!([arn]);
    let answer = hook.answer(&request);
    assert_eq!(answer["hookStatus"], "SUCCESS", "{answer}");
    assert_eq!(hook.emulator.calls_to("ListClustersV2").len(), 0);
}

/// The hook reads the configuration a request names with DescribeConfigurationRevision (the
/// cluster does not exist yet, its configuration does): closed passes with no note, a revision it
/// cannot read is open, a failure with `requireAclDefaultDeny`; CloudFormation's string revision
/// reads as the number.
#[test]
fn the_hook_reads_the_configuration_a_request_names() {
    let hook =
        hook_with(r#"{"checkCertificateAuthorityStatus":"false","requireAclDefaultDeny":"true"}"#);
    let arn = "arn:aws:kafka:us-east-1:123456789012:configuration/tenants/0a1b2c3d-1";
    hook.emulator.control(
        "/_e2e/configurations",
        json!({"configurations": [{"arn": arn, "revision": 4,
                                   "serverProperties": "allow.everyone.if.no.acl.found=false\n"}]}),
    );
    let mut request = hook_request("create-compliant.json");
    properties(&mut request)["ConfigurationInfo"] = json!({"Arn": arn, "Revision": "4"});
    let closed = hook.answer(&request);
    assert_eq!(closed["hookStatus"], "SUCCESS", "{closed}");
    assert_eq!(
        closed["message"],
        "OrdersCluster (AWS::MSK::Cluster) enforces mutual TLS"
    );
    properties(&mut request)["ConfigurationInfo"]["Revision"] = json!(5);
    let unread = hook.answer(&request);
    assert_eq!(unread["hookStatus"], "FAILED", "{unread}");
    assert!(
        unread["message"].as_str().unwrap().ends_with(
            "authorization open by default: configuration tenants revision 5 could not be read (NotFoundException)"
        ),
        "{unread}"
    );
    let default = hook.answer(&hook_request("create-compliant.json"));
    assert_eq!(
        default["hookStatus"], "FAILED",
        "MSK's default is open: {default}"
    );
    assert_eq!(
        hook.emulator
            .calls_to("DescribeConfigurationRevision")
            .len(),
        2
    );
}

#[test]
fn a_request_or_parameter_that_cannot_be_read_is_an_internal_failure_never_a_pass() {
    let hook = hook_with(NO_CA_CHECK);
    let mut not_a_flag = hook_request("create-compliant.json");
    properties(&mut not_a_flag)["ClientAuthentication"]["Unauthenticated"]["Enabled"] = json!("no");
    let mut twice_spelled = hook_request("create-compliant.json");
    twice_spelled["clientRequesttoken"] = json!("other");
    let mut stack_level = hook_request("create-compliant.json");
    stack_level["requestData"] =
        json!({"targetName": "STACK", "payload": "https://s3.example/presigned"});
    for (request, named) in [
        (not_a_flag, "Enabled"),
        (twice_spelled, "both spellings"),
        (stack_level, "targetModel is missing"),
    ] {
        let answer = hook.answer(&request);
        assert_eq!(answer["hookStatus"], "FAILED", "{answer}");
        assert_eq!(answer["errorCode"], "InternalFailure", "{answer}");
        assert!(
            answer["message"].as_str().unwrap().contains(named),
            "{named}: {answer}"
        );
    }

    let broken = hook_with(r#"{"allowedSaslMechanism":"IAM"}"#);
    let answer = broken.answer(&hook_request("create-compliant.json"));
    assert_eq!(answer["errorCode"], "InternalFailure");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("HOOK_RULE_PARAMETERS"),
        "{answer}"
    );
    assert_eq!(
        answer["clientRequestToken"],
        "4b90a7e4-b790-456b-a937-0cfdfa211dfe"
    );

    // A payload that is neither a hook request nor a Config event stays a Config error.
    let outcome = broken.runtime.invoke(&json!({"hello": "world"}), TIMEOUT);
    assert!(
        matches!(outcome, Outcome::Error { ref error_type, .. } if error_type == "InvalidEvent"),
        "{outcome:?}"
    );
}

#[test]
fn the_local_command_prints_the_hooks_answer() {
    let output = Command::new(binary())
        .args(["evaluate", "--event"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("events/hook/update-noncompliant.json"))
        .env_clear()
        .env("HOOK_RULE_PARAMETERS", NO_CA_CHECK)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["hookStatus"], "FAILED");
    assert_eq!(answer["errorCode"], "NonCompliant");
}
