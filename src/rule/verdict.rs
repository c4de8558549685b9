//! The verdict: pure, no I/O. Every check that fails is named, so an owner can fix them all at once.

use std::collections::BTreeMap;

use crate::rule::authorization::ConfigurationReport;
use crate::rule::ca::{CaHealthReport, CaTrust};
use crate::rule::checks::{Check, Finding, Inputs, CHECKS};
use crate::rule::doors::Door;
use crate::rule::evaluation::{annotation, ComplianceType, Evaluation, ANNOTATION_MAX_CHARS};
use crate::rule::facts::Cluster;
use crate::rule::params::RuleParams;
use crate::rule::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub compliance: ComplianceType,
    /// What fails the cluster.
    pub findings: Vec<Finding>,
    /// What a check the parameters leave advisory found: shown beside the verdict, never hidden.
    pub notes: Vec<Finding>,
}

impl Verdict {
    /// The failing findings of a NON_COMPLIANT result; the notes of a COMPLIANT one.
    pub fn annotation(&self) -> Option<String> {
        let shown = match self.compliance {
            ComplianceType::NonCompliant => &self.findings,
            _ => &self.notes,
        };
        annotation(&reasons_within(shown, ANNOTATION_MAX_CHARS))
    }
}

/// The findings as an annotation names them in `room` characters: in full when they fit, else
/// with each door's first user named and the others counted (`--explain`, alerts and `audit` name
/// them all).
pub fn reasons_within(findings: &[Finding], room: usize) -> Vec<String> {
    let full: Vec<String> = findings.iter().map(Finding::to_string).collect();
    if full.join("; ").chars().count() <= room {
        return full;
    }
    findings.iter().map(Finding::brief).collect()
}

/// Judges one cluster that is in the rule's scope (see `applicability`) by every check in `CHECKS`.
pub fn evaluate(inputs: &Inputs) -> Verdict {
    let (findings, notes): (Vec<Finding>, Vec<Finding>) = findings_by_check(inputs)
        .into_iter()
        .map(|(_, finding)| finding)
        .partition(|finding| finding.fails(inputs.params));
    let compliance = if findings.is_empty() {
        ComplianceType::Compliant
    } else {
        ComplianceType::NonCompliant
    };
    Verdict {
        compliance,
        findings,
        notes,
    }
}

/// The doors other than mTLS the checks find open on a cluster (they need the cluster and the
/// parameters alone), for looking up who uses them before the verdict names them.
pub fn open_doors(cluster: &Cluster, params: &RuleParams, now: Timestamp) -> Vec<Door> {
    let inputs = Inputs {
        cluster,
        params,
        resource_id: "",
        cas: &CaHealthReport::new(),
        trust: &CaTrust::default(),
        configurations: &ConfigurationReport::new(),
        zookeeper: None,
        used_by: &BTreeMap::new(),
        now,
    };
    findings_by_check(&inputs)
        .iter()
        .filter_map(|(_, finding)| finding.door())
        .collect()
}

/// An evaluation, with what fails the cluster and what is noted beside the verdict (the
/// annotation may shorten them to fit).
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub evaluation: Evaluation,
    pub findings: Vec<Finding>,
    pub notes: Vec<Finding>,
}

impl Judgement {
    pub fn not_applicable(evaluation: Evaluation) -> Self {
        Judgement {
            evaluation,
            findings: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Every finding with the check that made it, in the table's order (for reports that group by
/// check, such as SARIF's rules).
pub fn findings_by_check(inputs: &Inputs) -> Vec<(&'static Check, Finding)> {
    CHECKS
        .iter()
        .flat_map(|check| {
            (check.find)(inputs)
                .into_iter()
                .map(move |finding| (check, finding))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::rule::authorization::{
        AclDefault, BrokerConfiguration, ConfigurationRead, ConfigurationReport,
        ConfigurationRevision, OpenBecause,
    };
    use crate::rule::ca::{
        CaHealth, CaHealthReport, CaKind, CaProfile, CaStatus, Fleet, Issuers, UsageMode,
    };
    use crate::rule::facts::Cluster;
    use crate::rule::facts::{
        BrokerLogs, ClientBroker, ClusterFacts, MultiVpcAccess, PublicAccess,
    };
    use crate::rule::params::{RuleParams, SaslMechanism};
    use crate::rule::time::Timestamp;
    use crate::rule::time::SECONDS_PER_DAY;
    use crate::rule::zookeeper::{Metadata, OnBecause as ZooKeeperOn, ZooKeeperAccess};

    const CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555";
    const OTHER_CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/99999999-aaaa-bbbb-cccc-dddddddddddd";
    const NOW: i64 = 1_700_000_000;

    fn now() -> Timestamp {
        Timestamp::from_secs(NOW)
    }

    fn mtls_only() -> ClusterFacts {
        ClusterFacts {
            unauthenticated_access: false,
            tls_client_authentication: true,
            certificate_authority_arns: vec![CA.to_owned()],
            client_broker: Some(ClientBroker::Tls),
            sasl_mechanisms: BTreeSet::new(),
            multi_vpc: MultiVpcAccess::default(),
            public_access: PublicAccess::Disabled,
            broker_traffic_plaintext: false,
            configuration: BrokerConfiguration::Read(AclDefault::Deny),
            metadata: Metadata::KRaft,
            broker_logs: BrokerLogs::default(),
            tag_keys: BTreeSet::from(["owner".to_owned()]),
        }
    }

    fn no_ca_check() -> RuleParams {
        RuleParams {
            check_certificate_authority_status: false,
            ..RuleParams::default()
        }
    }

    fn healthy_ca(days_left: i64) -> CaHealthReport {
        CaHealthReport::from([(
            CA.to_owned(),
            CaHealth::Active {
                not_after: Some(Timestamp::from_secs(NOW + days_left * SECONDS_PER_DAY)),
            },
        )])
    }

    fn verdict(facts: ClusterFacts, params: &RuleParams, cas: &CaHealthReport) -> Verdict {
        verdict_with(facts, params, cas, &ConfigurationReport::new())
    }

    fn verdict_with(
        facts: ClusterFacts,
        params: &RuleParams,
        cas: &CaHealthReport,
        configurations: &ConfigurationReport,
    ) -> Verdict {
        evaluate(&Inputs {
            cluster: &Cluster::Provisioned(facts),
            params,
            cas,
            resource_id: "",
            trust: &crate::rule::ca::unremarkable(cas),
            configurations,
            zookeeper: None,
            used_by: &Default::default(),
            now: now(),
        })
    }

    #[test]
    fn mtls_only_cluster_is_compliant_without_annotation() {
        let verdict = verdict(mtls_only(), &no_ca_check(), &CaHealthReport::new());
        assert_eq!(verdict.compliance, ComplianceType::Compliant);
        assert_eq!(verdict.annotation(), None);
    }

    #[test]
    fn each_open_door_alone_is_non_compliant_and_named() {
        let sasl = |m: SaslMechanism| BTreeSet::from([m]);
        type Opening = Box<dyn Fn(&mut ClusterFacts)>;
        let rows: Vec<(&str, Opening, Finding)> = vec![
            (
                "unauthenticated",
                Box::new(|f| f.unauthenticated_access = true),
                Finding::UnauthenticatedAccess(Default::default()),
            ),
            (
                "tls off",
                Box::new(|f| f.tls_client_authentication = false),
                Finding::TlsClientAuthenticationDisabled,
            ),
            (
                "no ca",
                Box::new(|f| f.certificate_authority_arns.clear()),
                Finding::NoCertificateAuthority,
            ),
            (
                "tls_plaintext",
                Box::new(|f| f.client_broker = Some(ClientBroker::TlsPlaintext)),
                Finding::PlaintextListener {
                    client_broker: Some(ClientBroker::TlsPlaintext),
                },
            ),
            (
                "plaintext",
                Box::new(|f| f.client_broker = Some(ClientBroker::Plaintext)),
                Finding::PlaintextListener {
                    client_broker: Some(ClientBroker::Plaintext),
                },
            ),
            (
                "client-broker absent",
                Box::new(|f| f.client_broker = None),
                Finding::PlaintextListener {
                    client_broker: None,
                },
            ),
            (
                "sasl iam",
                Box::new(move |f| f.sasl_mechanisms = sasl(SaslMechanism::Iam)),
                Finding::SaslNotAllowed(SaslMechanism::Iam, Default::default()),
            ),
            (
                "sasl scram",
                Box::new(move |f| f.sasl_mechanisms = sasl(SaslMechanism::Scram)),
                Finding::SaslNotAllowed(SaslMechanism::Scram, Default::default()),
            ),
            (
                "multi-vpc iam",
                Box::new(move |f| f.multi_vpc.sasl_mechanisms = sasl(SaslMechanism::Iam)),
                Finding::MultiVpcSaslNotAllowed(SaslMechanism::Iam, Default::default()),
            ),
            (
                "multi-vpc scram",
                Box::new(move |f| f.multi_vpc.sasl_mechanisms = sasl(SaslMechanism::Scram)),
                Finding::MultiVpcSaslNotAllowed(SaslMechanism::Scram, Default::default()),
            ),
        ];
        for (name, open, expected) in rows {
            let mut facts = mtls_only();
            open(&mut facts);
            let verdict = verdict(facts, &no_ca_check(), &CaHealthReport::new());
            assert_eq!(verdict.compliance, ComplianceType::NonCompliant, "{name}");
            assert_eq!(verdict.findings, vec![expected.clone()], "{name}");
            assert_eq!(verdict.annotation(), Some(expected.to_string()), "{name}");
        }
    }

    #[test]
    fn multi_vpc_over_tls_is_fine() {
        let mut facts = mtls_only();
        facts.multi_vpc.tls = true;
        assert_eq!(
            verdict(facts, &no_ca_check(), &CaHealthReport::new()).compliance,
            ComplianceType::Compliant
        );
    }

    #[test]
    fn every_failed_check_is_named_not_only_the_first() {
        let facts = ClusterFacts {
            unauthenticated_access: true,
            tls_client_authentication: false,
            certificate_authority_arns: vec![],
            client_broker: Some(ClientBroker::Plaintext),
            sasl_mechanisms: BTreeSet::from([SaslMechanism::Iam, SaslMechanism::Scram]),
            multi_vpc: MultiVpcAccess {
                tls: false,
                sasl_mechanisms: BTreeSet::from([SaslMechanism::Scram]),
            },
            public_access: PublicAccess::ServiceProvidedEips,
            broker_traffic_plaintext: true,
            configuration: BrokerConfiguration::MskDefault,
            metadata: Metadata::ZooKeeper,
            broker_logs: BrokerLogs {
                cloudwatch_log_group: None,
                s3: true,
                firehose: false,
            },
            tag_keys: BTreeSet::new(),
        };
        let params = RuleParams {
            required_tag_keys: vec!["owner".into()],
            require_acl_default_deny: true,
            require_broker_logs: true,
            ..no_ca_check()
        };
        let verdict = verdict(facts, &params, &CaHealthReport::new());
        assert_eq!(
            verdict.findings,
            vec![
                Finding::UnauthenticatedAccess(Default::default()),
                Finding::TlsClientAuthenticationDisabled,
                Finding::NoCertificateAuthority,
                Finding::PlaintextListener {
                    client_broker: Some(ClientBroker::Plaintext)
                },
                Finding::BrokerTrafficPlaintext,
                Finding::SaslNotAllowed(SaslMechanism::Iam, Default::default()),
                Finding::SaslNotAllowed(SaslMechanism::Scram, Default::default()),
                Finding::MultiVpcSaslNotAllowed(SaslMechanism::Scram, Default::default()),
                Finding::PublicAccess(PublicAccess::ServiceProvidedEips),
                Finding::AuthorizationOpenByDefault(OpenBecause::MskDefaultConfiguration),
                Finding::ZooKeeperReachable(ZooKeeperOn::Unreadable("not read".into())),
                Finding::NoBrokerLogs {
                    s3: true,
                    firehose: false
                },
                Finding::MissingTag("owner".into()),
            ]
        );
        let annotation = verdict.annotation().unwrap();
        assert!(annotation.chars().count() <= 256, "{annotation}");
        assert!(annotation.starts_with(
            "unauthenticated access is enabled; TLS client authentication is disabled"
        ));
        assert!(annotation.ends_with(" more)"), "{annotation}");
    }

    /// A ZooKeeper-mode cluster fails unless its operations show direct access off; one not read is
    /// never off; before deploy it is a note; KRaft and Express brokers have no such door.
    #[test]
    fn zookeeper_access_fails_a_zookeeper_mode_cluster_unless_shown_off() {
        let judged = |metadata, access: Option<ZooKeeperAccess>| {
            let mut facts = mtls_only();
            facts.metadata = metadata;
            evaluate(&Inputs {
                cluster: &Cluster::Provisioned(facts),
                params: &no_ca_check(),
                cas: &CaHealthReport::new(),
                resource_id: "",
                trust: &CaTrust::default(),
                configurations: &ConfigurationReport::new(),
                zookeeper: access.as_ref(),
                used_by: &Default::default(),
                now: now(),
            })
        };
        let off = judged(Metadata::ZooKeeper, Some(ZooKeeperAccess::Off));
        assert_eq!(
            (off.compliance, off.notes.len()),
            (ComplianceType::Compliant, 0)
        );
        let never = judged(
            Metadata::ZooKeeper,
            Some(ZooKeeperAccess::On(ZooKeeperOn::NeverTurnedOff)),
        );
        assert_eq!(never.compliance, ComplianceType::NonCompliant);
        assert_eq!(
            never.annotation().as_deref(),
            Some("ZooKeeper is reachable directly: ACLs can be changed without a certificate (never turned off)")
        );
        let unread = judged(Metadata::ZooKeeper, None);
        assert_eq!(
            unread.findings,
            [Finding::ZooKeeperReachable(ZooKeeperOn::Unreadable(
                "not read".into()
            ))]
        );
        let before = judged(
            Metadata::ZooKeeper,
            Some(ZooKeeperAccess::On(ZooKeeperOn::NotKnownBeforeDeploy)),
        );
        assert_eq!(before.compliance, ComplianceType::Compliant);
        assert_eq!(
            before.notes,
            [Finding::ZooKeeperReachable(
                ZooKeeperOn::NotKnownBeforeDeploy
            )]
        );
        for metadata in [Metadata::KRaft, Metadata::ExpressBrokers] {
            let open = Some(ZooKeeperAccess::On(ZooKeeperOn::NeverTurnedOff));
            let verdict = judged(metadata, open);
            assert_eq!(
                verdict.compliance,
                ComplianceType::Compliant,
                "{metadata:?}"
            );
            assert!(verdict.notes.is_empty(), "{metadata:?}");
        }
    }

    /// `allowPublicAccess` lifts the public-access check alone: the same cluster with a plaintext
    /// listener still fails for that.
    #[test]
    fn public_access_fails_unless_allowed_and_allowing_it_lifts_nothing_else() {
        let mut facts = mtls_only();
        facts.public_access = PublicAccess::ServiceProvidedEips;
        let public = verdict(facts.clone(), &no_ca_check(), &CaHealthReport::new());
        assert_eq!(
            public.annotation().as_deref(),
            Some("brokers are reachable from the internet (public access SERVICE_PROVIDED_EIPS)")
        );
        let allowed = RuleParams {
            allow_public_access: true,
            ..no_ca_check()
        };
        assert_eq!(
            verdict(facts.clone(), &allowed, &CaHealthReport::new()).compliance,
            ComplianceType::Compliant
        );
        facts.client_broker = Some(ClientBroker::TlsPlaintext);
        assert_eq!(
            verdict(facts, &allowed, &CaHealthReport::new()).findings,
            [Finding::PlaintextListener {
                client_broker: Some(ClientBroker::TlsPlaintext)
            }]
        );
    }

    #[test]
    fn allowed_sasl_mechanisms_are_not_findings() {
        let mut facts = mtls_only();
        facts.sasl_mechanisms = BTreeSet::from([SaslMechanism::Iam, SaslMechanism::Scram]);
        facts.multi_vpc.sasl_mechanisms = BTreeSet::from([SaslMechanism::Iam]);
        let params = RuleParams {
            allowed_sasl_mechanisms: BTreeSet::from([SaslMechanism::Iam]),
            ..no_ca_check()
        };
        assert_eq!(
            verdict(facts, &params, &CaHealthReport::new()).findings,
            vec![Finding::SaslNotAllowed(
                SaslMechanism::Scram,
                Default::default()
            )]
        );
    }

    #[test]
    fn unauthenticated_access_is_never_allowed_by_parameters() {
        let mut facts = mtls_only();
        facts.unauthenticated_access = true;
        let params = RuleParams {
            allowed_sasl_mechanisms: BTreeSet::from([SaslMechanism::Iam, SaslMechanism::Scram]),
            ..no_ca_check()
        };
        assert_eq!(
            verdict(facts, &params, &CaHealthReport::new()).compliance,
            ComplianceType::NonCompliant
        );
    }

    #[test]
    fn certificate_authority_allow_list() {
        let allowed = |arns: &[&str]| RuleParams {
            allowed_certificate_authority_arns: Some(arns.iter().map(|a| a.to_string()).collect()),
            ..no_ca_check()
        };
        let none = CaHealthReport::new();
        assert_eq!(
            verdict(mtls_only(), &allowed(&[CA]), &none).findings,
            vec![]
        );
        let mut two_cas = mtls_only();
        two_cas.certificate_authority_arns.push(OTHER_CA.into());
        assert_eq!(
            verdict(two_cas, &allowed(&[CA]), &none).findings,
            vec![Finding::CertificateAuthorityNotAllowed(OTHER_CA.into())]
        );
        assert_eq!(
            verdict(mtls_only(), &allowed(&[OTHER_CA]), &none)
                .annotation()
                .unwrap(),
            "CA 11111111-2222-3333-4444-555555555555 is not on the allow-list"
        );
    }

    #[test]
    fn required_tags() {
        let params = RuleParams {
            required_tag_keys: vec!["owner".into(), "Owner".into(), "cost-center".into()],
            ..no_ca_check()
        };
        assert_eq!(
            verdict(mtls_only(), &params, &CaHealthReport::new()).findings,
            vec![
                Finding::MissingTag("Owner".into()),
                Finding::MissingTag("cost-center".into())
            ]
        );
    }

    #[test]
    fn a_serverless_cluster_in_scope_cannot_pass() {
        // by default applicability makes it NOT_APPLICABLE before the checks run
        let nc = evaluate(&Inputs {
            cluster: &Cluster::Serverless,
            params: &RuleParams::default(),
            cas: &CaHealthReport::new(),
            resource_id: "",
            trust: &CaTrust::default(),
            configurations: &ConfigurationReport::new(),
            zookeeper: None,
            used_by: &Default::default(),
            now: now(),
        });
        assert_eq!(nc.compliance, ComplianceType::NonCompliant);
        assert_eq!(nc.findings, vec![Finding::ServerlessCannotEnforceMtls]);
    }

    #[test]
    fn healthy_ca_far_from_expiry_is_compliant() {
        let verdict = verdict(mtls_only(), &RuleParams::default(), &healthy_ca(365));
        assert_eq!(verdict.compliance, ComplianceType::Compliant);
    }

    #[test]
    fn ca_expiring_within_the_horizon_names_the_days_left() {
        let verdict = verdict(mtls_only(), &RuleParams::default(), &healthy_ca(12));
        assert_eq!(verdict.compliance, ComplianceType::NonCompliant);
        assert_eq!(
            verdict.annotation().unwrap(),
            "CA 11111111-2222-3333-4444-555555555555 certificate expires in 12 days"
        );
    }

    #[test]
    fn expiry_horizon_is_a_parameter_and_zero_flags_only_expired() {
        let zero = RuleParams {
            certificate_authority_expiry_days: 0,
            ..RuleParams::default()
        };
        assert_eq!(verdict(mtls_only(), &zero, &healthy_ca(1)).findings, vec![]);
        let expired = verdict(mtls_only(), &zero, &healthy_ca(-3));
        assert_eq!(
            expired.annotation().unwrap(),
            "CA 11111111-2222-3333-4444-555555555555 certificate has expired"
        );
    }

    #[test]
    fn unhealthy_or_unverified_ca_is_never_compliant() {
        let cases = [
            (
                Some(CaHealth::NotActive {
                    status: CaStatus::Disabled,
                }),
                "is DISABLED",
            ),
            (Some(CaHealth::NotFound), "does not exist"),
            (
                Some(CaHealth::Unreadable {
                    reason: "AccessDeniedException".into(),
                }),
                "could not be checked (AccessDeniedException)",
            ),
            (
                Some(CaHealth::Active { not_after: None }),
                "expiry is unknown",
            ),
            (None, "could not be checked (not looked up)"),
        ];
        for (health, words) in cases {
            let report: CaHealthReport = health.into_iter().map(|h| (CA.to_owned(), h)).collect();
            let verdict = verdict(mtls_only(), &RuleParams::default(), &report);
            assert_eq!(verdict.compliance, ComplianceType::NonCompliant, "{words}");
            assert!(verdict.annotation().unwrap().contains(words), "{words}");
        }
    }

    #[test]
    fn ca_status_is_ignored_when_the_check_is_off() {
        let report = CaHealthReport::from([(CA.to_owned(), CaHealth::NotFound)]);
        assert_eq!(
            verdict(mtls_only(), &no_ca_check(), &report).compliance,
            ComplianceType::Compliant
        );
    }

    /// With `requireAclDefaultDeny` off (the default) an open ACL default is a note on a COMPLIANT
    /// result, at the end of its annotation; on, it fails the cluster; closed, it says nothing.
    #[test]
    fn an_open_acl_default_is_a_note_unless_required_and_closed_says_nothing() {
        let revision = ConfigurationRevision {
            arn: "arn:aws:kafka:us-east-1:123456789012:configuration/tenants/abc-1".into(),
            revision: 3,
        };
        let configured = ClusterFacts {
            configuration: BrokerConfiguration::Revision(revision.clone()),
            ..mtls_only()
        };
        let read = |text: &str| {
            ConfigurationReport::from([(
                revision.clone(),
                ConfigurationRead::Properties(text.as_bytes().to_vec()),
            )])
        };
        let open_text = "authorization open by default: allow.everyone.if.no.acl.found is true";
        let open = verdict_with(
            configured.clone(),
            &no_ca_check(),
            &CaHealthReport::new(),
            &read("allow.everyone.if.no.acl.found=true"),
        );
        assert_eq!(open.compliance, ComplianceType::Compliant);
        assert_eq!(open.findings, vec![]);
        assert_eq!(
            open.notes,
            vec![Finding::AuthorizationOpenByDefault(
                OpenBecause::PropertyTrue
            )]
        );
        assert_eq!(open.annotation().as_deref(), Some(open_text));

        let required = RuleParams {
            require_acl_default_deny: true,
            ..no_ca_check()
        };
        let failed = verdict_with(
            configured.clone(),
            &required,
            &CaHealthReport::new(),
            &read("allow.everyone.if.no.acl.found=true"),
        );
        assert_eq!(failed.compliance, ComplianceType::NonCompliant);
        assert_eq!(failed.notes, vec![]);
        assert_eq!(failed.annotation().as_deref(), Some(open_text));

        let closed = verdict_with(
            configured.clone(),
            &required,
            &CaHealthReport::new(),
            &read("allow.everyone.if.no.acl.found=false"),
        );
        assert_eq!(closed.compliance, ComplianceType::Compliant);
        assert_eq!(closed.annotation(), None);

        // Not read, or MSK's default: open, never closed.
        let unread = verdict_with(
            configured,
            &required,
            &CaHealthReport::new(),
            &ConfigurationReport::new(),
        );
        assert_eq!(unread.compliance, ComplianceType::NonCompliant);
        let default = ClusterFacts {
            configuration: BrokerConfiguration::MskDefault,
            ..mtls_only()
        };
        assert_eq!(
            verdict(default, &required, &CaHealthReport::new()).findings,
            vec![Finding::AuthorizationOpenByDefault(
                OpenBecause::MskDefaultConfiguration
            )]
        );
    }

    /// A NON_COMPLIANT annotation names what fails, not the notes.
    #[test]
    fn a_non_compliant_annotation_leaves_the_notes_out() {
        let facts = ClusterFacts {
            unauthenticated_access: true,
            configuration: BrokerConfiguration::MskDefault,
            ..mtls_only()
        };
        let verdict = verdict(facts, &no_ca_check(), &CaHealthReport::new());
        assert_eq!(verdict.compliance, ComplianceType::NonCompliant);
        assert_eq!(verdict.notes.len(), 1);
        assert_eq!(
            verdict.annotation().as_deref(),
            Some("unauthenticated access is enabled")
        );
    }

    fn trust_verdict(
        facts: ClusterFacts,
        params: &RuleParams,
        trust: &CaTrust,
        resource_id: &str,
    ) -> Verdict {
        evaluate(&Inputs {
            cluster: &Cluster::Provisioned(facts),
            params,
            resource_id,
            cas: &healthy_ca(400),
            trust,
            configurations: &ConfigurationReport::new(),
            zookeeper: None,
            used_by: &Default::default(),
            now: now(),
        })
    }

    fn with_profile(kind: CaKind, usage: UsageMode) -> CaTrust {
        let mut trust = crate::rule::ca::unremarkable(&healthy_ca(400));
        trust
            .profiles
            .insert(CA.to_owned(), CaProfile { kind, usage });
        trust
    }

    #[test]
    fn a_root_ca_or_an_unknown_type_fails_unless_roots_are_allowed() {
        let root = with_profile(CaKind::Root, UsageMode::GeneralPurpose);
        let verdict = trust_verdict(mtls_only(), &RuleParams::default(), &root, "c");
        assert_eq!(verdict.compliance, ComplianceType::NonCompliant);
        assert_eq!(
            verdict.annotation().unwrap(),
            "CA 11111111-2222-3333-4444-555555555555 is a root CA trusted directly: every CA under it can issue client certificates"
        );
        let unknown = with_profile(
            CaKind::Unknown("unrecorded".into()),
            UsageMode::GeneralPurpose,
        );
        assert_eq!(
            trust_verdict(mtls_only(), &RuleParams::default(), &unknown, "c").compliance,
            ComplianceType::NonCompliant
        );
        let allowed = RuleParams {
            allow_root_certificate_authority: true,
            ..RuleParams::default()
        };
        assert_eq!(
            trust_verdict(mtls_only(), &allowed, &root, "c").compliance,
            ComplianceType::Compliant
        );
        let subordinate = with_profile(CaKind::Subordinate, UsageMode::GeneralPurpose);
        assert_eq!(
            trust_verdict(mtls_only(), &RuleParams::default(), &subordinate, "c").compliance,
            ComplianceType::Compliant
        );
        // With the CA checks off nothing of the CA is read, so nothing of it is judged; what a
        // template shows of a CA it creates is judged all the same.
        assert_eq!(
            trust_verdict(mtls_only(), &no_ca_check(), &CaTrust::default(), "c").compliance,
            ComplianceType::Compliant
        );
        assert_eq!(
            trust_verdict(mtls_only(), &no_ca_check(), &root, "c").compliance,
            ComplianceType::NonCompliant
        );
    }

    #[test]
    fn other_accounts_that_can_issue_fail_unless_allowed_and_an_unread_policy_is_never_nobody() {
        let mut shared = with_profile(CaKind::Subordinate, UsageMode::GeneralPurpose);
        shared.issuers.insert(
            CA.to_owned(),
            Issuers::Known(BTreeSet::from(["*".to_owned(), "444455556666".to_owned()])),
        );
        let verdict = trust_verdict(mtls_only(), &RuleParams::default(), &shared, "c");
        assert_eq!(
            verdict.findings,
            [Finding::CertificateAuthorityIssuersOutside {
                arn: CA.into(),
                issuers: vec!["*".into(), "444455556666".into()]
            }]
        );
        let one_allowed = RuleParams {
            allowed_issuer_accounts: BTreeSet::from(["444455556666".to_owned()]),
            ..RuleParams::default()
        };
        assert_eq!(
            trust_verdict(mtls_only(), &one_allowed, &shared, "c").findings,
            [Finding::CertificateAuthorityIssuersOutside {
                arn: CA.into(),
                issuers: vec!["*".into()]
            }]
        );
        shared.issuers.insert(
            CA.to_owned(),
            Issuers::Known(BTreeSet::from(["444455556666".to_owned()])),
        );
        assert_eq!(
            trust_verdict(mtls_only(), &one_allowed, &shared, "c").compliance,
            ComplianceType::Compliant
        );
        shared.issuers.insert(
            CA.to_owned(),
            Issuers::Unknown("AccessDeniedException: needs acm-pca:GetPolicy".into()),
        );
        assert_eq!(
            trust_verdict(mtls_only(), &one_allowed, &shared, "c").compliance,
            ComplianceType::NonCompliant
        );
        shared.issuers.clear();
        assert_eq!(
            trust_verdict(mtls_only(), &RuleParams::default(), &shared, "c").findings,
            [Finding::CertificateAuthorityPolicyUnreadable {
                arn: CA.into(),
                reason: "not looked up".into()
            }]
        );
    }

    #[test]
    fn a_ca_shared_by_clusters_fails_each_naming_the_others_when_asked_and_before_deploy_is_a_note()
    {
        let per_cluster = RuleParams {
            certificate_authority_per_cluster: true,
            ..RuleParams::default()
        };
        let arn = |name: &str| format!("arn:aws:kafka:us-east-1:123456789012:cluster/{name}/1a2b");
        let mut trust = with_profile(CaKind::Subordinate, UsageMode::GeneralPurpose);
        trust.fleet = Fleet::Listed(BTreeMap::from([(
            CA.to_owned(),
            vec![arn("orders"), arn("payments"), arn("audit"), arn("billing")],
        )]));
        let verdict = trust_verdict(mtls_only(), &per_cluster, &trust, &arn("orders"));
        assert_eq!(
            verdict.findings,
            [Finding::CertificateAuthorityNotDedicated {
                arn: CA.into(),
                others: vec!["payments".into(), "audit".into(), "billing".into()],
                more: 0
            }]
        );
        let fleet: Vec<String> = (0..25).map(|i| arn(&format!("c{i}"))).collect();
        trust.fleet = Fleet::Listed(BTreeMap::from([(CA.to_owned(), fleet.clone())]));
        let crowded = trust_verdict(mtls_only(), &per_cluster, &trust, &fleet[0]);
        let named: Vec<String> = (1..=10).map(|i| format!("c{i}")).collect();
        assert_eq!(
            crowded.findings,
            [Finding::CertificateAuthorityNotDedicated {
                arn: CA.into(),
                others: named,
                more: 14
            }]
        );
        assert!(crowded.findings[0].to_string().ends_with("c10 and 14 more"));
        assert_eq!(
            crowded.findings[0].brief(),
            "CA 11111111-2222-3333-4444-555555555555 is also trusted by cluster c1 and 23 more"
        );
        assert_eq!(verdict.findings[0].brief(), "CA 11111111-2222-3333-4444-555555555555 is also trusted by cluster payments and 2 more");
        assert_eq!(
            trust_verdict(mtls_only(), &RuleParams::default(), &trust, &arn("orders")).compliance,
            ComplianceType::Compliant
        );
        trust.fleet = Fleet::Listed(BTreeMap::from([(
            CA.to_owned(),
            vec![arn("orders"), arn("payments")],
        )]));
        let pair = trust_verdict(mtls_only(), &per_cluster, &trust, &arn("orders"));
        assert_eq!(
            pair.findings[0].brief(),
            pair.findings[0].to_string(),
            "one other cluster is named in full"
        );
        trust.fleet = Fleet::Listed(BTreeMap::from([(CA.to_owned(), vec![arn("orders")])]));
        assert_eq!(
            trust_verdict(mtls_only(), &per_cluster, &trust, &arn("orders")).compliance,
            ComplianceType::Compliant
        );
        trust.fleet = Fleet::NotKnownBeforeDeploy;
        let before = trust_verdict(mtls_only(), &per_cluster, &trust, "Cluster");
        assert_eq!(
            (before.compliance, before.notes.len()),
            (ComplianceType::Compliant, 1)
        );
        trust.fleet = Fleet::NotListed;
        assert_eq!(
            trust_verdict(mtls_only(), &per_cluster, &trust, &arn("orders")).compliance,
            ComplianceType::NonCompliant
        );
    }

    #[test]
    fn a_general_purpose_ca_fails_only_when_short_lived_certificates_are_required() {
        let required = RuleParams {
            require_short_lived_certificates: true,
            ..RuleParams::default()
        };
        let general = with_profile(CaKind::Subordinate, UsageMode::GeneralPurpose);
        assert_eq!(
            trust_verdict(mtls_only(), &RuleParams::default(), &general, "c").compliance,
            ComplianceType::Compliant
        );
        assert_eq!(
            trust_verdict(mtls_only(), &required, &general, "c").findings,
            [Finding::CertificateAuthorityNotShortLived {
                arn: CA.into(),
                usage: UsageMode::GeneralPurpose
            }]
        );
        let unknown = with_profile(CaKind::Subordinate, UsageMode::Unknown("LONG_LIVED".into()));
        assert_eq!(
            trust_verdict(mtls_only(), &required, &unknown, "c").compliance,
            ComplianceType::NonCompliant
        );
        let short = with_profile(CaKind::Subordinate, UsageMode::ShortLivedCertificate);
        assert_eq!(
            trust_verdict(mtls_only(), &required, &short, "c").compliance,
            ComplianceType::Compliant
        );
    }
}
