//! The scheduled probe function (`deploy/probe.yaml`): which clusters an invocation probes, with
//! which settings, and within the function's deadline. Every cluster named or listed gets a report:
//! one not probed before the deadline is INCONCLUSIVE, never left out.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde_json::Value;
use tokio::time::Instant;

use crate::app::sweep::Listing;
use crate::aws::pager::Pager;
use crate::aws::ports::{Brokers, Directory, KafkaService, SecurityHub};
use crate::error::RuleError;
use crate::findings::send::{send_probe_findings, Delivery, Here, HubDelivery};
use crate::probe::endpoints::Network;
use crate::probe::run::probe;
use crate::probe::{ProbeReport, Verdict};
use crate::probe::{ProbeRequest, Target, DEFAULT_TIMEOUT};
use crate::rule::arn::ClusterArn;
use crate::rule::evaluation::ResourceType;
use crate::rule::params::{parse_sasl_mechanisms, SaslMechanism};
use crate::rule::time::Timestamp;

/// Clusters probed at once (each knocks on up to 16 endpoints at once).
const CONCURRENT_CLUSTERS: usize = 4;

/// The function's settings, from its environment, read once at init.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSettings {
    /// Connect and read timeout of each attempt (`PROBE_TIMEOUT_MS`).
    pub timeout: Duration,
    /// The networks whose endpoints are knocked on (`PROBE_NETWORKS`, default `private`: what a
    /// function in the clusters' VPC reaches).
    pub networks: Vec<Network>,
    /// SASL mechanisms the rule allows (`ALLOWED_SASL_MECHANISMS`, the rule's parameter): their
    /// ports are not doors.
    pub allowed_sasl: Vec<SaslMechanism>,
    /// Each run's findings are sent to Security Hub (`SECURITY_HUB_FINDINGS`, default `false`).
    pub security_hub: bool,
}

impl ProbeSettings {
    /// An invalid value is an error naming the variable, never a default in its place.
    pub fn from_variables(var: impl Fn(&str) -> Option<String>) -> Result<Self, RuleError> {
        let invalid =
            |name: &str, why: String| RuleError::InvalidEnvironment(format!("{name}: {why}"));
        let timeout = match var("PROBE_TIMEOUT_MS") {
            None => DEFAULT_TIMEOUT,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|ms| (100..=60_000).contains(ms))
                .map(Duration::from_millis)
                .ok_or_else(|| {
                    invalid(
                        "PROBE_TIMEOUT_MS",
                        format!("{text:?} is not milliseconds from 100 to 60000"),
                    )
                })?,
        };
        let networks = match var("PROBE_NETWORKS") {
            None => vec![Network::Private],
            Some(list) => Network::parse_list(&list).map_err(|e| invalid("PROBE_NETWORKS", e))?,
        };
        let allowed_sasl = match var("ALLOWED_SASL_MECHANISMS") {
            // The stack's parameter is empty for none, as the rule's is.
            None => Vec::new(),
            Some(list) if list.is_empty() => Vec::new(),
            Some(list) => parse_sasl_mechanisms(&list)
                .map_err(|e| invalid("ALLOWED_SASL_MECHANISMS", e.message()))?
                .into_iter()
                .collect(),
        };
        let security_hub = match var("SECURITY_HUB_FINDINGS").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(invalid(
                    "SECURITY_HUB_FINDINGS",
                    format!("{other:?} is not true or false"),
                ))
            }
        };
        Ok(ProbeSettings {
            timeout,
            networks,
            allowed_sasl,
            security_hub,
        })
    }
}

/// Which clusters an invocation probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clusters {
    /// `{"clusterArns": ["arn:...", ...]}`.
    Named(Vec<ClusterArn>),
    /// `{"listClusters": {"tagKey": "...", "tagValue": "..."}}`: every provisioned cluster of the
    /// function's region (ListClustersV2), those with the tag when a key is given (and that value
    /// when one is given). Empty strings mean none.
    Listed {
        tag_key: Option<String>,
        tag_value: Option<String>,
    },
}

/// The scheduled event, nothing else: an unknown key is an error, not ignored.
pub fn parse_probe_event(event: &Value) -> Result<Clusters, String> {
    let object = event
        .as_object()
        .ok_or("the probe event is not a JSON object")?;
    match (object.get("clusterArns"), object.get("listClusters"), object.len()) {
        (Some(arns), None, 1) => {
            let arns = arns
                .as_array()
                .ok_or("clusterArns is not a list of MSK cluster ARNs")?;
            if arns.is_empty() {
                return Err("clusterArns is empty".into());
            }
            arns.iter()
                .map(|arn| {
                    arn.as_str()
                        .and_then(ClusterArn::parse)
                        .ok_or_else(|| format!("clusterArns holds {arn}, not an MSK cluster ARN"))
                })
                .collect::<Result<_, _>>()
                .map(Clusters::Named)
        }
        (None, Some(listing), 1) => {
            let listing = listing
                .as_object()
                .ok_or("listClusters is not an object")?;
            if let Some(other) = listing.keys().find(|k| *k != "tagKey" && *k != "tagValue") {
                return Err(format!(
                    "listClusters has an unknown key {other:?} (only tagKey, tagValue)"
                ));
            }
            let text = |key: &str| -> Result<Option<String>, String> {
                match listing.get(key) {
                    None => Ok(None),
                    Some(Value::String(text)) if text.is_empty() => Ok(None),
                    Some(Value::String(text)) => Ok(Some(text.clone())),
                    Some(other) => Err(format!("listClusters.{key} is {other}, not a string")),
                }
            };
            let (tag_key, tag_value) = (text("tagKey")?, text("tagValue")?);
            if tag_key.is_none() && tag_value.is_some() {
                return Err("listClusters.tagValue is given without a tagKey".into());
            }
            Ok(Clusters::Listed { tag_key, tag_value })
        }
        _ => Err(
            "the probe event is {\"clusterArns\": [...]} or {\"listClusters\": {...}}, nothing else"
                .into(),
        ),
    }
}

/// The ARNs to probe: those named, or those listed now (provisioned clusters only: a serverless
/// cluster has only the SASL/IAM listener and no client certificates to prove); a listing that
/// selects none is an error.
pub async fn clusters_to_probe<K: KafkaService>(
    kafka: &K,
    clusters: &Clusters,
) -> Result<Vec<ClusterArn>, RuleError> {
    let (tag_key, tag_value) = match clusters {
        Clusters::Named(arns) => return Ok(arns.clone()),
        Clusters::Listed { tag_key, tag_value } => (tag_key, tag_value),
    };
    let mut arns = BTreeSet::new();
    let mut listing = Listing::default();
    let mut pages = Pager::new("ListClustersV2");
    loop {
        let page = kafka.list_clusters(pages.token()).await?;
        for listed in page.items {
            if !listing.first(&listed)? || listed.resource_type != ResourceType::MskCluster {
                continue;
            }
            let tagged = match (tag_key, tag_value) {
                (None, _) => true,
                (Some(key), None) => listed.tags.contains_key(key),
                (Some(key), Some(value)) => listed.tags.get(key) == Some(value),
            };
            if tagged {
                let arn = ClusterArn::parse(&listed.arn).ok_or_else(|| {
                    RuleError::aws(
                        "ListClustersV2",
                        format!("listed {:?}, not an MSK cluster ARN", listed.arn),
                    )
                })?;
                arns.insert(arn);
            }
        }
        if !pages.advance(page.next_token)? {
            break;
        }
    }
    // A listing that selects nothing (a tag misspelt, clusters in another region) would probe
    // nothing and raise nothing: it fails the run, which the Errors alarm reports.
    if arns.is_empty() {
        let tagged = match (tag_key, tag_value) {
            (None, _) => String::new(),
            (Some(key), None) => format!(" tagged {key}"),
            (Some(key), Some(value)) => format!(" tagged {key}={value}"),
        };
        return Err(RuleError::aws(
            "ListClustersV2",
            format!("no provisioned cluster{tagged} in this region: nothing to probe"),
        ));
    }
    Ok(arns.into_iter().collect())
}

/// One cluster's probe with the system's roots and no control certificate.
pub async fn probe_cluster<D: Directory + Brokers>(
    aws: &D,
    arn: &ClusterArn,
    settings: &ProbeSettings,
) -> ProbeReport {
    let request = ProbeRequest {
        target: Target::Cluster(arn.clone()),
        ca_bundle: None,
        control: None,
        refused: Vec::new(),
        allowed_sasl: settings.allowed_sasl.clone(),
        networks: settings.networks.clone(),
        connect_timeout: settings.timeout,
        read_timeout: settings.timeout,
    };
    match probe(aws, request).await {
        Ok(report) => report,
        Err(error) => inconclusive(arn, error.to_string()),
    }
}

/// Every cluster probed, a few at once, until `deadline`: a cluster whose probe has not finished
/// by then is INCONCLUSIVE, so every cluster gets a report and a metric.
pub async fn probe_clusters<D: Directory + Brokers>(
    aws: &D,
    arns: &[ClusterArn],
    settings: &ProbeSettings,
    deadline: Instant,
) -> Vec<ProbeReport> {
    stream::iter(arns)
        .map(|arn| async move {
            tokio::time::timeout_at(deadline, probe_cluster(aws, arn, settings))
                .await
                .unwrap_or_else(|_| {
                    inconclusive(
                        arn,
                        "not probed before the function's deadline: probe fewer clusters per \
                         stack, or lower ProbeTimeoutMs"
                            .into(),
                    )
                })
        })
        .buffered(CONCURRENT_CLUSTERS)
        .collect()
        .await
}

/// The run's findings sent to Security Hub in the function's own account and region (its ARN's):
/// the only ones BatchImportFindings takes from its role. A cluster elsewhere is named as not sent.
pub async fn send_findings<H: SecurityHub>(
    hub: &H,
    function_arn: &str,
    reports: &[ProbeReport],
    now: Timestamp,
) -> Vec<HubDelivery> {
    match here_of_function(function_arn) {
        Some(here) => send_probe_findings(hub, here, reports, now).await,
        None => vec![HubDelivery {
            account: String::new(),
            region: String::new(),
            delivery: Delivery::NotSent(format!(
                "the function's ARN {function_arn:?} names no account and region to send to"
            )),
        }],
    }
}

/// The partition, account and region of a Lambda function's ARN
/// (`arn:aws:lambda:eu-west-1:123456789012:function:name`).
fn here_of_function(arn: &str) -> Option<Here<'_>> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts[..] {
        ["arn", partition, "lambda", region, account, "function", ..]
            if partition.starts_with("aws")
                && !region.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(Here {
                partition,
                account,
                region,
            })
        }
        _ => None,
    }
}

fn inconclusive(arn: &ClusterArn, reason: String) -> ProbeReport {
    ProbeReport {
        target: arn.to_string(),
        results: Vec::new(),
        verdict: Verdict::Inconclusive,
        reason,
        confirmed_by_control: false,
        not_knocked: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str =
        "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/6357e0b2-0e6a-4b86-a0b4-70df934c2e31-5";

    #[test]
    fn the_event_names_clusters_or_a_listing_and_nothing_else() {
        assert_eq!(
            parse_probe_event(&json!({"clusterArns": [ARN]})),
            Ok(Clusters::Named(vec![ClusterArn::parse(ARN).unwrap()]))
        );
        assert_eq!(
            parse_probe_event(&json!({"listClusters": {}})),
            Ok(Clusters::Listed {
                tag_key: None,
                tag_value: None
            })
        );
        assert_eq!(
            parse_probe_event(&json!({"listClusters": {"tagKey": "probe", "tagValue": ""}})),
            Ok(Clusters::Listed {
                tag_key: Some("probe".into()),
                tag_value: None
            })
        );
        for (event, said) in [
            (json!([]), "not a JSON object"),
            (json!({}), "nothing else"),
            (
                json!({"clusterArns": [ARN], "listClusters": {}}),
                "nothing else",
            ),
            (json!({"clusterArns": [ARN], "extra": 1}), "nothing else"),
            (json!({"clusterArns": []}), "empty"),
            (json!({"clusterArns": "x"}), "not a list"),
            (
                json!({"clusterArns": ["arn:aws:sns:x"]}),
                "not an MSK cluster ARN",
            ),
            (json!({"listClusters": []}), "not an object"),
            (json!({"listClusters": {"tag": "x"}}), "unknown key \"tag\""),
            (json!({"listClusters": {"tagKey": 1}}), "not a string"),
            (
                json!({"listClusters": {"tagValue": "x"}}),
                "without a tagKey",
            ),
        ] {
            let error = parse_probe_event(&event).unwrap_err();
            assert!(error.contains(said), "{event}: {error}");
        }
    }

    #[test]
    fn settings_default_to_the_private_network_and_refuse_what_they_cannot_read() {
        let settings = ProbeSettings::from_variables(|_| None).unwrap();
        assert_eq!(
            settings,
            ProbeSettings {
                timeout: DEFAULT_TIMEOUT,
                networks: vec![Network::Private],
                allowed_sasl: Vec::new(),
                security_hub: false,
            }
        );
        let given = ProbeSettings::from_variables(|name| match name {
            "PROBE_TIMEOUT_MS" => Some("100".into()),
            "PROBE_NETWORKS" => Some("private,ipv6".into()),
            "ALLOWED_SASL_MECHANISMS" => Some("IAM".into()),
            "SECURITY_HUB_FINDINGS" => Some("true".into()),
            _ => None,
        })
        .unwrap();
        assert!(given.security_hub);
        assert_eq!(given.timeout, Duration::from_millis(100));
        assert_eq!(given.networks, [Network::Private, Network::Ipv6]);
        assert_eq!(given.allowed_sasl, [SaslMechanism::Iam]);
        assert_eq!(
            ProbeSettings::from_variables(
                |name| (name == "ALLOWED_SASL_MECHANISMS").then(String::new)
            )
            .unwrap()
            .allowed_sasl,
            []
        );
        for (name, value) in [
            ("PROBE_TIMEOUT_MS", "99"),
            ("PROBE_TIMEOUT_MS", "60001"),
            ("PROBE_TIMEOUT_MS", "soon"),
            ("PROBE_NETWORKS", "internet"),
            ("ALLOWED_SASL_MECHANISMS", "PLAIN"),
            ("SECURITY_HUB_FINDINGS", "yes"),
        ] {
            let error = ProbeSettings::from_variables(|n| (n == name).then(|| value.to_owned()))
                .unwrap_err();
            assert!(error.message().contains(name), "{name}={value}: {error:?}");
        }
    }

    #[test]
    fn findings_go_to_the_account_and_region_of_the_functions_arn() {
        let here =
            here_of_function("arn:aws-cn:lambda:cn-north-1:123456789012:function:probe:3").unwrap();
        assert_eq!(
            (here.partition, here.region, here.account),
            ("aws-cn", "cn-north-1", "123456789012")
        );
        for arn in [
            "",
            "arn:aws:lambda:eu-west-1:12345678901:function:probe",
            "arn:aws:lambda:eu-west-1:12345678901a:function:probe",
            "arn:aws:lambda::123456789012:function:probe",
            "arn:aws:sqs:eu-west-1:123456789012:function:probe",
            "arn:aws:lambda:eu-west-1:123456789012:layer:probe",
            "arn:other:lambda:eu-west-1:123456789012:function:probe",
            "nra:aws:lambda:eu-west-1:123456789012:function:probe",
        ] {
            assert!(here_of_function(arn).is_none(), "{arn}");
        }
    }

    /// A Security Hub that must not be called.
    struct Untouched;

    impl SecurityHub for Untouched {
        async fn active_findings(
            &self,
            _: &str,
            _: &str,
        ) -> Result<Vec<aws_sdk_securityhub::types::AwsSecurityFinding>, crate::aws::ports::HubError>
        {
            unreachable!("nothing to send")
        }

        async fn import_findings(
            &self,
            _: Vec<aws_sdk_securityhub::types::AwsSecurityFinding>,
        ) -> Result<Vec<crate::aws::ports::RefusedFinding>, crate::aws::ports::HubError> {
            unreachable!("nothing to send")
        }
    }

    #[tokio::test]
    async fn a_function_arn_that_names_no_account_sends_nothing_and_says_so() {
        let now = Timestamp::from_secs(0);
        let deliveries = send_findings(&Untouched, "not-an-arn", &[], now).await;
        assert_eq!(deliveries.len(), 1);
        assert_eq!(
            deliveries[0].delivery,
            Delivery::NotSent(
                "the function's ARN \"not-an-arn\" names no account and region to send to".into()
            )
        );
        let function = "arn:aws:lambda:us-east-1:123456789012:function:probe";
        assert!(send_findings(&Untouched, function, &[], now)
            .await
            .is_empty());
    }
}
