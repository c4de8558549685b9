//! `msk-mtls-rule probe`: its flags (files read before any connection) and its report.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use serde_json::json;

use crate::aws::ports::Directory;
use crate::aws::sdk::AwsAccount;
use crate::cli::{usage_error, List};
use crate::error::exit;
use crate::findings::probe::{self as probe_finding, probed};
use crate::findings::send::{send_probe_findings, Delivery, Here, HubDelivery};
use crate::findings::{asff, ocsf};
use crate::logging;
use crate::probe::certificate::named;
use crate::probe::endpoints::{parse_bootstrap, Listener, Network};
use crate::probe::issuer::control_issuer;
use crate::probe::knock::Identity;
use crate::probe::run::probe;
use crate::probe::{Attempt, ProbeReport, ProbeRequest, Target};
use crate::rule::arn::ClusterArn;
use crate::rule::params::SaslMechanism;
use crate::rule::time::Timestamp;

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The cluster whose brokers (and ZooKeeper nodes, in ZooKeeper mode) are knocked on, as MSK
    /// lists them
    #[arg(long, value_name = "ARN", value_parser = cluster_arn)]
    cluster_arn: Option<ClusterArn>,
    /// With --cluster-arn: the networks whose endpoints are knocked on [default: every one]
    #[arg(long, value_name = "private,public,multi-vpc,ipv6", value_parser = networks)]
    networks: Option<List<Network>>,
    /// Brokers to knock on instead of a cluster's
    #[arg(long, value_name = "HOST:PORT[,...]")]
    bootstrap: Option<String>,
    /// With --bootstrap: the listener behind every port [default: told by MSK's port numbers]
    #[arg(long, value_enum)]
    listener: Option<ListenerArg>,
    /// Roots to verify the brokers with (PEM) [default: the system's]
    #[arg(long, value_name = "FILE")]
    ca_bundle: Option<String>,
    /// A certificate the brokers should accept (PEM), the control knock, with --client-key
    #[arg(long, value_name = "FILE", requires = "client_key")]
    client_cert: Option<String>,
    /// The control certificate's private key (PEM)
    #[arg(long, value_name = "FILE", requires = "client_cert")]
    client_key: Option<String>,
    /// A certificate the brokers must refuse (PEM, its chain after it): the old CA's after a
    /// rotation, another team's, an expired one; with --refused-key, repeatable (paired in order)
    #[arg(long, value_name = "FILE", requires = "refused_key")]
    refused_cert: Vec<String>,
    /// The private key of the --refused-cert in the same place (PEM)
    #[arg(long, value_name = "FILE", requires = "refused_cert")]
    refused_key: Vec<String>,
    /// SASL mechanisms allowed beside mTLS, as the rule's allowedSaslMechanisms
    #[arg(long, value_name = "IAM,SCRAM", value_parser = sasl_mechanisms)]
    allow_sasl: Option<List<SaslMechanism>>,
    /// Milliseconds to wait for a connection (1 to 60000)
    #[arg(long, value_name = "MS", value_parser = millis, default_value = "5000")]
    connect_timeout: Duration,
    /// Milliseconds to wait for an answer (1 to 60000)
    #[arg(long, value_name = "MS", value_parser = millis, default_value = "5000")]
    read_timeout: Duration,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Send the probe's finding (ASFF) to AWS Security Hub in the cluster's account and region,
    /// updated in place; needs --cluster-arn
    #[arg(long)]
    security_hub: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    /// The probe as one AWS Security Finding Format finding, the knocks its evidence (a JSON
    /// array); needs --cluster-arn
    Asff,
    /// The same as an OCSF 1.5 Compliance Finding (a JSON array); needs --cluster-arn
    Ocsf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListenerArg {
    Plaintext,
    Tls,
    SaslScram,
    SaslIam,
    /// A ZooKeeper node's plaintext client port (MSK: 2181)
    Zookeeper,
    /// A ZooKeeper node's TLS client port (MSK: 2182)
    ZookeeperTls,
}

impl From<ListenerArg> for Listener {
    fn from(listener: ListenerArg) -> Self {
        match listener {
            ListenerArg::Plaintext => Listener::Plaintext,
            ListenerArg::Tls => Listener::Tls,
            ListenerArg::SaslScram => Listener::SaslScram,
            ListenerArg::SaslIam => Listener::SaslIam,
            ListenerArg::Zookeeper => Listener::ZooKeeper,
            ListenerArg::ZookeeperTls => Listener::ZooKeeperTls,
        }
    }
}

/// Prints the probe's report; the exit status is its verdict's.
pub async fn run(args: ProbeArgs) -> ExitCode {
    let (format, security_hub) = (args.format, args.security_hub);
    let request = match args.into_request() {
        Ok(request) => request,
        Err(message) => return usage_error("probe", &message),
    };
    logging::init_local();
    let control_leaf = request
        .control
        .as_ref()
        .and_then(|c| c.chain.first())
        .map(|der| der.to_vec());
    let cluster = match &request.target {
        Target::Cluster(arn) => Some(arn.clone()),
        Target::Endpoints(_) => None,
    };
    let aws = AwsAccount::default();
    match probe(&aws, request).await {
        Ok(mut report) => {
            if let Some(leaf) = control_leaf {
                name_the_control_issuer(&aws, cluster.as_ref(), &leaf, &mut report).await;
            }
            let now = Timestamp::now();
            match (format, cluster.as_ref()) {
                (Format::Text, _) => print!("{}", report.to_text()),
                (Format::Json, _) => println!("{:#}", report.to_json()),
                (Format::Asff, Some(arn)) => println!("{:#}", json!([asff_of(arn, &report, now)])),
                (Format::Ocsf, Some(arn)) => println!("{:#}", json!([ocsf_of(arn, &report, now)])),
                (_, None) => unreachable!("findings need a cluster: refused above"),
            }
            match cluster.filter(|_| security_hub) {
                Some(arn) if !send_probe_finding(&aws, &arn, &report, now).await => {
                    ExitCode::from(exit::COULD_NOT_FINISH)
                }
                _ => ExitCode::from(report.verdict.exit_status()),
            }
        }
        Err(error) => {
            eprintln!("msk-mtls-rule: {error}");
            ExitCode::from(exit::COULD_NOT_FINISH)
        }
    }
}

fn asff_of(arn: &ClusterArn, report: &ProbeReport, now: Timestamp) -> serde_json::Value {
    let finding = asff::finding(&probed(arn), &probe_finding::content(report), now, None);
    asff::to_json(&finding)
}

fn ocsf_of(arn: &ClusterArn, report: &ProbeReport, now: Timestamp) -> serde_json::Value {
    ocsf::finding(&probed(arn), &probe_finding::content(report), now)
}

/// The probe's finding sent to Security Hub in the cluster's region, in the caller's own account
/// (the only one BatchImportFindings takes); whether it got there. What became of it is said on
/// stderr.
async fn send_probe_finding(
    aws: &AwsAccount,
    arn: &ClusterArn,
    report: &ProbeReport,
    now: Timestamp,
) -> bool {
    let deliveries = match aws.caller().await {
        Err(error) => vec![HubDelivery {
            account: arn.account().to_owned(),
            region: arn.region().to_owned(),
            delivery: Delivery::NotSent(error.message()),
        }],
        Ok(caller) => {
            let here = Here {
                partition: &caller.partition,
                account: &caller.account,
                region: arn.region(),
            };
            let hub = aws.in_region(arn.region()).await;
            send_probe_findings(&hub, here, std::slice::from_ref(report), now).await
        }
    };
    for line in deliveries.iter().flat_map(|d| d.lines("probe")) {
        eprintln!("{line}");
    }
    deliveries.iter().all(HubDelivery::complete)
}

/// Says in each control knock's detail which CA issued the control certificate, and, for a cluster,
/// whether that CA is in the cluster's list (read in the cluster's region).
async fn name_the_control_issuer(
    aws: &AwsAccount,
    cluster: Option<&ClusterArn>,
    leaf: &[u8],
    report: &mut ProbeReport,
) {
    let said = match cluster {
        Some(arn) => control_issuer(&aws.in_region(arn.region()).await, arn.as_str(), leaf).await,
        None => named(leaf).map_or_else(
            || "its issuer could not be read from the certificate".to_owned(),
            |names| format!("issued by {}", names.issuer),
        ),
    };
    for knock in report
        .results
        .iter_mut()
        .filter(|k| k.attempt == Attempt::TlsClientCert)
    {
        knock.detail = format!("{}; the certificate was {said}", knock.detail);
    }
}

impl ProbeArgs {
    fn into_request(self) -> Result<ProbeRequest, String> {
        let listener = self.listener.map(Listener::from);
        let target = match (self.cluster_arn, self.bootstrap) {
            (Some(arn), None) if listener.is_none() => Target::Cluster(arn),
            (Some(_), None) => {
                return Err(
                    "probe: --listener goes with --bootstrap; --cluster-arn names every listener"
                        .into(),
                )
            }
            (None, Some(_)) if self.security_hub || matches!(self.format, Format::Asff | Format::Ocsf) => {
                return Err("probe: --format asff|ocsf and --security-hub need --cluster-arn: a finding names its cluster".into())
            }
            (None, Some(list)) => Target::Endpoints(
                parse_bootstrap(&list, listener).map_err(|e| format!("probe: --bootstrap {e}"))?,
            ),
            (Some(_), Some(_)) => {
                return Err("probe: --cluster-arn and --bootstrap exclude each other".into())
            }
            (None, None) => {
                return Err("probe: give --cluster-arn ARN or --bootstrap HOST:PORT".into())
            }
        };
        let networks =
            match (self.networks, &target) {
                (None, _) => Network::ALL.to_vec(),
                (Some(List(networks)), Target::Cluster(_)) => networks,
                (Some(_), Target::Endpoints(_)) => return Err(
                    "probe: --networks goes with --cluster-arn; --bootstrap names the endpoints"
                        .into(),
                ),
            };
        let ca_bundle = self
            .ca_bundle
            .map(|path| certificates("--ca-bundle", &path))
            .transpose()?;
        let control = match (self.client_cert, self.client_key) {
            (Some(cert), Some(key)) => {
                Some(identity("--client-cert", &cert, "--client-key", &key)?)
            }
            _ => None,
        };
        let refused = refused(&self.refused_cert, &self.refused_key)?;
        Ok(ProbeRequest {
            target,
            ca_bundle,
            control,
            refused,
            allowed_sasl: self.allow_sasl.map(|List(sasl)| sasl).unwrap_or_default(),
            networks,
            connect_timeout: self.connect_timeout,
            read_timeout: self.read_timeout,
        })
    }
}

fn cluster_arn(text: &str) -> Result<ClusterArn, String> {
    ClusterArn::parse(text).ok_or_else(|| {
        "not an MSK cluster ARN (arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/ID)".to_owned()
    })
}

fn networks(list: &str) -> Result<List<Network>, String> {
    Network::parse_list(list).map(List)
}

fn sasl_mechanisms(list: &str) -> Result<List<SaslMechanism>, String> {
    list.split(',')
        .map(|item| match item.trim().to_ascii_uppercase().as_str() {
            "IAM" => Ok(SaslMechanism::Iam),
            "SCRAM" => Ok(SaslMechanism::Scram),
            _ => Err(format!("{item:?} is not IAM or SCRAM")),
        })
        .collect::<Result<_, _>>()
        .map(List)
}

fn millis(text: &str) -> Result<Duration, String> {
    text.parse::<u64>()
        .ok()
        .filter(|ms| (1..=60_000).contains(ms))
        .map(Duration::from_millis)
        .ok_or_else(|| "not a whole number of milliseconds from 1 to 60000".to_owned())
}

/// The certificates that must be refused, each with its key, paired in the order given.
fn refused(certs: &[String], keys: &[String]) -> Result<Vec<Identity>, String> {
    if certs.len() != keys.len() {
        return Err(format!(
            "probe: {} --refused-cert and {} --refused-key: give one key for each certificate, in the same order",
            certs.len(),
            keys.len()
        ));
    }
    certs
        .iter()
        .zip(keys)
        .map(|(cert, key)| identity("--refused-cert", cert, "--refused-key", key))
        .collect()
}

/// A certificate chain and its key, from the PEM files given to the two flags.
fn identity(cert_flag: &str, cert: &str, key_flag: &str, key: &str) -> Result<Identity, String> {
    Ok(Identity {
        chain: certificates(cert_flag, cert)?,
        key: PrivateKeyDer::from_pem_file(key)
            .map_err(|e| format!("probe: {key_flag} {key}: {e}"))?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::probe::DEFAULT_TIMEOUT;
    use clap::Parser;

    fn args(args: &[&str]) -> Result<ProbeArgs, String> {
        let argv = ["msk-mtls-rule", "probe"].iter().chain(args);
        match Cli::try_parse_from(argv)
            .map_err(|e| e.to_string())?
            .command
        {
            Command::Probe(args) => Ok(*args),
            other => panic!("{other:?}"),
        }
    }

    fn parse(given: &[&str]) -> Result<ProbeRequest, String> {
        args(given)?.into_request()
    }

    #[test]
    fn a_cluster_or_endpoints_with_defaults() {
        let arn = "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";
        let request = parse(&["--cluster-arn", arn]).unwrap();
        assert_eq!(
            request.target,
            Target::Cluster(ClusterArn::parse(arn).unwrap())
        );
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
        assert_eq!(
            (request.connect_timeout, request.read_timeout),
            (DEFAULT_TIMEOUT, DEFAULT_TIMEOUT)
        );
        assert!(request.control.is_none() && request.ca_bundle.is_none());
        let given = [
            "--bootstrap=127.0.0.1:1234",
            "--listener",
            "tls",
            "--read-timeout",
            "250",
            "--format",
            "json",
            "--allow-sasl",
            "iam",
        ];
        assert_eq!(args(&given).unwrap().format, Format::Json);
        let request = parse(&given).unwrap();
        assert!(matches!(&request.target, Target::Endpoints(e) if e[0].listener == Listener::Tls));
        assert_eq!(request.read_timeout, Duration::from_millis(250));
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
            (&["--bootstrap"][..], "a value is required for '--bootstrap"),
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
                &[
                    "--bootstrap",
                    "b:9094",
                    "--cluster-arn",
                    "arn:aws:kafka:eu-west-1:123456789012:cluster/x/y",
                ][..],
                "exclude each other",
            ),
            (&["--bootstrap", "b:1234"][..], "give --listener"),
            (
                &["--bootstrap", "b:9094", "--listener", "ssl"][..],
                "[possible values: plaintext, tls, sasl-scram, sasl-iam, zookeeper, zookeeper-tls]",
            ),
            (
                &["--bootstrap", "b:9094", "--client-cert", "c.pem"][..],
                "the following required arguments were not provided:\n  --client-key <FILE>",
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
                "[possible values: text, json, asff, ocsf]",
            ),
            (
                &["--bootstrap", "b:9094", "--format", "asff"][..],
                "need --cluster-arn: a finding names its cluster",
            ),
            (
                &["--bootstrap", "b:9094", "--security-hub"][..],
                "need --cluster-arn: a finding names its cluster",
            ),
            (
                &["--bootstrap", "b:9094", "--bootstrap", "c:9094"][..],
                "cannot be used multiple times",
            ),
            (&["--port", "1"][..], "unexpected argument '--port'"),
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
                "\"lan\" is not one of private, public, multi-vpc, ipv6",
            ),
        ] {
            let error = parse(args)
                .err()
                .unwrap_or_else(|| panic!("{args:?} must be refused"));
            assert!(error.contains(named), "{args:?}: {error}");
        }
    }
}
