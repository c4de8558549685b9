//! The probe through the library, in this process, against real rustls servers: the knocks that
//! `tests/probe.rs` makes through the release binary, at a layer that needs no emulator and that
//! mutation testing reaches (it never mutates the release binary).

mod tls_servers;

use std::time::Duration;

use msk_mtls_rule::aws::sdk::AwsAccount;
use msk_mtls_rule::probe::endpoints::{Endpoint, Listener, Network};
use msk_mtls_rule::probe::knock::Identity;
use msk_mtls_rule::probe::run::probe;
use msk_mtls_rule::probe::{Attempt, Outcome, ProbeReport, Verdict};
use msk_mtls_rule::probe::{ProbeRequest, Target};
use msk_mtls_rule::rule::params::SaslMechanism;

use tls_servers::{
    server_config, server_config_trusting, ClientAuth, Hierarchy, Jsse, OpensslServer, Pki,
    Servers, Version,
};

fn tls_endpoint(port: u16) -> Endpoint {
    Endpoint {
        host: "127.0.0.1".into(),
        port,
        listener: Listener::Tls,
    }
}

/// Probes the endpoints, verifying brokers with the test CA; the control is the CA's client.
fn probe_of(pki: &Pki, endpoints: Vec<Endpoint>, with_control: bool) -> ProbeReport {
    probe_allowing(pki, endpoints, with_control, Vec::new())
}

fn probe_allowing(
    pki: &Pki,
    endpoints: Vec<Endpoint>,
    with_control: bool,
    allowed_sasl: Vec<SaslMechanism>,
) -> ProbeReport {
    let control = with_control.then(|| Identity {
        chain: pki.client_chain.clone(),
        key: pki.client_key.clone_key(),
    });
    probe_presenting(pki, endpoints, control, Vec::new(), allowed_sasl)
}

/// Probes the endpoints with `control` as the control certificate and `refused` as certificates
/// that must be refused.
fn probe_presenting(
    pki: &Pki,
    endpoints: Vec<Endpoint>,
    control: Option<Identity>,
    refused: Vec<Identity>,
    allowed_sasl: Vec<SaslMechanism>,
) -> ProbeReport {
    let request = ProbeRequest {
        target: Target::Endpoints(endpoints),
        ca_bundle: Some(vec![pki.ca.clone()]),
        control,
        refused,
        allowed_sasl,
        networks: Network::ALL.to_vec(),
        connect_timeout: Duration::from_millis(1500),
        read_timeout: Duration::from_millis(1500),
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
            (tls13, Attempt::PlaintextOnTls, Outcome::Refused),
            (tls12, Attempt::TlsNoCert, Outcome::Refused),
            (tls12, Attempt::TlsUntrustedCert, Outcome::Refused),
            (tls12, Attempt::TlsClientCert, Outcome::Accepted),
            (tls12, Attempt::PlaintextOnTls, Outcome::Refused),
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
        detail(&report, tls12, Attempt::TlsNoCert).starts_with(
            "the server asked for a certificate, then aborted the TLS handshake: alert "
        ),
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
                (port, Attempt::PlaintextOnTls, Outcome::Refused),
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

fn outcome_of(report: &ProbeReport, attempt: Attempt) -> Outcome {
    report
        .results
        .iter()
        .find(|knock| knock.attempt == attempt)
        .unwrap()
        .outcome
}

/// A fatal alert before the server asked for a certificate (a version, cipher or SNI it will not
/// take) refuses no client for want of one: before, any alert read as a refusal and such a broker,
/// which requires no certificate at all, was ENFORCED.
#[test]
fn an_alert_before_the_server_asked_for_a_certificate_is_no_refusal() {
    let pki = Pki::new("knock-early-alert");
    let servers = Servers::new();
    let port = servers.alert_before_asking();
    let report = probe_of(&pki, vec![tls_endpoint(port)], false);
    for attempt in [Attempt::TlsNoCert, Attempt::TlsUntrustedCert] {
        assert_eq!(
            outcome_of(&report, attempt),
            Outcome::Inconclusive,
            "{report:?}"
        );
        assert!(
            detail(&report, port, attempt).contains("before it asked for a certificate"),
            "{report:?}"
        );
    }
    assert_eq!(report.verdict, Verdict::Inconclusive, "{}", report.reason);
}

/// A port-sharing proxy that answers plaintext Kafka on the TLS port lets anyone in.
#[test]
fn a_tls_port_that_also_answers_plaintext_is_an_open_door() {
    let pki = Pki::new("knock-sniffing");
    let servers = Servers::new();
    let port = servers.sniffing(server_config(&pki, ClientAuth::Required, Version::Tls13));
    let report = probe_of(&pki, vec![tls_endpoint(port)], false);
    assert_eq!(outcome_of(&report, Attempt::TlsNoCert), Outcome::Refused);
    assert_eq!(
        outcome_of(&report, Attempt::PlaintextOnTls),
        Outcome::Accepted
    );
    assert_eq!(report.verdict, Verdict::NotEnforced, "{}", report.reason);
    assert!(
        report.reason.contains("plaintext-on-tls"),
        "{}",
        report.reason
    );
}

/// SNI routing: the certificate check on the named route only; a client that names no server
/// walks in.
#[test]
fn a_door_open_to_a_client_without_sni_is_open() {
    let pki = Pki::new("knock-sni");
    let servers = Servers::new();
    let port = servers.by_sni(
        server_config(&pki, ClientAuth::Required, Version::Tls13),
        server_config(&pki, ClientAuth::None, Version::Tls13),
    );
    let named = Endpoint {
        host: "localhost".into(),
        port,
        listener: Listener::Tls,
    };
    let report = probe_of(&pki, vec![named], false);
    let on_loopback: Vec<(Attempt, Outcome)> = report
        .results
        .iter()
        .filter(|knock| !knock.detail.starts_with("[::1]"))
        .map(|knock| (knock.attempt, knock.outcome))
        .collect();
    assert_eq!(
        on_loopback,
        [
            (Attempt::TlsNoCert, Outcome::Refused),
            (Attempt::TlsUntrustedCert, Outcome::Refused),
            (Attempt::TlsNoCertNoSni, Outcome::Accepted),
            (Attempt::TlsUntrustedCertNoSni, Outcome::Accepted),
            (Attempt::PlaintextOnTls, Outcome::Refused),
        ],
        "{report:?}"
    );
    assert_eq!(report.verdict, Verdict::NotEnforced, "{}", report.reason);
}

/// In TLS 1.3 the client finishes first: silence after the handshake may be a slow certificate
/// check, not a welcome.
#[test]
fn silence_after_a_tls_1_3_handshake_that_asked_for_a_certificate_is_inconclusive() {
    let pki = Pki::new("knock-silent");
    let servers = Servers::new();
    let port = servers.tls_then_silent(server_config(&pki, ClientAuth::Requested, Version::Tls13));
    let report = probe_of(&pki, vec![tls_endpoint(port)], false);
    assert_eq!(
        outcome_of(&report, Attempt::TlsNoCert),
        Outcome::Inconclusive,
        "{report:?}"
    );
    assert!(detail(&report, port, Attempt::TlsNoCert)
        .contains("a slow certificate check and an open door look the same"));
    assert_eq!(report.verdict, Verdict::Inconclusive);
}

/// Java's TLS, configured as a Kafka broker configures `ssl.client.auth=required`: both knocks
/// refused after it asked, by the alerts JSSE sends, and the CA's own client let in, in TLS 1.2 and
/// 1.3.
#[test]
fn a_jsse_listener_requiring_certificates_refuses_both_knocks_in_tls_1_2_and_1_3() {
    let pki = Pki::new("knock-jsse");
    for protocol in ["TLSv1.3", "TLSv1.2"] {
        let broker = Jsse::start(&pki, protocol);
        let report = probe_of(&pki, vec![tls_endpoint(broker.port)], true);
        assert_eq!(
            outcomes(&report),
            [
                (broker.port, Attempt::TlsNoCert, Outcome::Refused),
                (broker.port, Attempt::TlsUntrustedCert, Outcome::Refused),
                (broker.port, Attempt::TlsClientCert, Outcome::Accepted),
                (broker.port, Attempt::PlaintextOnTls, Outcome::Refused),
            ],
            "{protocol}: {report:?}"
        );
        assert_eq!(
            report.verdict,
            Verdict::Enforced,
            "{protocol}: {}",
            report.reason
        );
        for attempt in [Attempt::TlsNoCert, Attempt::TlsUntrustedCert] {
            let said = detail(&report, broker.port, attempt);
            assert!(
                [
                    "BadCertificate",
                    "CertificateUnknown",
                    "CertificateRequired"
                ]
                .iter()
                .any(|alert| said.ends_with(alert)),
                "{protocol} {attempt:?}: {said}"
            );
        }
    }
}

/// OpenSSL's server, requiring a certificate: its alerts are refusals too.
#[test]
fn openssl_s_server_requiring_certificates_refuses_both_knocks_in_tls_1_2_and_1_3() {
    let pki = Pki::new("knock-openssl");
    for flag in ["-tls1_3", "-tls1_2"] {
        let server = OpensslServer::start(&pki, flag);
        let report = probe_of(&pki, vec![tls_endpoint(server.port)], false);
        for attempt in [Attempt::TlsNoCert, Attempt::TlsUntrustedCert] {
            assert_eq!(
                outcome_of(&report, attempt),
                Outcome::Refused,
                "{flag} {attempt:?}: {report:?}"
            );
        }
        assert_eq!(
            report.verdict,
            Verdict::Enforced,
            "{flag}: {}",
            report.reason
        );
    }
}

/// A SASL port is another way in only where SASL is not allowed; but one that answers Kafka's
/// Metadata before any authentication is an open door even where it is. Before, with `--allow-sasl`
/// such a port went unnoticed.
#[test]
fn a_sasl_port_that_answers_metadata_before_authentication_is_open_even_when_sasl_is_allowed() {
    let pki = Pki::new("knock-sasl");
    let servers = Servers::new();
    let mtls = servers.tls(server_config(&pki, ClientAuth::Required, Version::Tls13));
    let sasl = |port| Endpoint {
        host: "127.0.0.1".into(),
        port,
        listener: Listener::SaslIam,
    };
    // A broker's SASL port: TLS, then it closes on anything but the SASL handshake.
    let closing = servers.tls_then_hang_up(server_config(&pki, ClientAuth::None, Version::Tls13));
    let report = probe_allowing(
        &pki,
        vec![tls_endpoint(mtls), sasl(closing)],
        false,
        vec![SaslMechanism::Iam],
    );
    assert_eq!(
        outcome_of(&report, Attempt::SaslNoAuth),
        Outcome::Refused,
        "{report:?}"
    );
    assert_eq!(report.verdict, Verdict::Enforced, "{}", report.reason);
    // An unauthenticated TLS listener behind the SASL port.
    let open = servers.tls(server_config(&pki, ClientAuth::None, Version::Tls13));
    let report = probe_allowing(
        &pki,
        vec![tls_endpoint(mtls), sasl(open)],
        false,
        vec![SaslMechanism::Iam],
    );
    assert_eq!(
        outcome_of(&report, Attempt::SaslNoAuth),
        Outcome::Accepted,
        "{report:?}"
    );
    assert!(detail(&report, open, Attempt::SaslNoAuth).contains("over TLS with no certificate"));
    assert_eq!(report.verdict, Verdict::NotEnforced, "{}", report.reason);
    // A broker certificate the probe cannot verify: TLS was not looked behind, nothing is concluded.
    let stranger = Pki::new("knock-sasl-stranger");
    let unverified = servers.tls(server_config(&stranger, ClientAuth::None, Version::Tls13));
    let report = probe_allowing(
        &pki,
        vec![tls_endpoint(mtls), sasl(unverified)],
        false,
        vec![SaslMechanism::Iam],
    );
    assert_eq!(
        outcome_of(&report, Attempt::SaslNoAuth),
        Outcome::Inconclusive,
        "{report:?}"
    );
    assert_eq!(report.verdict, Verdict::Inconclusive, "{}", report.reason);
}

/// TLS 1.2 finishes after the server checked the client: a completed handshake and silence is a
/// welcome; so is silence from a TLS 1.3 server that never asked for a certificate.
#[test]
fn silence_after_a_tls_1_2_handshake_or_from_a_server_that_never_asked_lets_the_client_in() {
    let pki = Pki::new("knock-silent-welcome");
    let servers = Servers::new();
    for (auth, version) in [
        (ClientAuth::Requested, Version::Tls12),
        (ClientAuth::None, Version::Tls13),
    ] {
        let port = servers.tls_then_silent(server_config(&pki, auth, version));
        let report = probe_of(&pki, vec![tls_endpoint(port)], false);
        assert_eq!(
            outcome_of(&report, Attempt::TlsNoCert),
            Outcome::Accepted,
            "{auth:?} {version:?}: {report:?}"
        );
        assert!(detail(&report, port, Attempt::TlsNoCert).contains("did not abort"));
        assert_eq!(report.verdict, Verdict::NotEnforced);
    }
}

fn identity(
    (chain, key): &(
        Vec<rustls::pki_types::CertificateDer<'static>>,
        rustls::pki_types::PrivateKeyDer<'static>,
    ),
) -> Identity {
    Identity {
        chain: chain.clone(),
        key: key.clone_key(),
    }
}

/// A rotation proved on the wire, against rustls, JSSE (as a Kafka broker sets it up) and OpenSSL,
/// in TLS 1.3 and 1.2: brokers that trust subordinate CA A refuse a certificate from its sibling B
/// under the same root, and take A's; brokers that trust the root take B's (presented with its
/// issuer's chain), an open door, and the report names the certificate and says the root's trust
/// may be what let it in.
#[test]
fn a_sibling_subordinates_certificate_is_refused_unless_the_brokers_trust_their_root() {
    let pki = Pki::new("knock-rotation");
    let tree = Hierarchy::new(&pki);
    let knock = |port: u16| {
        probe_presenting(
            &pki,
            vec![tls_endpoint(port)],
            Some(identity(&tree.client_a)),
            vec![identity(&tree.client_b)],
            Vec::new(),
        )
    };
    let named = "certificate CN=client of team B issued by CN=team B subordinate CA: ";
    let servers = Servers::new();
    for version in [Version::Tls13, Version::Tls12] {
        let trusts_a = servers.tls(server_config_trusting(&pki, tree.sub_a.clone(), version));
        let report = knock(trusts_a);
        assert_eq!(
            outcome_of(&report, Attempt::TlsRefusedCert(0)),
            Outcome::Refused,
            "{version:?}: {report:?}"
        );
        assert_eq!(
            outcome_of(&report, Attempt::TlsClientCert),
            Outcome::Accepted,
            "{version:?}: {report:?}"
        );
        assert_eq!(
            report.verdict,
            Verdict::Enforced,
            "{version:?}: {}",
            report.reason
        );
        assert!(
            detail(&report, trusts_a, Attempt::TlsRefusedCert(0)).starts_with(named),
            "{report:?}"
        );

        let trusts_root = servers.tls(server_config_trusting(&pki, tree.root.clone(), version));
        let report = knock(trusts_root);
        assert_eq!(
            outcome_of(&report, Attempt::TlsRefusedCert(0)),
            Outcome::Accepted,
            "{version:?}: {report:?}"
        );
        assert_eq!(
            report.verdict,
            Verdict::NotEnforced,
            "{version:?}: {}",
            report.reason
        );
        let said = detail(&report, trusts_root, Attempt::TlsRefusedCert(0));
        assert!(
            said.starts_with(named) && said.contains("allowRootCertificateAuthority"),
            "{said}"
        );
        assert!(
            report.reason.contains("tls-refused-cert"),
            "{}",
            report.reason
        );
    }
    for protocol in ["TLSv1.3", "TLSv1.2"] {
        let trusts_a = Jsse::start_trusting(&pki, protocol, &pki.path("sub-a.pem"));
        let report = knock(trusts_a.port);
        assert_eq!(
            outcome_of(&report, Attempt::TlsRefusedCert(0)),
            Outcome::Refused,
            "{protocol}: {report:?}"
        );
        assert_eq!(
            report.verdict,
            Verdict::Enforced,
            "{protocol}: {}",
            report.reason
        );
        let trusts_root = Jsse::start_trusting(&pki, protocol, &pki.path("root.pem"));
        let report = knock(trusts_root.port);
        assert_eq!(
            outcome_of(&report, Attempt::TlsRefusedCert(0)),
            Outcome::Accepted,
            "{protocol}: {report:?}"
        );
        assert_eq!(
            report.verdict,
            Verdict::NotEnforced,
            "{protocol}: {}",
            report.reason
        );
    }
    for flag in ["-tls1_3", "-tls1_2"] {
        // OpenSSL's server speaks no Kafka: its refusals are what it proves.
        let trusts_a = OpensslServer::start_trusting(&pki, flag, &pki.path("sub-a.pem"));
        let report = knock(trusts_a.port);
        assert_eq!(
            outcome_of(&report, Attempt::TlsRefusedCert(0)),
            Outcome::Refused,
            "{flag}: {report:?}"
        );
        let trusts_root = OpensslServer::start_trusting(&pki, flag, &pki.path("root.pem"));
        let report = knock(trusts_root.port);
        assert_ne!(
            outcome_of(&report, Attempt::TlsRefusedCert(0)),
            Outcome::Refused,
            "{flag}: {report:?}"
        );
    }
}
