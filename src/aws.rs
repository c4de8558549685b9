//! Thin adapters from the ports to the AWS SDK. Clients are built on first use, so a cold start that
//! needs no AWS call (and the offline `evaluate` command) never loads credentials or builds TLS.

use std::collections::BTreeMap;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_acmpca::error::ProvideErrorMetadata;
use aws_sdk_acmpca::operation::describe_certificate_authority::DescribeCertificateAuthorityError;
use aws_sdk_acmpca::types::CertificateAuthorityStatus;
use aws_sdk_config::primitives::DateTime;
use aws_sdk_config::types::{
    ComplianceType as SdkComplianceType, Evaluation as SdkEvaluation, ResourceType,
};
use aws_sdk_kafka::types::{
    ClientBroker as KafkaClientBroker, Cluster as KafkaCluster, ClusterType, Provisioned,
};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use tokio::sync::OnceCell;

use crate::cluster::{ClientBroker, Cluster, RecordedAccess, RecordedTls};
use crate::error::{BoxError, ErrorChain, RuleError};
use crate::evaluation::Evaluation;
use crate::event::{
    configuration_from_text, ConfigurationItem, ItemStatus, ResultToken, MSK_CLUSTER,
    MSK_SERVERLESS_CLUSTER,
};
use crate::ports::{
    CertificateAuthorities, ClusterInventory, ConfigHistory, EvaluationSink, FailedEvaluation,
    ListedCluster, Page, StoredResults,
};
use crate::verdict::CaHealth;

/// Attempts per AWS call. Config throttles PutEvaluations under load, so the rule gives throttling
/// two more attempts than the SDK's default three, with the SDK's jittered exponential backoff.
pub const MAX_ATTEMPTS: u32 = 5;

/// Shown in the member account's CloudTrail as who assumed the role.
const ROLE_SESSION_NAME: &str = "msk-mtls-rule";

/// The SDK configuration of the function's own credentials, loaded once, when first needed.
#[derive(Default)]
pub struct LazySdkConfig(OnceCell<SdkConfig>);

impl LazySdkConfig {
    pub async fn get(&self) -> &SdkConfig {
        self.0
            .get_or_init(|| {
                aws_config::defaults(BehaviorVersion::latest())
                    .http_client(https_client())
                    .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
                    .load()
            })
            .await
    }
}

/// The SDK's HTTPS client (hyper, rustls, the system's roots) with ring as its crypto.
fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Every AWS call the rule makes, on one lazily loaded SDK configuration; each client is built
/// the first time it is needed.
#[derive(Default)]
pub struct AwsPorts {
    sdk: LazySdkConfig,
    config: OnceCell<aws_sdk_config::Client>,
    acmpca: OnceCell<aws_sdk_acmpca::Client>,
    kafka: OnceCell<aws_sdk_kafka::Client>,
}

impl AwsPorts {
    /// Ports over ready-made clients (tests); a client left out is built from the environment.
    pub fn with_clients(
        config: Option<aws_sdk_config::Client>,
        acmpca: Option<aws_sdk_acmpca::Client>,
        kafka: Option<aws_sdk_kafka::Client>,
    ) -> Self {
        AwsPorts {
            sdk: LazySdkConfig::default(),
            config: OnceCell::new_with(config),
            acmpca: OnceCell::new_with(acmpca),
            kafka: OnceCell::new_with(kafka),
        }
    }

    /// Ports for another account: every call made with the role's credentials, assumed once, now.
    pub async fn assume_role(&self, role_arn: &str) -> Result<AwsPorts, RuleError> {
        let sdk = self.sdk.get().await;
        let failed = |source: &(dyn std::error::Error + 'static)| RuleError::AwsApi {
            operation: "AssumeRole",
            source: format!("role {role_arn}: {}", ErrorChain(source)).into(),
        };
        let output = aws_sdk_sts::Client::new(sdk)
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(ROLE_SESSION_NAME)
            .send()
            .await
            .map_err(|e| failed(&e))?;
        let credentials = output
            .credentials()
            .ok_or_else(|| failed(&*BoxError::from("the answer carries no credentials")))?;
        let credentials = Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_owned()),
            std::time::SystemTime::try_from(*credentials.expiration()).ok(),
            "AssumeRole",
        );
        let member = sdk
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        Ok(AwsPorts {
            sdk: LazySdkConfig(OnceCell::new_with(Some(member))),
            ..AwsPorts::default()
        })
    }

    /// The account of the credentials in use (GetCallerIdentity), for the local command, which has
    /// no function ARN to read it from.
    pub async fn own_account(&self) -> Result<String, RuleError> {
        let output = aws_sdk_sts::Client::new(self.sdk.get().await)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| RuleError::aws("GetCallerIdentity", e))?;
        output
            .account()
            .map(str::to_owned)
            .ok_or_else(|| RuleError::aws("GetCallerIdentity", "the answer names no account"))
    }

    async fn config(&self) -> &aws_sdk_config::Client {
        self.config
            .get_or_init(|| async { aws_sdk_config::Client::new(self.sdk.get().await) })
            .await
    }

    async fn acmpca(&self) -> &aws_sdk_acmpca::Client {
        self.acmpca
            .get_or_init(|| async { aws_sdk_acmpca::Client::new(self.sdk.get().await) })
            .await
    }

    async fn kafka(&self) -> &aws_sdk_kafka::Client {
        self.kafka
            .get_or_init(|| async { aws_sdk_kafka::Client::new(self.sdk.get().await) })
            .await
    }
}

impl EvaluationSink for AwsPorts {
    async fn put_evaluations(
        &self,
        token: &ResultToken,
        batch: &[Evaluation],
    ) -> Result<Vec<FailedEvaluation>, RuleError> {
        let evaluations = batch
            .iter()
            .map(to_sdk_evaluation)
            .collect::<Result<Vec<_>, _>>()?;
        let mut request = self
            .config()
            .await
            .put_evaluations()
            .result_token(token.expose())
            .set_evaluations(Some(evaluations));
        if token.is_test_mode() {
            request = request.test_mode(true);
        }
        let output = request
            .send()
            .await
            .map_err(|e| RuleError::aws("PutEvaluations", e))?;
        Ok(output
            .failed_evaluations()
            .iter()
            .map(|failed| {
                (
                    failed.compliance_resource_type().to_owned(),
                    failed.compliance_resource_id().to_owned(),
                )
            })
            .collect())
    }
}

fn to_sdk_evaluation(evaluation: &Evaluation) -> Result<SdkEvaluation, RuleError> {
    SdkEvaluation::builder()
        .compliance_resource_type(&evaluation.resource_type)
        .compliance_resource_id(&evaluation.resource_id)
        .compliance_type(SdkComplianceType::from(evaluation.compliance.as_str()))
        .set_annotation(evaluation.annotation.clone())
        .ordering_timestamp(evaluation.ordering_timestamp)
        .build()
        .map_err(|e| RuleError::aws("PutEvaluations", e))
}

impl ConfigHistory for AwsPorts {
    async fn latest_item(
        &self,
        resource_type: &str,
        resource_id: &str,
        later_time: DateTime,
    ) -> Result<ConfigurationItem, RuleError> {
        let output = self
            .config()
            .await
            .get_resource_config_history()
            .resource_type(ResourceType::from(resource_type))
            .resource_id(resource_id)
            .later_time(later_time)
            .limit(1)
            .send()
            .await
            .map_err(|e| RuleError::aws("GetResourceConfigHistory", e))?;
        let item = output.configuration_items().first().ok_or_else(|| {
            RuleError::aws(
                "GetResourceConfigHistory",
                format!("no configuration item recorded for {resource_type} {resource_id}"),
            )
        })?;
        item_from_history(item)
    }
}

/// GetResourceConfigHistory's spelling of an item: `configuration` is a JSON string.
fn item_from_history(
    item: &aws_sdk_config::types::ConfigurationItem,
) -> Result<ConfigurationItem, RuleError> {
    let missing = |field: &str| {
        RuleError::aws(
            "GetResourceConfigHistory",
            format!("the item has no {field}"),
        )
    };
    let configuration = configuration_from_text(item.configuration().unwrap_or(""))
        .map_err(|e| RuleError::aws("GetResourceConfigHistory", e))?;
    Ok(ConfigurationItem {
        resource_type: item
            .resource_type()
            .ok_or_else(|| missing("resourceType"))?
            .as_str()
            .to_owned(),
        resource_id: item
            .resource_id()
            .ok_or_else(|| missing("resourceId"))?
            .to_owned(),
        status: ItemStatus::parse(
            item.configuration_item_status()
                .ok_or_else(|| missing("configurationItemStatus"))?
                .as_str(),
        )
        .map_err(|e| RuleError::aws("GetResourceConfigHistory", e.to_string()))?,
        capture_time: *item
            .configuration_item_capture_time()
            .ok_or_else(|| missing("configurationItemCaptureTime"))?,
        configuration,
        tags: item
            .tags()
            .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
    })
}

impl CertificateAuthorities for AwsPorts {
    async fn health(&self, arn: &str) -> Result<CaHealth, RuleError> {
        let result = self
            .acmpca()
            .await
            .describe_certificate_authority()
            .certificate_authority_arn(arn)
            .send()
            .await;
        let error = match result {
            Ok(output) => {
                let ca = output.certificate_authority();
                return Ok(match ca.and_then(|ca| ca.status()) {
                    Some(CertificateAuthorityStatus::Active) => CaHealth::Active {
                        not_after: ca.and_then(|ca| ca.not_after()).copied(),
                    },
                    Some(status) => CaHealth::NotActive {
                        status: status.as_str().to_owned(),
                    },
                    None => CaHealth::Unreadable {
                        reason: "no status in the answer".to_owned(),
                    },
                });
            }
            Err(error) => error,
        };
        match error.as_service_error() {
            Some(DescribeCertificateAuthorityError::ResourceNotFoundException(_)) => {
                Ok(CaHealth::NotFound)
            }
            Some(DescribeCertificateAuthorityError::InvalidArnException(_)) => {
                Ok(CaHealth::Unreadable {
                    reason: "not a valid CA ARN".to_owned(),
                })
            }
            Some(service_error) if is_access_denied(service_error.code()) => {
                Ok(CaHealth::Unreadable {
                    reason: service_error.code().unwrap_or("AccessDenied").to_owned(),
                })
            }
            _ => Err(RuleError::aws("DescribeCertificateAuthority", error)),
        }
    }
}

fn is_access_denied(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation")
    )
}

/// ListClustersV2's largest page.
const CLUSTERS_PER_PAGE: i32 = 100;
/// GetComplianceDetailsByConfigRule's largest page.
const RESULTS_PER_PAGE: i32 = 100;

impl ClusterInventory for AwsPorts {
    async fn list_clusters(
        &self,
        next_token: Option<String>,
    ) -> Result<Page<ListedCluster>, RuleError> {
        let output = self
            .kafka()
            .await
            .list_clusters_v2()
            .max_results(CLUSTERS_PER_PAGE)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| RuleError::aws("ListClustersV2", e))?;
        let items = output
            .cluster_info_list()
            .iter()
            .map(listed_cluster)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_token: output.next_token().map(str::to_owned),
        })
    }
}

/// A Kafka API cluster, mapped member by member to the same `RecordedAccess` a Config item fills,
/// so both triggers give one verdict for one cluster.
fn listed_cluster(cluster: &KafkaCluster) -> Result<ListedCluster, RuleError> {
    let arn = cluster
        .cluster_arn()
        .ok_or_else(|| RuleError::aws("ListClustersV2", "a cluster without clusterArn"))?
        .to_owned();
    let tags: BTreeMap<String, String> = cluster
        .tags()
        .into_iter()
        .flatten()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let (resource_type, cluster) = match cluster.cluster_type() {
        Some(ClusterType::Serverless) => (MSK_SERVERLESS_CLUSTER, Cluster::Serverless),
        Some(ClusterType::Provisioned) => {
            let access = recorded_access(&arn, cluster.provisioned())?;
            let facts = access.resolve(tags.keys().cloned().collect());
            (MSK_CLUSTER, Cluster::Provisioned(facts))
        }
        other => {
            return Err(RuleError::aws(
                "ListClustersV2",
                format!(
                    "cluster {arn} has clusterType {:?}, not PROVISIONED or SERVERLESS",
                    other.map(ClusterType::as_str)
                ),
            ))
        }
    };
    Ok(ListedCluster {
        resource_type,
        arn,
        tags,
        cluster,
    })
}

/// What the Kafka API records of a provisioned cluster's access, with nothing left out: a member
/// the rule does not map here is a member the verdict does not see.
pub fn recorded_access(
    arn: &str,
    provisioned: Option<&Provisioned>,
) -> Result<RecordedAccess, RuleError> {
    let mut access = RecordedAccess::default();
    let Some(provisioned) = provisioned else {
        return Ok(access);
    };
    if let Some(auth) = provisioned.client_authentication() {
        if let Some(sasl) = auth.sasl() {
            access.sasl_iam = sasl.iam().map(|iam| iam.enabled());
            access.sasl_scram = sasl.scram().map(|scram| scram.enabled());
        }
        access.tls = auth.tls().map(|tls| RecordedTls {
            enabled: tls.enabled(),
            certificate_authority_arns: tls.certificate_authority_arn_list().to_vec(),
        });
        access.unauthenticated = auth
            .unauthenticated()
            .map(|unauthenticated| unauthenticated.enabled());
    }
    if let Some(mode) = provisioned
        .encryption_info()
        .and_then(|info| info.encryption_in_transit())
        .and_then(|in_transit| in_transit.client_broker())
    {
        access.client_broker = Some(match mode {
            KafkaClientBroker::Tls => ClientBroker::Tls,
            KafkaClientBroker::TlsPlaintext => ClientBroker::TlsPlaintext,
            KafkaClientBroker::Plaintext => ClientBroker::Plaintext,
            other => return Err(RuleError::aws(
                "ListClustersV2",
                format!(
                    "cluster {arn}: clientBroker {:?} is not one of TLS, TLS_PLAINTEXT, PLAINTEXT",
                    other.as_str()
                ),
            )),
        });
    }
    if let Some(vpc_auth) = provisioned
        .broker_node_group_info()
        .and_then(|info| info.connectivity_info())
        .and_then(|connectivity| connectivity.vpc_connectivity())
        .and_then(|vpc| vpc.client_authentication())
    {
        if let Some(sasl) = vpc_auth.sasl() {
            access.multi_vpc_sasl_iam = sasl.iam().map(|iam| iam.enabled());
            access.multi_vpc_sasl_scram = sasl.scram().map(|scram| scram.enabled());
        }
        access.multi_vpc_tls = vpc_auth.tls().map(|tls| tls.enabled());
    }
    Ok(access)
}

impl StoredResults for AwsPorts {
    async fn evaluated_resources(
        &self,
        rule_name: &str,
        next_token: Option<String>,
    ) -> Result<Page<(String, String)>, RuleError> {
        let output = self
            .config()
            .await
            .get_compliance_details_by_config_rule()
            .config_rule_name(rule_name)
            .compliance_types(SdkComplianceType::Compliant)
            .compliance_types(SdkComplianceType::NonCompliant)
            .limit(RESULTS_PER_PAGE)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| RuleError::aws("GetComplianceDetailsByConfigRule", e))?;
        let items = output
            .evaluation_results()
            .iter()
            .filter_map(|result| {
                result
                    .evaluation_result_identifier()?
                    .evaluation_result_qualifier()
            })
            .filter_map(|qualifier| {
                Some((
                    qualifier.resource_type()?.to_owned(),
                    qualifier.resource_id()?.to_owned(),
                ))
            })
            .collect();
        Ok(Page {
            items,
            next_token: output.next_token().map(str::to_owned),
        })
    }
}
