//! One probe, from a target to a report, for the command and for the scheduled probe function.

use futures_util::stream::{self, StreamExt};
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;

use crate::aws::ports::{Brokers, Directory};
use crate::probe::endpoints::{from_bootstrap_brokers, Endpoint, Network, Selected};
use crate::probe::knock::Knocker;
use crate::probe::{ProbeReport, ProbeRequest, Target};

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

/// The target's endpoints (GetBootstrapBrokers in the cluster's region for a cluster ARN, and a
/// ZooKeeper-mode cluster's ZooKeeper nodes from DescribeClusterV2; those of `networks`).
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
            let regional = aws.in_region(arn.region()).await;
            // Independent reads, together: one round trip, not two.
            let (brokers, zookeeper) = futures_util::future::join(
                regional.bootstrap_brokers(arn.as_str()),
                regional.zookeeper_nodes(arn.as_str()),
            )
            .await;
            let mut members = brokers.map_err(|e| ProbeError(e.message()))?;
            members.extend(zookeeper.map_err(|e| ProbeError(e.message()))?);
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
        request.refused,
    )
    .map_err(ProbeError)?;
    let target = match &request.target {
        Target::Cluster(arn) => arn.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::endpoints::Listener;

    #[test]
    fn a_probe_that_cannot_run_says_so_as_the_probe() {
        assert_eq!(
            ProbeError("GetBootstrapBrokers failed: AccessDenied".into()).to_string(),
            "probe: GetBootstrapBrokers failed: AccessDenied"
        );
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
}
