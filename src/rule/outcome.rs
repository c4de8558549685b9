//! Each check's outcome on one judged cluster (passed, failed, noted, or not judged), for the
//! reports that keep one finding per cluster and check (ASFF, OCSF). A check the parameters do not
//! make is left out, never reported as passed.

use crate::rule::checks::{Check, Finding, CHECKS};
use crate::rule::evaluation::ComplianceType;
use crate::rule::params::RuleParams;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    Passed,
    Failed,
    /// Found, but the parameters leave it advisory (a note beside the verdict).
    Noted,
    /// Made, but what it reads could not be read: neither passed nor failed.
    NotJudged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub check: &'static Check,
    pub status: CheckStatus,
    /// What the check found (failures and notes), as the annotation words them.
    pub findings: Vec<String>,
}

/// The judged cluster's kind: the serverless check is made on a serverless cluster, every other
/// check on a provisioned one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Provisioned,
    Serverless,
}

/// Every check made on a cluster judged `compliance`, in the table's order, with its outcome. A
/// NOT_APPLICABLE cluster was not checked: no outcome at all.
pub fn outcomes(
    kind: Kind,
    compliance: ComplianceType,
    params: &RuleParams,
    findings: &[Finding],
    notes: &[Finding],
) -> Vec<CheckOutcome> {
    if compliance == ComplianceType::NotApplicable {
        return Vec::new();
    }
    let ca_undescribed = findings.iter().any(|finding| {
        matches!(
            finding,
            Finding::CertificateAuthorityNotFound(_)
                | Finding::CertificateAuthorityUnreadable { .. }
        )
    });
    CHECKS
        .iter()
        .filter(|check| (check.name == "serverless") == (kind == Kind::Serverless))
        .filter(|check| (check.made)(params))
        .map(|check| {
            let failed: Vec<String> = of_check(check, findings);
            let noted: Vec<String> = of_check(check, notes);
            let status = if !failed.is_empty() {
                CheckStatus::Failed
            } else if !noted.is_empty() {
                CheckStatus::Noted
            } else if check.needs_ca_described && ca_undescribed {
                CheckStatus::NotJudged
            } else {
                CheckStatus::Passed
            };
            CheckOutcome {
                check,
                status,
                findings: failed.into_iter().chain(noted).collect(),
            }
        })
        .collect()
}

fn of_check(check: &Check, findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|finding| (check.covers)(finding))
        .map(ToString::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::authorization::OpenBecause;
    use crate::rule::facts::ClientBroker;
    use crate::rule::params::SaslMechanism;

    fn status_of(outcomes: &[CheckOutcome], name: &str) -> Option<CheckStatus> {
        outcomes
            .iter()
            .find(|outcome| outcome.check.name == name)
            .map(|outcome| outcome.status)
    }

    #[test]
    fn a_clean_cluster_passes_every_check_made_and_names_no_check_left_off() {
        let params = RuleParams::default();
        let outcomes = outcomes(
            Kind::Provisioned,
            ComplianceType::Compliant,
            &params,
            &[],
            &[],
        );
        assert!(outcomes.iter().all(|o| o.status == CheckStatus::Passed));
        let names: Vec<&str> = outcomes.iter().map(|o| o.check.name).collect();
        assert!(names.contains(&"unauthenticated access"));
        assert!(names.contains(&"public access"));
        // Off by default: never reported as passed.
        for off in [
            "CA allow-list",
            "CA per cluster",
            "short-lived certificates",
            "broker logs",
            "required tags",
            "serverless",
        ] {
            assert!(!names.contains(&off), "{off} is not made by default");
        }
    }

    #[test]
    fn failures_and_notes_are_their_checks_own() {
        let params = RuleParams::default();
        let findings = vec![
            Finding::UnauthenticatedAccess(Default::default()),
            Finding::PlaintextListener {
                client_broker: Some(ClientBroker::TlsPlaintext),
            },
            Finding::SaslNotAllowed(SaslMechanism::Iam, Default::default()),
        ];
        let notes = vec![Finding::AuthorizationOpenByDefault(
            OpenBecause::MskDefaultConfiguration,
        )];
        let outcomes = outcomes(
            Kind::Provisioned,
            ComplianceType::NonCompliant,
            &params,
            &findings,
            &notes,
        );
        assert_eq!(
            status_of(&outcomes, "unauthenticated access"),
            Some(CheckStatus::Failed)
        );
        assert_eq!(
            status_of(&outcomes, "TLS-only listener"),
            Some(CheckStatus::Failed)
        );
        assert_eq!(status_of(&outcomes, "SASL"), Some(CheckStatus::Failed));
        assert_eq!(
            status_of(&outcomes, "authorization closed by default"),
            Some(CheckStatus::Noted)
        );
        assert_eq!(
            status_of(&outcomes, "Private CA"),
            Some(CheckStatus::Passed)
        );
        let unauthenticated = outcomes
            .iter()
            .find(|o| o.check.name == "unauthenticated access")
            .unwrap();
        assert_eq!(unauthenticated.findings, vec![findings[0].to_string()]);
    }

    #[test]
    fn a_check_that_reads_an_undescribed_ca_is_not_judged_rather_than_passed() {
        let params = RuleParams {
            require_short_lived_certificates: true,
            ..RuleParams::default()
        };
        let arn = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/1".to_owned();
        let findings = vec![Finding::CertificateAuthorityUnreadable {
            arn,
            reason: "AccessDeniedException".into(),
        }];
        let outcomes = outcomes(
            Kind::Provisioned,
            ComplianceType::NonCompliant,
            &params,
            &findings,
            &[],
        );
        assert_eq!(status_of(&outcomes, "CA health"), Some(CheckStatus::Failed));
        assert_eq!(
            status_of(&outcomes, "root CA"),
            Some(CheckStatus::NotJudged)
        );
        assert_eq!(
            status_of(&outcomes, "short-lived certificates"),
            Some(CheckStatus::NotJudged)
        );
        assert_eq!(
            status_of(&outcomes, "unauthenticated access"),
            Some(CheckStatus::Passed)
        );
    }

    #[test]
    fn a_serverless_cluster_has_the_serverless_check_alone_and_a_not_applicable_cluster_none() {
        let params = RuleParams {
            serverless_cluster_compliance: ComplianceType::NonCompliant,
            ..RuleParams::default()
        };
        let outcomes_of_serverless = outcomes(
            Kind::Serverless,
            ComplianceType::NonCompliant,
            &params,
            &[Finding::ServerlessCannotEnforceMtls],
            &[],
        );
        assert_eq!(outcomes_of_serverless.len(), 1);
        assert_eq!(outcomes_of_serverless[0].check.name, "serverless");
        assert_eq!(outcomes_of_serverless[0].status, CheckStatus::Failed);
        let not_applicable = outcomes(
            Kind::Provisioned,
            ComplianceType::NotApplicable,
            &params,
            &[],
            &[],
        );
        assert!(not_applicable.is_empty());
    }

    #[test]
    fn the_parameters_that_turn_a_check_off_leave_it_out() {
        let params = RuleParams {
            allow_public_access: true,
            check_certificate_authority_status: false,
            ..RuleParams::default()
        };
        let outcomes = outcomes(
            Kind::Provisioned,
            ComplianceType::Compliant,
            &params,
            &[],
            &[],
        );
        for off in ["public access", "CA health", "root CA", "CA issuers"] {
            assert_eq!(status_of(&outcomes, off), None, "{off}");
        }
    }
}
