//! `AWS_USE_DUALSTACK_ENDPOINT=true` (the probe stack's `UseDualStackEndpoint`) reaches the Kafka
//! API at its dual-stack name, which MSK's `aws.api.<region>.kafka-api` interface endpoint serves,
//! through the same loader the functions use and in the cluster's own region. A test binary of its
//! own: it sets the process's environment, which no other test may see.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use msk_mtls_rule::aws::sdk::{environment_loader, AwsAccount};
use msk_mtls_rule::probe::endpoints::Network;
use msk_mtls_rule::probe::run::endpoints_of;
use msk_mtls_rule::probe::Target;
use msk_mtls_rule::rule::arn::ClusterArn;

/// Records each request's host and answers GetBootstrapBrokers (DescribeClusterV2 reads the same
/// answer as a cluster with no ZooKeeper nodes).
#[derive(Clone, Debug, Default)]
struct Hosts(Arc<Mutex<Vec<String>>>);

impl HttpConnector for Hosts {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let host = request
            .uri()
            .split('/')
            .nth(2)
            .unwrap_or_default()
            .to_owned();
        self.0.lock().unwrap().push(host);
        HttpConnectorFuture::ready(Ok(HttpResponse::new(
            200.try_into().unwrap(),
            SdkBody::from(r#"{"bootstrapBrokerStringTls":"b-1.orders:9094"}"#),
        )))
    }
}

impl HttpClient for Hosts {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

#[tokio::test]
async fn the_dual_stack_setting_sends_the_kafka_api_to_its_dual_stack_name() {
    for (name, value) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDTEST"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"),
    ] {
        std::env::set_var(name, value);
    }
    std::env::remove_var("AWS_ENDPOINT_URL");
    const ARN: &str = "arn:aws:kafka:eu-west-1:123456789012:cluster/orders/u-1";
    let mut hosts = Vec::new();
    for dual_stack in ["false", "true"] {
        std::env::set_var("AWS_USE_DUALSTACK_ENDPOINT", dual_stack);
        let recorder = Hosts::default();
        let sdk = environment_loader()
            .http_client(SharedHttpClient::new(recorder.clone()))
            .load()
            .await;
        assert_eq!(
            sdk.retry_config().map(|retry| retry.max_attempts()),
            Some(msk_mtls_rule::aws::sdk::MAX_ATTEMPTS),
            "the functions' own retries"
        );
        let selected = endpoints_of(
            &AwsAccount::with_sdk_config(sdk),
            &Target::Cluster(ClusterArn::parse(ARN).unwrap()),
            &[Network::Private],
        )
        .await
        .unwrap();
        assert_eq!(selected.endpoints.len(), 1);
        hosts.extend(recorder.0.lock().unwrap().drain(..));
    }
    // GetBootstrapBrokers and DescribeClusterV2 (ZooKeeper's nodes), each to the name asked for.
    assert_eq!(
        hosts,
        [
            "kafka.eu-west-1.amazonaws.com",
            "kafka.eu-west-1.amazonaws.com",
            "kafka-api.eu-west-1.api.aws",
            "kafka-api.eu-west-1.api.aws"
        ]
    );
}
