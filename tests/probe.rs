//! `msk-mtls-rule probe` through the release binary, against real TLS servers: rustls servers in
//! this process (client certificate required, only requested, not asked; TLS 1.2 and 1.3) with a
//! minimal Kafka ApiVersions responder behind each, a plaintext responder, a closed port, a
//! listener that never answers; `openssl s_server`, which nobody here wrote; GetBootstrapBrokers
//! through the local AWS emulator; and the scheduled probe function under the Runtime API.

#[path = "e2e/harness.rs"]
#[allow(dead_code)] // shared with the Lambda end-to-end tests, which use more of it
mod harness;

mod tls_servers;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use harness::{binary, cli_against, response, Emulator, Function, RuntimeApi};
use tls_servers::{
    closed_port, server_config, server_config_trusting, ClientAuth, Hierarchy, Pki, Servers,
    Version, ZooKeeper,
};

/// Short, so refusals and silences are decided quickly; a loopback handshake takes a millisecond.
const READ_TIMEOUT_MS: &str = "1500";
const CLUSTER: &str =
    "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";

fn probe(args: &[&str]) -> (Option<i32>, Value, String) {
    let output: Output = Command::new(binary())
        .arg("probe")
        .args(args)
        .args([
            "--format",
            "json",
            "--read-timeout",
            READ_TIMEOUT_MS,
            "--connect-timeout",
            "1500",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let report = serde_json::from_str(&stdout).unwrap_or_else(|_| json!({"stdout": stdout}));
    (output.status.code(), report, stderr)
}

/// The (attempt, outcome) pairs of a report, in order.
fn outcomes(report: &Value) -> Vec<(String, String)> {
    report["endpoints"]
        .as_array()
        .unwrap_or_else(|| panic!("no endpoints: {report}"))
        .iter()
        .map(|e| {
            (
                e["attempt"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, o)| (a.to_string(), o.to_string()))
        .collect()
}

fn detail<'a>(report: &'a Value, attempt: &str) -> &'a str {
    report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["attempt"] == attempt)
        .and_then(|e| e["detail"].as_str())
        .unwrap()
}

#[test]
fn a_server_that_requires_a_client_certificate_refuses_both_knocks_and_takes_the_control_in_tls_1_2_and_1_3(
) {
    let pki = Pki::new("required");
    let servers = Servers::new();
    for (version, refusal) in [
        (Version::Tls13, "TLS 1.3 handshake with no certificate completed, then the server aborted on the first read"),
        (Version::Tls12, "the server asked for a certificate, then aborted the TLS handshake: alert"),
    ] {
        let port = servers.tls(server_config(&pki, ClientAuth::Required, version));
        let bootstrap = format!("127.0.0.1:{port}");
        let (code, report, stderr) = probe(&[
            "--bootstrap", &bootstrap, "--listener", "tls", "--ca-bundle", &pki.path("ca.pem"),
            "--client-cert", &pki.path("client.pem"), "--client-key", &pki.path("client.key"),
        ]);
        assert_eq!(code, Some(0), "{version:?}: {report} {stderr}");
        assert_eq!(
            outcomes(&report),
            pairs(&[("tls-no-cert", "refused"), ("tls-untrusted-cert", "refused"), ("tls-client-cert", "accepted"), ("plaintext-on-tls", "refused")]),
            "{version:?}: {report}"
        );
        assert!(detail(&report, "tls-no-cert").starts_with(refusal), "{version:?}: {report}");
        assert!(detail(&report, "tls-client-cert").ends_with("Kafka answered ApiVersions; the certificate was issued by CN=probe test CA"), "{report}");
        assert_eq!(report["verdict"], "ENFORCED");
        assert_eq!(report["confirmedByControl"], true);
        assert_eq!(report["endpoints"][0]["listener"], "tls");
        assert_eq!(report["endpoints"][0]["endpoint"], bootstrap.as_str());

        // Without the control, the refusals stand but are said to be unconfirmed.
        let (code, report, _) = probe(&["--bootstrap", &bootstrap, "--listener", "tls", "--ca-bundle", &pki.path("ca.pem")]);
        assert_eq!(code, Some(0));
        assert_eq!(report["confirmedByControl"], false);
        assert!(report["reason"].as_str().unwrap().contains("not confirmed by a control"), "{report}");
    }
}

/// `--refused-cert`, through the binary: the old CA's certificate after a rotation (team B's, a
/// sibling under the same root) is refused by brokers that trust team A's CA alone, and taken by
/// brokers that trust the root: NOT_ENFORCED, exit 1, the certificate named. A certificate without
/// its key is a usage error, before any connection.
#[test]
fn a_certificate_that_must_be_refused_is_a_knock_and_one_taken_is_an_open_door() {
    let pki = Pki::new("refused");
    let tree = Hierarchy::new(&pki);
    let servers = Servers::new();
    let knock = |port: u16| {
        let bootstrap = format!("127.0.0.1:{port}");
        probe(&[
            "--bootstrap",
            &bootstrap,
            "--listener",
            "tls",
            "--ca-bundle",
            &pki.path("ca.pem"),
            "--client-cert",
            &pki.path("client-a-chain.pem"),
            "--client-key",
            &pki.path("client-a.key"),
            "--refused-cert",
            &pki.path("client-b-chain.pem"),
            "--refused-key",
            &pki.path("client-b.key"),
        ])
    };
    let trusts_a = servers.tls(server_config_trusting(
        &pki,
        tree.sub_a.clone(),
        Version::Tls13,
    ));
    let (code, report, stderr) = knock(trusts_a);
    assert_eq!(code, Some(0), "{report} {stderr}");
    assert_eq!(
        outcomes(&report),
        pairs(&[
            ("tls-no-cert", "refused"),
            ("tls-untrusted-cert", "refused"),
            ("tls-client-cert", "accepted"),
            ("tls-refused-cert", "refused"),
            ("plaintext-on-tls", "refused")
        ]),
        "{report}"
    );
    let trusts_root = servers.tls(server_config_trusting(
        &pki,
        tree.root.clone(),
        Version::Tls12,
    ));
    let (code, report, _) = knock(trusts_root);
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["verdict"], "NOT_ENFORCED");
    let said = detail(&report, "tls-refused-cert");
    assert!(
        said.starts_with("certificate CN=client of team B issued by CN=team B subordinate CA: "),
        "{said}"
    );
    assert!(said.contains("allowRootCertificateAuthority"), "{said}");

    let bootstrap = format!("127.0.0.1:{trusts_a}");
    let (code, report, stderr) = probe(&[
        "--bootstrap",
        &bootstrap,
        "--listener",
        "tls",
        "--refused-cert",
        &pki.path("client-b-chain.pem"),
        "--refused-key",
        &pki.path("client-b.key"),
        "--refused-cert",
        &pki.path("client-a-chain.pem"),
    ]);
    assert_eq!(code, Some(2), "{report} {stderr}");
    assert!(
        stderr.contains("2 --refused-cert and 1 --refused-key"),
        "{stderr}"
    );
}

#[test]
fn a_server_that_only_requests_or_never_asks_for_a_certificate_lets_a_client_in() {
    let pki = Pki::new("open");
    let servers = Servers::new();
    for version in [Version::Tls13, Version::Tls12] {
        let requested = servers.tls(server_config(&pki, ClientAuth::Requested, version));
        let (code, report, _) = probe(&[
            "--bootstrap",
            &format!("127.0.0.1:{requested}"),
            "--listener",
            "tls",
            "--ca-bundle",
            &pki.path("ca.pem"),
        ]);
        assert_eq!(code, Some(1), "{version:?}: {report}");
        assert_eq!(
            outcomes(&report),
            pairs(&[
                ("tls-no-cert", "accepted"),
                ("tls-untrusted-cert", "refused"),
                ("plaintext-on-tls", "refused")
            ]),
            "a requesting server still refuses a certificate it cannot verify: {report}"
        );
        assert!(
            detail(&report, "tls-no-cert").ends_with("completed and Kafka answered ApiVersions")
        );
        assert_eq!(report["verdict"], "NOT_ENFORCED");

        let none = servers.tls(server_config(&pki, ClientAuth::None, version));
        let (code, report, _) = probe(&[
            "--bootstrap",
            &format!("127.0.0.1:{none}"),
            "--listener",
            "tls",
            "--ca-bundle",
            &pki.path("ca.pem"),
        ]);
        assert_eq!(code, Some(1));
        assert_eq!(
            outcomes(&report),
            pairs(&[
                ("tls-no-cert", "accepted"),
                ("tls-untrusted-cert", "accepted"),
                ("plaintext-on-tls", "refused")
            ]),
            "{report}"
        );
    }
}

#[test]
fn plaintext_sasl_closed_silent_and_untrusted_servers_reach_their_own_outcomes() {
    let pki = Pki::new("others");
    let servers = Servers::new();
    let required = servers.tls(server_config(&pki, ClientAuth::Required, Version::Tls13));
    let plaintext = servers.plaintext();
    let silent = servers.silent();
    let closed = closed_port();
    let ca = pki.path("ca.pem");

    let (code, report, _) = probe(&[
        "--bootstrap",
        &format!("127.0.0.1:{plaintext}"),
        "--listener",
        "plaintext",
    ]);
    assert_eq!(
        (code, outcomes(&report)),
        (Some(1), pairs(&[("plaintext", "accepted")])),
        "{report}"
    );
    assert!(detail(&report, "plaintext").contains("no credential at all"));

    let (code, report, _) = probe(&[
        "--bootstrap",
        &format!("127.0.0.1:{closed}"),
        "--listener",
        "tls",
        "--ca-bundle",
        &ca,
    ]);
    assert_eq!(code, Some(3), "a closed port proves nothing: {report}");
    assert_eq!(
        outcomes(&report),
        pairs(&[
            ("tls-no-cert", "closed"),
            ("tls-untrusted-cert", "closed"),
            ("plaintext-on-tls", "closed")
        ])
    );

    let started = Instant::now();
    let (code, report, _) = probe(&[
        "--bootstrap",
        &format!("127.0.0.1:{silent}"),
        "--listener",
        "tls",
        "--ca-bundle",
        &ca,
    ]);
    assert_eq!(code, Some(3), "{report}");
    assert_eq!(
        outcomes(&report),
        pairs(&[
            ("tls-no-cert", "unreachable"),
            ("tls-untrusted-cert", "unreachable"),
            ("plaintext-on-tls", "unreachable")
        ])
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded by the read timeout: {:?}",
        started.elapsed()
    );

    // The broker's certificate is not trusted without the bundle: nothing is concluded from it.
    let (code, report, _) = probe(&[
        "--bootstrap",
        &format!("127.0.0.1:{required}"),
        "--listener",
        "tls",
    ]);
    assert_eq!(code, Some(3), "{report}");
    assert!(
        detail(&report, "tls-no-cert").contains("not trusted"),
        "{report}"
    );

    // A SASL listener that takes connections is another way in, unless allowed.
    let endpoints = format!("127.0.0.1:{plaintext}");
    let mixed = |extra: &[&str]| {
        let required = format!("127.0.0.1:{required}");
        let tls_report = probe(&[
            "--bootstrap",
            &required,
            "--listener",
            "tls",
            "--ca-bundle",
            &ca,
        ]);
        let sasl_report = probe(
            &[
                &["--bootstrap", &endpoints, "--listener", "sasl-iam"],
                extra,
            ]
            .concat(),
        );
        (tls_report, sasl_report)
    };
    // This "SASL" port answers Kafka with no authentication at all: a door even where SASL/IAM is
    // allowed.
    let (_, (code, report, _)) = mixed(&[]);
    assert_eq!(
        (code, outcomes(&report)),
        (
            Some(1),
            pairs(&[("sasl", "accepted"), ("sasl-no-auth", "accepted")])
        ),
        "{report}"
    );
    assert!(detail(&report, "sasl").contains("another way in"));
    assert!(detail(&report, "sasl-no-auth").contains("before any authentication"));
    let (_, (code, report, _)) = mixed(&["--allow-sasl", "IAM"]);
    assert_eq!(
        code,
        Some(1),
        "allowed, but the port answers Metadata without authentication: {report}"
    );
    assert!(
        report["reason"].as_str().unwrap().contains("sasl-no-auth"),
        "{report}"
    );

    // A control certificate the server does not trust: the refusals are not confirmed.
    let other = Pki::new("other-ca");
    let (code, report, _) = probe(&[
        "--bootstrap",
        &format!("127.0.0.1:{required}"),
        "--listener",
        "tls",
        "--ca-bundle",
        &ca,
        "--client-cert",
        &other.path("client.pem"),
        "--client-key",
        &other.path("client.key"),
    ]);
    assert_eq!(code, Some(3), "{report}");
    assert_eq!(
        outcomes(&report)[2],
        ("tls-client-cert".to_owned(), "refused".to_owned())
    );
    assert!(report["reason"]
        .as_str()
        .unwrap()
        .contains("control certificate was not accepted"));
}

/// `openssl s_server`: -Verify requires a client certificate, -verify only requests one. It does
/// not speak Kafka, so an accepted handshake shows as no abort within the read timeout. s_server's
/// verify callback lets a certificate that fails verification through unless -verify_return_error
/// is given: with -Verify alone it demands *a* certificate, not a trusted one, and the probe's
/// untrusted certificate gets in. Settings that read "client certificate required" can lie.
#[test]
fn openssl_s_server_enforces_only_when_it_also_refuses_an_untrusted_certificate() {
    let pki = Pki::new("openssl");
    // s_server speaks no Kafka: in TLS 1.2 a completed handshake is the server's acceptance; in
    // TLS 1.3 the client finishes first, and silence after a CertificateRequest proves nothing.
    for (flags, tls, expected_code, expected) in [
        (
            &["-Verify", "1", "-verify_return_error"][..],
            "-tls1_3",
            3,
            &[
                ("tls-no-cert", "refused"),
                ("tls-untrusted-cert", "refused"),
                ("tls-client-cert", "inconclusive"),
                ("plaintext-on-tls", "refused"),
            ][..],
        ),
        (
            &["-Verify", "1", "-verify_return_error"][..],
            "-tls1_2",
            0,
            &[
                ("tls-no-cert", "refused"),
                ("tls-untrusted-cert", "refused"),
                ("tls-client-cert", "accepted"),
                ("plaintext-on-tls", "refused"),
            ][..],
        ),
        (
            &["-Verify", "1"][..],
            "-tls1_2",
            1,
            &[
                ("tls-no-cert", "refused"),
                ("tls-untrusted-cert", "accepted"),
                ("tls-client-cert", "accepted"),
                ("plaintext-on-tls", "refused"),
            ][..],
        ),
        (
            &["-verify", "1"][..],
            "-tls1_2",
            1,
            &[
                ("tls-no-cert", "accepted"),
                ("tls-untrusted-cert", "accepted"),
                ("tls-client-cert", "accepted"),
                ("plaintext-on-tls", "refused"),
            ][..],
        ),
        (
            &["-verify", "1"][..],
            "-tls1_3",
            3,
            &[
                ("tls-no-cert", "inconclusive"),
                ("tls-untrusted-cert", "inconclusive"),
                ("tls-client-cert", "inconclusive"),
                ("plaintext-on-tls", "refused"),
            ][..],
        ),
    ] {
        let flag = flags.join(" ");
        let port = closed_port();
        let mut server = Command::new("openssl")
            .args([
                "s_server",
                "-accept",
                &format!("127.0.0.1:{port}"),
                tls,
                "-quiet",
            ])
            .args(flags)
            .args([
                "-cert",
                &pki.path("server.pem"),
                "-key",
                &pki.path("server.key"),
                "-CAfile",
                &pki.path("ca.pem"),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl is on the machine");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "openssl s_server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let (code, report, stderr) = probe(&[
            "--bootstrap",
            &format!("127.0.0.1:{port}"),
            "--listener",
            "tls",
            "--ca-bundle",
            &pki.path("ca.pem"),
            "--client-cert",
            &pki.path("client.pem"),
            "--client-key",
            &pki.path("client.key"),
        ]);
        let _ = server.kill();
        let _ = server.wait();
        assert_eq!(
            outcomes(&report),
            pairs(expected),
            "openssl s_server {flag} {tls}: {report} {stderr}"
        );
        assert_eq!(code, Some(expected_code), "{flag} {tls}: {report}");
        if flag == "-verify 1" {
            let expected = if tls == "-tls1_2" {
                "did not abort"
            } else {
                "look the same"
            };
            assert!(
                detail(&report, "tls-no-cert").contains(expected),
                "{report}"
            );
        }
    }
}

#[test]
fn a_cluster_arn_is_probed_on_every_endpoint_get_bootstrap_brokers_names() {
    let pki = Pki::new("cluster");
    let servers = Servers::new();
    let required = servers.tls(server_config(&pki, ClientAuth::Required, Version::Tls13));
    let emulator = Emulator::start();
    emulator.control(
        "/_e2e/bootstrap-brokers",
        json!({"arn": CLUSTER, "brokers": {
            "bootstrapBrokerStringTls": format!("127.0.0.1:{required},localhost:{required}"),
            "bootstrapBrokerStringSaslIam": format!("127.0.0.1:{}", closed_port()),
        }}),
    );
    let output = cli_against(&emulator, Some("us-east-1"))
        .args([
            "probe",
            "--cluster-arn",
            CLUSTER,
            "--ca-bundle",
            &pki.path("ca.pem"),
            "--format",
            "json",
        ])
        .args([
            "--client-cert",
            &pki.path("client.pem"),
            "--client-key",
            &pki.path("client.key"),
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert_eq!(report["target"], CLUSTER);
    let endpoints: Vec<(&str, &str, &str)> = report["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["endpoint"].as_str().unwrap(),
                e["listener"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        endpoints.len(),
        12,
        "4 attempts on the TLS endpoint by address, 6 on the one by name (2 without SNI), 2 on the SASL one: {report}"
    );
    assert!(endpoints
        .iter()
        .any(|(_, listener, outcome)| *listener == "sasl-iam" && *outcome == "closed"));
    let calls = emulator.calls_to("GetBootstrapBrokers");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0]["region"], "eu-west-1",
        "called in the cluster's region"
    );

    let unknown = cli_against(&emulator, Some("us-east-1"))
        .args([
            "probe",
            "--cluster-arn",
            &CLUSTER.replace("orders", "missing"),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(3));
    let stderr = String::from_utf8(unknown.stderr).unwrap();
    assert!(
        stderr.contains("GetBootstrapBrokers failed: NotFoundException"),
        "{stderr}"
    );
}

/// `--client-cert` with `--cluster-arn`: the control knock names the CA that issued the certificate
/// and whether the cluster trusts it (DescribeClusterV2's CA list, each CA's own certificate from
/// GetCertificateAuthorityCertificate, in the cluster's region).
#[test]
fn the_control_certificate_is_named_with_the_cluster_ca_that_issued_it() {
    let pki = Pki::new("control-issuer");
    let tree = Hierarchy::new(&pki);
    let servers = Servers::new();
    let trusts_a = servers.tls(server_config_trusting(
        &pki,
        tree.sub_a.clone(),
        Version::Tls13,
    ));
    let emulator = Emulator::start();
    let ca = |request: Value| {
        emulator.control("/_e2e/private-ca", request)["arn"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let sub_a = std::fs::read_to_string(pki.path("sub-a.pem")).unwrap();
    let team_a = ca(json!({"region": "eu-west-1", "days": 400, "certificatePem": sub_a}));
    let other = ca(json!({"region": "eu-west-1", "days": 400}));
    let control_detail = |cas: Vec<&str>| {
        emulator.control(
            "/_e2e/bootstrap-brokers",
            json!({"arn": CLUSTER, "brokers": {"bootstrapBrokerStringTls": format!("127.0.0.1:{trusts_a}")},
                   "certificateAuthorities": cas}),
        );
        let output = cli_against(&emulator, Some("us-east-1"))
            .args([
                "probe",
                "--cluster-arn",
                CLUSTER,
                "--ca-bundle",
                &pki.path("ca.pem"),
                "--format",
                "json",
            ])
            .args([
                "--client-cert",
                &pki.path("client-a-chain.pem"),
                "--client-key",
                &pki.path("client-a.key"),
            ])
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(output.status.code(), Some(0), "{report}");
        detail(&report, "tls-client-cert").to_owned()
    };
    let said = control_detail(vec![&other, &team_a]);
    assert!(
        said.ends_with(&format!("the certificate was issued by CN=team A subordinate CA: CA {team_a}, in the cluster's list")),
        "{said}"
    );
    let said = control_detail(vec![&other]);
    assert!(
        said.contains("which is none of the cluster's 1 CA(s)"),
        "{said}"
    );
    let reads = emulator.calls_to("GetCertificateAuthorityCertificate");
    assert!(
        !reads.is_empty() && reads.iter().all(|call| call["region"] == "eu-west-1"),
        "{reads:?}"
    );
}

/// Each cluster's GetBootstrapBrokers answer in the emulator: one TLS endpoint on loopback.
fn tls_brokers(emulator: &Emulator, clusters: &[(&str, u16)]) {
    for (arn, port) in clusters {
        emulator.control(
            "/_e2e/bootstrap-brokers",
            json!({"arn": arn, "brokers": {"bootstrapBrokerStringTls": format!("127.0.0.1:{port}")}}),
        );
    }
}

/// The scheduled probe function under the Runtime API, the test CA as the system's roots
/// (`SSL_CERT_FILE`), each attempt bounded by `timeout_ms`, with `env` besides.
fn probe_function(
    runtime: &RuntimeApi,
    emulator: &Emulator,
    pki: &Pki,
    timeout_ms: &str,
    env: &[(&str, &str)],
) -> Function {
    let ca = pki.path("ca.pem");
    let mut all = vec![
        ("MSK_MTLS_RULE_HANDLER", "probe"),
        ("SSL_CERT_FILE", ca.as_str()),
        ("PROBE_TIMEOUT_MS", timeout_ms),
    ];
    all.extend_from_slice(env);
    Function::start_command(
        Command::new(harness::probe_binary()),
        runtime,
        emulator,
        &all,
    )
}

/// The scheduled probe function: its own binary under the Runtime API, with
/// `MSK_MTLS_RULE_HANDLER=probe` as its stack sets it, the test CA as the system's roots
/// (`SSL_CERT_FILE`).
#[test]
fn the_scheduled_probe_function_writes_a_metrics_line_per_cluster() {
    let pki = Pki::new("function");
    let servers = Servers::new();
    let required = servers.tls(server_config(&pki, ClientAuth::Required, Version::Tls13));
    let requested = servers.tls(server_config(&pki, ClientAuth::Requested, Version::Tls12));
    let emulator = Emulator::start();
    let open = CLUSTER.replace("orders", "clickstream");
    tls_brokers(&emulator, &[(CLUSTER, required), (&open, requested)]);
    let runtime = RuntimeApi::start();
    let function = probe_function(&runtime, &emulator, &pki, READ_TIMEOUT_MS, &[]);
    let answer = response(runtime.invoke(
        &json!({"clusterArns": [CLUSTER, open]}),
        Duration::from_secs(60),
    ));
    let verdicts: Vec<&str> = answer["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["ENFORCED", "NOT_ENFORCED"], "{answer}");
    // A line per cluster and the run's line.
    let metrics: Vec<Value> = metrics_once(&function, 3);
    let logs = function.logs();
    let metrics: Vec<Value> = metrics
        .into_iter()
        .filter(|line| line.get("ClusterName").is_some())
        .collect();
    let by_cluster: Vec<(&str, u64, u64, u64)> = metrics
        .iter()
        .map(|m| {
            (
                m["ClusterName"].as_str().unwrap(),
                m["ProbeRefusalsConfirmed"].as_u64().unwrap(),
                m["ProbeDoorsOpen"].as_u64().unwrap(),
                m["ProbeInconclusive"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_cluster,
        [("orders", 2, 0, 0), ("clickstream", 1, 1, 0)],
        "{logs}"
    );
    assert_eq!(
        metrics[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["ClusterName"], []])
    );
    assert!(!logs.contains("e2e-secret-access-key"), "{logs}");

    let error = runtime.invoke(
        &json!({"clusterArns": ["not-an-arn"]}),
        Duration::from_secs(10),
    );
    assert!(format!("{error:?}").contains("InvalidEvent"), "{error:?}");
}

/// The function's metrics lines once there are `count` of them (or what there is after 5 s): the
/// runtime hears the answer before the test reads the process's log.
fn metrics_once(function: &Function, count: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let metrics = metrics_lines(&function.logs());
        if metrics.len() >= count || started.elapsed() > Duration::from_secs(5) {
            return metrics;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn metrics_lines(logs: &str) -> Vec<Value> {
    logs.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect()
}

/// What the stack's parameters give the function: clusters listed by tag (provisioned ones only),
/// the private endpoints knocked on and the others named as not knocked, and the rule's allowed
/// SASL mechanisms, whose ports are then no door.
#[test]
fn the_scheduled_probe_lists_clusters_by_tag_and_knocks_on_what_its_vpc_reaches() {
    let pki = Pki::new("listed");
    let servers = Servers::new();
    let required = servers.tls(server_config(&pki, ClientAuth::Required, Version::Tls13));
    let open = servers.tls(server_config(&pki, ClientAuth::Requested, Version::Tls13));
    let sasl = servers.tls_then_hang_up(server_config(&pki, ClientAuth::None, Version::Tls13));
    let emulator = Emulator::start();
    let arns: Vec<String> = emulator.control(
        "/_e2e/clusters",
        json!({"clusters": [
            {"name": "orders", "tags": {"probe": "yes"}},
            {"name": "legacy", "tags": {"probe": "no"}},
            {"name": "untagged"},
            {"name": "events", "serverless": true, "tags": {"probe": "yes"}},
        ]}),
    )["arns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arn| arn.as_str().unwrap().to_owned())
        .collect();
    for arn in &arns {
        emulator.control(
            "/_e2e/bootstrap-brokers",
            json!({"arn": arn, "brokers": {
                "bootstrapBrokerStringTls": format!("127.0.0.1:{required}"),
                "bootstrapBrokerStringSaslIam": format!("localhost:{sasl}"),
                "bootstrapBrokerStringPublicTls": format!("localhost:{open}"),
            }}),
        );
    }
    let event = json!({"listClusters": {"tagKey": "probe", "tagValue": "yes"}});
    let run = |env: &[(&str, &str)]| {
        let runtime = RuntimeApi::start();
        let function = probe_function(&runtime, &emulator, &pki, READ_TIMEOUT_MS, env);
        let answer = response(runtime.invoke(&event, Duration::from_secs(60)));
        // The cluster's line and the run's, once the process has written them.
        metrics_once(&function, 2);
        (answer, function.logs())
    };

    let (answer, logs) = run(&[("ALLOWED_SASL_MECHANISMS", "IAM")]);
    let clusters = answer["clusters"].as_array().unwrap();
    assert_eq!(
        clusters.len(),
        1,
        "orders alone is provisioned and tagged: {answer}"
    );
    let orders = &clusters[0];
    assert_eq!(orders["target"], arns[0].as_str());
    assert_eq!(orders["verdict"], "ENFORCED", "{orders}");
    assert_eq!(orders["notKnocked"], json!({"public": 1}));
    assert!(
        orders["reason"]
            .as_str()
            .unwrap()
            .contains("not knocked on"),
        "{orders}"
    );
    let metrics = metrics_lines(&logs);
    let run_line = metrics
        .iter()
        .find(|m| m.get("ProbeRuns").is_some())
        .unwrap();
    assert_eq!(
        (
            run_line["ProbeRuns"].as_u64(),
            run_line["ProbeClusters"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(emulator.calls_to("ListClustersV2").len(), 1);

    // The same cluster where the rule allows no SASL mechanism: its SASL/IAM port is a door.
    let (answer, _) = run(&[("ALLOWED_SASL_MECHANISMS", "")]);
    assert_eq!(answer["clusters"][0]["verdict"], "NOT_ENFORCED", "{answer}");
    // Every network asked for: the public endpoint lets a client in.
    let (answer, _) = run(&[
        ("ALLOWED_SASL_MECHANISMS", "IAM"),
        ("PROBE_NETWORKS", "private,public"),
    ]);
    let orders = &answer["clusters"][0];
    assert_eq!(orders["verdict"], "NOT_ENFORCED", "{orders}");
    assert_eq!(orders["notKnocked"], json!({}));
}

/// Clusters are probed a few at once, and the function answers before its deadline with every
/// cluster reported: the ones not done are INCONCLUSIVE, so each still gets its metric.
#[test]
fn the_scheduled_probe_answers_before_its_deadline_with_every_cluster() {
    let pki = Pki::new("deadline");
    let servers = Servers::new();
    let required = servers.tls(server_config(&pki, ClientAuth::Required, Version::Tls13));
    let silent = servers.silent();
    let emulator = Emulator::start();
    let slow = CLUSTER.replace("orders", "slow");
    tls_brokers(&emulator, &[(&slow, silent), (CLUSTER, required)]);
    let runtime = RuntimeApi::start();
    let function = probe_function(&runtime, &emulator, &pki, "60000", &[]);
    runtime.wait_for_first_poll(Duration::from_secs(30));
    let (outcome, took) = runtime.invoke_timed(
        &json!({"clusterArns": [slow, CLUSTER]}),
        Duration::from_secs(4),
    );
    let answer = response(outcome);
    assert!(took < Duration::from_secs(4), "answered in {took:?}");
    let verdicts: Vec<(&str, &str)> = answer["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["verdict"].as_str().unwrap(),
                c["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(verdicts.len(), 2, "{answer}");
    assert_eq!(verdicts[0].0, "INCONCLUSIVE");
    assert!(verdicts[0].1.contains("deadline"), "{answer}");
    assert_eq!(
        verdicts[1].0, "ENFORCED",
        "probed beside the slow one: {answer}"
    );
    // The answer is posted before its log lines are read from the process: wait for both lines.
    let metrics = metrics_once(&function, 2);
    let inconclusive: Vec<u64> = metrics
        .iter()
        .filter_map(|m| m["ProbeInconclusive"].as_u64())
        .collect();
    assert_eq!(inconclusive, [1, 0]);
}

/// A real ZooKeeper (3.8.0 on Java 17): a session opened in plaintext, or over TLS with no
/// certificate, is an open door (NOT_ENFORCED); a TLS port that needs a certificate refuses.
#[test]
fn a_zookeeper_that_opens_a_session_without_a_certificate_is_an_open_door() {
    let pki = Pki::new("zookeeper");
    let needs = ZooKeeper::start(&pki, "need");
    let open = ZooKeeper::start(&pki, "none");
    let knock = |port: u16, listener: &str| {
        probe(&[
            "--bootstrap",
            &format!("127.0.0.1:{port}"),
            "--listener",
            listener,
            "--ca-bundle",
            &pki.path("ca.pem"),
        ])
    };

    let (code, report, _) = knock(needs.port, "zookeeper");
    assert_eq!(outcomes(&report), pairs(&[("zookeeper", "accepted")]));
    assert_eq!(code, Some(1), "{report}");
    assert!(
        detail(&report, "zookeeper").starts_with("ZooKeeper opened session 0x"),
        "{report}"
    );
    assert!(
        report["reason"].as_str().unwrap().contains("by zookeeper"),
        "{report}"
    );

    let (code, report, _) = knock(needs.tls_port, "zookeeper-tls");
    assert_eq!(
        outcomes(&report),
        pairs(&[("zookeeper-tls-no-cert", "refused")]),
        "{report}"
    );
    assert!(
        detail(&report, "zookeeper-tls-no-cert").contains("alert"),
        "{report}"
    );
    assert_eq!(
        code,
        Some(3),
        "no broker's TLS listener was knocked on: {report}"
    );

    let (code, report, _) = knock(open.tls_port, "zookeeper-tls");
    assert_eq!(
        outcomes(&report),
        pairs(&[("zookeeper-tls-no-cert", "accepted")]),
        "{report}"
    );
    assert_eq!(code, Some(1), "{report}");

    // A TLS knock on the plaintext port, and a plaintext one on the TLS port: neither is a session.
    let (_, report, _) = knock(open.port, "zookeeper-tls");
    assert_ne!(outcomes(&report)[0].1, "accepted", "{report}");
    let (_, report, _) = knock(open.tls_port, "zookeeper");
    assert_ne!(outcomes(&report)[0].1, "accepted", "{report}");
}

/// A cluster ARN: the ZooKeeper nodes DescribeClusterV2 lists are knocked on beside the brokers
/// (both read at once), and a ZooKeeper that opens a session makes the cluster NOT_ENFORCED however
/// well its brokers refuse.
#[test]
fn a_zookeeper_mode_clusters_zookeeper_nodes_are_knocked_on_beside_its_brokers() {
    let pki = Pki::new("cluster-zookeeper");
    let servers = Servers::new();
    let required = servers.tls(server_config(&pki, ClientAuth::Required, Version::Tls13));
    let zookeeper = ZooKeeper::start(&pki, "need");
    let emulator = Emulator::start();
    emulator.control(
        "/_e2e/bootstrap-brokers",
        json!({"arn": CLUSTER, "brokers": {"bootstrapBrokerStringTls": format!("127.0.0.1:{required}")}}),
    );
    emulator.control(
        "/_e2e/zookeeper-nodes",
        json!({"arn": CLUSTER, "nodes": {
            "zookeeperConnectString": format!("127.0.0.1:{}", zookeeper.port),
            "zookeeperConnectStringTls": format!("127.0.0.1:{}", zookeeper.tls_port),
        }}),
    );
    let output = cli_against(&emulator, Some("us-east-1"))
        .args([
            "probe",
            "--cluster-arn",
            CLUSTER,
            "--ca-bundle",
            &pki.path("ca.pem"),
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{report}");
    let by_listener = |listener: &str| -> Vec<String> {
        report["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["listener"] == listener)
            .map(|e| e["outcome"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(by_listener("zookeeper"), ["accepted"], "{report}");
    assert_eq!(by_listener("zookeeper-tls"), ["refused"], "{report}");
    assert!(
        by_listener("tls").iter().all(|o| o == "refused"),
        "{report}"
    );
    assert_eq!(emulator.calls_to("DescribeClusterV2").len(), 1);
}

/// Runs tests/e2e/validate_findings.py on `document` (a JSON array of findings).
fn valid_findings(kind: &str, document: &[u8]) -> String {
    let file =
        std::env::temp_dir().join(format!("probe-findings-{}-{kind}.json", std::process::id()));
    std::fs::write(&file, document).unwrap();
    let output = Command::new(harness::python())
        .arg(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/validate_findings.py"),
        )
        .args([kind, file.to_str().unwrap()])
        .output()
        .unwrap();
    let said = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{kind}: {said}");
    said
}

#[test]
fn the_probes_finding_carries_its_knocks_and_is_updated_in_place_in_security_hub() {
    let pki = Pki::new("finding");
    let servers = Servers::new();
    let requested = servers.tls(server_config(&pki, ClientAuth::Requested, Version::Tls13));
    let required = servers.tls(server_config(&pki, ClientAuth::Required, Version::Tls13));
    let emulator = Emulator::start();
    let knock = |port: u16, format: &str| {
        tls_brokers(&emulator, &[(CLUSTER, port)]);
        cli_against(&emulator, Some("us-east-1"))
            .args([
                "probe",
                "--cluster-arn",
                CLUSTER,
                "--ca-bundle",
                &pki.path("ca.pem"),
            ])
            .args([
                "--format",
                format,
                "--security-hub",
                "--read-timeout",
                READ_TIMEOUT_MS,
            ])
            .output()
            .unwrap()
    };
    let held = || {
        emulator.control(
            "/_e2e/security-hub-findings",
            json!({"account": "123456789012", "region": "eu-west-1"}),
        )["findings"]
            .as_array()
            .unwrap()
            .clone()
    };

    let open = knock(requested, "asff");
    let said = String::from_utf8(open.stderr.clone()).unwrap();
    assert_eq!(open.status.code(), Some(1), "NOT_ENFORCED, sent: {said}");
    assert!(
        said.contains("region eu-west-1: 1 of 1 findings taken"),
        "{said}"
    );
    valid_findings("asff", &open.stdout);
    let findings: Vec<Value> = serde_json::from_slice(&open.stdout).unwrap();
    let finding = &findings[0];
    assert_eq!(
        finding["Id"],
        format!("123456789012/eu-west-1/{CLUSTER}/probe")
    );
    assert_eq!(finding["GeneratorId"], "msk-mtls-rule/probe");
    assert_eq!(finding["Compliance"]["Status"], "FAILED");
    assert_eq!(
        finding["FindingProviderFields"]["Severity"]["Label"],
        "HIGH"
    );
    let first_knock = finding["ProductFields"]["msk-mtls-rule/Knock/01"]
        .as_str()
        .unwrap();
    assert!(
        first_knock.contains(": accepted"),
        "who was let in comes first: {first_knock}"
    );
    let stored = held();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["Compliance"]["Status"], "FAILED");
    let created = stored[0]["CreatedAt"].clone();

    // mTLS turned on: the same finding, PASSED, first made when it was.
    let shut = knock(required, "ocsf");
    assert_eq!(
        shut.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&shut.stderr)
    );
    valid_findings("ocsf", &shut.stdout);
    let events: Vec<Value> = serde_json::from_slice(&shut.stdout).unwrap();
    assert_eq!(events[0]["compliance"]["status_id"], 1);
    assert!(events[0]["evidences"].as_array().unwrap().iter().all(|e| {
        let seen = e["data"]["seen"].as_str().unwrap();
        !seen.contains("tls-no-cert: accepted")
    }));
    let stored = held();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["Compliance"]["Status"], "PASSED");
    assert_eq!(stored[0]["CreatedAt"], created);

    // Endpoints without a cluster name no cluster: a usage error before any knock.
    let endpoints = Command::new(binary())
        .args([
            "probe",
            "--bootstrap",
            &format!("127.0.0.1:{required}"),
            "--format",
            "asff",
        ])
        .output()
        .unwrap();
    assert_eq!(endpoints.status.code(), Some(2));
}

/// The scheduled probe function with `SECURITY_HUB_FINDINGS=true` (the stack's
/// SendsFindingsToSecurityHub): each cluster's finding sent to Security Hub in the function's own
/// account and region, updated in place at the next run; a cluster elsewhere, or Security Hub not
/// enabled, fails the run by name (the function's Errors alarm) after its metrics are written.
#[test]
fn the_scheduled_probe_function_sends_its_findings_to_security_hub() {
    let pki = Pki::new("function-hub");
    let servers = Servers::new();
    let required = servers.tls(server_config(&pki, ClientAuth::Required, Version::Tls13));
    let requested = servers.tls(server_config(&pki, ClientAuth::Requested, Version::Tls13));
    let emulator = Emulator::start();
    // The function runs in us-east-1, account 123456789012 (its ARN, as the Runtime API gives it).
    let orders = CLUSTER.replace("eu-west-1", "us-east-1");
    let clickstream = orders.replace("orders", "clickstream");
    tls_brokers(&emulator, &[(&orders, required), (&clickstream, requested)]);
    let runtime = RuntimeApi::start();
    let function = probe_function(
        &runtime,
        &emulator,
        &pki,
        READ_TIMEOUT_MS,
        &[("SECURITY_HUB_FINDINGS", "true")],
    );
    let held = || {
        emulator.control(
            "/_e2e/security-hub-findings",
            json!({"account": "123456789012", "region": "us-east-1"}),
        )["findings"]
            .as_array()
            .unwrap()
            .clone()
    };
    let status_of = |findings: &[Value], cluster: &str| {
        findings
            .iter()
            .find(|f| f["Id"] == format!("123456789012/us-east-1/{cluster}/probe"))
            .map(|f| {
                (
                    f["Compliance"]["Status"].as_str().unwrap().to_owned(),
                    f["CreatedAt"].clone(),
                )
            })
            .unwrap_or_else(|| panic!("no finding of {cluster}: {findings:?}"))
    };
    let answer = response(runtime.invoke(
        &json!({"clusterArns": [orders, clickstream]}),
        Duration::from_secs(60),
    ));
    assert_eq!(answer["clusters"].as_array().unwrap().len(), 2, "{answer}");
    let stored = held();
    assert_eq!(stored.len(), 2, "{stored:?}");
    let (status, created) = status_of(&stored, &orders);
    assert_eq!(status, "PASSED");
    let (status, clickstream_created) = status_of(&stored, &clickstream);
    assert_eq!(status, "FAILED");
    assert!(
        function
            .logs()
            .contains("region us-east-1: 2 of 2 findings taken"),
        "{}",
        function.logs()
    );
    let calls: Vec<Value> = ["GetFindings", "BatchImportFindings"]
        .iter()
        .flat_map(|operation| emulator.calls_to(operation))
        .collect();
    assert!(
        calls.iter().all(|call| call["region"] == "us-east-1"),
        "{calls:?}"
    );
    // What the function calls is what deploy/probe.yaml grants with SendsFindingsToSecurityHub.
    let called: std::collections::BTreeSet<String> = calls
        .iter()
        .map(|c| format!("securityhub:{}", c["operation"].as_str().unwrap()))
        .collect();
    assert_eq!(called, harness::security_hub_grants("deploy/probe.yaml"));

    // clickstream's brokers now refuse too: the same finding, PASSED, first made when it was. A
    // cluster of another region is named, and the run fails once its metrics are written.
    tls_brokers(&emulator, &[(&clickstream, required), (CLUSTER, required)]);
    let failed = runtime.invoke(
        &json!({"clusterArns": [orders, clickstream, CLUSTER]}),
        Duration::from_secs(60),
    );
    let error = format!("{failed:?}");
    assert!(
        error.contains("BatchImportFindings")
            && error.contains(&format!(
                "{CLUSTER} is in account 123456789012 region eu-west-1"
            )),
        "{error}"
    );
    let stored = held();
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert_eq!(
        status_of(&stored, &clickstream),
        ("PASSED".to_owned(), clickstream_created)
    );
    assert_eq!(status_of(&stored, &orders).1, created, "updated in place");
    let runs = metrics_lines(&function.logs())
        .into_iter()
        .filter(|line| line.get("ClusterName").is_none() && line.get("ProbeRuns").is_some())
        .count();
    assert_eq!(
        runs,
        2,
        "both runs wrote their heartbeat: {}",
        function.logs()
    );

    // Security Hub not enabled here: not sent, said, and the run fails.
    emulator.control(
        "/_e2e/security-hub",
        json!({"disabled": [["123456789012", "us-east-1"]]}),
    );
    let failed = runtime.invoke(&json!({"clusterArns": [orders]}), Duration::from_secs(60));
    assert!(
        format!("{failed:?}").contains("not sent (Security Hub not enabled)"),
        "{failed:?}"
    );
    assert!(!function.logs().contains("e2e-secret-access-key"));
}
