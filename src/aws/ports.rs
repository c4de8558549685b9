//! What the rule asks of AWS: one trait per service it calls (Config, Kafka, MSK Connect, ACM PCA), in the
//! project's own types, and one way to reach another account (STS). `AwsAccount` (sdk.rs) serves
//! them with the AWS SDK; tests serve them from memory.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_securityhub::types::AwsSecurityFinding;

use crate::edge::event::ResultToken;
use crate::edge::item::ConfigurationItem;
use crate::edge::kafka::ListedCluster;
use crate::error::RuleError;
use crate::rule::authorization::{ConfigurationRead, ConfigurationRevision};
use crate::rule::ca::{CaDescription, Issuers};
use crate::rule::doors::{ClientVpcConnection, Connector, Listing, Replicator};
use crate::rule::evaluation::{Evaluation, ResourceKey};
use crate::rule::held::HeldResult;
use crate::rule::rotation::Issued;
use crate::rule::time::Timestamp;
use crate::rule::zookeeper::OperationsRead;

/// One page of an AWS listing and the token of the next, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            items: Vec::new(),
            next_token: None,
        }
    }
}

pub trait ConfigService {
    /// One PutEvaluations call with at most 100 evaluations; returns the resources Config reported
    /// in `FailedEvaluations`.
    fn put_evaluations(
        &self,
        token: &ResultToken,
        batch: &[Evaluation],
    ) -> impl Future<Output = Result<Vec<ResourceKey>, RuleError>> + Send;

    /// The newest configuration item of a resource recorded at or before `later_time`.
    fn latest_item(
        &self,
        resource: &ResourceKey,
        later_time: Timestamp,
    ) -> impl Future<Output = Result<ConfigurationItem, RuleError>> + Send;

    /// One page of the resources that hold a COMPLIANT or NON_COMPLIANT result of the rule, with
    /// the result.
    fn evaluated_resources(
        &self,
        rule_name: &str,
        next_token: Option<String>,
    ) -> impl Future<Output = Result<Page<Held>, RuleError>> + Send;

    /// The result the rule holds for one resource, if any (GetComplianceDetailsByResource).
    fn held_result(
        &self,
        rule_name: &str,
        resource: &ResourceKey,
    ) -> impl Future<Output = Result<Option<HeldResult>, RuleError>> + Send;
}

/// A resource and the result the rule holds for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub key: ResourceKey,
    pub result: HeldResult,
}

/// One alert as SNS publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub body: String,
    pub attributes: Vec<(String, String)>,
}

/// Where alerts go (SNS), always with the function's own credentials: in an organization roll-out
/// the central function publishes every member account's alerts to its own topic.
pub trait Notifier: Sync {
    fn publish(
        &self,
        topic_arn: &str,
        message: &Message,
    ) -> impl Future<Output = Result<(), RuleError>> + Send;
}

pub trait KafkaService {
    /// One page of every MSK cluster (provisioned and serverless) of the account and region.
    fn list_clusters(
        &self,
        next_token: Option<String>,
    ) -> impl Future<Output = Result<Page<ListedCluster>, RuleError>> + Send;

    /// One revision of an MSK configuration (DescribeConfigurationRevision): its
    /// `server.properties`, or why it cannot be read (not found, access denied) as a value; errors
    /// are for calls that failed.
    fn configuration_revision(
        &self,
        revision: &ConfigurationRevision,
    ) -> impl Future<Output = Result<ConfigurationRead, RuleError>> + Send;

    /// Every operation on a cluster that set direct ZooKeeper access (ListClusterOperations, all
    /// its pages), or why they cannot be read (not found, access denied) as a value; errors are
    /// for calls that failed.
    fn zookeeper_changes(
        &self,
        cluster_arn: &str,
    ) -> impl Future<Output = Result<OperationsRead, RuleError>> + Send;

    /// Every MSK Replicator of the account and region (ListReplicators, all its pages).
    fn replicators(&self) -> impl Future<Output = Listing<Replicator>> + Send;

    /// The VPC connections clients made to a cluster (ListClientVpcConnections, all its pages).
    fn client_vpc_connections(
        &self,
        cluster_arn: &str,
    ) -> impl Future<Output = Listing<ClientVpcConnection>> + Send;

    /// The host of every broker endpoint of a cluster (GetBootstrapBrokers), in lower case.
    fn broker_hosts(&self, cluster_arn: &str) -> impl Future<Output = Listing<String>> + Send;
}

/// Who uses a cluster's doors in MSK Connect. Like the Kafka listings above, it serves only to name
/// the users of a door already found open, so any failure (a region without MSK Connect, a role
/// without the grant, throttling) is its reason, said beside the finding, never a failed invocation.
pub trait ConnectService {
    /// Every MSK Connect connector of the account and region (ListConnectors, all its pages).
    fn connectors(&self) -> impl Future<Output = Listing<Connector>> + Send;
}

pub trait PrivateCaService {
    /// The CA's status, expiry, type and usage mode (DescribeCertificateAuthority). A CA that is
    /// missing or unreadable is a health value, not an error; errors are for calls that failed
    /// (network, throttling past the retries).
    fn describe(&self, arn: &str) -> impl Future<Output = Result<CaDescription, RuleError>> + Send;

    /// Who outside the CA's account can issue from it, from its resource policy (GetPolicy): no
    /// policy is nobody; a policy that cannot be read or understood is `Issuers::Unknown`.
    fn issuers(&self, arn: &str) -> impl Future<Output = Result<Issuers, RuleError>> + Send;
}

/// A report of a CA's in its bucket: `audit-report/<CA id>/<report id>.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    pub bucket: String,
    pub key: String,
    /// When ACM Private CA wrote it (the object's last modification).
    pub written: Timestamp,
}

/// What asking ACM Private CA for a new audit report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportRequest {
    /// A report is being written: its id, for `report_status`.
    Requested { report_id: String },
    /// One was asked for within the last 30 minutes (a CA writes one per 30 minutes): the sweep
    /// and the command line share it.
    AlreadyInProgress,
}

/// Where a requested report stands (DescribeCertificateAuthorityAuditReport).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportStatus {
    Creating,
    Written(StoredReport),
    /// ACM Private CA could not write it (most often: the bucket's policy does not let it).
    Failed,
}

/// A Private CA's audit reports: the newest found in its bucket (there is no API listing them),
/// a new one asked for, and one read as a stream.
pub trait AuditReports: Sync {
    /// The newest JSON report under `audit-report/<CA id>/` (ListObjectsV2).
    fn newest_report(
        &self,
        bucket: &str,
        ca_arn: &str,
    ) -> impl Future<Output = Result<Option<StoredReport>, RuleError>> + Send;

    /// Asks for a JSON report into `bucket` (CreateCertificateAuthorityAuditReport).
    fn request_report(
        &self,
        bucket: &str,
        ca_arn: &str,
    ) -> impl Future<Output = Result<ReportRequest, RuleError>> + Send;

    fn report_status(
        &self,
        ca_arn: &str,
        report_id: &str,
    ) -> impl Future<Output = Result<ReportStatus, RuleError>> + Send;

    /// Every certificate of a report (GetObject, read as it arrives, never held whole).
    fn read_report(
        &self,
        report: &StoredReport,
    ) -> impl Future<Output = Result<Issued, RuleError>> + Send;
}

/// Why Security Hub took nothing from a call.
#[derive(Debug)]
pub enum HubError {
    /// Security Hub is not enabled in the account and region (`InvalidAccessException`): never
    /// retried.
    NotEnabled,
    /// Still throttled after the SDK's own retries.
    Throttled,
    Failed(RuleError),
}

/// A finding `BatchImportFindings` refused, by id, with the code and message it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedFinding {
    pub id: String,
    pub reason: String,
}

/// AWS Security Hub, as a custom integration uses it, in one account and region.
pub trait SecurityHub: Sync {
    /// The ACTIVE findings of `product_arn` whose generator starts with `generator_prefix`
    /// (GetFindings, every page).
    fn active_findings(
        &self,
        product_arn: &str,
        generator_prefix: &str,
    ) -> impl Future<Output = Result<Vec<AwsSecurityFinding>, HubError>> + Send;

    /// One BatchImportFindings call: the findings it refused.
    fn import_findings(
        &self,
        findings: Vec<AwsSecurityFinding>,
    ) -> impl Future<Output = Result<Vec<RefusedFinding>, HubError>> + Send;
}

/// The tags of the stack an operation is part of (CloudFormation's DescribeStacks), for the hook:
/// CloudFormation gives a stack's tags to every resource of it that takes tags.
pub trait Stacks: Sync {
    fn stack_tags(
        &self,
        stack_id: &str,
    ) -> impl Future<Output = Result<BTreeMap<String, String>, RuleError>> + Send;
}

/// What `probe` reads to say which of a cluster's CAs issued the control certificate: the command's
/// own reads, with the caller's credentials (no role of the templates makes them).
pub trait ControlIssuers {
    /// The CAs the cluster trusts (DescribeClusterV2's `ClientAuthentication.Tls`).
    fn trusted_cas(
        &self,
        cluster_arn: &str,
    ) -> impl Future<Output = Result<Vec<String>, RuleError>> + Send;

    /// A CA's own certificate, DER (GetCertificateAuthorityCertificate).
    fn ca_certificate(
        &self,
        ca_arn: &str,
    ) -> impl Future<Output = Result<Vec<u8>, RuleError>> + Send;
}

/// Everything the rule calls in one account, through one object.
pub trait Account: ConfigService + KafkaService + ConnectService + PrivateCaService + Sync {}

impl<T: ConfigService + KafkaService + ConnectService + PrivateCaService + Sync> Account for T {}

/// The account-scoped constructor of the organization roll-out (STS).
pub trait Accounts: Account + Sized {
    /// The account these credentials belong to.
    fn own_account(&self) -> impl Future<Output = Result<String, RuleError>> + Send;

    /// The same services in another account, through a role assumed there now.
    fn assume_role(&self, role_arn: &str) -> impl Future<Output = Result<Self, RuleError>> + Send;
}

/// Who a set of credentials belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    /// The partition of the caller's ARN (`aws`, `aws-cn`, `aws-us-gov`), for the role ARNs built
    /// from it.
    pub partition: String,
}

/// An account as Organizations lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAccount {
    pub id: String,
    /// `State` (`ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, ...), or the retired `Status` when only
    /// that is given; `None` when neither is.
    pub state: Option<String>,
}

/// What `audit` asks beyond the rule's own calls: who the credentials are, and where to look.
pub trait Directory: Accounts {
    fn caller(&self) -> impl Future<Output = Result<Caller, RuleError>> + Send;

    /// The region these credentials are configured for, if any.
    fn home_region(&self) -> impl Future<Output = Option<String>> + Send;

    /// The same account and credentials, calling another region.
    fn in_region(&self, region: &str) -> impl Future<Output = Self> + Send;

    /// One page of the regions enabled for the account (Account's ListRegions).
    fn enabled_regions(
        &self,
        next_token: Option<String>,
    ) -> impl Future<Output = Result<Page<String>, RuleError>> + Send;

    /// One page of the organization's accounts (Organizations' ListAccounts, from the management
    /// or a delegated administrator account).
    fn organization_accounts(
        &self,
        next_token: Option<String>,
    ) -> impl Future<Output = Result<Page<MemberAccount>, RuleError>> + Send;
}

/// Where a cluster's brokers listen (Kafka's GetBootstrapBrokers), for `probe`.
pub trait Brokers {
    /// Every broker string the answer holds: (wire member name, `host:port,...`).
    fn bootstrap_brokers(
        &self,
        cluster_arn: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, RuleError>> + Send;
    /// A ZooKeeper-mode cluster's ZooKeeper nodes (DescribeClusterV2's `zookeeperConnectString`
    /// and `zookeeperConnectStringTls`): (wire member name, `host:port,...`); none for KRaft.
    fn zookeeper_nodes(
        &self,
        cluster_arn: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, RuleError>> + Send;
}
