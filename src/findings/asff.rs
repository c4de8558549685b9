//! One check on one cluster as an AWS Security Finding Format finding, built with the Security Hub
//! SDK's own types (the shape `BatchImportFindings` sends cannot drift from the API), and the same
//! finding as the JSON the API takes, for `--format asff`.

use aws_sdk_securityhub::types::{
    AwsMskClusterClusterInfoClientAuthenticationDetails as ClientAuthentication,
    AwsMskClusterClusterInfoClientAuthenticationSaslDetails as Sasl,
    AwsMskClusterClusterInfoClientAuthenticationSaslIamDetails as SaslIam,
    AwsMskClusterClusterInfoClientAuthenticationSaslScramDetails as SaslScram,
    AwsMskClusterClusterInfoClientAuthenticationTlsDetails as Tls,
    AwsMskClusterClusterInfoClientAuthenticationUnauthenticatedDetails as Unauthenticated,
    AwsMskClusterClusterInfoDetails as ClusterInfo,
    AwsMskClusterClusterInfoEncryptionInfoDetails as EncryptionInfo,
    AwsMskClusterClusterInfoEncryptionInfoEncryptionInTransitDetails as EncryptionInTransit,
    AwsMskClusterDetails, AwsSecurityFinding, Compliance, ComplianceStatus, FindingProviderFields,
    FindingProviderSeverity, Partition, Recommendation, RecordState, Remediation, Resource,
    ResourceDetails, SeverityLabel,
};
use serde_json::{json, Map, Value};

use crate::findings::{product_arn, within, Content, JudgedCluster, PRODUCT, VERSION};
use crate::rule::facts::{ClientBroker, ClusterFacts};
use crate::rule::outcome::CheckStatus;
use crate::rule::params::SaslMechanism;
use crate::rule::time::Timestamp;

/// ASFF's schema version, the only one Security Hub takes.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// The finding type every check's findings share (ASFF's types taxonomy).
pub const FINDING_TYPE: &str = "Software and Configuration Checks/AWS Security Best Practices";
/// ASFF's limits (the Security Hub API reference): Title, Description and the recommendation's
/// text, in characters.
const TITLE_MAX: usize = 256;
const DESCRIPTION_MAX: usize = 1024;
const RECOMMENDATION_MAX: usize = 512;

/// When a finding was first made: kept from the finding already in Security Hub, so an update in
/// place does not move them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstSeen {
    pub created_at: String,
    pub first_observed_at: String,
}

/// The finding of `content` on `cluster`, observed `now`.
pub fn finding(
    cluster: &JudgedCluster,
    content: &Content,
    now: Timestamp,
    first: Option<&FirstSeen>,
) -> AwsSecurityFinding {
    let now = now.to_string();
    let (created_at, first_observed_at) = first.map_or((now.clone(), now.clone()), |first| {
        (first.created_at.clone(), first.first_observed_at.clone())
    });
    AwsSecurityFinding::builder()
        .schema_version(SCHEMA_VERSION)
        .id(content.id(cluster))
        .product_arn(product_arn(
            cluster.partition(),
            cluster.region,
            cluster.account,
        ))
        .product_name(PRODUCT)
        .company_name(PRODUCT)
        .region(cluster.region)
        .generator_id(content.generator_id())
        .aws_account_id(cluster.account)
        .created_at(created_at)
        .first_observed_at(first_observed_at)
        .last_observed_at(now.clone())
        .updated_at(now)
        .title(within(&content.title(cluster), TITLE_MAX))
        .description(within(&content.description, DESCRIPTION_MAX))
        .remediation(
            Remediation::builder()
                .recommendation(
                    Recommendation::builder()
                        .text(within(&content.recommendation, RECOMMENDATION_MAX))
                        .build(),
                )
                .build(),
        )
        .set_product_fields(Some(product_fields(content)))
        .resources(resource(cluster))
        .compliance(Compliance::builder().status(status(content.status)).build())
        .finding_provider_fields(
            FindingProviderFields::builder()
                .severity(
                    FindingProviderSeverity::builder()
                        .label(severity(content))
                        .original(content.severity.label())
                        .build(),
                )
                .types(FINDING_TYPE)
                .build(),
        )
        .record_state(RecordState::Active)
        .build()
}

fn status(status: CheckStatus) -> ComplianceStatus {
    match status {
        CheckStatus::Passed => ComplianceStatus::Passed,
        CheckStatus::Failed => ComplianceStatus::Failed,
        CheckStatus::Noted => ComplianceStatus::Warning,
        CheckStatus::NotJudged => ComplianceStatus::NotAvailable,
    }
}

/// A passed or unjudged check is informational, as Security Hub rates its own passed controls;
/// a failure or note carries the check's severity.
fn severity(content: &Content) -> SeverityLabel {
    match content.status {
        CheckStatus::Passed | CheckStatus::NotJudged => SeverityLabel::Informational,
        CheckStatus::Failed | CheckStatus::Noted => SeverityLabel::from(content.severity.label()),
    }
}

/// The tool's version, what the finding is of, and the evidence (ASFF's 50 fields at most).
fn product_fields(content: &Content) -> std::collections::HashMap<String, String> {
    let named = [
        (format!("{PRODUCT}/Version"), VERSION.to_owned()),
        (format!("{PRODUCT}/Check"), content.name.clone()),
    ];
    let evidence = content
        .evidence
        .iter()
        .take(crate::findings::EVIDENCE_MAX)
        .map(|(name, text)| {
            (
                within(&format!("{PRODUCT}/{name}"), 128),
                within(text, 2048),
            )
        });
    named.into_iter().chain(evidence).collect()
}

fn resource(cluster: &JudgedCluster) -> Resource {
    let mut info = ClusterInfo::builder().cluster_name(cluster.name());
    if let Some(facts) = cluster.facts {
        info = info
            .encryption_info(encryption(facts))
            .client_authentication(client_authentication(facts));
    }
    Resource::builder()
        .r#type("AwsMskCluster")
        .id(cluster.arn)
        .partition(Partition::from(cluster.partition()))
        .region(cluster.region)
        .details(
            ResourceDetails::builder()
                .aws_msk_cluster(
                    AwsMskClusterDetails::builder()
                        .cluster_info(info.build())
                        .build(),
                )
                .build(),
        )
        .build()
}

fn encryption(facts: &ClusterFacts) -> EncryptionInfo {
    let mut in_transit = EncryptionInTransit::builder().in_cluster(!facts.broker_traffic_plaintext);
    if let Some(client_broker) = facts.client_broker {
        in_transit = in_transit.client_broker(client_broker_name(client_broker));
    }
    EncryptionInfo::builder()
        .encryption_in_transit(in_transit.build())
        .build()
}

fn client_broker_name(client_broker: ClientBroker) -> &'static str {
    match client_broker {
        ClientBroker::Tls => "TLS",
        ClientBroker::TlsPlaintext => "TLS_PLAINTEXT",
        ClientBroker::Plaintext => "PLAINTEXT",
    }
}

fn client_authentication(facts: &ClusterFacts) -> ClientAuthentication {
    let has = |mechanism| facts.sasl_mechanisms.contains(&mechanism);
    ClientAuthentication::builder()
        .tls(
            Tls::builder()
                .enabled(facts.tls_client_authentication)
                .set_certificate_authority_arn_list(Some(facts.certificate_authority_arns.clone()))
                .build(),
        )
        .unauthenticated(
            Unauthenticated::builder()
                .enabled(facts.unauthenticated_access)
                .build(),
        )
        .sasl(
            Sasl::builder()
                .iam(SaslIam::builder().enabled(has(SaslMechanism::Iam)).build())
                .scram(
                    SaslScram::builder()
                        .enabled(has(SaslMechanism::Scram))
                        .build(),
                )
                .build(),
        )
        .build()
}

/// The finding as the JSON `BatchImportFindings` takes (ASFF), with every member this tool sets:
/// the SDK's types have no serializer of their own outside a request.
pub fn to_json(finding: &AwsSecurityFinding) -> Value {
    let texts = [
        ("SchemaVersion", &finding.schema_version),
        ("Id", &finding.id),
        ("ProductArn", &finding.product_arn),
        ("ProductName", &finding.product_name),
        ("CompanyName", &finding.company_name),
        ("Region", &finding.region),
        ("GeneratorId", &finding.generator_id),
        ("AwsAccountId", &finding.aws_account_id),
        ("FirstObservedAt", &finding.first_observed_at),
        ("LastObservedAt", &finding.last_observed_at),
        ("CreatedAt", &finding.created_at),
        ("UpdatedAt", &finding.updated_at),
        ("Title", &finding.title),
        ("Description", &finding.description),
    ];
    let objects = objects_of(finding);
    let texts = texts
        .into_iter()
        .filter_map(|(key, value)| Some((key, json!(value.as_ref()?))));
    let objects = objects
        .into_iter()
        .filter_map(|(key, value)| Some((key, value?)));
    Value::Object(
        texts
            .chain(objects)
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// The members that are objects or lists, each when set.
fn objects_of(finding: &AwsSecurityFinding) -> [(&'static str, Option<Value>); 7] {
    let product_fields = finding
        .product_fields
        .as_ref()
        .map(|f| json!(f.iter().collect::<std::collections::BTreeMap<_, _>>()));
    let resources = finding
        .resources
        .as_ref()
        .map(|r| Value::Array(r.iter().map(resource_json).collect()));
    let compliance = finding
        .compliance
        .as_ref()
        .and_then(|c| c.status.as_ref())
        .map(|s| json!({"Status": s.as_str()}));
    [
        ("Types", finding.types.as_ref().map(|t| json!(t))),
        (
            "Remediation",
            finding.remediation.as_ref().map(remediation_json),
        ),
        ("ProductFields", product_fields),
        ("Resources", resources),
        ("Compliance", compliance),
        (
            "FindingProviderFields",
            finding
                .finding_provider_fields
                .as_ref()
                .map(provider_fields_json),
        ),
        (
            "RecordState",
            finding.record_state.as_ref().map(|s| json!(s.as_str())),
        ),
    ]
}

fn remediation_json(remediation: &Remediation) -> Value {
    let text = remediation
        .recommendation
        .as_ref()
        .and_then(|r| r.text.clone());
    json!({"Recommendation": {"Text": text}})
}

fn provider_fields_json(fields: &FindingProviderFields) -> Value {
    let mut out = Map::new();
    if let Some(severity) = &fields.severity {
        let mut severity_json = Map::new();
        if let Some(label) = &severity.label {
            severity_json.insert("Label".into(), json!(label.as_str()));
        }
        if let Some(original) = &severity.original {
            severity_json.insert("Original".into(), json!(original));
        }
        out.insert("Severity".into(), Value::Object(severity_json));
    }
    if let Some(types) = &fields.types {
        out.insert("Types".into(), json!(types));
    }
    Value::Object(out)
}

fn resource_json(resource: &Resource) -> Value {
    let mut out = Map::new();
    out.insert("Type".into(), json!(resource.r#type));
    out.insert("Id".into(), json!(resource.id));
    if let Some(partition) = &resource.partition {
        out.insert("Partition".into(), json!(partition.as_str()));
    }
    if let Some(region) = &resource.region {
        out.insert("Region".into(), json!(region));
    }
    let info = resource
        .details
        .as_ref()
        .and_then(|d| d.aws_msk_cluster.as_ref())
        .and_then(|msk| msk.cluster_info.as_ref());
    if let Some(info) = info {
        out.insert(
            "Details".into(),
            json!({"AwsMskCluster": {"ClusterInfo": cluster_info_json(info)}}),
        );
    }
    Value::Object(out)
}

fn cluster_info_json(info: &ClusterInfo) -> Value {
    let mut out = Map::new();
    if let Some(name) = &info.cluster_name {
        out.insert("ClusterName".into(), json!(name));
    }
    if let Some(transit) = info
        .encryption_info
        .as_ref()
        .and_then(|e| e.encryption_in_transit.as_ref())
    {
        let mut transit_json = Map::new();
        if let Some(in_cluster) = transit.in_cluster {
            transit_json.insert("InCluster".into(), json!(in_cluster));
        }
        if let Some(client_broker) = &transit.client_broker {
            transit_json.insert("ClientBroker".into(), json!(client_broker));
        }
        out.insert(
            "EncryptionInfo".into(),
            json!({"EncryptionInTransit": transit_json}),
        );
    }
    if let Some(auth) = &info.client_authentication {
        out.insert(
            "ClientAuthentication".into(),
            client_authentication_json(auth),
        );
    }
    Value::Object(out)
}

fn client_authentication_json(auth: &ClientAuthentication) -> Value {
    let enabled = |on: Option<bool>| json!({"Enabled": on});
    let tls = auth.tls.as_ref().map(|tls| {
        json!({"Enabled": tls.enabled, "CertificateAuthorityArnList": tls.certificate_authority_arn_list})
    });
    let sasl = auth.sasl.as_ref().map(|sasl| {
        json!({"Iam": enabled(sasl.iam.as_ref().and_then(|i| i.enabled)),
               "Scram": enabled(sasl.scram.as_ref().and_then(|s| s.enabled))})
    });
    let unauthenticated = auth.unauthenticated.as_ref().map(|u| enabled(u.enabled));
    json!({"Tls": tls, "Sasl": sasl, "Unauthenticated": unauthenticated})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Content;
    use crate::rule::checks::CHECKS;
    use crate::rule::facts::ClusterFacts;
    use crate::rule::outcome::CheckOutcome;

    const ARN: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/u-1";

    fn open_cluster() -> ClusterFacts {
        ClusterFacts {
            unauthenticated_access: true,
            client_broker: Some(ClientBroker::TlsPlaintext),
            sasl_mechanisms: [SaslMechanism::Scram].into(),
            ..ClusterFacts::default()
        }
    }

    fn outcome(name: &str, status: CheckStatus, findings: &[&str]) -> CheckOutcome {
        CheckOutcome {
            check: CHECKS.iter().find(|c| c.name == name).unwrap(),
            status,
            findings: findings.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn a_failed_check_is_a_failed_finding_with_the_checks_severity_and_fix() {
        let facts = open_cluster();
        let cluster = JudgedCluster {
            account: "123456789012",
            region: "us-east-1",
            arn: ARN,
            facts: Some(&facts),
            outcomes: &[],
        };
        let failed = outcome(
            "unauthenticated access",
            CheckStatus::Failed,
            &["unauthenticated access is enabled"],
        );
        let json = to_json(&finding(
            &cluster,
            &Content::of_check(&failed),
            Timestamp::from_secs(1_700_000_000),
            None,
        ));
        assert_eq!(json["Compliance"]["Status"], "FAILED");
        assert_eq!(json["FindingProviderFields"]["Severity"]["Label"], "HIGH");
        assert_eq!(json["FindingProviderFields"]["Types"][0], FINDING_TYPE);
        assert_eq!(json["GeneratorId"], "msk-mtls-rule/unauthenticated-access");
        assert_eq!(json["Description"], "unauthenticated access is enabled");
        assert_eq!(json["CreatedAt"], "2023-11-14T22:13:20Z");
        assert_eq!(json["RecordState"], "ACTIVE");
        assert!(json["Remediation"]["Recommendation"]["Text"]
            .as_str()
            .unwrap()
            .starts_with("aws kafka update-security"));
        let info = &json["Resources"][0]["Details"]["AwsMskCluster"]["ClusterInfo"];
        assert_eq!(info["ClusterName"], "orders");
        assert_eq!(
            info["EncryptionInfo"]["EncryptionInTransit"]["ClientBroker"],
            "TLS_PLAINTEXT"
        );
        assert_eq!(
            info["ClientAuthentication"]["Unauthenticated"]["Enabled"],
            true
        );
        assert_eq!(
            info["ClientAuthentication"]["Sasl"]["Scram"]["Enabled"],
            true
        );
        assert_eq!(
            info["ClientAuthentication"]["Sasl"]["Iam"]["Enabled"],
            false
        );
        assert_eq!(json["Resources"][0]["Type"], "AwsMskCluster");
        assert_eq!(json["Resources"][0]["Partition"], "aws");
    }

    #[test]
    fn passed_noted_and_unjudged_checks_read_as_asff_statuses() {
        let cluster = JudgedCluster {
            account: "123456789012",
            region: "us-east-1",
            arn: ARN,
            facts: None,
            outcomes: &[],
        };
        let now = Timestamp::from_secs(0);
        let cases = [
            (CheckStatus::Passed, "PASSED", "INFORMATIONAL"),
            (CheckStatus::NotJudged, "NOT_AVAILABLE", "INFORMATIONAL"),
            (CheckStatus::Noted, "WARNING", "MEDIUM"),
            (CheckStatus::Failed, "FAILED", "MEDIUM"),
        ];
        for (status, compliance, label) in cases {
            let json = to_json(&finding(
                &cluster,
                &Content::of_check(&outcome("authorization closed by default", status, &["x"])),
                now,
                None,
            ));
            assert_eq!(json["Compliance"]["Status"], compliance);
            assert_eq!(json["FindingProviderFields"]["Severity"]["Label"], label);
        }
        let public = outcome("public access", CheckStatus::Failed, &["public"]);
        let json = to_json(&finding(&cluster, &Content::of_check(&public), now, None));
        assert_eq!(
            json["FindingProviderFields"]["Severity"]["Label"],
            "CRITICAL"
        );
        assert!(
            json["Resources"][0]["Details"]["AwsMskCluster"]["ClusterInfo"]
                .get("ClientAuthentication")
                .is_none()
        );
    }

    #[test]
    fn an_update_keeps_when_the_finding_was_first_made() {
        let cluster = JudgedCluster {
            account: "123456789012",
            region: "us-east-1",
            arn: ARN,
            facts: None,
            outcomes: &[],
        };
        let first = FirstSeen {
            created_at: "2026-01-01T00:00:00Z".into(),
            first_observed_at: "2026-01-01T00:00:01Z".into(),
        };
        let json = to_json(&finding(
            &cluster,
            &Content::of_check(&outcome("SASL", CheckStatus::Passed, &[])),
            Timestamp::from_secs(0),
            Some(&first),
        ));
        assert_eq!(json["CreatedAt"], "2026-01-01T00:00:00Z");
        assert_eq!(json["FirstObservedAt"], "2026-01-01T00:00:01Z");
        assert_eq!(json["UpdatedAt"], "1970-01-01T00:00:00Z");
    }

    #[test]
    fn long_texts_stay_within_asffs_limits() {
        let cluster = JudgedCluster {
            account: "123456789012",
            region: "us-east-1",
            arn: ARN,
            facts: None,
            outcomes: &[],
        };
        let many: Vec<String> = (0..200).map(|i| format!("finding number {i}")).collect();
        let long = CheckOutcome {
            findings: many,
            ..outcome("SASL", CheckStatus::Failed, &[])
        };
        let json = to_json(&finding(
            &cluster,
            &Content::of_check(&long),
            Timestamp::from_secs(0),
            None,
        ));
        assert_eq!(
            json["Description"].as_str().unwrap().chars().count(),
            DESCRIPTION_MAX
        );
        for check in CHECKS {
            let text =
                Content::of_check(&outcome(check.name, CheckStatus::Failed, &[])).recommendation;
            let json = to_json(&finding(
                &cluster,
                &Content::of_check(&outcome(check.name, CheckStatus::Failed, &[])),
                Timestamp::from_secs(0),
                None,
            ));
            let cut = json["Remediation"]["Recommendation"]["Text"]
                .as_str()
                .unwrap();
            assert!(cut.chars().count() <= RECOMMENDATION_MAX, "{}", check.name);
            assert!(text.starts_with(cut.trim_end_matches('…')));
        }
    }
}
