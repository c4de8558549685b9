//! One check on one cluster as an OCSF Compliance Finding (class 2003, OCSF 1.5), with the same
//! content as its ASFF finding. A check's result against a control is what OCSF's Compliance
//! Finding is for; Detection Finding (2004, which Prowler writes) is for a detection of something
//! happening, and has no pass or fail (docs/audit.md: "OCSF").

use serde_json::{json, Value};

use crate::findings::asff::FINDING_TYPE;
use crate::findings::{
    description, finding_id, recommendation, slug, title, JudgedCluster, PRODUCT, VERSION,
};
use crate::rule::checks::Severity;
use crate::rule::facts::{ClientBroker, ClusterFacts};
use crate::rule::outcome::{CheckOutcome, CheckStatus};
use crate::rule::params::SaslMechanism;
use crate::rule::time::Timestamp;

pub const OCSF_VERSION: &str = "1.5.0";
const COMPLIANCE_FINDING: u32 = 2003;
const FINDINGS_CATEGORY: u32 = 2;
/// `activity_id` Create: each run reports the check's state afresh.
const CREATE: u32 = 1;
/// OCSF's account type for an AWS account.
const AWS_ACCOUNT: u32 = 10;

/// The compliance finding of `outcome` on `cluster`, observed `now`.
pub fn finding(cluster: &JudgedCluster, outcome: &CheckOutcome, now: Timestamp) -> Value {
    let check = outcome.check;
    let (severity_id, severity) = severity(outcome);
    let (status_id, status) = compliance_status(outcome.status);
    json!({
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
        "message": title(cluster, check),
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": PRODUCT, "vendor_name": PRODUCT, "version": VERSION},
            "profiles": ["cloud"],
            "event_code": slug(check),
        },
        "finding_info": {
            "uid": finding_id(cluster, check),
            "title": title(cluster, check),
            "desc": description(outcome),
            "types": [FINDING_TYPE],
        },
        "compliance": {
            "control": check.name,
            "standards": [PRODUCT],
            "status_id": status_id,
            "requirements": [format!("{PRODUCT}/{}", slug(check))],
        },
        "remediation": {"desc": recommendation(outcome)},
        "resources": [{
            "uid": cluster.arn,
            "name": cluster.name(),
            "type": "AwsMskCluster",
            "region": cluster.region,
            "cloud_partition": cluster.partition(),
            "data": cluster.facts.map(data),
        }],
        "cloud": {
            "provider": "AWS",
            "region": cluster.region,
            "account": {"uid": cluster.account, "name": cluster.account,
                        "type_id": AWS_ACCOUNT, "type": "AWS Account"},
        },
    })
}

/// OCSF's severity id and caption: a passed or unjudged check is informational, as in ASFF.
fn severity(outcome: &CheckOutcome) -> (u32, &'static str) {
    match outcome.status {
        CheckStatus::Passed | CheckStatus::NotJudged => (1, "Informational"),
        CheckStatus::Failed | CheckStatus::Noted => match outcome.check.severity {
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
    use crate::rule::checks::CHECKS;

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
        let event = finding(&cluster, &public, Timestamp::from_secs(2));
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
        let event = finding(&cluster, &passed, Timestamp::from_secs(2));
        assert_eq!(event["severity_id"], 1);
        assert_eq!(event["compliance"]["status_id"], 1);
        let noted = CheckOutcome {
            status: CheckStatus::Noted,
            ..public.clone()
        };
        assert_eq!(
            finding(&cluster, &noted, Timestamp::from_secs(2))["compliance"]["status_id"],
            2
        );
        let unjudged = CheckOutcome {
            status: CheckStatus::NotJudged,
            ..public
        };
        assert_eq!(
            finding(&cluster, &unjudged, Timestamp::from_secs(2))["compliance"]["status_id"],
            0
        );
    }
}
