//! The probe through the library, in this process, against real rustls servers: the knocks that
//! `tests/probe.rs` makes through the release binary, at a layer that needs no emulator and that
//! mutation testing reaches (it never mutates the release binary).

mod tls_servers;

use std::time::Duration;

use msk_mtls_rule::aws::sdk::AwsAccount;
use msk_mtls_rule::probe::args::{Format, ProbeRequest, Target};
use msk_mtls_rule::probe::endpoints::{Endpoint, Listener};
use msk_mtls_rule::probe::knock::Identity;
use msk_mtls_rule::probe::run::probe;
use msk_mtls_rule::probe::{Attempt, Outcome, ProbeReport, Verdict};

use tls_servers::{server_config, ClientAuth, Pki, Servers, Version};

fn tls_endpoint(port: u16) -> Endpoint {
    Endpoint {
        host: "127.0.0.1".into(),
        port,
        listener: Listener::Tls,
    }
}

/// Probes the endpoints, verifying brokers with the test CA; the control is the CA's client.
fn probe_of(pki: &Pki, endpoints: Vec<Endpoint>, with_control: bool) -> ProbeReport {
    let request = ProbeRequest {
        target: Target::Endpoints(endpoints),
        ca_bundle: Some(vec![pki.ca.clone()]),
        control: with_control.then(|| Identity {
            chain: pki.client_chain.clone(),
            key: pki.client_key.clone_key(),
        }),
        allowed_sasl: Vec::new(),
        connect_timeout: Duration::from_millis(1500),
        read_timeout: Duration::from_millis(1500),
        format: Format::Json,
    };
    // The servers run on a runtime of their own; the probe gets this one.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(probe(&AwsAccount::default(), request))
        .unwrap()
}

fn outcomes(report: &ProbeReport) -> Vec<(u16, Attempt, Outcome)> {
    report
        .results
        .iter()
        .map(|knock| (knock.endpoint.port, knock.attempt, knock.outcome))
        .collect()
}

fn detail(report: &ProbeReport, port: u16, attempt: Attempt) -> &str {
    &report
        .results
        .iter()
        .find(|knock| knock.endpoint.port == port && knock.attempt == attempt)
        .unwrap()
        .detail
}

/// Both versions in one probe: every endpoint is knocked on, its knocks kept in endpoint order,
/// and each says which TLS version it spoke and which alert turned it away.
#[test]
fn servers_that_require_a_certificate_refuse_both_knocks_and_take_the_control_in_tls_1_3_and_1_2() {
    let pki = Pki::new("knock-required");
    let servers = Servers::new();
    let tls13 = servers.tls(server_config(&pki, ClientAuth::Required, Version::Tls13));
    let tls12 = servers.tls(server_config(&pki, ClientAuth::Required, Version::Tls12));
    let report = probe_of(&pki, vec![tls_endpoint(tls13), tls_endpoint(tls12)], true);
    assert_eq!(
        outcomes(&report),
        [
            (tls13, Attempt::TlsNoCert, Outcome::Refused),
            (tls13, Attempt::TlsUntrustedCert, Outcome::Refused),
            (tls13, Attempt::TlsClientCert, Outcome::Accepted),
            (tls12, Attempt::TlsNoCert, Outcome::Refused),
            (tls12, Attempt::TlsUntrustedCert, Outcome::Refused),
            (tls12, Attempt::TlsClientCert, Outcome::Accepted),
        ],
        "{report:?}"
    );
    // In TLS 1.3 the client's handshake ends before the server has judged its certificate, so the
    // refusal comes as an alert on the first read; in TLS 1.2 it ends the handshake.
    assert_eq!(
        detail(&report, tls13, Attempt::TlsNoCert),
        "TLS 1.3 handshake with no certificate completed, then the server aborted on the first \
         read: alert CertificateRequired"
    );
    assert_eq!(
        detail(&report, tls13, Attempt::TlsClientCert),
        "TLS 1.3 handshake with the certificate completed and Kafka answered ApiVersions"
    );
    assert!(
        detail(&report, tls12, Attempt::TlsNoCert)
            .starts_with("the server aborted the TLS handshake: alert "),
        "{report:?}"
    );
    assert_eq!(
        detail(&report, tls12, Attempt::TlsClientCert),
        "TLS 1.2 handshake with the certificate completed and Kafka answered ApiVersions"
    );
    assert_eq!(report.verdict, Verdict::Enforced, "{}", report.reason);
    assert!(report.confirmed_by_control);
    assert_eq!(
        report.target,
        format!("127.0.0.1:{tls13},127.0.0.1:{tls12}")
    );
}

#[test]
fn a_server_that_only_requests_a_certificate_lets_a_client_without_one_in() {
    let pki = Pki::new("knock-requested");
    let servers = Servers::new();
    for (version, name) in [(Version::Tls13, "TLS 1.3"), (Version::Tls12, "TLS 1.2")] {
        let port = servers.tls(server_config(&pki, ClientAuth::Requested, version));
        let report = probe_of(&pki, vec![tls_endpoint(port)], false);
        assert_eq!(
            outcomes(&report),
            [
                (port, Attempt::TlsNoCert, Outcome::Accepted),
                (port, Attempt::TlsUntrustedCert, Outcome::Refused),
            ],
            "{report:?}"
        );
        assert_eq!(
            detail(&report, port, Attempt::TlsNoCert),
            format!(
                "{name} handshake with no certificate completed and Kafka answered ApiVersions"
            )
        );
        assert_eq!(report.verdict, Verdict::NotEnforced);
    }
}

/// A server that completes the handshake and then hangs up with no alert has not refused anyone.
#[test]
fn a_close_after_the_handshake_with_no_alert_is_no_refusal() {
    let pki = Pki::new("knock-hangup");
    let servers = Servers::new();
    let port = servers.tls_then_hang_up(server_config(&pki, ClientAuth::None, Version::Tls13));
    let report = probe_of(&pki, vec![tls_endpoint(port)], false);
    let no_cert = report
        .results
        .iter()
        .find(|knock| knock.attempt == Attempt::TlsNoCert)
        .unwrap();
    assert_eq!(no_cert.outcome, Outcome::Inconclusive, "{}", no_cert.detail);
    assert!(
        no_cert
            .detail
            .starts_with("TLS 1.3 handshake with no certificate completed, then the connection closed with no alert"),
        "{}",
        no_cert.detail
    );
    assert_eq!(report.verdict, Verdict::Inconclusive);
}
