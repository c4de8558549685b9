//! The knocks themselves: a TCP connection, a TLS handshake with or without a client certificate,
//! and one ApiVersions request, each bounded in time. Nothing else is ever sent.

use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

use crate::probe::endpoints::{Endpoint, Listener};
use crate::probe::kafka::{api_versions_request, read_answer, Answer};
use crate::probe::{Attempt, Knocked, Outcome};

/// A client certificate chain and its key.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// How to knock: timeouts, and one TLS client per certificate presented, built once per probe.
pub struct Knocker {
    connect_timeout: Duration,
    read_timeout: Duration,
    no_certificate: TlsConnector,
    /// Presents a certificate from a CA made on the fly, which no broker can trust.
    untrusted: TlsConnector,
    /// Presents a certificate from the cluster's Private CA, for the positive control.
    control: Option<TlsConnector>,
}

/// A throw-away CA and a client certificate it issued, both made now and never stored.
pub fn untrusted_identity() -> Result<Identity, String> {
    let failed = |e: rcgen::Error| format!("cannot make the untrusted test certificate: {e}");
    let ca_key = rcgen::KeyPair::generate().map_err(failed)?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "msk-mtls-rule probe: untrusted CA",
    );
    let ca = ca_params.self_signed(&ca_key).map_err(failed)?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().map_err(failed)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "msk-mtls-rule probe: untrusted client",
    );
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &issuer).map_err(failed)?;
    Ok(Identity {
        chain: vec![cert.der().clone(), ca.der().clone()],
        key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    })
}

impl Knocker {
    /// The knocker for brokers verified against `roots`, with the control certificate if given.
    pub fn new(
        connect_timeout: Duration,
        read_timeout: Duration,
        roots: RootCertStore,
        control: Option<Identity>,
    ) -> Result<Knocker, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| format!("no CA to verify the brokers with: {e}"))?;
        let connector = |identity: Option<Identity>| -> Result<TlsConnector, String> {
            let builder = ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_webpki_verifier(verifier.clone());
            let config = match identity {
                None => builder.with_no_client_auth(),
                Some(identity) => builder
                    .with_client_auth_cert(identity.chain, identity.key)
                    .map_err(|e| {
                        format!("the client certificate and key do not go together: {e}")
                    })?,
            };
            Ok(TlsConnector::from(Arc::new(config)))
        };
        Ok(Knocker {
            connect_timeout,
            read_timeout,
            no_certificate: connector(None)?,
            untrusted: connector(Some(untrusted_identity()?))?,
            control: control
                .map(|identity| connector(Some(identity)))
                .transpose()?,
        })
    }

    /// Every attempt that fits the endpoint's listener, one after another.
    pub async fn knock(&self, endpoint: &Endpoint) -> Vec<Knocked> {
        let knocked = |attempt, (outcome, detail): (Outcome, String)| Knocked {
            endpoint: endpoint.clone(),
            attempt,
            outcome,
            detail,
        };
        match endpoint.listener {
            Listener::Plaintext => {
                vec![knocked(Attempt::Plaintext, self.plaintext(endpoint).await)]
            }
            Listener::SaslScram | Listener::SaslIam => {
                vec![knocked(Attempt::Sasl, self.sasl(endpoint).await)]
            }
            Listener::Tls => {
                let mut results = vec![
                    knocked(
                        Attempt::TlsNoCert,
                        self.tls(endpoint, &self.no_certificate, false).await,
                    ),
                    knocked(
                        Attempt::TlsUntrustedCert,
                        self.tls(endpoint, &self.untrusted, true).await,
                    ),
                ];
                if let Some(control) = &self.control {
                    results.push(knocked(
                        Attempt::TlsClientCert,
                        self.tls(endpoint, control, true).await,
                    ));
                }
                results
            }
        }
    }

    async fn connect(&self, endpoint: &Endpoint) -> Result<TcpStream, (Outcome, String)> {
        let address = (endpoint.host.as_str(), endpoint.port);
        match timeout(self.connect_timeout, TcpStream::connect(address)).await {
            Err(_) => Err((
                Outcome::Unreachable,
                format!(
                    "no TCP connection within {} ms",
                    self.connect_timeout.as_millis()
                ),
            )),
            Ok(Err(e)) if e.kind() == ErrorKind::ConnectionRefused => Err((
                Outcome::Closed,
                "connection refused: nothing listens on the port".into(),
            )),
            Ok(Err(e)) => Err((Outcome::Inconclusive, format!("cannot connect: {e}"))),
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                Ok(stream)
            }
        }
    }

    async fn plaintext(&self, endpoint: &Endpoint) -> (Outcome, String) {
        let mut stream = match self.connect(endpoint).await {
            Ok(stream) => stream,
            Err(result) => return result,
        };
        match self.ask_api_versions(&mut stream).await {
            Ok(Answer::Kafka) => (
                Outcome::Accepted,
                "Kafka answered ApiVersions with no credential at all: the listener is open to anyone who reaches it".into(),
            ),
            Ok(Answer::NotKafka) => (Outcome::Inconclusive, "answered, but not as Kafka".into()),
            Err(Silent::Timeout) => (
                Outcome::Unreachable,
                format!("connected, but no answer within {} ms", self.read_timeout.as_millis()),
            ),
            Err(Silent::Closed(e)) => (Outcome::Refused, format!("closed the connection without answering ({e})")),
        }
    }

    /// A SASL listener is another way in: reported when it takes a connection, never logged in to.
    async fn sasl(&self, endpoint: &Endpoint) -> (Outcome, String) {
        match self.connect(endpoint).await {
            Ok(_) => (
                Outcome::Accepted,
                format!(
                    "{} listener reachable: another way in, by password or IAM (not logged in)",
                    endpoint.listener
                ),
            ),
            Err(result) => result,
        }
    }

    async fn tls(
        &self,
        endpoint: &Endpoint,
        connector: &TlsConnector,
        with_certificate: bool,
    ) -> (Outcome, String) {
        let Ok(server_name) = ServerName::try_from(endpoint.host.clone()) else {
            return (
                Outcome::Inconclusive,
                format!("{:?} is not a TLS server name", endpoint.host),
            );
        };
        let tcp = match self.connect(endpoint).await {
            Ok(stream) => stream,
            Err(result) => return result,
        };
        let handshake = connector.connect(server_name, tcp);
        let mut stream = match timeout(self.read_timeout, handshake).await {
            Err(_) => {
                return (
                    Outcome::Unreachable,
                    format!(
                        "connected, but the TLS handshake did not finish within {} ms",
                        self.read_timeout.as_millis()
                    ),
                )
            }
            Ok(Err(e)) => return handshake_failed(&e),
            Ok(Ok(stream)) => stream,
        };
        let version = match stream.get_ref().1.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2",
            _ => "TLS",
        };
        let presented = if with_certificate {
            "with the certificate"
        } else {
            "with no certificate"
        };
        match self.ask_api_versions(&mut stream).await {
            Ok(Answer::Kafka) => (
                Outcome::Accepted,
                format!("{version} handshake {presented} completed and Kafka answered ApiVersions"),
            ),
            Ok(Answer::NotKafka) => (
                Outcome::Accepted,
                format!("{version} handshake {presented} completed and the server answered (not as Kafka)"),
            ),
            Err(Silent::Timeout) => (
                Outcome::Accepted,
                format!(
                    "{version} handshake {presented} completed and the server did not abort within {} ms (no Kafka answer)",
                    self.read_timeout.as_millis()
                ),
            ),
            Err(Silent::Closed(e)) => match alert_of(&e) {
                Some(alert) => (
                    Outcome::Refused,
                    format!("{version} handshake {presented} completed, then the server aborted on the first read: alert {alert:?}"),
                ),
                None => (
                    Outcome::Inconclusive,
                    format!("{version} handshake {presented} completed, then the connection closed with no alert and no answer ({e})"),
                ),
            },
        }
    }

    async fn ask_api_versions<S>(&self, stream: &mut S) -> Result<Answer, Silent>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        const CORRELATION_ID: i32 = 0x6d74_6c73;
        let exchange = async {
            stream
                .write_all(&api_versions_request(CORRELATION_ID))
                .await?;
            stream.flush().await?;
            read_answer(stream, CORRELATION_ID).await
        };
        match timeout(self.read_timeout, exchange).await {
            Err(_) => Err(Silent::Timeout),
            Ok(Err(e)) => Err(Silent::Closed(e)),
            Ok(Ok(answer)) => Ok(answer),
        }
    }
}

/// Why no answer came.
enum Silent {
    Timeout,
    Closed(std::io::Error),
}

/// A TLS alert the server sent, from an I/O error rustls raised.
fn alert_of(error: &std::io::Error) -> Option<rustls::AlertDescription> {
    match error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::AlertReceived(alert) => Some(*alert),
        _ => None,
    }
}

fn handshake_failed(error: &std::io::Error) -> (Outcome, String) {
    if let Some(alert) = alert_of(error) {
        return (
            Outcome::Refused,
            format!("the server aborted the TLS handshake: alert {alert:?}"),
        );
    }
    match error.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(why)) => (
            Outcome::Inconclusive,
            format!("the broker's certificate is not trusted ({why:?}): give --ca-bundle, or check the endpoint"),
        ),
        Some(other) => (Outcome::Inconclusive, format!("TLS handshake failed: {other}")),
        None => (
            Outcome::Inconclusive,
            format!("the connection ended during the TLS handshake with no alert ({error})"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A port nothing listens on: bound, then let go.
    fn closed_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    #[tokio::test]
    async fn each_listener_gets_its_knocks_and_a_closed_port_is_closed() {
        let ca = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let mut roots = RootCertStore::empty();
        roots
            .add(params.self_signed(&ca).unwrap().der().clone())
            .unwrap();
        let knocker = Knocker::new(
            Duration::from_millis(500),
            Duration::from_millis(500),
            roots,
            None,
        )
        .unwrap();
        let port = closed_port();
        for (listener, attempts) in [
            (Listener::Plaintext, vec![Attempt::Plaintext]),
            (Listener::SaslIam, vec![Attempt::Sasl]),
            (
                Listener::Tls,
                vec![Attempt::TlsNoCert, Attempt::TlsUntrustedCert],
            ),
        ] {
            let endpoint = Endpoint {
                host: "127.0.0.1".into(),
                port,
                listener,
            };
            let knocked = knocker.knock(&endpoint).await;
            assert_eq!(
                knocked.iter().map(|k| k.attempt).collect::<Vec<_>>(),
                attempts,
                "{listener}"
            );
            for knock in &knocked {
                assert_eq!(
                    knock.outcome,
                    Outcome::Closed,
                    "{listener}: {}",
                    knock.detail
                );
                assert_eq!(knock.endpoint, endpoint);
            }
        }
    }

    /// Only a refused connection says nothing listens; any other connection error proves nothing.
    #[tokio::test]
    async fn a_connection_error_other_than_refused_is_inconclusive() {
        let knocker = Knocker::new(
            Duration::from_millis(500),
            Duration::from_millis(500),
            crate::probe::run::roots(Some(&[untrusted_identity().unwrap().chain[1].clone()]))
                .unwrap(),
            None,
        )
        .unwrap();
        // TCP to the broadcast address: the kernel answers "network unreachable" at once.
        let endpoint = Endpoint {
            host: "255.255.255.255".into(),
            port: 9094,
            listener: Listener::Plaintext,
        };
        let knocked = knocker.knock(&endpoint).await;
        assert_eq!(
            knocked[0].outcome,
            Outcome::Inconclusive,
            "{}",
            knocked[0].detail
        );
        assert!(
            knocked[0].detail.starts_with("cannot connect: "),
            "{}",
            knocked[0].detail
        );
    }
}
