//! The ports served by the AWS SDK. The Lambda handler builds the SDK configuration and the Config
//! client during init (`load`): in three alternating runs of 20 cold starts, init plus the first
//! change event took 7.8-8.3 ms that way against 8.2-8.7 ms built on first use (building the Kafka
//! and ACM PCA clients too made it slower). The local command builds them on first use
//! (`default`), so an offline evaluation never loads credentials or builds TLS.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_acmpca::error::ProvideErrorMetadata;
use aws_sdk_acmpca::operation::create_certificate_authority_audit_report::CreateCertificateAuthorityAuditReportError;
use aws_sdk_acmpca::operation::describe_certificate_authority::DescribeCertificateAuthorityError;
use aws_sdk_acmpca::operation::get_policy::GetPolicyError;
use aws_sdk_acmpca::types::{
    AuditReportResponseFormat, AuditReportStatus, CertificateAuthority, CertificateAuthorityStatus,
    CertificateAuthorityType, CertificateAuthorityUsageMode,
};
use aws_sdk_config::primitives::DateTime;
use aws_sdk_config::types::{
    ComplianceType as SdkComplianceType, Evaluation as SdkEvaluation,
    ResourceType as SdkResourceType,
};
use aws_sdk_securityhub::types::{
    AwsSecurityFinding, AwsSecurityFindingFilters, StringFilter, StringFilterComparison,
};
use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::result::SdkError;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio::sync::OnceCell;

use crate::aws::pager::Pager;
use crate::aws::ports::{
    Accounts, AuditReports, Brokers, Caller, ConfigService, ConnectService, ControlIssuers,
    Directory, Held, HubError, KafkaService, MemberAccount, Message, Notifier, Page,
    PrivateCaService, RefusedFinding, ReportRequest, ReportStatus, SecurityHub, Stacks,
    StoredReport,
};
use crate::edge::audit_report::read_report;
use crate::edge::connect::connector;
use crate::edge::event::ResultToken;
use crate::edge::item::ConfigurationItem;
use crate::edge::kafka::{
    bootstrap_members, client_vpc_connection, listed_cluster, replicator, zookeeper_change,
    zookeeper_members, ListedCluster,
};
use crate::edge::read::to_timestamp;
use crate::error::{RuleError, WithContext};
use crate::rule::authorization::{ConfigurationRead, ConfigurationRevision};
use crate::rule::ca::{
    audit_report_prefix, ca_account, outside_issuers, CaDescription, CaHealth, CaKind, CaProfile,
    CaStatus, Issuers, UsageMode,
};
use crate::rule::doors::{hosts_of, ClientVpcConnection, Connector, Listing, Replicator};
use crate::rule::evaluation::ComplianceType;
use crate::rule::evaluation::{Evaluation, ResourceKey, ResourceType};
use crate::rule::held::HeldResult;
use crate::rule::rotation::Issued;
use crate::rule::time::Timestamp;
use crate::rule::zookeeper::OperationsRead;

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
        self.0.get_or_init(|| environment_loader().load()).await
    }
}

/// The SDK configuration as the environment gives it (region, credentials, and settings such as
/// `AWS_USE_DUALSTACK_ENDPOINT`, which the probe stack sets for the Kafka API's dual-stack VPC
/// endpoint), with this project's HTTPS client and retries.
pub fn environment_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
}

/// The SDK's HTTPS client (hyper, rustls, the system's roots) with ring as its crypto.
fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// A failed SDK call as `RuleError`: a service's answer as its code and message (`AccessDenied: User
/// ... is not authorized ...`), which is what a reader acts on; anything else (network, timeout,
/// unreadable answer) with its whole source chain.
fn sdk_failure<E, R>(operation: &'static str, error: SdkError<E, R>) -> RuleError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    RuleError::aws(operation, service_answer(error))
}

fn service_answer<E, R>(error: SdkError<E, R>) -> crate::error::BoxError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let answer = error
        .as_service_error()
        .and_then(|service| Some((service.code()?, service.message())));
    match answer {
        Some((code, Some(message))) => format!("{code}: {message}").into(),
        Some((code, None)) => code.into(),
        None => error.into(),
    }
}

/// Every AWS call the rule makes in one account, on one lazily loaded SDK configuration; each
/// client is built the first time it is needed.
#[derive(Default)]
pub struct AwsAccount {
    sdk: LazySdkConfig,
    config: OnceCell<aws_sdk_config::Client>,
    acmpca: OnceCell<aws_sdk_acmpca::Client>,
    kafka: OnceCell<aws_sdk_kafka::Client>,
    kafkaconnect: OnceCell<aws_sdk_kafkaconnect::Client>,
    sns: OnceCell<aws_sdk_sns::Client>,
    cloudformation: OnceCell<aws_sdk_cloudformation::Client>,
    s3: OnceCell<aws_sdk_s3::Client>,
    securityhub: OnceCell<aws_sdk_securityhub::Client>,
}

impl AwsAccount {
    /// An account over ready-made clients (tests); a client left out is built from the environment.
    pub fn with_clients(
        config: Option<aws_sdk_config::Client>,
        acmpca: Option<aws_sdk_acmpca::Client>,
        kafka: Option<aws_sdk_kafka::Client>,
    ) -> Self {
        AwsAccount {
            sdk: LazySdkConfig::default(),
            config: OnceCell::new_with(config),
            acmpca: OnceCell::new_with(acmpca),
            kafka: OnceCell::new_with(kafka),
            kafkaconnect: OnceCell::new(),
            sns: OnceCell::new(),
            cloudformation: OnceCell::new(),
            s3: OnceCell::new(),
            securityhub: OnceCell::new(),
        }
    }

    /// The same account with a ready-made MSK Connect client (tests).
    pub fn with_kafkaconnect(self, client: aws_sdk_kafkaconnect::Client) -> Self {
        AwsAccount {
            kafkaconnect: OnceCell::new_with(Some(client)),
            ..self
        }
    }

    /// The same account with a ready-made S3 client (tests).
    pub fn with_s3(self, client: aws_sdk_s3::Client) -> Self {
        AwsAccount {
            s3: OnceCell::new_with(Some(client)),
            ..self
        }
    }

    /// An account whose every client is built from `sdk` (tests: an SDK configuration over a
    /// scripted HTTP client).
    pub fn with_sdk_config(sdk: SdkConfig) -> Self {
        AwsAccount {
            sdk: LazySdkConfig(OnceCell::new_with(Some(sdk))),
            ..AwsAccount::default()
        }
    }

    /// The SDK configuration and the Config client (which every invocation calls) built now, for
    /// the Lambda handler's init; Kafka and ACM PCA, which only some invocations call, on first
    /// use. Credentials are still resolved at the first call, so a failure is reported by the
    /// invocation that needs them.
    pub async fn load() -> Self {
        let account = AwsAccount::default();
        account.config().await;
        account
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

    async fn kafkaconnect(&self) -> &aws_sdk_kafkaconnect::Client {
        self.kafkaconnect
            .get_or_init(|| async { aws_sdk_kafkaconnect::Client::new(self.sdk.get().await) })
            .await
    }

    async fn cloudformation(&self) -> &aws_sdk_cloudformation::Client {
        self.cloudformation
            .get_or_init(|| async { aws_sdk_cloudformation::Client::new(self.sdk.get().await) })
            .await
    }

    async fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3
            .get_or_init(|| async { aws_sdk_s3::Client::new(self.sdk.get().await) })
            .await
    }

    async fn securityhub(&self) -> &aws_sdk_securityhub::Client {
        self.securityhub
            .get_or_init(|| async { aws_sdk_securityhub::Client::new(self.sdk.get().await) })
            .await
    }

    async fn sns(&self) -> &aws_sdk_sns::Client {
        self.sns
            .get_or_init(|| async { aws_sdk_sns::Client::new(self.sdk.get().await) })
            .await
    }
}

impl Notifier for AwsAccount {
    async fn publish(&self, topic_arn: &str, message: &Message) -> Result<(), RuleError> {
        let mut request = self
            .sns()
            .await
            .publish()
            .topic_arn(topic_arn)
            .subject(&message.subject)
            .message(&message.body);
        for (name, value) in &message.attributes {
            let attribute = aws_sdk_sns::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| RuleError::aws("Publish", e))?;
            request = request.message_attributes(name, attribute);
        }
        request
            .send()
            .await
            .map_err(|e| sdk_failure("Publish", e))?;
        Ok(())
    }
}

impl Stacks for AwsAccount {
    async fn stack_tags(&self, stack_id: &str) -> Result<BTreeMap<String, String>, RuleError> {
        let output = self
            .cloudformation()
            .await
            .describe_stacks()
            .stack_name(stack_id)
            .send()
            .await
            .map_err(|e| sdk_failure("DescribeStacks", e))?;
        let [stack] = output.stacks() else {
            return Err(RuleError::aws(
                "DescribeStacks",
                format!(
                    "{} stacks answered for {stack_id}, not one",
                    output.stacks().len()
                ),
            ));
        };
        Ok(stack
            .tags()
            .iter()
            .filter_map(|tag| Some((tag.key()?.to_owned(), tag.value()?.to_owned())))
            .collect())
    }
}

impl Accounts for AwsAccount {
    async fn own_account(&self) -> Result<String, RuleError> {
        self.caller().await.map(|caller| caller.account)
    }

    /// Every call made with the role's credentials: assumed now (so a role that cannot be assumed
    /// is known before anything else is read), and again whenever less than `REFRESH_BEFORE` of
    /// them remains, so an account read for longer than a session lasts is not read as unreadable.
    async fn assume_role(&self, role_arn: &str) -> Result<AwsAccount, RuleError> {
        let sdk = self.sdk.get().await;
        let sts = aws_sdk_sts::Client::new(sdk);
        let credentials = assume(&sts, role_arn).await?;
        let role = RoleCredentials {
            sts,
            role_arn: role_arn.to_owned(),
            current: tokio::sync::Mutex::new(credentials),
        };
        // No SDK cache in front: it would hold the credentials until seconds before they lapse.
        let member = sdk
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(role))
            .identity_cache(aws_config::identity::IdentityCache::no_cache())
            .build();
        Ok(AwsAccount {
            sdk: LazySdkConfig(OnceCell::new_with(Some(member))),
            ..AwsAccount::default()
        })
    }
}

/// A role's credentials are assumed again when less than this remains of them: one hour is the most
/// a chained role's session lasts, and a call signed with credentials about to lapse can still be
/// retried for a while.
pub const REFRESH_BEFORE: std::time::Duration = std::time::Duration::from_secs(300);

/// Whether credentials expiring at `expiry` are to be renewed at `now`.
pub fn needs_refresh(expiry: Option<std::time::SystemTime>, now: std::time::SystemTime) -> bool {
    expiry.is_some_and(|expiry| {
        expiry
            .duration_since(now)
            .map_or(true, |left| left < REFRESH_BEFORE)
    })
}

/// The credentials of an assumed role, renewed with AssumeRole (on the caller's credentials) when
/// they near their expiry.
#[derive(Debug)]
struct RoleCredentials {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    current: tokio::sync::Mutex<Credentials>,
}

impl aws_credential_types::provider::ProvideCredentials for RoleCredentials {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let mut current = self.current.lock().await;
            if needs_refresh(current.expiry(), std::time::SystemTime::now()) {
                *current = assume(&self.sts, &self.role_arn).await.map_err(|error| {
                    aws_credential_types::provider::error::CredentialsError::provider_error(
                        error.message(),
                    )
                })?;
            }
            Ok(current.clone())
        })
    }
}

/// One AssumeRole call, boxed: called from the role's first assumption and from the credentials
/// provider, the operation's state machine is otherwise compiled into both (16 KB, measured on
/// x86_64).
fn assume<'a>(
    sts: &'a aws_sdk_sts::Client,
    role_arn: &'a str,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Credentials, RuleError>> + Send + 'a>>
{
    Box::pin(assume_once(sts, role_arn))
}

async fn assume_once(sts: &aws_sdk_sts::Client, role_arn: &str) -> Result<Credentials, RuleError> {
    let failed = |source: crate::error::BoxError| {
        RuleError::aws(
            "AssumeRole",
            WithContext::new(format!("role {role_arn}"), source),
        )
    };
    let output = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(ROLE_SESSION_NAME)
        .send()
        .await
        .map_err(|e| failed(service_answer(e)))?;
    let credentials = output
        .credentials()
        .ok_or_else(|| failed("the answer carries no credentials".into()))?;
    Ok(Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        Some(credentials.session_token().to_owned()),
        std::time::SystemTime::try_from(*credentials.expiration()).ok(),
        "AssumeRole",
    ))
}

/// ListRegions' largest page.
const REGIONS_PER_PAGE: i32 = 50;
/// ListAccounts' largest page.
const ACCOUNTS_PER_PAGE: i32 = 20;

impl Directory for AwsAccount {
    async fn caller(&self) -> Result<Caller, RuleError> {
        let output = aws_sdk_sts::Client::new(self.sdk.get().await)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| sdk_failure("GetCallerIdentity", e))?;
        let account = output
            .account()
            .filter(|account| account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                RuleError::aws("GetCallerIdentity", "the answer names no 12-digit account")
            })?;
        let partition = output
            .arn()
            .and_then(|arn| arn.strip_prefix("arn:"))
            .and_then(|rest| rest.split(':').next())
            .filter(|partition| partition.starts_with("aws"))
            .ok_or_else(|| {
                RuleError::aws(
                    "GetCallerIdentity",
                    "the answer carries no ARN with a partition",
                )
            })?;
        Ok(Caller {
            account: account.to_owned(),
            partition: partition.to_owned(),
        })
    }

    async fn home_region(&self) -> Option<String> {
        self.sdk.get().await.region().map(ToString::to_string)
    }

    async fn in_region(&self, region: &str) -> AwsAccount {
        let regional = self
            .sdk
            .get()
            .await
            .to_builder()
            .region(aws_config::Region::new(region.to_owned()))
            .build();
        AwsAccount {
            sdk: LazySdkConfig(OnceCell::new_with(Some(regional))),
            ..AwsAccount::default()
        }
    }

    async fn enabled_regions(&self, next_token: Option<String>) -> Result<Page<String>, RuleError> {
        use aws_sdk_account::types::RegionOptStatus;
        let output = aws_sdk_account::Client::new(self.sdk.get().await)
            .list_regions()
            .region_opt_status_contains(RegionOptStatus::Enabled)
            .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
            .max_results(REGIONS_PER_PAGE)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| sdk_failure("ListRegions", e))?;
        let items = output
            .regions()
            .iter()
            .map(|region| {
                region
                    .region_name()
                    .map(str::to_owned)
                    .ok_or_else(|| RuleError::aws("ListRegions", "a region without RegionName"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            next_token: output.next_token().map(str::to_owned),
        })
    }

    async fn organization_accounts(
        &self,
        next_token: Option<String>,
    ) -> Result<Page<MemberAccount>, RuleError> {
        let output = aws_sdk_organizations::Client::new(self.sdk.get().await)
            .list_accounts()
            .max_results(ACCOUNTS_PER_PAGE)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| sdk_failure("ListAccounts", e))?;
        let items = output
            .accounts()
            .iter()
            .map(|account| {
                let id = account
                    .id()
                    .ok_or_else(|| RuleError::aws("ListAccounts", "an account without Id"))?;
                let state = match (account.state(), account.status()) {
                    (Some(state), _) => Some(state.as_str().to_owned()),
                    (None, Some(status)) => Some(status.as_str().to_owned()),
                    (None, None) => None,
                };
                Ok(MemberAccount {
                    id: id.to_owned(),
                    state,
                })
            })
            .collect::<Result<_, RuleError>>()?;
        Ok(Page {
            items,
            next_token: output.next_token().map(str::to_owned),
        })
    }
}

impl ConfigService for AwsAccount {
    async fn put_evaluations(
        &self,
        token: &ResultToken,
        batch: &[Evaluation],
    ) -> Result<Vec<ResourceKey>, RuleError> {
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
            .map_err(|e| sdk_failure("PutEvaluations", e))?;
        Ok(output
            .failed_evaluations()
            .iter()
            .map(|failed| ResourceKey {
                resource_type: ResourceType::parse(failed.compliance_resource_type()),
                resource_id: failed.compliance_resource_id().to_owned(),
            })
            .collect())
    }

    async fn latest_item(
        &self,
        resource: &ResourceKey,
        later_time: Timestamp,
    ) -> Result<ConfigurationItem, RuleError> {
        let output = self
            .config()
            .await
            .get_resource_config_history()
            .resource_type(SdkResourceType::from(resource.resource_type.as_str()))
            .resource_id(&resource.resource_id)
            .later_time(DateTime::from_millis(later_time.millis()))
            .limit(1)
            .send()
            .await
            .map_err(|e| sdk_failure("GetResourceConfigHistory", e))?;
        let item = output.configuration_items().first().ok_or_else(|| {
            RuleError::aws(
                "GetResourceConfigHistory",
                format!(
                    "no configuration item recorded for {} {}",
                    resource.resource_type, resource.resource_id
                ),
            )
        })?;
        ConfigurationItem::from_history(item)
    }

    async fn evaluated_resources(
        &self,
        rule_name: &str,
        next_token: Option<String>,
    ) -> Result<Page<Held>, RuleError> {
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
            .map_err(|e| sdk_failure("GetComplianceDetailsByConfigRule", e))?;
        let items = output
            .evaluation_results()
            .iter()
            .filter_map(|result| {
                let qualifier = result
                    .evaluation_result_identifier()?
                    .evaluation_result_qualifier()?;
                Some(Held {
                    key: ResourceKey {
                        resource_type: ResourceType::parse(qualifier.resource_type()?),
                        resource_id: qualifier.resource_id()?.to_owned(),
                    },
                    result: held_result(result)?,
                })
            })
            .collect();
        Ok(Page {
            items,
            next_token: output.next_token().map(str::to_owned),
        })
    }

    async fn held_result(
        &self,
        rule_name: &str,
        resource: &ResourceKey,
    ) -> Result<Option<HeldResult>, RuleError> {
        let mut pages = crate::aws::pager::Pager::new("GetComplianceDetailsByResource");
        loop {
            let output = self
                .config()
                .await
                .get_compliance_details_by_resource()
                .resource_type(resource.resource_type.as_str())
                .resource_id(&resource.resource_id)
                .compliance_types(SdkComplianceType::Compliant)
                .compliance_types(SdkComplianceType::NonCompliant)
                .compliance_types(SdkComplianceType::NotApplicable)
                .set_next_token(pages.token())
                .send()
                .await
                .map_err(|e| sdk_failure("GetComplianceDetailsByResource", e))?;
            let mine = output.evaluation_results().iter().find(|result| {
                result
                    .evaluation_result_identifier()
                    .and_then(|identifier| identifier.evaluation_result_qualifier())
                    .and_then(|qualifier| qualifier.config_rule_name())
                    == Some(rule_name)
            });
            if let Some(result) = mine {
                return Ok(held_result(result));
            }
            if !pages.advance(output.next_token().map(str::to_owned))? {
                return Ok(None);
            }
        }
    }
}

/// A held result in the rule's terms; INSUFFICIENT_DATA (or a type this build does not know) is
/// no result to compare with.
fn held_result(result: &aws_sdk_config::types::EvaluationResult) -> Option<HeldResult> {
    let compliance = match result.compliance_type()? {
        SdkComplianceType::Compliant => ComplianceType::Compliant,
        SdkComplianceType::NonCompliant => ComplianceType::NonCompliant,
        SdkComplianceType::NotApplicable => ComplianceType::NotApplicable,
        _ => return None,
    };
    Some(HeldResult {
        compliance,
        annotation: result.annotation().map(str::to_owned),
    })
}

fn to_sdk_evaluation(evaluation: &Evaluation) -> Result<SdkEvaluation, RuleError> {
    SdkEvaluation::builder()
        .compliance_resource_type(evaluation.resource_type.as_str())
        .compliance_resource_id(&evaluation.resource_id)
        .compliance_type(SdkComplianceType::from(evaluation.compliance.as_str()))
        .set_annotation(evaluation.annotation.clone())
        .ordering_timestamp(DateTime::from_millis(
            evaluation.ordering_timestamp.millis(),
        ))
        .build()
        .map_err(|e| RuleError::aws("PutEvaluations", e))
}

impl PrivateCaService for AwsAccount {
    async fn describe(&self, arn: &str) -> Result<CaDescription, RuleError> {
        let result = self
            .acmpca()
            .await
            .describe_certificate_authority()
            .certificate_authority_arn(arn)
            .send()
            .await;
        let unread = |health| {
            Ok(CaDescription {
                health,
                profile: None,
            })
        };
        let error = match result {
            Ok(output) => return Ok(described(output.certificate_authority())),
            Err(error) => error,
        };
        match error.as_service_error() {
            Some(DescribeCertificateAuthorityError::ResourceNotFoundException(_)) => {
                unread(CaHealth::NotFound)
            }
            Some(DescribeCertificateAuthorityError::InvalidArnException(_)) => {
                unread(CaHealth::Unreadable {
                    reason: "not a valid CA ARN".to_owned(),
                })
            }
            Some(service_error) if is_access_denied(service_error.code()) => {
                unread(CaHealth::Unreadable {
                    reason: service_error.code().unwrap_or("AccessDenied").to_owned(),
                })
            }
            _ => Err(RuleError::aws("DescribeCertificateAuthority", error)),
        }
    }

    async fn issuers(&self, arn: &str) -> Result<Issuers, RuleError> {
        let Some(own_account) = ca_account(arn) else {
            return Ok(Issuers::Unknown("not a valid CA ARN".to_owned()));
        };
        let result = self
            .acmpca()
            .await
            .get_policy()
            .resource_arn(arn)
            .send()
            .await;
        let error = match result {
            Ok(output) => {
                return Ok(match output.policy() {
                    Some(policy) => match outside_issuers(policy, own_account) {
                        Ok(issuers) => Issuers::Known(issuers),
                        Err(reason) => Issuers::Unknown(reason),
                    },
                    None => Issuers::Unknown("no policy in the answer".to_owned()),
                })
            }
            Err(error) => error,
        };
        match error.as_service_error() {
            // No policy (or no CA): only the CA's own account can issue.
            Some(GetPolicyError::ResourceNotFoundException(_)) => {
                Ok(Issuers::Known(BTreeSet::new()))
            }
            Some(GetPolicyError::InvalidArnException(_)) => {
                Ok(Issuers::Unknown("not a valid CA ARN".to_owned()))
            }
            Some(service_error) if is_access_denied(service_error.code()) => {
                Ok(Issuers::Unknown(format!(
                    "{}: needs acm-pca:GetPolicy",
                    service_error.code().unwrap_or("AccessDenied")
                )))
            }
            _ => Err(RuleError::aws("GetPolicy", error)),
        }
    }
}

impl SecurityHub for AwsAccount {
    async fn active_findings(
        &self,
        product_arn: &str,
        generator_prefix: &str,
    ) -> Result<Vec<AwsSecurityFinding>, HubError> {
        let text = |value: &str, comparison| {
            StringFilter::builder()
                .value(value)
                .comparison(comparison)
                .build()
        };
        let filters = AwsSecurityFindingFilters::builder()
            .product_arn(text(product_arn, StringFilterComparison::Equals))
            .generator_id(text(generator_prefix, StringFilterComparison::Prefix))
            .record_state(text("ACTIVE", StringFilterComparison::Equals))
            .build();
        let mut found = Vec::new();
        let mut pages = Pager::new("GetFindings");
        loop {
            let output = self
                .securityhub()
                .await
                .get_findings()
                .filters(filters.clone())
                .max_results(100)
                .set_next_token(pages.token())
                .send()
                .await
                .map_err(|e| hub_error("GetFindings", e))?;
            found.extend(output.findings.unwrap_or_default());
            if !pages.advance(output.next_token).map_err(HubError::Failed)? {
                return Ok(found);
            }
        }
    }

    async fn import_findings(
        &self,
        findings: Vec<AwsSecurityFinding>,
    ) -> Result<Vec<RefusedFinding>, HubError> {
        let output = self
            .securityhub()
            .await
            .batch_import_findings()
            .set_findings(Some(findings))
            .send()
            .await
            .map_err(|e| hub_error("BatchImportFindings", e))?;
        Ok(output
            .failed_findings
            .unwrap_or_default()
            .into_iter()
            .map(|refused| RefusedFinding {
                id: refused.id.unwrap_or_default(),
                reason: format!(
                    "{}: {}",
                    refused.error_code.unwrap_or_default(),
                    refused.error_message.unwrap_or_default()
                ),
            })
            .collect())
    }
}

/// Security Hub's answer, sorted: not enabled and throttled are told apart from any other failure.
fn hub_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> HubError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match error.as_service_error().and_then(|e| e.code()) {
        Some("InvalidAccessException") => HubError::NotEnabled,
        Some("LimitExceededException" | "ThrottlingException" | "TooManyRequestsException") => {
            HubError::Throttled
        }
        _ => HubError::Failed(sdk_failure(operation, error)),
    }
}

impl AuditReports for AwsAccount {
    async fn newest_report(
        &self,
        bucket: &str,
        ca_arn: &str,
    ) -> Result<Option<StoredReport>, RuleError> {
        let prefix = audit_report_prefix(ca_arn).ok_or_else(|| {
            RuleError::aws("ListObjectsV2", format!("{ca_arn} is not a CA's ARN"))
        })?;
        let mut newest: Option<StoredReport> = None;
        let mut pages = Pager::new("ListObjectsV2");
        loop {
            let output = self
                .s3()
                .await
                .list_objects_v2()
                .bucket(bucket)
                .prefix(&prefix)
                .set_continuation_token(pages.token())
                .send()
                .await
                .map_err(|e| sdk_failure("ListObjectsV2", e))?;
            for object in output.contents() {
                let (Some(key), Some(modified)) = (object.key(), object.last_modified()) else {
                    continue;
                };
                let written = to_timestamp(modified);
                // A CSV report (asked for by hand) is not the one to read.
                if key.ends_with(".json") && newest.as_ref().is_none_or(|n| written > n.written) {
                    newest = Some(StoredReport {
                        bucket: bucket.to_owned(),
                        key: key.to_owned(),
                        written,
                    });
                }
            }
            if !pages.advance(output.next_continuation_token().map(str::to_owned))? {
                return Ok(newest);
            }
        }
    }

    async fn request_report(&self, bucket: &str, ca_arn: &str) -> Result<ReportRequest, RuleError> {
        let result = self
            .acmpca()
            .await
            .create_certificate_authority_audit_report()
            .certificate_authority_arn(ca_arn)
            .s3_bucket_name(bucket)
            .audit_report_response_format(AuditReportResponseFormat::Json)
            .send()
            .await;
        match result {
            Ok(output) => match output.audit_report_id() {
                Some(id) => Ok(ReportRequest::Requested {
                    report_id: id.to_owned(),
                }),
                None => Err(RuleError::aws(
                    "CreateCertificateAuthorityAuditReport",
                    "the answer names no report id",
                )),
            },
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(CreateCertificateAuthorityAuditReportError::RequestInProgressException(_))
                ) =>
            {
                Ok(ReportRequest::AlreadyInProgress)
            }
            Err(error) => Err(sdk_failure("CreateCertificateAuthorityAuditReport", error)),
        }
    }

    async fn report_status(
        &self,
        ca_arn: &str,
        report_id: &str,
    ) -> Result<ReportStatus, RuleError> {
        const OPERATION: &str = "DescribeCertificateAuthorityAuditReport";
        let output = self
            .acmpca()
            .await
            .describe_certificate_authority_audit_report()
            .certificate_authority_arn(ca_arn)
            .audit_report_id(report_id)
            .send()
            .await
            .map_err(|e| sdk_failure(OPERATION, e))?;
        match output.audit_report_status() {
            Some(AuditReportStatus::Creating) => Ok(ReportStatus::Creating),
            Some(AuditReportStatus::Failed) => Ok(ReportStatus::Failed),
            Some(AuditReportStatus::Success) => {
                let (Some(bucket), Some(key)) = (output.s3_bucket_name(), output.s3_key()) else {
                    return Err(RuleError::aws(
                        OPERATION,
                        "a written report without its place",
                    ));
                };
                Ok(ReportStatus::Written(StoredReport {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    written: output
                        .created_at()
                        .map_or_else(Timestamp::now, to_timestamp),
                }))
            }
            other => Err(RuleError::aws(
                OPERATION,
                format!("a status this build does not know: {other:?}"),
            )),
        }
    }

    async fn read_report(&self, report: &StoredReport) -> Result<Issued, RuleError> {
        let output = self
            .s3()
            .await
            .get_object()
            .bucket(&report.bucket)
            .key(&report.key)
            .send()
            .await
            .map_err(|e| sdk_failure("GetObject", e))?;
        let body = tokio_util::io::SyncIoBridge::new(output.body.into_async_read());
        let read = tokio::task::spawn_blocking(move || read_report(body))
            .await
            .map_err(|e| RuleError::aws("GetObject", e))?;
        read.map_err(|e| {
            RuleError::aws(
                "GetObject",
                format!("s3://{}/{}: {e}", report.bucket, report.key),
            )
        })
    }
}

/// A CA as DescribeCertificateAuthority answers it.
fn described(ca: Option<&CertificateAuthority>) -> CaDescription {
    let unread = |reason: &str| CaDescription {
        health: CaHealth::Unreadable {
            reason: reason.to_owned(),
        },
        profile: None,
    };
    let Some(ca) = ca else {
        return unread("no CA in the answer");
    };
    let health = match ca.status() {
        Some(CertificateAuthorityStatus::Active) => CaHealth::Active {
            not_after: ca.not_after().map(to_timestamp),
        },
        Some(status) => CaHealth::NotActive {
            status: ca_status(status),
        },
        None => return unread("no status in the answer"),
    };
    // No type recorded is never read as SUBORDINATE.
    let kind = ca
        .r#type()
        .map_or(CaKind::Unknown("unrecorded".to_owned()), ca_kind);
    let usage = ca
        .usage_mode()
        .map_or(UsageMode::GeneralPurpose, usage_mode);
    CaDescription {
        health,
        profile: Some(CaProfile { kind, usage }),
    }
}

fn ca_kind(kind: &CertificateAuthorityType) -> CaKind {
    match kind {
        CertificateAuthorityType::Root => CaKind::Root,
        CertificateAuthorityType::Subordinate => CaKind::Subordinate,
        other => CaKind::Unknown(other.as_str().to_owned()),
    }
}

fn usage_mode(mode: &CertificateAuthorityUsageMode) -> UsageMode {
    match mode {
        CertificateAuthorityUsageMode::GeneralPurpose => UsageMode::GeneralPurpose,
        CertificateAuthorityUsageMode::ShortLivedCertificate => UsageMode::ShortLivedCertificate,
        other => UsageMode::Unknown(other.as_str().to_owned()),
    }
}

fn ca_status(status: &CertificateAuthorityStatus) -> CaStatus {
    match status {
        CertificateAuthorityStatus::Creating => CaStatus::Creating,
        CertificateAuthorityStatus::PendingCertificate => CaStatus::PendingCertificate,
        CertificateAuthorityStatus::Disabled => CaStatus::Disabled,
        CertificateAuthorityStatus::Expired => CaStatus::Expired,
        CertificateAuthorityStatus::Failed => CaStatus::Failed,
        CertificateAuthorityStatus::Deleted => CaStatus::Deleted,
        other => CaStatus::Unknown(other.as_str().to_owned()),
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

impl Brokers for AwsAccount {
    async fn bootstrap_brokers(
        &self,
        cluster_arn: &str,
    ) -> Result<Vec<(String, String)>, RuleError> {
        let output = self
            .kafka()
            .await
            .get_bootstrap_brokers()
            .cluster_arn(cluster_arn)
            .send()
            .await
            .map_err(|e| sdk_failure("GetBootstrapBrokers", e))?;
        Ok(bootstrap_members(&output))
    }

    async fn zookeeper_nodes(&self, cluster_arn: &str) -> Result<Vec<(String, String)>, RuleError> {
        let output = self
            .kafka()
            .await
            .describe_cluster_v2()
            .cluster_arn(cluster_arn)
            .send()
            .await
            .map_err(|e| sdk_failure("DescribeClusterV2", e))?;
        Ok(zookeeper_members(output.cluster_info()))
    }
}

impl ControlIssuers for AwsAccount {
    async fn trusted_cas(&self, cluster_arn: &str) -> Result<Vec<String>, RuleError> {
        let output = self
            .kafka()
            .await
            .describe_cluster_v2()
            .cluster_arn(cluster_arn)
            .send()
            .await
            .map_err(|e| sdk_failure("DescribeClusterV2", e))?;
        let tls = output
            .cluster_info()
            .and_then(|cluster| cluster.provisioned())
            .and_then(|provisioned| provisioned.client_authentication())
            .and_then(|authentication| authentication.tls());
        Ok(tls
            .map(|tls| tls.certificate_authority_arn_list().to_vec())
            .unwrap_or_default())
    }

    async fn ca_certificate(&self, ca_arn: &str) -> Result<Vec<u8>, RuleError> {
        let output = self
            .acmpca()
            .await
            .get_certificate_authority_certificate()
            .certificate_authority_arn(ca_arn)
            .send()
            .await
            .map_err(|e| sdk_failure("GetCertificateAuthorityCertificate", e))?;
        let pem = output.certificate().unwrap_or_default();
        CertificateDer::from_pem_slice(pem.as_bytes())
            .map(|der| der.to_vec())
            .map_err(|e| {
                RuleError::aws(
                    "GetCertificateAuthorityCertificate",
                    format!("the answer holds no PEM certificate: {e}"),
                )
            })
    }
}

impl KafkaService for AwsAccount {
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
            .map_err(|e| sdk_failure("ListClustersV2", e))?;
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

    async fn configuration_revision(
        &self,
        revision: &ConfigurationRevision,
    ) -> Result<ConfigurationRead, RuleError> {
        let result = self
            .kafka()
            .await
            .describe_configuration_revision()
            .arn(&revision.arn)
            .revision(revision.revision)
            .send()
            .await;
        let error = match result {
            Ok(output) => {
                return Ok(match output.server_properties() {
                    Some(properties) => ConfigurationRead::Properties(properties.as_ref().to_vec()),
                    None => {
                        ConfigurationRead::Unreadable("no serverProperties in the answer".into())
                    }
                })
            }
            Err(error) => error,
        };
        match error.as_service_error() {
            Some(service_error) if is_unreadable(service_error.code()) => {
                Ok(ConfigurationRead::Unreadable(
                    service_error.code().unwrap_or("NotFound").to_owned(),
                ))
            }
            _ => Err(sdk_failure("DescribeConfigurationRevision", error)),
        }
    }

    async fn zookeeper_changes(&self, cluster_arn: &str) -> Result<OperationsRead, RuleError> {
        let mut pages = Pager::new("ListClusterOperations");
        let mut changes = Vec::new();
        loop {
            let result = self
                .kafka()
                .await
                .list_cluster_operations()
                .cluster_arn(cluster_arn)
                .max_results(OPERATIONS_PER_PAGE)
                .set_next_token(pages.token())
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(error) => {
                    return match error.as_service_error() {
                        Some(service_error) if is_unreadable(service_error.code()) => {
                            Ok(OperationsRead::Unreadable(
                                service_error.code().unwrap_or("NotFound").to_owned(),
                            ))
                        }
                        _ => Err(sdk_failure("ListClusterOperations", error)),
                    }
                }
            };
            for operation in output.cluster_operation_info_list() {
                changes.extend(zookeeper_change(cluster_arn, operation)?);
            }
            if !pages.advance(output.next_token().map(str::to_owned))? {
                return Ok(OperationsRead::Changes(changes));
            }
        }
    }

    async fn replicators(&self) -> Listing<Replicator> {
        every_page("ListReplicators", |token| async move {
            let output = self
                .kafka()
                .await
                .list_replicators()
                .max_results(LISTED_PER_PAGE)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| unlisted("ListReplicators", &e))?;
            let found = output.replicators().iter().filter_map(replicator).collect();
            Ok((found, output.next_token().map(str::to_owned)))
        })
        .await
    }

    async fn client_vpc_connections(&self, cluster_arn: &str) -> Listing<ClientVpcConnection> {
        every_page("ListClientVpcConnections", |token| async move {
            let output = self
                .kafka()
                .await
                .list_client_vpc_connections()
                .cluster_arn(cluster_arn)
                .max_results(LISTED_PER_PAGE)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| unlisted("ListClientVpcConnections", &e))?;
            let found = output
                .client_vpc_connections()
                .iter()
                .filter_map(client_vpc_connection)
                .collect();
            Ok((found, output.next_token().map(str::to_owned)))
        })
        .await
    }

    async fn broker_hosts(&self, cluster_arn: &str) -> Listing<String> {
        let output = self
            .kafka()
            .await
            .get_bootstrap_brokers()
            .cluster_arn(cluster_arn)
            .send()
            .await
            .map_err(|e| unlisted("GetBootstrapBrokers", &e))?;
        Ok(bootstrap_members(&output)
            .iter()
            .flat_map(|(_, list)| hosts_of(list))
            .collect())
    }
}

impl ConnectService for AwsAccount {
    async fn connectors(&self) -> Listing<Connector> {
        every_page("ListConnectors", |token| async move {
            let output = self
                .kafkaconnect()
                .await
                .list_connectors()
                .max_results(LISTED_PER_PAGE)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| unlisted("ListConnectors", &e))?;
            let found = output.connectors().iter().filter_map(connector).collect();
            Ok((found, output.next_token().map(str::to_owned)))
        })
        .await
    }
}

/// Every page of a listing that names a door's users: `page` asks one with a token and gives its
/// items and the next token; a token seen before is the listing's failure, as any call's is.
async fn every_page<T, Fut>(
    operation: &'static str,
    mut page: impl FnMut(Option<String>) -> Fut,
) -> Listing<T>
where
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), String>>,
{
    let mut pages = Pager::new(operation);
    let mut found = Vec::new();
    loop {
        let (items, next) = page(pages.token()).await?;
        found.extend(items);
        if !pages.advance(next).map_err(|error| error.to_string())? {
            return Ok(found);
        }
    }
}

/// The largest page of ListReplicators, ListClientVpcConnections and ListConnectors (their
/// `maxResults` is at most 100 in the service models).
const LISTED_PER_PAGE: i32 = 100;

/// Why a listing that names a door's users could not be read, short enough for the annotation:
/// the operation and the service's error code, or what kept the answer away.
fn unlisted<E, R>(operation: &str, error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata,
{
    let why = match error {
        SdkError::ServiceError(service) => {
            service.err().code().unwrap_or("an error without a code")
        }
        SdkError::TimeoutError(_) => "timed out",
        SdkError::DispatchFailure(_) => "no connection",
        SdkError::ResponseError(_) => "an unreadable answer",
        _ => "the request could not be built",
    };
    format!("{operation}: {why}")
}

/// ListClusterOperations' largest page (the MSK API reference: "default maximum 100").
const OPERATIONS_PER_PAGE: i32 = 100;

/// The answers that say something (a configuration revision, a cluster's operations) cannot be
/// read by this role, or is not there: what it holds is then unknown, a finding, not a failed
/// invocation.
fn is_unreadable(code: Option<&str>) -> bool {
    is_access_denied(code)
        || matches!(
            code,
            Some("NotFoundException" | "ForbiddenException" | "UnauthorizedException")
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    /// Why a door's users were not listed, from each way a call fails: short, and the service's
    /// code when it answered.
    #[test]
    fn a_listing_that_failed_says_the_operation_and_why_in_a_few_words() {
        use aws_sdk_kafka::operation::list_replicators::ListReplicatorsError;
        use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
        use aws_smithy_runtime_api::client::result::ConnectorError;
        type Failure = SdkError<ListReplicatorsError, HttpResponse>;
        let raw = || {
            HttpResponse::new(
                500u16.try_into().unwrap(),
                aws_smithy_types::body::SdkBody::empty(),
            )
        };
        let denied = ListReplicatorsError::generic(
            aws_sdk_kafka::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .build(),
        );
        let cases: [(Failure, &str); 6] = [
            (
                SdkError::service_error(denied, raw()),
                "ListReplicators: AccessDeniedException",
            ),
            (
                SdkError::service_error(
                    ListReplicatorsError::generic(
                        aws_sdk_kafka::error::ErrorMetadata::builder().build(),
                    ),
                    raw(),
                ),
                "ListReplicators: an error without a code",
            ),
            (
                SdkError::timeout_error("slow"),
                "ListReplicators: timed out",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::io("refused".into())),
                "ListReplicators: no connection",
            ),
            (
                SdkError::response_error("not JSON", raw()),
                "ListReplicators: an unreadable answer",
            ),
            (
                SdkError::construction_failure("no region"),
                "ListReplicators: the request could not be built",
            ),
        ];
        for (error, said) in cases {
            assert_eq!(unlisted("ListReplicators", &error), said);
        }
    }

    #[test]
    fn credentials_are_renewed_with_less_than_five_minutes_left() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        for (left, renew) in [
            (3_600, false),
            (301, false),
            (300, false),
            (299, true),
            (0, true),
        ] {
            assert_eq!(
                needs_refresh(Some(now + Duration::from_secs(left)), now),
                renew,
                "{left} s left"
            );
        }
        assert!(
            needs_refresh(Some(now - Duration::from_secs(1)), now),
            "already lapsed"
        );
        assert!(!needs_refresh(None, now), "credentials that never expire");
    }
}
