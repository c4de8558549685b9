//! `msk-mtls-rule probe`: proves mTLS by knocking on the brokers the way an attacker would, with no
//! certificate and with one from a CA nobody trusts, and (as a positive control) with one the
//! cluster's Private CA issued. Settings can say mTLS while a listener still lets anyone in; the
//! probe reads no setting. It sends TLS handshakes and Kafka's `ApiVersions`, nothing else.

pub mod certificate;
pub mod endpoints;
pub mod issuer;
pub mod kafka;
pub mod knock;
pub mod run;
pub mod zookeeper;

use std::fmt::Write as _;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use serde::Serialize;

use crate::probe::endpoints::{Endpoint, Listener, Network};
use crate::probe::knock::Identity;
use crate::rule::arn::ClusterArn;
use crate::rule::params::SaslMechanism;

/// What a probe knocks on, and with what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Cluster(ClusterArn),
    Endpoints(Vec<Endpoint>),
}

pub struct ProbeRequest {
    pub target: Target,
    /// Roots to verify brokers with: these, or the system's when `None`.
    pub ca_bundle: Option<Vec<CertificateDer<'static>>>,
    pub control: Option<Identity>,
    /// Certificates the brokers must refuse (the old CA's after a rotation, another team's, an
    /// expired one): each is a knock, and one taken is an open door.
    pub refused: Vec<Identity>,
    pub allowed_sasl: Vec<SaslMechanism>,
    /// A cluster's endpoints knocked on: those of these networks (every one unless narrowed).
    pub networks: Vec<Network>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// What was tried on an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Plaintext,
    /// A plaintext Kafka request on a TLS port (a port-sharing proxy answers it).
    PlaintextOnTls,
    TlsNoCert,
    TlsUntrustedCert,
    /// The same knocks with no SNI, for brokers behind SNI routing.
    TlsNoCertNoSni,
    TlsUntrustedCertNoSni,
    TlsClientCert,
    /// The `n`th certificate that must be refused.
    TlsRefusedCert(usize),
    Sasl,
    /// Kafka's Metadata on a SASL port before any authentication, in plaintext and over TLS with
    /// no certificate: an answer is an unauthenticated listener behind the SASL port.
    SaslNoAuth,
    /// A ZooKeeper `ConnectRequest` in plaintext: a session is a way to rewrite the ACLs.
    ZooKeeper,
    /// The same over TLS with no certificate.
    ZooKeeperTlsNoCert,
}

impl Attempt {
    pub fn as_str(self) -> &'static str {
        match self {
            Attempt::Plaintext => "plaintext",
            Attempt::PlaintextOnTls => "plaintext-on-tls",
            Attempt::TlsNoCert => "tls-no-cert",
            Attempt::TlsUntrustedCert => "tls-untrusted-cert",
            Attempt::TlsNoCertNoSni => "tls-no-cert-no-sni",
            Attempt::TlsUntrustedCertNoSni => "tls-untrusted-cert-no-sni",
            Attempt::TlsClientCert => "tls-client-cert",
            Attempt::TlsRefusedCert(_) => "tls-refused-cert",
            Attempt::Sasl => "sasl",
            Attempt::SaslNoAuth => "sasl-no-auth",
            Attempt::ZooKeeper => "zookeeper",
            Attempt::ZooKeeperTlsNoCert => "zookeeper-tls-no-cert",
        }
    }
}

/// How it went. Only `Refused` says the door is shut: a timeout or a closed port says nothing about
/// mTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server turned the client away (a TLS alert, or a plaintext listener hanging up).
    Refused,
    /// The server let the client in (a Kafka answer, or a completed handshake with no abort).
    Accepted,
    /// Connection refused: nothing listens.
    Closed,
    /// A timeout: no connection, or no handshake.
    Unreachable,
    /// Something else (an untrusted broker certificate, an unexpected close, a bad name).
    Inconclusive,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Refused => "refused",
            Outcome::Accepted => "accepted",
            Outcome::Closed => "closed",
            Outcome::Unreachable => "unreachable",
            Outcome::Inconclusive => "inconclusive",
        }
    }
}

/// One attempt on one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Knocked {
    pub endpoint: Endpoint,
    pub attempt: Attempt,
    pub outcome: Outcome,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Enforced,
    NotEnforced,
    Inconclusive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Enforced => "ENFORCED",
            Verdict::NotEnforced => "NOT_ENFORCED",
            Verdict::Inconclusive => "INCONCLUSIVE",
        }
    }

    pub fn exit_status(self) -> u8 {
        match self {
            Verdict::Enforced => 0,
            Verdict::NotEnforced => 1,
            Verdict::Inconclusive => 3,
        }
    }
}

/// Everything one probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    /// The cluster ARN, or the endpoints as given.
    pub target: String,
    pub results: Vec<Knocked>,
    pub verdict: Verdict,
    /// Why the verdict is what it is, in one sentence.
    pub reason: String,
    /// A certificate from the cluster's CA was accepted on every TLS endpoint.
    pub confirmed_by_control: bool,
    /// Endpoints of networks the probe was not asked to reach, by network: the verdict is about the
    /// others only, and says so.
    pub not_knocked: Vec<(Network, usize)>,
}

impl ProbeReport {
    /// Judges the results. Any door that let us in is NOT_ENFORCED. ENFORCED needs every TLS
    /// endpoint to refuse both a client with no certificate and one with an untrusted certificate,
    /// every other endpoint to be read, and the positive control (when given) to be accepted
    /// everywhere; anything short of that is INCONCLUSIVE, never ENFORCED.
    pub fn judge(
        target: String,
        results: Vec<Knocked>,
        allowed_sasl: &[SaslMechanism],
        control_given: bool,
    ) -> Self {
        let (verdict, reason) = verdict_of(&results, allowed_sasl, control_given);
        ProbeReport {
            target,
            confirmed_by_control: verdict == Verdict::Enforced && control_given,
            results,
            verdict,
            reason,
            not_knocked: Vec::new(),
        }
    }

    /// The report with the endpoints left out named in its reason: a verdict about some of a
    /// cluster's doors never reads as one about all of them.
    pub fn with_not_knocked(mut self, not_knocked: Vec<(Network, usize)>) -> Self {
        if !not_knocked.is_empty() {
            let named: Vec<String> = not_knocked
                .iter()
                .map(|(network, count)| format!("{count} {}", network.as_str()))
                .collect();
            self.reason = format!(
                "{}; not knocked on (networks not asked for): {} endpoint(s)",
                self.reason,
                named.join(", ")
            );
        }
        self.not_knocked = not_knocked;
        self
    }

    /// Counts for the metrics: refusals that confirm mTLS, doors open, attempts that proved nothing.
    pub fn counts(&self) -> (usize, usize, usize) {
        let refusals = self
            .results
            .iter()
            .filter(|r| {
                r.outcome == Outcome::Refused
                    && matches!(
                        r.attempt,
                        Attempt::TlsNoCert
                            | Attempt::TlsUntrustedCert
                            | Attempt::TlsNoCertNoSni
                            | Attempt::TlsUntrustedCertNoSni
                            | Attempt::TlsRefusedCert(_)
                    )
            })
            .count();
        let open = self
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Accepted && r.attempt != Attempt::TlsClientCert)
            .count();
        let inconclusive = self
            .results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Unreachable | Outcome::Inconclusive))
            .count();
        (refusals, open, inconclusive)
    }

    pub fn to_json(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct Row<'a> {
            endpoint: String,
            listener: &'a str,
            attempt: &'a str,
            outcome: &'a str,
            detail: &'a str,
        }
        let endpoints: Vec<Row> = self
            .results
            .iter()
            .map(|r| Row {
                endpoint: r.endpoint.address(),
                listener: r.endpoint.listener.as_str(),
                attempt: r.attempt.as_str(),
                outcome: r.outcome.as_str(),
                detail: &r.detail,
            })
            .collect();
        let not_knocked: serde_json::Map<String, serde_json::Value> = self
            .not_knocked
            .iter()
            .map(|(network, count)| (network.as_str().to_owned(), (*count).into()))
            .collect();
        serde_json::json!({
            "target": self.target,
            "endpoints": endpoints,
            "notKnocked": not_knocked,
            "verdict": self.verdict.as_str(),
            "reason": self.reason,
            "confirmedByControl": self.confirmed_by_control,
        })
    }

    pub fn to_text(&self) -> String {
        let mut out = format!("probe of {}\n", self.target);
        let width = self
            .results
            .iter()
            .map(|r| r.endpoint.address().len())
            .max()
            .unwrap_or(8)
            .max(8);
        let _ = writeln!(
            out,
            "{:<width$}  {:<10}  {:<25}  {:<12}  DETAIL",
            "ENDPOINT", "LISTENER", "ATTEMPT", "OUTCOME"
        );
        for r in &self.results {
            let _ = writeln!(
                out,
                "{:<width$}  {:<10}  {:<25}  {:<12}  {}",
                r.endpoint.address(),
                r.endpoint.listener.as_str(),
                r.attempt.as_str(),
                r.outcome.as_str(),
                r.detail
            );
        }
        let _ = writeln!(out, "{}: {}", self.verdict.as_str(), self.reason);
        out
    }
}

/// An attempt that, accepted, lets someone in without a certificate from the cluster's CA.
fn is_a_door(result: &Knocked, allowed_sasl: &[SaslMechanism]) -> bool {
    match result.attempt {
        Attempt::TlsClientCert => false,
        Attempt::Sasl => match result.endpoint.listener {
            Listener::SaslIam => !allowed_sasl.contains(&SaslMechanism::Iam),
            Listener::SaslScram => !allowed_sasl.contains(&SaslMechanism::Scram),
            _ => true,
        },
        Attempt::Plaintext
        | Attempt::SaslNoAuth
        | Attempt::PlaintextOnTls
        | Attempt::TlsNoCert
        | Attempt::TlsUntrustedCert
        | Attempt::TlsNoCertNoSni
        | Attempt::TlsUntrustedCertNoSni
        | Attempt::TlsRefusedCert(_)
        | Attempt::ZooKeeper
        | Attempt::ZooKeeperTlsNoCert => true,
    }
}

/// The verdict and why: a door let a client in; else anything that proves nothing, or a TLS
/// endpoint that did not refuse both clients, is INCONCLUSIVE; else ENFORCED, with the control's word.
fn verdict_of(
    results: &[Knocked],
    allowed_sasl: &[SaslMechanism],
    control_given: bool,
) -> (Verdict, String) {
    let open: Vec<&Knocked> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Accepted && is_a_door(r, allowed_sasl))
        .collect();
    if let Some(first) = open.first() {
        return (
            Verdict::NotEnforced,
            format!(
                "{} let a client in by {} ({} in all)",
                first.endpoint.address(),
                first.attempt.as_str(),
                open.len()
            ),
        );
    }
    let tls: Vec<&Knocked> = results
        .iter()
        .filter(|r| r.endpoint.listener == Listener::Tls)
        .collect();
    if tls.is_empty() {
        return (
            Verdict::Inconclusive,
            "no TLS listener to knock on".to_owned(),
        );
    }
    if let Some(first) = results.iter().find(|r| proves_nothing(r, allowed_sasl)) {
        return (
            Verdict::Inconclusive,
            format!(
                "{} by {} was {}: it proves nothing either way",
                first.endpoint.address(),
                first.attempt.as_str(),
                first.outcome.as_str()
            ),
        );
    }
    if !tls.iter().all(|r| refused_both(&tls, &r.endpoint)) {
        return (
            Verdict::Inconclusive,
            "not every TLS endpoint refused both clients".to_owned(),
        );
    }
    refused_everywhere(&tls, control_given)
}

/// Every TLS endpoint refused both clients: ENFORCED, unless the control was given and refused.
fn refused_everywhere(tls: &[&Knocked], control_given: bool) -> (Verdict, String) {
    let control_accepted = tls
        .iter()
        .filter(|r| r.attempt == Attempt::TlsClientCert)
        .all(|r| r.outcome == Outcome::Accepted);
    if control_given && !control_accepted {
        (
            Verdict::Inconclusive,
            "the control certificate was not accepted everywhere: the refusals may not come from mTLS".to_owned(),
        )
    } else if control_given {
        (
            Verdict::Enforced,
            "every TLS endpoint refused a client with no certificate and one with an untrusted certificate, and accepted the cluster CA's certificate".to_owned(),
        )
    } else {
        (
            Verdict::Enforced,
            "every TLS endpoint refused a client with no certificate and one with an untrusted certificate; not confirmed by a control (give --client-cert and --client-key)".to_owned(),
        )
    }
}

/// The endpoint refused both knocks at every address it was knocked on; a knock missing from the
/// results is no refusal.
fn refused_both(tls: &[&Knocked], endpoint: &Endpoint) -> bool {
    [Attempt::TlsNoCert, Attempt::TlsUntrustedCert]
        .iter()
        .all(|attempt| {
            let mut knocks = tls
                .iter()
                .filter(|r| r.endpoint == *endpoint && r.attempt == *attempt)
                .peekable();
            knocks.peek().is_some() && knocks.all(|r| r.outcome == Outcome::Refused)
        })
}

/// A knock whose outcome says nothing about a door that matters.
fn proves_nothing(r: &Knocked, allowed_sasl: &[SaslMechanism]) -> bool {
    match r.outcome {
        Outcome::Unreachable | Outcome::Inconclusive => {
            r.endpoint.listener == Listener::Tls || is_a_door(r, allowed_sasl)
        }
        Outcome::Closed => r.endpoint.listener == Listener::Tls,
        Outcome::Refused | Outcome::Accepted => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leaving a network out is said in the reason, the JSON and nowhere silently.
    #[test]
    fn endpoints_not_knocked_on_are_named_in_the_reason_and_the_json() {
        let report = ProbeReport::judge("t".into(), Vec::new(), &[], false);
        let said = report.reason.clone();
        let unchanged = report.clone().with_not_knocked(Vec::new());
        assert_eq!(unchanged.reason, said);
        assert_eq!(unchanged.to_json()["notKnocked"], serde_json::json!({}));
        let narrowed = report.with_not_knocked(vec![(Network::Public, 3), (Network::Ipv6, 1)]);
        assert_eq!(
            narrowed.reason,
            format!(
                "{said}; not knocked on (networks not asked for): 3 public, 1 ipv6 endpoint(s)"
            )
        );
        assert_eq!(
            narrowed.to_json()["notKnocked"],
            serde_json::json!({"public": 3, "ipv6": 1})
        );
    }

    fn knocked(port: u16, listener: Listener, attempt: Attempt, outcome: Outcome) -> Knocked {
        Knocked {
            endpoint: Endpoint {
                host: "b-1.example".into(),
                port,
                listener,
            },
            attempt,
            outcome,
            detail: String::new(),
        }
    }

    fn tls(
        port: u16,
        no_cert: Outcome,
        untrusted: Outcome,
        control: Option<Outcome>,
    ) -> Vec<Knocked> {
        let mut results = vec![
            knocked(port, Listener::Tls, Attempt::TlsNoCert, no_cert),
            knocked(port, Listener::Tls, Attempt::TlsUntrustedCert, untrusted),
        ];
        results.extend(
            control.map(|outcome| knocked(port, Listener::Tls, Attempt::TlsClientCert, outcome)),
        );
        results
    }

    fn verdict(results: Vec<Knocked>, allowed: &[SaslMechanism], control: bool) -> (Verdict, bool) {
        let report = ProbeReport::judge("t".into(), results, allowed, control);
        (report.verdict, report.confirmed_by_control)
    }

    use Outcome::*;

    #[test]
    fn enforced_needs_every_tls_endpoint_to_refuse_both_knocks() {
        let both = [
            tls(9094, Refused, Refused, None),
            tls(9194, Refused, Refused, None),
        ]
        .concat();
        assert_eq!(verdict(both, &[], false), (Verdict::Enforced, false));
        let confirmed = [
            tls(9094, Refused, Refused, Some(Accepted)),
            tls(9194, Refused, Refused, Some(Accepted)),
        ]
        .concat();
        assert_eq!(verdict(confirmed, &[], true), (Verdict::Enforced, true));
    }

    #[test]
    fn any_door_that_lets_a_client_in_is_not_enforced_whatever_else_happened() {
        for results in [
            tls(9094, Accepted, Refused, None),
            tls(9094, Refused, Accepted, None),
            [
                tls(9094, Refused, Refused, None),
                tls(9194, Unreachable, Accepted, None),
            ]
            .concat(),
            [
                tls(9094, Refused, Refused, None),
                vec![knocked(
                    9092,
                    Listener::Plaintext,
                    Attempt::Plaintext,
                    Accepted,
                )],
            ]
            .concat(),
            [
                tls(9094, Refused, Refused, None),
                vec![knocked(9096, Listener::SaslScram, Attempt::Sasl, Accepted)],
            ]
            .concat(),
        ] {
            assert_eq!(
                verdict(results.clone(), &[], false).0,
                Verdict::NotEnforced,
                "{results:?}"
            );
        }
    }

    #[test]
    fn nothing_short_of_refusals_everywhere_is_enforced() {
        for (results, control) in [
            (Vec::new(), false),
            (
                vec![knocked(
                    9092,
                    Listener::Plaintext,
                    Attempt::Plaintext,
                    Refused,
                )],
                false,
            ),
            (tls(9094, Unreachable, Unreachable, None), false),
            (tls(9094, Closed, Closed, None), false),
            (tls(9094, Inconclusive, Refused, None), false),
            (
                [
                    tls(9094, Refused, Refused, None),
                    tls(9194, Refused, Closed, None),
                ]
                .concat(),
                false,
            ),
            (tls(9094, Refused, Refused, Some(Refused)), true),
            (tls(9094, Refused, Refused, Some(Unreachable)), true),
            (
                [
                    tls(9094, Refused, Refused, None),
                    vec![knocked(
                        9096,
                        Listener::SaslScram,
                        Attempt::Sasl,
                        Unreachable,
                    )],
                ]
                .concat(),
                false,
            ),
            (
                [
                    tls(9094, Refused, Refused, None),
                    vec![knocked(
                        9092,
                        Listener::Plaintext,
                        Attempt::Plaintext,
                        Inconclusive,
                    )],
                ]
                .concat(),
                false,
            ),
        ] {
            assert_eq!(
                verdict(results.clone(), &[], control).0,
                Verdict::Inconclusive,
                "{results:?}"
            );
        }
    }

    #[test]
    fn an_allowed_sasl_listener_is_not_a_door_and_a_closed_one_is_no_way_in() {
        let sasl = |listener, outcome| knocked(9098, listener, Attempt::Sasl, outcome);
        let with = |extra| [tls(9094, Refused, Refused, None), vec![extra]].concat();
        assert_eq!(
            verdict(
                with(sasl(Listener::SaslIam, Accepted)),
                &[SaslMechanism::Iam],
                false
            )
            .0,
            Verdict::Enforced
        );
        assert_eq!(
            verdict(
                with(sasl(Listener::SaslScram, Accepted)),
                &[SaslMechanism::Iam],
                false
            )
            .0,
            Verdict::NotEnforced
        );
        assert_eq!(
            verdict(
                with(sasl(Listener::SaslScram, Accepted)),
                &[SaslMechanism::Scram],
                false
            )
            .0,
            Verdict::Enforced
        );
        assert_eq!(
            verdict(with(sasl(Listener::SaslIam, Closed)), &[], false).0,
            Verdict::Enforced
        );
        assert_eq!(
            verdict(
                with(knocked(
                    9092,
                    Listener::Plaintext,
                    Attempt::Plaintext,
                    Closed
                )),
                &[],
                false
            )
            .0,
            Verdict::Enforced,
            "a plaintext listener that is not there lets nobody in"
        );
    }

    #[test]
    fn a_knock_missing_from_the_results_is_no_refusal() {
        let only_no_cert = vec![knocked(9094, Listener::Tls, Attempt::TlsNoCert, Refused)];
        let report = ProbeReport::judge("t".into(), only_no_cert, &[], false);
        assert_eq!(report.verdict, Verdict::Inconclusive);
        assert_eq!(report.reason, "not every TLS endpoint refused both clients");
        let no_untrusted = vec![
            knocked(9094, Listener::Tls, Attempt::TlsNoCert, Refused),
            knocked(9094, Listener::Tls, Attempt::TlsClientCert, Refused),
        ];
        assert_eq!(
            verdict(no_untrusted, &[], false).0,
            Verdict::Inconclusive,
            "another knock's refusal does not stand in for the untrusted certificate's"
        );
        let control_only = [
            tls(9094, Refused, Refused, None),
            vec![knocked(
                9194,
                Listener::Tls,
                Attempt::TlsClientCert,
                Accepted,
            )],
        ]
        .concat();
        assert_eq!(
            verdict(control_only, &[], true).0,
            Verdict::Inconclusive,
            "9194 was never knocked on without a certificate"
        );
    }

    #[test]
    fn silence_proves_nothing_only_where_a_door_could_be() {
        // The control's own silence is named: the refusals may not come from mTLS.
        let report = ProbeReport::judge(
            "t".into(),
            tls(9094, Refused, Refused, Some(Unreachable)),
            &[],
            true,
        );
        assert_eq!(report.verdict, Verdict::Inconclusive);
        assert_eq!(
            report.reason,
            "b-1.example:9094 by tls-client-cert was unreachable: it proves nothing either way"
        );
        // An allowed SASL listener that does not answer is no door, so it cannot be a doubt.
        let allowed_silent = [
            tls(9094, Refused, Refused, None),
            vec![knocked(9098, Listener::SaslIam, Attempt::Sasl, Unreachable)],
        ]
        .concat();
        assert_eq!(
            verdict(allowed_silent.clone(), &[SaslMechanism::Iam], false).0,
            Verdict::Enforced
        );
        assert_eq!(verdict(allowed_silent, &[], false).0, Verdict::Inconclusive);
    }

    #[test]
    fn exit_statuses_are_the_documented_ones() {
        use crate::error::exit;
        assert_eq!(Verdict::Enforced.exit_status(), exit::NOTHING_FOUND);
        assert_eq!(Verdict::NotEnforced.exit_status(), exit::FINDINGS);
        assert_eq!(Verdict::Inconclusive.exit_status(), exit::COULD_NOT_FINISH);
    }

    #[test]
    fn counts_split_confirmed_refusals_open_doors_and_silence() {
        let results = [
            tls(9094, Refused, Refused, Some(Accepted)),
            tls(9194, Accepted, Unreachable, None),
            tls(9294, Refused, Refused, None),
            vec![knocked(
                9092,
                Listener::Plaintext,
                Attempt::Plaintext,
                Accepted,
            )],
        ]
        .concat();
        let report = ProbeReport::judge("t".into(), results, &[], true);
        assert_eq!(report.counts(), (4, 2, 1));
        assert_eq!(report.verdict.exit_status(), 1);
        let json = report.to_json();
        assert_eq!(json["verdict"], "NOT_ENFORCED");
        assert_eq!(json["endpoints"][0]["endpoint"], "b-1.example:9094");
        assert_eq!(json["endpoints"][0]["attempt"], "tls-no-cert");
        assert_eq!(json["endpoints"][0]["outcome"], "refused");
        assert!(report
            .to_text()
            .ends_with(&format!("NOT_ENFORCED: {}\n", report.reason)));
    }
}
