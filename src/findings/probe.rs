//! A probe of a cluster's brokers as one finding (ASFF, OCSF), beside the checks' own: ENFORCED
//! passes, NOT_ENFORCED fails, INCONCLUSIVE is not judged (never passed). The knocks are its
//! evidence: who was let in first, then who was refused, then what proved nothing.

use crate::findings::{Content, JudgedCluster, EVIDENCE_MAX};
use crate::probe::{Attempt, Knocked, Outcome, ProbeReport, Verdict};
use crate::rule::arn::ClusterArn;
use crate::rule::checks::{plain, Severity, MTLS_ONLY};
use crate::rule::outcome::CheckStatus;

/// What a probe's findings are of, in their ids and generator.
pub const PROBE: &str = "probe";

/// The probe's finding: its verdict and reason, the fix, and the knocks.
pub fn content(report: &ProbeReport) -> Content {
    let status = match report.verdict {
        Verdict::Enforced => CheckStatus::Passed,
        Verdict::NotEnforced => CheckStatus::Failed,
        Verdict::Inconclusive => CheckStatus::NotJudged,
    };
    Content {
        of: PROBE.to_owned(),
        name: "mTLS enforced on the wire (probe)".to_owned(),
        description: format!("{}: {}", report.verdict.as_str(), report.reason),
        recommendation: plain(&format!(
            "{MTLS_ONLY} (CloudFormation: ClientAuthentication with only Tls enabled and a CA, EncryptionInTransit.ClientBroker: TLS)"
        )),
        status,
        // A door that let a client in without a certificate the cluster trusts.
        severity: Severity::High,
        evidence: evidence(&report.results),
    }
}

/// A probed cluster as a finding names it: no facts read, no checks made.
pub fn probed(arn: &ClusterArn) -> JudgedCluster<'_> {
    JudgedCluster {
        account: arn.account(),
        region: arn.region(),
        arn: arn.as_str(),
        facts: None,
        outcomes: &[],
    }
}

/// The knocks, let in first, at most `EVIDENCE_MAX` (the last of them then counting the rest).
fn evidence(knocks: &[Knocked]) -> Vec<(String, String)> {
    let rank = |knock: &Knocked| match knock.outcome {
        Outcome::Accepted if knock.attempt != Attempt::TlsClientCert => 0,
        Outcome::Refused => 1,
        _ => 2,
    };
    let mut ordered: Vec<&Knocked> = knocks.iter().collect();
    ordered.sort_by_key(|knock| rank(knock));
    let shown = if ordered.len() > EVIDENCE_MAX {
        EVIDENCE_MAX - 1
    } else {
        ordered.len()
    };
    let mut evidence: Vec<(String, String)> = ordered[..shown]
        .iter()
        .enumerate()
        .map(|(n, knock)| {
            let seen = format!(
                "{} {} {}: {} ({})",
                knock.endpoint.address(),
                knock.endpoint.listener.as_str(),
                knock.attempt.as_str(),
                knock.outcome.as_str(),
                knock.detail
            );
            (format!("Knock/{:02}", n + 1), seen)
        })
        .collect();
    if shown < ordered.len() {
        evidence.push((
            "Knocks".to_owned(),
            format!("{} knocks in all, {shown} shown", ordered.len()),
        ));
    }
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::endpoints::{Endpoint, Listener};

    fn knock(port: u16, attempt: Attempt, outcome: Outcome) -> Knocked {
        Knocked {
            endpoint: Endpoint {
                host: "b-1.orders.kafka.us-east-1.amazonaws.com".into(),
                port,
                listener: Listener::Tls,
            },
            attempt,
            outcome,
            detail: "seen".into(),
        }
    }

    fn report(verdict: Verdict, results: Vec<Knocked>) -> ProbeReport {
        ProbeReport {
            target: "arn:aws:kafka:us-east-1:123456789012:cluster/orders/u-1".into(),
            results,
            verdict,
            reason: "why".into(),
            confirmed_by_control: false,
            not_knocked: Vec::new(),
        }
    }

    #[test]
    fn the_verdict_is_the_status_and_who_was_let_in_comes_first() {
        let results = vec![
            knock(9094, Attempt::TlsUntrustedCert, Outcome::Unreachable),
            knock(9094, Attempt::TlsNoCert, Outcome::Refused),
            knock(9094, Attempt::TlsClientCert, Outcome::Accepted),
            knock(9092, Attempt::Plaintext, Outcome::Accepted),
        ];
        let content = content(&report(Verdict::NotEnforced, results));
        assert_eq!(content.status, CheckStatus::Failed);
        assert_eq!(content.of, "probe");
        assert_eq!(content.description, "NOT_ENFORCED: why");
        let seen: Vec<&str> = content
            .evidence
            .iter()
            .map(|(_, text)| text.as_str())
            .collect();
        assert!(
            seen[0].contains(":9092 tls plaintext: accepted"),
            "{seen:?}"
        );
        assert!(seen[1].contains("tls-no-cert: refused"), "{seen:?}");
        assert!(
            seen[2].contains("tls-untrusted-cert: unreachable"),
            "{seen:?}"
        );
        assert_eq!(content.evidence[0].0, "Knock/01");
        assert_eq!(seen.len(), 4);
        for (verdict, status) in [
            (Verdict::Enforced, CheckStatus::Passed),
            (Verdict::Inconclusive, CheckStatus::NotJudged),
        ] {
            assert_eq!(super::content(&report(verdict, Vec::new())).status, status);
        }
    }

    /// docs/probe.md shows a probe's ASFF finding as this build writes it.
    #[test]
    fn the_docs_example_finding_is_this_builds() {
        use crate::findings::{asff, JudgedCluster};
        use crate::rule::time::Timestamp;

        let plaintext = Knocked {
            endpoint: Endpoint {
                port: 9092,
                listener: Listener::Plaintext,
                ..knock(9092, Attempt::Plaintext, Outcome::Accepted).endpoint
            },
            detail: "a Kafka ApiVersions answer".into(),
            ..knock(9092, Attempt::Plaintext, Outcome::Accepted)
        };
        let refused = |attempt| Knocked {
            detail: "TLS alert certificate_required".into(),
            ..knock(9094, attempt, Outcome::Refused)
        };
        let open = ProbeReport {
            reason: "b-1.orders.kafka.us-east-1.amazonaws.com:9092 let a client in (plaintext)"
                .into(),
            ..report(
                Verdict::NotEnforced,
                vec![
                    refused(Attempt::TlsNoCert),
                    refused(Attempt::TlsUntrustedCert),
                    plaintext,
                ],
            )
        };
        let cluster = JudgedCluster {
            account: "123456789012",
            region: "us-east-1",
            arn: &open.target,
            facts: None,
            outcomes: &[],
        };
        let now = Timestamp::from_utc(2026, 12, 3, 9, 0, 0).unwrap();
        let finding = asff::to_json(&asff::finding(&cluster, &content(&open), now, None));
        crate::docs::keep_block(
            "docs/probe.md",
            "<!-- asff-example:begin (rendered from src/findings/probe.rs) -->",
            "<!-- asff-example:end -->",
            &format!("\n```json\n{finding:#}\n```\n"),
        );
    }

    #[test]
    fn as_many_knocks_as_asff_keeps_are_all_shown() {
        let results: Vec<Knocked> = (0..EVIDENCE_MAX as u16)
            .map(|n| knock(9000 + n, Attempt::TlsNoCert, Outcome::Refused))
            .collect();
        let content = content(&report(Verdict::Enforced, results));
        assert_eq!(content.evidence.len(), EVIDENCE_MAX);
        assert!(content
            .evidence
            .iter()
            .all(|(name, _)| name.starts_with("Knock/")));
    }

    #[test]
    fn more_knocks_than_asff_keeps_are_counted_in_the_last() {
        let results: Vec<Knocked> = (0..60)
            .map(|n| knock(9000 + n, Attempt::TlsNoCert, Outcome::Refused))
            .collect();
        let content = content(&report(Verdict::Enforced, results));
        assert_eq!(content.evidence.len(), EVIDENCE_MAX);
        assert_eq!(
            content.evidence.last().unwrap(),
            &(
                "Knocks".to_owned(),
                format!("60 knocks in all, {} shown", EVIDENCE_MAX - 1)
            )
        );
    }
}
