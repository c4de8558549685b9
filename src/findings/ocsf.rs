//! One check on one cluster as an OCSF Compliance Finding (class 2003, OCSF 1.5), with the same
//! content as its ASFF finding. A check's result against a control is what OCSF's Compliance
//! Finding is for; Detection Finding (2004, which Prowler writes) is for a detection of something
//! happening, and has no pass or fail (docs/audit.md: "OCSF").

use serde_json::{json, Value};

use crate::findings::asff::FINDING_TYPE;
use crate::findings::{Content, JudgedCluster, PRODUCT, VERSION};
use crate::rule::checks::Severity;
use crate::rule::facts::{ClientBroker, ClusterFacts};
use crate::rule::outcome::CheckStatus;
use crate::rule::params::SaslMechanism;
use crate::rule::time::Timestamp;

pub const OCSF_VERSION: &str = "1.5.0";
const COMPLIANCE_FINDING: u32 = 2003;
const FINDINGS_CATEGORY: u32 = 2;
/// `activity_id` Create: each run reports the check's state afresh.
const CREATE: u32 = 1;
/// OCSF's account type for an AWS account.
const AWS_ACCOUNT: u32 = 10;

/// The compliance finding of `content` on `cluster`, observed `now`.
pub fn finding(cluster: &JudgedCluster, content: &Content, now: Timestamp) -> Value {
    let resource = json!({
        "uid": cluster.arn,
        "name": cluster.name(),
        "type": "AwsMskCluster",
        "region": cluster.region,
        "cloud_partition": cluster.partition(),
        "data": cluster.facts.map(data),
    });
    let mut event = event(
        content,
        now,
        &content.id(cluster),
        &content.title(cluster),
        resource,
    );
    event["metadata"]["profiles"] = json!(["cloud"]);
    event["cloud"] = json!({
        "provider": "AWS",
        "region": cluster.region,
        "account": {"uid": cluster.account, "name": cluster.account,
                    "type_id": AWS_ACCOUNT, "type": "AWS Account"},
    });
    event
}

/// A cluster of a template or plan, before deploy: where it is written.
#[derive(Debug, Clone, Copy)]
pub struct Written<'a> {
    pub file: &'a str,
    /// The logical id, or the Terraform address.
    pub resource: &'a str,
    /// `AWS::MSK::Cluster`, ...
    pub resource_type: &'a str,
    pub line: Option<usize>,
}

/// The compliance finding of `content` on a cluster a template or plan writes: no account or
/// region yet, so no cloud profile; `<file>#<resource>/<check>` is its id.
pub fn written_finding(written: &Written, content: &Content, now: Timestamp) -> Value {
    let uid = format!("{}#{}", written.file, written.resource);
    let resource = json!({
        "uid": uid,
        "name": written.resource,
        "type": written.resource_type,
        "data": {"file": written.file, "line": written.line},
    });
    let title = format!(
        "{} {}: {}",
        written.resource_type, written.resource, content.name
    );
    event(
        content,
        now,
        &format!("{uid}/{}", content.of),
        &title,
        resource,
    )
}

fn event(content: &Content, now: Timestamp, uid: &str, title: &str, resource: Value) -> Value {
    let (severity_id, severity) = severity(content);
    let (status_id, status) = compliance_status(content.status);
    let mut event = json!({
        "activity_id": CREATE,
        "activity_name": "Create",
        "category_uid": FINDINGS_CATEGORY,
        "category_name": "Findings",
        "class_uid": COMPLIANCE_FINDING,
        "class_name": "Compliance Finding",
        "type_uid": COMPLIANCE_FINDING * 100 + CREATE,
        "type_name": "Compliance Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "New",
        "status_detail": status,
        "time": now.millis(),
        "message": title,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": PRODUCT, "vendor_name": PRODUCT, "version": VERSION},
            "event_code": content.of,
        },
        "finding_info": {"uid": uid, "title": title, "desc": content.description, "types": [FINDING_TYPE]},
        "compliance": {
            "control": content.name,
            "standards": [PRODUCT],
            "status_id": status_id,
            "requirements": [content.generator_id()],
        },
        "remediation": {"desc": content.recommendation},
        "resources": [resource],
    });
    add_evidence(&mut event, content);
    event
}

/// A probe's knocks, as OCSF's evidence artifacts.
fn add_evidence(event: &mut Value, content: &Content) {
    if !content.evidence.is_empty() {
        event["evidences"] = content
            .evidence
            .iter()
            .map(|(name, text)| json!({"name": name, "data": {"seen": text}}))
            .collect();
    }
}

/// OCSF's severity id and caption: a passed or unjudged check is informational, as in ASFF.
fn severity(content: &Content) -> (u32, &'static str) {
    match content.status {
        CheckStatus::Passed | CheckStatus::NotJudged => (1, "Informational"),
        CheckStatus::Failed | CheckStatus::Noted => match content.severity {
            Severity::Low => (2, "Low"),
            Severity::Medium => (3, "Medium"),
            Severity::High => (4, "High"),
            Severity::Critical => (5, "Critical"),
        },
    }
}

/// The compliance object's `status_id` (Pass, Warning, Fail, Unknown) and its caption.
fn compliance_status(status: CheckStatus) -> (u32, &'static str) {
    match status {
        CheckStatus::Passed => (1, "Pass"),
        CheckStatus::Noted => (2, "Warning"),
        CheckStatus::Failed => (3, "Fail"),
        CheckStatus::NotJudged => (0, "Unknown"),
    }
}

/// What was read of the cluster, in the MSK API's own names.
fn data(facts: &ClusterFacts) -> Value {
    let has = |mechanism| facts.sasl_mechanisms.contains(&mechanism);
    json!({
        "ClientAuthentication": {
            "Tls": {"Enabled": facts.tls_client_authentication,
                    "CertificateAuthorityArnList": facts.certificate_authority_arns},
            "Unauthenticated": {"Enabled": facts.unauthenticated_access},
            "Sasl": {"Iam": {"Enabled": has(SaslMechanism::Iam)},
                     "Scram": {"Enabled": has(SaslMechanism::Scram)}},
        },
        "EncryptionInTransit": {
            "ClientBroker": facts.client_broker.map(|c| match c {
                ClientBroker::Tls => "TLS",
                ClientBroker::TlsPlaintext => "TLS_PLAINTEXT",
                ClientBroker::Plaintext => "PLAINTEXT",
            }),
            "InCluster": !facts.broker_traffic_plaintext,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Content;
    use crate::rule::checks::CHECKS;
    use crate::rule::outcome::CheckOutcome;

    #[test]
    fn a_failed_check_is_a_failed_compliance_finding_with_its_severity() {
        let facts = ClusterFacts {
            unauthenticated_access: true,
            ..ClusterFacts::default()
        };
        let cluster = JudgedCluster {
            account: "123456789012",
            region: "us-east-1",
            arn: "arn:aws:kafka:us-east-1:123456789012:cluster/orders/u-1",
            facts: Some(&facts),
            outcomes: &[],
        };
        let public = CheckOutcome {
            check: CHECKS.iter().find(|c| c.name == "public access").unwrap(),
            status: CheckStatus::Failed,
            findings: vec!["public access is on".into()],
        };
        let event = finding(
            &cluster,
            &Content::of_check(&public),
            Timestamp::from_secs(2),
        );
        assert_eq!(event["class_uid"], 2003);
        assert_eq!(event["type_uid"], 200301);
        assert_eq!(event["severity_id"], 5);
        assert_eq!(event["compliance"]["status_id"], 3);
        assert_eq!(event["time"], 2000);
        assert_eq!(event["finding_info"]["desc"], "public access is on");
        assert_eq!(
            event["resources"][0]["data"]["ClientAuthentication"]["Unauthenticated"]["Enabled"],
            true
        );
        let passed = CheckOutcome {
            status: CheckStatus::Passed,
            ..public.clone()
        };
        let event = finding(
            &cluster,
            &Content::of_check(&passed),
            Timestamp::from_secs(2),
        );
        assert_eq!(event["severity_id"], 1);
        assert_eq!(event["compliance"]["status_id"], 1);
        let noted = CheckOutcome {
            status: CheckStatus::Noted,
            ..public.clone()
        };
        assert_eq!(
            finding(
                &cluster,
                &Content::of_check(&noted),
                Timestamp::from_secs(2)
            )["compliance"]["status_id"],
            2
        );
        let mut with_evidence = Content::of_check(&public);
        with_evidence.evidence = vec![("Knock/01".into(), "b-1:9092 plaintext: accepted".into())];
        let event = finding(&cluster, &with_evidence, Timestamp::from_secs(2));
        assert_eq!(event["evidences"][0]["name"], "Knock/01");
        assert_eq!(
            event["evidences"][0]["data"]["seen"],
            "b-1:9092 plaintext: accepted"
        );
        assert!(finding(
            &cluster,
            &Content::of_check(&public),
            Timestamp::from_secs(2)
        )
        .get("evidences")
        .is_none());
        let unjudged = CheckOutcome {
            status: CheckStatus::NotJudged,
            ..public
        };
        assert_eq!(
            finding(
                &cluster,
                &Content::of_check(&unjudged),
                Timestamp::from_secs(2)
            )["compliance"]["status_id"],
            0
        );
    }
}
