//! One probe, from a target to a report, for the command and for the scheduled probe function.

use futures_util::stream::{self, StreamExt};
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use serde_json::json;

use crate::aws::ports::{Brokers, Directory};
use crate::probe::args::{region_of, ProbeRequest, Target};
use crate::probe::endpoints::{from_bootstrap_brokers, Endpoint, Network, Selected};
use crate::probe::knock::Knocker;
use crate::probe::ProbeReport;
use crate::rule::time::Timestamp;

/// Endpoints knocked on at once.
const CONCURRENT_ENDPOINTS: usize = 16;

/// Why a probe could not run (as opposed to what it found): exit status 3.
#[derive(Debug)]
pub struct ProbeError(pub String);

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "probe: {}", self.0)
    }
}

/// The target's endpoints (GetBootstrapBrokers in the cluster's region for a cluster ARN, those of
/// `networks`).
pub async fn endpoints_of<D: Directory + Brokers>(
    aws: &D,
    target: &Target,
    networks: &[Network],
) -> Result<Selected, ProbeError> {
    match target {
        Target::Endpoints(endpoints) => Ok(Selected {
            endpoints: endpoints.clone(),
            not_knocked: Vec::new(),
        }),
        Target::Cluster(arn) => {
            let region = region_of(arn).unwrap_or_default();
            let regional = aws.in_region(region).await;
            let members = regional
                .bootstrap_brokers(arn)
                .await
                .map_err(|e| ProbeError(e.message()))?;
            from_bootstrap_brokers(&members, networks).map_err(ProbeError)
        }
    }
}

/// The roots brokers are verified with: the bundle given, or the system's.
pub fn roots(bundle: Option<&[CertificateDer<'static>]>) -> Result<RootCertStore, ProbeError> {
    let mut roots = RootCertStore::empty();
    match bundle {
        Some(certificates) => {
            let (_, ignored) = roots.add_parsable_certificates(certificates.iter().cloned());
            if ignored > 0 || roots.is_empty() {
                return Err(ProbeError(format!(
                    "--ca-bundle: {ignored} certificate(s) could not be used as roots"
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(ProbeError(
                    "no system CA certificates found to verify the brokers: give --ca-bundle"
                        .into(),
                ));
            }
        }
    }
    Ok(roots)
}

/// Knocks on every endpoint (several at once; each endpoint's attempts one after another) and
/// judges what happened.
pub async fn probe<D: Directory + Brokers>(
    aws: &D,
    request: ProbeRequest,
) -> Result<ProbeReport, ProbeError> {
    let selected = endpoints_of(aws, &request.target, &request.networks).await?;
    let control_given = request.control.is_some();
    let knocker = Knocker::new(
        request.connect_timeout,
        request.read_timeout,
        roots(request.ca_bundle.as_deref())?,
        request.control,
    )
    .map_err(ProbeError)?;
    let target = match &request.target {
        Target::Cluster(arn) => arn.clone(),
        Target::Endpoints(endpoints) => endpoints
            .iter()
            .map(Endpoint::address)
            .collect::<Vec<_>>()
            .join(","),
    };
    let results = knock_all(&knocker, &selected.endpoints).await;
    Ok(
        ProbeReport::judge(target, results, &request.allowed_sasl, control_given)
            .with_not_knocked(selected.not_knocked),
    )
}

async fn knock_all(knocker: &Knocker, endpoints: &[Endpoint]) -> Vec<crate::probe::Knocked> {
    stream::iter(endpoints)
        .map(|endpoint| knocker.knock(endpoint))
        .buffered(CONCURRENT_ENDPOINTS)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// The EMF line of one scheduled invocation, whatever it found: `ProbeRuns` 1 is the heartbeat whose
/// absence the stack's alarm treats as the probe not running; `ProbeClusters` how many were probed.
pub fn probe_run_metrics_line(
    namespace: &str,
    clusters: usize,
    now: Timestamp,
    level: &str,
) -> String {
    json!({
        "_aws": {
            "Timestamp": now.millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [[]],
                "Metrics": [
                    {"Name": "ProbeRuns", "Unit": "Count"},
                    {"Name": "ProbeClusters", "Unit": "Count"},
                ],
            }],
        },
        "level": level,
        "timestamp": now.to_string(),
        "ProbeRuns": 1,
        "ProbeClusters": clusters,
    })
    .to_string()
}

/// The EMF line of one cluster's probe: per cluster, and summed over every cluster (no dimension)
/// for the alarm, which cannot name clusters a template does not know.
pub fn probe_metrics_line(
    namespace: &str,
    report: &ProbeReport,
    now: Timestamp,
    level: &str,
) -> String {
    let (refusals, open, inconclusive) = report.counts();
    let name = report
        .target
        .split_once(":cluster/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or(&report.target);
    let verdict_inconclusive = usize::from(report.verdict == crate::probe::Verdict::Inconclusive);
    json!({
        "_aws": {
            "Timestamp": now.millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [["ClusterName"], []],
                "Metrics": [
                    {"Name": "ProbeRefusalsConfirmed", "Unit": "Count"},
                    {"Name": "ProbeDoorsOpen", "Unit": "Count"},
                    {"Name": "ProbeInconclusive", "Unit": "Count"},
                ],
            }],
        },
        "level": level,
        "timestamp": now.to_string(),
        "ClusterName": name,
        "ClusterArn": report.target,
        "Verdict": report.verdict.as_str(),
        "ProbeRefusalsConfirmed": refusals,
        "ProbeDoorsOpen": open,
        "ProbeInconclusive": inconclusive.max(verdict_inconclusive),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::endpoints::Listener;
    use crate::probe::{Attempt, Knocked, Outcome};
    use serde_json::Value;

    #[test]
    fn a_probe_that_cannot_run_says_so_as_the_probe() {
        assert_eq!(
            ProbeError("GetBootstrapBrokers failed: AccessDenied".into()).to_string(),
            "probe: GetBootstrapBrokers failed: AccessDenied"
        );
    }

    /// deploy/probe.yaml's alarms read metrics without dimensions, which only exist if every line
    /// declares the empty dimension set beside the cluster's.
    #[test]
    fn every_metric_the_probe_alarms_read_is_written_without_dimensions_too() {
        let template =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/probe.yaml"))
                .unwrap();
        // The alarms on the function's own metrics (the others read AWS/Lambda and AWS/SQS).
        let alarmed: Vec<&str> = template
            .lines()
            .filter_map(|line| line.trim().strip_prefix("MetricName: "))
            .filter(|name| name.starts_with("Probe"))
            .collect();
        assert_eq!(
            alarmed,
            ["ProbeDoorsOpen", "ProbeInconclusive", "ProbeRuns"]
        );
        let run: Value = serde_json::from_str(&probe_run_metrics_line(
            "MskMtlsRule",
            2,
            Timestamp::from_secs(1),
            "INFO",
        ))
        .unwrap();
        assert_eq!(
            run["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
        assert_eq!(
            (run["ProbeRuns"].as_u64(), run["ProbeClusters"].as_u64()),
            (Some(1), Some(2))
        );
        let alarmed = &alarmed[..2];
        let report = ProbeReport::judge(
            CLUSTER.into(),
            vec![Knocked {
                endpoint: Endpoint {
                    host: "b-1".into(),
                    port: 9094,
                    listener: Listener::Tls,
                },
                attempt: Attempt::TlsNoCert,
                outcome: Outcome::Accepted,
                detail: String::new(),
            }],
            &[],
            false,
        );
        let line: Value = serde_json::from_str(&probe_metrics_line(
            "MskMtlsRule",
            &report,
            Timestamp::from_secs(1),
            "INFO",
        ))
        .unwrap();
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Dimensions"], json!([["ClusterName"], []]));
        for metric in alarmed.iter().copied() {
            assert!(
                directive["Metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["Name"] == metric),
                "{metric}"
            );
            assert!(line[metric].is_u64(), "{metric}");
        }
        assert_eq!(line["ClusterName"], "orders");
        assert_eq!(line["ProbeDoorsOpen"], 1);
        assert_eq!(line["ProbeInconclusive"], 0, "an open door is a finding");
    }

    /// A probe that could not run has no knocks, and still counts once for the alarm.
    #[test]
    fn a_probe_that_could_not_run_counts_as_inconclusive() {
        let report = ProbeReport {
            target: CLUSTER.into(),
            results: Vec::new(),
            verdict: crate::probe::Verdict::Inconclusive,
            reason: "probe: GetBootstrapBrokers failed".into(),
            confirmed_by_control: false,
            not_knocked: Vec::new(),
        };
        let line: Value = serde_json::from_str(&probe_metrics_line(
            "MskMtlsRule",
            &report,
            Timestamp::from_secs(1),
            "WARN",
        ))
        .unwrap();
        assert_eq!(line["ProbeInconclusive"], 1);
        assert_eq!(line["ProbeDoorsOpen"], 0);
        assert_eq!(line["Verdict"], "INCONCLUSIVE");
        assert_eq!(line["level"], "WARN");
    }

    fn certificate() -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().der().clone()
    }

    /// A bundle is used whole or not at all: one unusable certificate, or none, is an error.
    #[test]
    fn a_ca_bundle_with_an_unusable_certificate_or_none_is_refused() {
        assert_eq!(roots(Some(&[certificate()])).unwrap().len(), 1);
        assert_eq!(
            roots(Some(&[certificate(), certificate()])).unwrap().len(),
            2
        );
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        for (bundle, named) in [
            (vec![certificate(), garbage.clone()], "1 certificate(s)"),
            (vec![garbage.clone(), garbage], "2 certificate(s)"),
            (vec![], "0 certificate(s)"),
        ] {
            let error = roots(Some(&bundle)).unwrap_err().to_string();
            assert!(
                error.contains(named) && error.contains("--ca-bundle"),
                "{error}"
            );
        }
    }

    #[tokio::test]
    async fn endpoints_given_are_the_endpoints_knocked() {
        let endpoints = vec![Endpoint {
            host: "b-1".into(),
            port: 9094,
            listener: Listener::Tls,
        }];
        assert_eq!(
            endpoints_of(
                &crate::aws::sdk::AwsAccount::default(),
                &Target::Endpoints(endpoints.clone()),
                &[Network::Private]
            )
            .await
            .unwrap(),
            Selected {
                endpoints,
                not_knocked: Vec::new()
            }
        );
    }

    const CLUSTER: &str = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";
}
