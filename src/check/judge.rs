//! A cluster's verdict before deploy: every combination of its conditions (`Fn::If`) is judged, and
//! a value that cannot be known yet takes its unsafe reading, so nothing passes for free.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::check::sources::{is_unknown, unknown};
use crate::edge::configuration::{is_flag, read_facts_from_value};
use crate::rule::applicability::{applicability, Presence, Subject};
use crate::rule::authorization::{BrokerConfiguration, ConfigurationReport};
use crate::rule::ca::{CaHealth, CaHealthReport, CaTrust};
use crate::rule::checks::{Check, Finding, Inputs};
use crate::rule::evaluation::{annotation, ComplianceType, ResourceType};
use crate::rule::facts::{Cluster, ClusterFacts, RecordedAccess};
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;
use crate::rule::verdict::findings_by_check;
use crate::rule::zookeeper::{OnBecause, ZooKeeperAccess};

/// The most combinations of conditions judged for one cluster.
pub const MAX_VARIANTS: usize = 64;

const NO_VALUE: &str = "__msk_mtls_rule_no_value__";

/// What one cluster would be, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub compliance: ComplianceType,
    pub findings: Vec<(&'static Check, Finding)>,
    /// What a check the parameters leave advisory found (an open ACL default).
    pub notes: Vec<(&'static Check, Finding)>,
    pub annotation: Option<String>,
    /// Property paths whose value is not known before deploy, read the unsafe way.
    pub unknown: Vec<String>,
}

/// Every way the properties can come out: one per combination of `Fn::If` branches, with
/// `AWS::NoValue` removed and any other intrinsic function marked unknown.
pub fn variants(value: &Value) -> Result<Vec<Value>, String> {
    let out = match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next().unwrap();
            match (key.as_str(), argument) {
                ("Fn::If", Value::Array(parts)) if parts.len() == 3 => {
                    let mut both = variants(&parts[1])?;
                    both.extend(variants(&parts[2])?);
                    both
                }
                ("Fn::If", _) => {
                    return Err("Fn::If takes [condition, value if true, value if false]".into())
                }
                ("Ref", Value::String(name)) if name == "AWS::NoValue" => vec![json!(NO_VALUE)],
                (key, _) if key == "Ref" || key == "Condition" || key.starts_with("Fn::") => {
                    vec![unknown()]
                }
                _ => object_variants(map)?,
            }
        }
        Value::Object(map) => object_variants(map)?,
        Value::Array(items) => {
            let mut out = vec![Vec::new()];
            for item in items {
                let options = variants(item)?;
                out = combine(out, &options, |mut list, option| {
                    if option != &json!(NO_VALUE) {
                        list.push(option.clone());
                    }
                    list
                })?;
            }
            out.into_iter().map(Value::Array).collect()
        }
        scalar => vec![scalar.clone()],
    };
    Ok(out)
}

fn object_variants(map: &Map<String, Value>) -> Result<Vec<Value>, String> {
    let mut out = vec![Map::new()];
    for (key, value) in map {
        let options = variants(value)?;
        out = combine(out, &options, |mut object, option| {
            if option != &json!(NO_VALUE) {
                object.insert(key.clone(), option.clone());
            }
            object
        })?;
    }
    Ok(out.into_iter().map(Value::Object).collect())
}

fn combine<T: Clone>(
    partial: Vec<T>,
    options: &[Value],
    add: impl Fn(T, &Value) -> T,
) -> Result<Vec<T>, String> {
    if partial.len() * options.len() > MAX_VARIANTS {
        return Err(format!(
            "more than {MAX_VARIANTS} combinations of conditions to judge"
        ));
    }
    Ok(partial
        .iter()
        .flat_map(|done| options.iter().map(|option| add(done.clone(), option)))
        .collect())
}

/// The properties with each unknown value read the unsafe way (a way in open, TLS client
/// authentication off, a CA that is set but fails any allow-list), `"true"`/`"false"` flags read as
/// booleans; the unknown paths are listed.
pub fn resolve_unknown(properties: &Value, unknown_paths: &mut Vec<String>) -> Value {
    resolve(properties, "", unknown_paths).unwrap_or_else(|| json!({}))
}

fn resolve(value: &Value, path: &str, unknown_paths: &mut Vec<String>) -> Option<Value> {
    if is_unknown(value) {
        if path.is_empty() {
            unknown_paths.push("Properties".into());
        } else if is_read(path) {
            unknown_paths.push(path.to_owned());
        }
        return RecordedAccess::unknown_reading(path);
    }
    let last = path.rsplit('.').next().unwrap_or_default();
    match value {
        Value::Object(map) => Some(Value::Object(
            map.iter()
                .filter_map(|(key, value)| {
                    let at = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    Some((key.clone(), resolve(value, &at, unknown_paths)?))
                })
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| resolve(item, &format!("{path}[{i}]"), unknown_paths))
                .collect(),
        )),
        Value::String(text) if is_flag(last) && text == "true" => Some(Value::Bool(true)),
        Value::String(text) if is_flag(last) && text == "false" => Some(Value::Bool(false)),
        other => Some(other.clone()),
    }
}

/// Whether the rule reads the property at `path`, or a block that holds one it reads.
fn is_read(path: &str) -> bool {
    [
        "ClientAuthentication",
        "EncryptionInfo",
        "BrokerNodeGroupInfo.ConnectivityInfo",
        "Tags",
    ]
    .iter()
    .any(|read| {
        path.strip_prefix(read)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
            || read
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// Judges every variant of a cluster's properties; the worst verdict wins and every finding of
/// every variant is named once.
pub fn judge(
    resource_type: &ResourceType,
    properties: &Value,
    configuration: &BrokerConfiguration,
    params: &RuleParams,
    (cas, trust): (&CaHealthReport, &CaTrust),
    now: Timestamp,
) -> Result<Judged, String> {
    let mut judged = Judged {
        compliance: ComplianceType::NotApplicable,
        findings: Vec::new(),
        notes: Vec::new(),
        annotation: None,
        unknown: Vec::new(),
    };
    let mut reasons: Vec<String> = Vec::new();
    for variant in variants(properties)? {
        let mut unknown = Vec::new();
        let resolved = resolve_unknown(&variant, &mut unknown);
        let mut tags = tags_of(&resolved)?;
        if let Some(scope) = &params.scope_tag {
            tags = scope.assumed_before_deploy(&tags);
        }
        let subject = Subject {
            resource_type,
            presence: Presence::Present,
            left_scope: false,
            tags: Some(&tags),
        };
        let (compliance, findings) = match applicability(&subject, params) {
            Some(reason) => {
                reasons.push(reason.to_string());
                (ComplianceType::NotApplicable, Vec::new())
            }
            None => {
                let cluster = match resource_type {
                    ResourceType::MskServerlessCluster => Cluster::Serverless,
                    _ => Cluster::Provisioned(ClusterFacts {
                        configuration: configuration.clone(),
                        ..read_facts_from_value(resolved, tags.keys().cloned())
                            .map_err(|e| format!("Properties: {e}"))?
                    }),
                };
                judge_cluster(&cluster, params, (cas, trust), now)
            }
        };
        judged.add(compliance, findings, unknown, params);
    }
    judged.annotation = annotation(&judged.annotation_texts(reasons));
    Ok(judged)
}

impl Judged {
    /// What the annotation says: the findings of a NON_COMPLIANT cluster, the first reason of a
    /// NOT_APPLICABLE one, the notes of a COMPLIANT one.
    fn annotation_texts(&self, not_applicable_reasons: Vec<String>) -> Vec<String> {
        let texts = |found: &[(&'static Check, Finding)]| {
            found
                .iter()
                .map(|(_, finding)| finding.to_string())
                .collect()
        };
        match self.compliance {
            ComplianceType::NonCompliant => texts(&self.findings),
            ComplianceType::NotApplicable => not_applicable_reasons.into_iter().take(1).collect(),
            ComplianceType::Compliant => texts(&self.notes),
        }
    }

    /// One variant's verdict added: the worst verdict, every finding, note and unknown path once.
    fn add(
        &mut self,
        compliance: ComplianceType,
        findings: Vec<(&'static Check, Finding)>,
        unknown: Vec<String>,
        params: &RuleParams,
    ) {
        self.compliance = worst(self.compliance, compliance);
        for found in findings {
            let list = if found.1.fails(params) {
                &mut self.findings
            } else {
                &mut self.notes
            };
            if !list.contains(&found) {
                list.push(found);
            }
        }
        for path in unknown {
            if !self.unknown.contains(&path) {
                self.unknown.push(path);
            }
        }
    }
}

/// One variant's cluster through the check table.
fn judge_cluster(
    cluster: &Cluster,
    params: &RuleParams,
    (cas, trust): (&CaHealthReport, &CaTrust),
    now: Timestamp,
) -> (ComplianceType, Vec<(&'static Check, Finding)>) {
    let inputs = Inputs {
        cluster,
        params,
        // A template's cluster has no ARN yet, and no other cluster is known (`trust.fleet`).
        resource_id: "",
        cas,
        trust,
        configurations: &ConfigurationReport::new(),
        // A template's cluster does not exist yet: MSK creates it with direct access on.
        zookeeper: Some(&ZooKeeperAccess::On(OnBecause::NotKnownBeforeDeploy)),
        // Who uses a door is read from the running services: a template names nobody.
        used_by: &BTreeMap::new(),
        now,
    };
    let findings = findings_by_check(&inputs);
    let compliance = if !findings.iter().any(|(_, finding)| finding.fails(params)) {
        ComplianceType::Compliant
    } else {
        ComplianceType::NonCompliant
    };
    (compliance, findings)
}

fn worst(a: ComplianceType, b: ComplianceType) -> ComplianceType {
    use ComplianceType::*;
    match (a, b) {
        (NonCompliant, _) | (_, NonCompliant) => NonCompliant,
        (Compliant, _) | (_, Compliant) => Compliant,
        _ => NotApplicable,
    }
}

/// CloudFormation's MSK `Tags` (a map) or Terraform's `tags`, as the rule's tag map.
fn tags_of(properties: &Value) -> Result<BTreeMap<String, String>, String> {
    match properties.get("Tags") {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => Ok(map
            .iter()
            .map(|(key, value)| {
                (
                    key.clone(),
                    value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned),
                )
            })
            .collect()),
        Some(other) => Err(format!("Tags is {other}, not a map")),
    }
}

/// The CAs to look up for a cluster's variants: the known ones, and the unknown one as unreadable.
pub fn cas_named(properties: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_cas(properties, false, &mut found);
    found
}

fn collect_cas(value: &Value, in_list: bool, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                collect_cas(value, key == "CertificateAuthorityArnList", found);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_cas(item, in_list, found)),
        Value::String(arn) if in_list && !found.contains(arn) => found.push(arn.clone()),
        _ => {}
    }
}

/// The health of a CA not known before deploy.
pub fn unknown_ca_health() -> CaHealth {
    CaHealth::Unreadable {
        reason: "not known before deploy".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::authorization::AclDefault;
    use crate::rule::facts::UNKNOWN_CA;

    fn judged(properties: Value, params: &RuleParams) -> Judged {
        judge(
            &ResourceType::MskCluster,
            &properties,
            &BrokerConfiguration::Read(AclDefault::Deny),
            params,
            (&CaHealthReport::new(), &CaTrust::before_deploy()),
            Timestamp::from_secs(0),
        )
        .unwrap()
    }

    fn mtls() -> Value {
        json!({
            "ClientAuthentication": {"Tls": {"Enabled": true, "CertificateAuthorityArnList": ["arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/a"]},
                                     "Unauthenticated": {"Enabled": false}},
            "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": "TLS"}},
        })
    }

    fn no_ca_check() -> RuleParams {
        RuleParams {
            check_certificate_authority_status: false,
            ..RuleParams::default()
        }
    }

    #[test]
    fn every_branch_of_every_condition_is_a_variant_and_no_value_removes_the_key() {
        let value = json!({"A": {"Fn::If": ["C", 1, 2]}, "B": [{"Fn::If": ["D", "x", {"Ref": "AWS::NoValue"}]}], "N": {"Ref": "AWS::NoValue"}});
        let all = variants(&value).unwrap();
        assert_eq!(all.len(), 4);
        assert!(all.contains(&json!({"A": 1, "B": ["x"]})));
        assert!(all.contains(&json!({"A": 2, "B": []})));
        let many: Map<String, Value> = (0..7)
            .map(|i| (format!("K{i}"), json!({"Fn::If": ["C", 1, 2]})))
            .collect();
        assert!(variants(&Value::Object(many))
            .unwrap_err()
            .contains("more than 64"));
        assert_eq!(variants(&json!({"Fn::Sub": "x"})).unwrap(), vec![unknown()]);
    }

    #[test]
    fn each_unknown_takes_its_unsafe_reading() {
        let params = no_ca_check();
        for (path, finding) in [
            (
                "/ClientAuthentication/Unauthenticated/Enabled",
                "unauthenticated access is enabled",
            ),
            (
                "/ClientAuthentication/Unauthenticated",
                "unauthenticated access is enabled",
            ),
            (
                "/ClientAuthentication/Tls/Enabled",
                "TLS client authentication is disabled",
            ),
            (
                "/ClientAuthentication/Tls",
                "TLS client authentication is disabled",
            ),
            ("/ClientAuthentication", "unauthenticated access is enabled"),
            (
                "/EncryptionInfo/EncryptionInTransit/ClientBroker",
                "client-broker encryption is not recorded",
            ),
            (
                "/EncryptionInfo",
                "client-broker encryption is not recorded",
            ),
        ] {
            let mut properties = mtls();
            *properties.pointer_mut(path).unwrap() = unknown();
            let judged = judged(properties, &params);
            assert_eq!(judged.compliance, ComplianceType::NonCompliant, "{path}");
            assert!(
                judged
                    .findings
                    .iter()
                    .any(|(_, f)| f.to_string().starts_with(finding)),
                "{path}: {:?}",
                judged.findings
            );
            assert!(!judged.unknown.is_empty(), "{path}");
        }
        let mut sasl = mtls();
        sasl["ClientAuthentication"]["Sasl"] = unknown();
        assert_eq!(
            judged(sasl, &params).findings.len(),
            2,
            "both mechanisms read as on"
        );
        let mut vpc = mtls();
        vpc["BrokerNodeGroupInfo"] = json!({"ConnectivityInfo": unknown()});
        assert_eq!(
            judged(vpc, &params).compliance,
            ComplianceType::NonCompliant,
            "multi-VPC read as open"
        );
        let mut ca = mtls();
        ca["ClientAuthentication"]["Tls"]["CertificateAuthorityArnList"] = json!([unknown()]);
        assert_eq!(
            judged(ca.clone(), &params).compliance,
            ComplianceType::Compliant,
            "a CA is set"
        );
        let allow = RuleParams {
            allowed_certificate_authority_arns: Some(
                ["arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/a".to_owned()]
                    .into(),
            ),
            ..no_ca_check()
        };
        assert_eq!(
            judged(ca, &allow).compliance,
            ComplianceType::NonCompliant,
            "which one is not known"
        );
        assert_eq!(
            judged(unknown(), &params).unknown,
            vec!["Properties".to_owned()]
        );
    }

    #[test]
    fn the_worst_variant_wins_and_string_flags_are_booleans() {
        let mut properties = mtls();
        properties["EncryptionInfo"]["EncryptionInTransit"]["ClientBroker"] =
            json!({"Fn::If": ["Prod", "TLS", "PLAINTEXT"]});
        properties["ClientAuthentication"]["Unauthenticated"]["Enabled"] = json!("false");
        let judged = judged(properties, &no_ca_check());
        assert_eq!(judged.compliance, ComplianceType::NonCompliant);
        assert_eq!(judged.findings.len(), 1, "{:?}", judged.findings);
        assert!(judged.unknown.is_empty());
        // Only the flags the rule reads: any other "true" or "false" stays the string it is.
        let mut unknowns = Vec::new();
        let strings = json!({"ClusterName": "false", "Tags": {"team": "true"},
                             "EncryptionInfo": {"EncryptionInTransit": {"InCluster": "false"}}});
        assert_eq!(
            resolve_unknown(&strings, &mut unknowns),
            json!({"ClusterName": "false", "Tags": {"team": "true"},
                   "EncryptionInfo": {"EncryptionInTransit": {"InCluster": false}}})
        );
    }
    #[test]
    fn only_unknowns_the_rule_reads_are_listed() {
        let mut unknown_paths = Vec::new();
        let mut properties = mtls();
        properties["ClusterName"] = unknown();
        properties["BrokerNodeGroupInfo"] = json!({"InstanceType": unknown(),
                                                   "ConnectivityInfo": {"VpcConnectivity": unknown()}});
        properties["Tags"] = json!({"team": unknown()});
        properties["EncryptionInfo"]["EncryptionInTransit"]["ClientBroker"] = unknown();
        resolve_unknown(&properties, &mut unknown_paths);
        unknown_paths.sort();
        assert_eq!(
            unknown_paths,
            [
                "BrokerNodeGroupInfo.ConnectivityInfo.VpcConnectivity",
                "EncryptionInfo.EncryptionInTransit.ClientBroker",
                "Tags.team"
            ]
        );
    }

    #[test]
    fn every_unknown_block_reads_as_its_most_open_value() {
        let open_sasl = json!({"Iam": {"Enabled": true}, "Scram": {"Enabled": true}});
        for (path, reading) in [
            ("ClientAuthentication.Tls.Enabled", Some(json!(false))),
            (
                "ClientAuthentication.Unauthenticated.Enabled",
                Some(json!(true)),
            ),
            ("ClientAuthentication.Sasl.Iam.Enabled", Some(json!(true))),
            (
                "ClientAuthentication.Unauthenticated",
                Some(json!({"Enabled": true})),
            ),
            (
                "ClientAuthentication.Sasl.Scram",
                Some(json!({"Enabled": true})),
            ),
            ("ClientAuthentication.Tls", Some(json!({"Enabled": false}))),
            ("ClientAuthentication.Sasl", Some(open_sasl.clone())),
            (
                "ClientAuthentication.Tls.CertificateAuthorityArnList",
                Some(json!([UNKNOWN_CA])),
            ),
            (
                "ClientAuthentication.Tls.CertificateAuthorityArnList[0]",
                Some(json!(UNKNOWN_CA)),
            ),
            ("ClientAuthentication", None),
            (
                "BrokerNodeGroupInfo.ConnectivityInfo.VpcConnectivity.ClientAuthentication",
                Some(json!({"Sasl": open_sasl})),
            ),
            (
                "BrokerNodeGroupInfo.ConnectivityInfo.VpcConnectivity",
                Some(json!({"ClientAuthentication": {"Sasl": open_sasl}})),
            ),
            (
                "BrokerNodeGroupInfo.ConnectivityInfo",
                Some(json!({
                    "PublicAccess": {"Type": "SERVICE_PROVIDED_EIPS"},
                    "VpcConnectivity": {"ClientAuthentication": {"Sasl": open_sasl}},
                })),
            ),
            (
                "BrokerNodeGroupInfo",
                Some(json!({"ConnectivityInfo": {
                    "PublicAccess": {"Type": "SERVICE_PROVIDED_EIPS"},
                    "VpcConnectivity": {"ClientAuthentication": {"Sasl": open_sasl}},
                }})),
            ),
            (
                "EncryptionInfo",
                Some(json!({"EncryptionInTransit": {"InCluster": false}})),
            ),
            ("ClusterName", None),
        ] {
            assert_eq!(RecordedAccess::unknown_reading(path), reading, "{path}");
        }
    }

    #[test]
    fn unknown_tags_or_properties_keep_a_cluster_in_the_rules_scope() {
        let scoped = RuleParams::parse(Some(
            r#"{"scopeTagKey":"environment","scopeTagValue":"production","checkCertificateAuthorityStatus":"false"}"#,
        ))
        .unwrap();
        let mut tags_unknown = mtls();
        tags_unknown["Tags"] = unknown();
        let judged_tags = judged(tags_unknown, &scoped);
        assert_eq!(judged_tags.compliance, ComplianceType::Compliant);
        assert_eq!(judged_tags.unknown, ["Tags"]);
        let whole = judged(unknown(), &scoped);
        assert_eq!(whole.compliance, ComplianceType::NonCompliant);
        assert_eq!(whole.unknown, ["Properties"]);
        let mut untagged = mtls();
        untagged["Tags"] = json!({"environment": "test"});
        assert_eq!(
            judged(untagged, &scoped).compliance,
            ComplianceType::NotApplicable,
            "known tags out of scope stay out"
        );
    }

    /// AWS's procedure writes the Tls block with a CA list and no `Enabled`: on, in `check` too;
    /// `Enabled` unknown before deploy still reads the unsafe way.
    #[test]
    fn the_tls_block_aws_documents_is_on_and_an_unknown_flag_is_off() {
        let params =
            RuleParams::parse(Some(r#"{"checkCertificateAuthorityStatus":"false"}"#)).unwrap();
        let mut documented = mtls();
        documented["ClientAuthentication"]["Tls"]
            .as_object_mut()
            .unwrap()
            .remove("Enabled");
        assert_eq!(
            judged(documented.clone(), &params).compliance,
            ComplianceType::Compliant
        );
        let mut by_ref = documented.clone();
        by_ref["ClientAuthentication"]["Tls"]["Enabled"] = unknown();
        assert_eq!(
            judged(by_ref, &params).compliance,
            ComplianceType::NonCompliant
        );
        let mut off = documented;
        off["ClientAuthentication"]["Tls"]["Enabled"] = json!("false");
        assert_eq!(
            judged(off, &params).compliance,
            ComplianceType::NonCompliant
        );
    }

    /// An open cluster whose scope tag is not a literal (`!Ref`, `!Sub`, an unknown value), or is
    /// absent (stack-level tags, Terraform's `default_tags` may add it), is judged: only a literal
    /// value that differs proves it outside the scope.
    #[test]
    fn a_scope_tag_the_template_does_not_prove_is_judged_never_out_of_scope() {
        let scoped = RuleParams::parse(Some(
            r#"{"scopeTagKey":"environment","scopeTagValue":"production","checkCertificateAuthorityStatus":"false"}"#,
        ))
        .unwrap();
        let key_only = RuleParams::parse(Some(
            r#"{"scopeTagKey":"environment","checkCertificateAuthorityStatus":"false"}"#,
        ))
        .unwrap();
        let open = || json!({"ClientAuthentication": {"Unauthenticated": {"Enabled": true}}});
        let tagged = |tags: Value| {
            let mut cluster = open();
            cluster["Tags"] = tags;
            cluster
        };
        for params in [&scoped, &key_only] {
            for (case, properties) in [
                ("no Tags at all", open()),
                (
                    "a value by !Ref",
                    tagged(json!({"environment": {"Ref": "Env"}})),
                ),
                (
                    "a value by !Sub",
                    tagged(json!({"environment": {"Fn::Sub": "${Env}"}})),
                ),
                (
                    "a value by Fn::If",
                    tagged(
                        json!({"environment": {"Fn::If": ["Prod", "production", {"Ref": "Env"}]}}),
                    ),
                ),
                ("other tags only", tagged(json!({"owner": "team-a"}))),
                (
                    "the value unknown",
                    tagged(json!({"environment": unknown()})),
                ),
            ] {
                assert_eq!(
                    judged(properties, params).compliance,
                    ComplianceType::NonCompliant,
                    "{case}"
                );
            }
        }
        assert_eq!(
            judged(tagged(json!({"environment": "test"})), &scoped).compliance,
            ComplianceType::NotApplicable,
            "a literal value that differs proves the cluster outside the scope"
        );
    }

    #[test]
    fn a_serverless_cluster_is_judged_as_serverless_whatever_its_properties() {
        let params =
            RuleParams::parse(Some(r#"{"serverlessClusterCompliance":"NON_COMPLIANT"}"#)).unwrap();
        let judged = judge(
            &ResourceType::MskServerlessCluster,
            &mtls(),
            &BrokerConfiguration::MskDefault,
            &params,
            (&CaHealthReport::new(), &CaTrust::before_deploy()),
            Timestamp::from_secs(0),
        )
        .unwrap();
        assert_eq!(judged.compliance, ComplianceType::NonCompliant);
        let findings: Vec<&Finding> = judged.findings.iter().map(|(_, f)| f).collect();
        assert_eq!(findings, [&Finding::ServerlessCannotEnforceMtls]);
    }

    #[test]
    fn tags_are_read_as_text_and_a_list_of_tags_is_refused() {
        assert_eq!(
            tags_of(&json!({"Tags": {"team": "payments", "tier": 1}})).unwrap(),
            BTreeMap::from([
                ("team".to_owned(), "payments".to_owned()),
                ("tier".to_owned(), "1".to_owned())
            ])
        );
        assert_eq!(tags_of(&json!({"Tags": null})).unwrap(), BTreeMap::new());
        assert_eq!(
            tags_of(&json!({"Tags": [{"Key": "team", "Value": "a"}]})).unwrap_err(),
            r#"Tags is [{"Key":"team","Value":"a"}], not a map"#
        );
    }

    #[test]
    fn the_cas_to_look_up_are_those_in_allow_lists_once_each() {
        let properties = json!({
            "ClientAuthentication": {"Tls": {"CertificateAuthorityArnList": ["ca/1", "ca/2", "ca/1"]}},
            "Other": {"CertificateAuthorityArn": "ca/not-a-list", "List": ["ca/3"]}
        });
        assert_eq!(cas_named(&properties), ["ca/1", "ca/2"]);
    }

    #[test]
    fn combinations_are_refused_past_the_limit_not_at_it() {
        let options = |n: usize| vec![serde_json::json!(1); n];
        assert_eq!(
            combine(vec![0; 8], &options(8), |x, _| x).unwrap().len(),
            MAX_VARIANTS
        );
        assert_eq!(
            combine(vec![0; 1], &options(MAX_VARIANTS), |x, _| x)
                .unwrap()
                .len(),
            MAX_VARIANTS
        );
        let error = combine(vec![0; 5], &options(13), |x, _| x).unwrap_err();
        assert_eq!(error, "more than 64 combinations of conditions to judge");
        assert!(combine(vec![0; 2], &options(33), |x, _| x).is_err());
    }
}
