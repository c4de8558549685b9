//! `msk-mtls-rule probe`'s arguments, checked (files read) before any connection.

use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::app::flags::Flags;
use crate::probe::endpoints::{parse_bootstrap, Endpoint, Listener, Network};
use crate::probe::knock::Identity;
use crate::rule::params::SaslMechanism;

pub const USAGE: &str = "       msk-mtls-rule probe (--cluster-arn ARN [--networks private,public,multi-vpc,ipv6]
                            | --bootstrap HOST:PORT[,...] [--listener plaintext|tls|sasl-scram|sasl-iam])
                           [--ca-bundle FILE] [--client-cert FILE --client-key FILE] [--allow-sasl IAM,SCRAM]
                           [--connect-timeout MS] [--read-timeout MS] [--format text|json]
                                              knock on the brokers: no certificate, an untrusted one, and
                                              (control) yours; exit 0 ENFORCED, 1 NOT_ENFORCED,
                                              3 INCONCLUSIVE, 2 usage";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Cluster(String),
    Endpoints(Vec<Endpoint>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

pub struct ProbeRequest {
    pub target: Target,
    /// Roots to verify brokers with: these, or the system's when `None`.
    pub ca_bundle: Option<Vec<CertificateDer<'static>>>,
    pub control: Option<Identity>,
    pub allowed_sasl: Vec<SaslMechanism>,
    /// A cluster's endpoints knocked on: those of these networks (every one unless narrowed).
    pub networks: Vec<Network>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub format: Format,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

pub fn parse_probe_args(args: &[String]) -> Result<ProbeRequest, String> {
    let flags = Flags::read(
        "probe",
        args,
        &[
            "--cluster-arn",
            "--bootstrap",
            "--listener",
            "--networks",
            "--ca-bundle",
            "--client-cert",
            "--client-key",
            "--allow-sasl",
            "--connect-timeout",
            "--read-timeout",
            "--format",
        ],
        &[],
    )?
    .no_positional("probe")?;
    let value = |flag: &str| flags.value(flag);

    let listener = value("--listener")
        .map(|text| {
            Listener::parse(text).ok_or_else(|| {
                format!(
                    "probe: --listener {text:?} is not one of plaintext, tls, sasl-scram, sasl-iam"
                )
            })
        })
        .transpose()?;
    let target = match (value("--cluster-arn"), value("--bootstrap")) {
        (Some(arn), None) if listener.is_none() => {
            if !is_cluster_arn(arn) {
                return Err(format!("probe: --cluster-arn {arn:?} is not an MSK cluster ARN (arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/ID)"));
            }
            Target::Cluster(arn.to_owned())
        }
        (Some(_), None) => {
            return Err(
                "probe: --listener goes with --bootstrap; --cluster-arn names every listener"
                    .into(),
            )
        }
        (None, Some(list)) => Target::Endpoints(
            parse_bootstrap(list, listener).map_err(|e| format!("probe: --bootstrap {e}"))?,
        ),
        (Some(_), Some(_)) => {
            return Err("probe: --cluster-arn and --bootstrap exclude each other".into())
        }
        (None, None) => return Err("probe: give --cluster-arn ARN or --bootstrap HOST:PORT".into()),
    };
    let networks = match (value("--networks"), &target) {
        (None, _) => Network::ALL.to_vec(),
        (Some(list), Target::Cluster(_)) => {
            Network::parse_list(list).map_err(|e| format!("probe: --networks {e}"))?
        }
        (Some(_), Target::Endpoints(_)) => {
            return Err(
                "probe: --networks goes with --cluster-arn; --bootstrap names the endpoints".into(),
            )
        }
    };
    let ca_bundle = value("--ca-bundle")
        .map(|path| certificates("--ca-bundle", path))
        .transpose()?;
    let control = match (value("--client-cert"), value("--client-key")) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(Identity {
            chain: certificates("--client-cert", cert)?,
            key: PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("probe: --client-key {key}: {e}"))?,
        }),
        _ => return Err("probe: --client-cert and --client-key go together".into()),
    };
    let allowed_sasl = match value("--allow-sasl") {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|item| match item.trim().to_ascii_uppercase().as_str() {
                "IAM" => Ok(SaslMechanism::Iam),
                "SCRAM" => Ok(SaslMechanism::Scram),
                _ => Err(format!("probe: --allow-sasl {item:?} is not IAM or SCRAM")),
            })
            .collect::<Result<_, _>>()?,
    };
    let millis = |flag: &str| -> Result<Duration, String> {
        match value(flag) {
            None => Ok(DEFAULT_TIMEOUT),
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|ms| (1..=60_000).contains(ms))
                .map(Duration::from_millis)
                .ok_or_else(|| format!("probe: {flag} {text:?} is not a whole number of milliseconds from 1 to 60000")),
        }
    };
    let format = match value("--format") {
        None | Some("text") => Format::Text,
        Some("json") => Format::Json,
        Some(other) => {
            return Err(format!(
                "probe: --format {other:?} is not one of text, json"
            ))
        }
    };
    Ok(ProbeRequest {
        target,
        ca_bundle,
        control,
        allowed_sasl,
        networks,
        connect_timeout: millis("--connect-timeout")?,
        read_timeout: millis("--read-timeout")?,
        format,
    })
}

/// The PEM certificates in the file given to `flag`; none is an error.
fn certificates(flag: &str, path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect())
        .map_err(|e| format!("probe: {flag} {path}: {e}"))?;
    if certificates.is_empty() {
        return Err(format!("probe: {flag} {path} holds no PEM certificate"));
    }
    Ok(certificates)
}

/// `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>`.
pub fn is_cluster_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), [arn, partition, "kafka", region, account, resource]
        if *arn == "arn"
            && partition.starts_with("aws")
            && !region.is_empty()
            && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("cluster/").is_some_and(|rest| rest.split('/').count() == 2 && !rest.contains("//")))
}

/// The region in a cluster ARN.
pub fn region_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<ProbeRequest, String> {
        parse_probe_args(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn a_cluster_or_endpoints_with_defaults() {
        let arn = "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";
        let request = parse(&["--cluster-arn", arn]).unwrap();
        assert_eq!(request.target, Target::Cluster(arn.into()));
        assert_eq!(
            request.networks,
            Network::ALL,
            "a command knocks on every network"
        );
        assert_eq!(
            parse(&["--cluster-arn", arn, "--networks", "private,ipv6"])
                .unwrap()
                .networks,
            [Network::Private, Network::Ipv6]
        );
        assert_eq!(region_of(arn), Some("eu-west-1"));
        assert_eq!(
            (request.connect_timeout, request.read_timeout),
            (DEFAULT_TIMEOUT, DEFAULT_TIMEOUT)
        );
        assert!(request.control.is_none() && request.ca_bundle.is_none());
        let request = parse(&[
            "--bootstrap=127.0.0.1:1234",
            "--listener",
            "tls",
            "--read-timeout",
            "250",
            "--format",
            "json",
            "--allow-sasl",
            "iam",
        ])
        .unwrap();
        assert!(matches!(&request.target, Target::Endpoints(e) if e[0].listener == Listener::Tls));
        assert_eq!(request.read_timeout, Duration::from_millis(250));
        assert_eq!(request.format, Format::Json);
        assert_eq!(request.allowed_sasl, vec![SaslMechanism::Iam]);
    }

    #[test]
    fn a_control_certificate_and_both_sasl_mechanisms() {
        let dir = std::env::temp_dir().join(format!("msk-probe-args-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let (cert_path, key_path) = (dir.join("client.pem"), dir.join("client.key"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        let request = parse(&[
            "--bootstrap",
            "b-1:9094",
            "--client-cert",
            cert_path.to_str().unwrap(),
            "--client-key",
            key_path.to_str().unwrap(),
            "--allow-sasl",
            "IAM, scram",
        ])
        .unwrap();
        assert_eq!(request.control.map(|control| control.chain.len()), Some(1));
        assert_eq!(
            request.allowed_sasl,
            vec![SaslMechanism::Iam, SaslMechanism::Scram]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_bad_argument_is_refused_by_name() {
        for (args, named) in [
            (&["--bootstrap"][..], "--bootstrap needs a value"),
            (&[][..], "give --cluster-arn"),
            (
                &[
                    "--cluster-arn",
                    "arn:aws:kafka:eu-west-1:123456789012:topic/x/y",
                ][..],
                "not an MSK cluster ARN",
            ),
            (
                &[
                    "--cluster-arn",
                    "arn:aws:kafka:eu-west-1:123456789012:cluster/x/y",
                    "--listener",
                    "tls",
                ][..],
                "--listener goes with --bootstrap",
            ),
            (
                &["--bootstrap", "b:9094", "--cluster-arn", "x"][..],
                "exclude each other",
            ),
            (&["--bootstrap", "b:1234"][..], "give --listener"),
            (
                &["--bootstrap", "b:9094", "--listener", "ssl"][..],
                "\"ssl\"",
            ),
            (
                &["--bootstrap", "b:9094", "--client-cert", "c.pem"][..],
                "go together",
            ),
            (
                &[
                    "--bootstrap",
                    "b:9094",
                    "--ca-bundle",
                    "/nonexistent/ca.pem",
                ][..],
                "--ca-bundle /nonexistent/ca.pem",
            ),
            (
                &["--bootstrap", "b:9094", "--allow-sasl", "PLAIN"][..],
                "\"PLAIN\"",
            ),
            (
                &["--bootstrap", "b:9094", "--read-timeout", "0"][..],
                "from 1 to 60000",
            ),
            (
                &["--bootstrap", "b:9094", "--format", "yaml"][..],
                "\"yaml\"",
            ),
            (
                &["--bootstrap", "b:9094", "--bootstrap", "c:9094"][..],
                "given twice",
            ),
            (&["--port", "1"][..], "unknown argument"),
            (
                &["--bootstrap", "b:9094", "--networks", "private"][..],
                "--networks goes with --cluster-arn",
            ),
            (
                &[
                    "--cluster-arn",
                    "arn:aws:kafka:eu-west-1:123456789012:cluster/a/b",
                    "--networks",
                    "lan",
                ][..],
                "--networks \"lan\" is not one of",
            ),
        ] {
            let error = parse(args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} must be refused"));
            assert!(error.contains(named), "{args:?}: {error}");
        }
    }
}
