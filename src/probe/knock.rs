//! The knocks themselves: a TCP connection, a TLS handshake with or without a client certificate,
//! and one ApiVersions request, each bounded in time. Nothing else is ever sent.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::{ResolvesClientCert, Resumption, WantsClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{AlertDescription, ClientConfig, ConfigBuilder, RootCertStore, SignatureScheme};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::probe::certificate::named;
use crate::probe::endpoints::{Endpoint, Listener};
use crate::probe::kafka::{api_versions_request, metadata_request, read_answer, Answer};
use crate::probe::zookeeper::{connect_request, read_connect_response, ZooKeeperAnswer};
use crate::probe::{Attempt, Knocked, Outcome};

/// A client certificate chain and its key.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

/// How to knock: timeouts, the brokers' roots, and the certificates presented. A TLS client is
/// made per knock, so each knows whether the server asked it for a certificate and none resumes
/// another's session.
pub struct Knocker {
    connect_timeout: Duration,
    read_timeout: Duration,
    builder: ConfigBuilder<ClientConfig, WantsClientCert>,
    /// A certificate from a CA made on the fly, which no broker can trust.
    untrusted: Arc<CertifiedKey>,
    /// A certificate from the cluster's Private CA, for the positive control.
    control: Option<Arc<CertifiedKey>>,
    /// Certificates that must be refused, each with its name for the report.
    refused: Vec<(Arc<CertifiedKey>, Refused)>,
}

/// What the report says of a certificate that must be refused: its subject and issuer, and whether
/// the client presented its issuer's chain too (then a CA above the issuer may be what let it in).
struct Refused {
    named: String,
    with_chain: bool,
}

/// The alerts a server sends when a client's certificate fails its check (or is missing). Only
/// these, and only after the server asked for a certificate, are a refusal; any other alert, or one
/// before the server asked (a version, cipher or name it will not take), proves nothing.
const CERTIFICATE_ALERTS: [AlertDescription; 10] = [
    AlertDescription::BadCertificate,
    AlertDescription::UnsupportedCertificate,
    AlertDescription::CertificateRevoked,
    AlertDescription::CertificateExpired,
    AlertDescription::CertificateUnknown,
    AlertDescription::UnknownCA,
    AlertDescription::AccessDenied,
    AlertDescription::DecryptError,
    AlertDescription::CertificateRequired,
    AlertDescription::HandshakeFailure,
];

/// Presents its certificate (or none) and records whether the server asked for one: rustls asks
/// the resolver only when a CertificateRequest arrives, in TLS 1.2 and inside TLS 1.3's encrypted
/// handshake alike.
#[derive(Debug)]
struct Recorder {
    identity: Option<Arc<CertifiedKey>>,
    asked: Arc<AtomicBool>,
}

impl ResolvesClientCert for Recorder {
    fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.asked.store(true, Ordering::SeqCst);
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        self.identity.is_some()
    }
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

/// Whether a DER certificate is X.509 v1: its TBSCertificate opens without the `[0]` version tag.
fn is_version_1(cert: &[u8]) -> bool {
    /// The contents of the DER element at the start of `der`, and what follows them.
    fn enter(der: &[u8]) -> Option<&[u8]> {
        let (&length, rest) = der.get(1..)?.split_first()?;
        // Bit 8 clear: the length itself; set: how many length bytes follow.
        if length & 0x80 == 0 {
            return Some(rest);
        }
        rest.get(usize::from(length & 0x7f)..)
    }
    enter(cert)
        .and_then(enter)
        .and_then(|tbs| tbs.first())
        .is_some_and(|&tag| tag != 0xa0)
}

fn certified_key(
    identity: Identity,
    provider: &CryptoProvider,
    what: &str,
) -> Result<Arc<CertifiedKey>, String> {
    if identity
        .chain
        .first()
        .is_some_and(|cert| is_version_1(cert))
    {
        return Err(format!(
            "the {what} is an X.509 v1 certificate: TLS clients present v3 certificates (ACM Private CA issues v3); issue it again as v3"
        ));
    }
    CertifiedKey::from_der(identity.chain, identity.key, provider)
        .map(Arc::new)
        .map_err(|e| format!("the {what} and its key do not go together: {e}"))
}

impl Knocker {
    /// The knocker for brokers verified against `roots`, with the control certificate if given.
    pub fn new(
        connect_timeout: Duration,
        read_timeout: Duration,
        roots: RootCertStore,
        control: Option<Identity>,
        refused: Vec<Identity>,
    ) -> Result<Knocker, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| format!("no CA to verify the brokers with: {e}"))?;
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_webpki_verifier(verifier);
        Ok(Knocker {
            connect_timeout,
            read_timeout,
            builder,
            untrusted: certified_key(
                untrusted_identity()?,
                &provider,
                "untrusted test certificate",
            )?,
            control: control
                .map(|identity| certified_key(identity, &provider, "client certificate"))
                .transpose()?,
            refused: refused
                .into_iter()
                .map(|identity| {
                    let refused = Refused {
                        named: identity
                            .chain
                            .first()
                            .and_then(|cert| named(cert))
                            .map_or_else(
                                || "(a certificate whose names could not be read)".to_owned(),
                                |named| named.to_string(),
                            ),
                        with_chain: identity.chain.len() > 1,
                    };
                    Ok((
                        certified_key(identity, &provider, "certificate to be refused")?,
                        refused,
                    ))
                })
                .collect::<Result<_, String>>()?,
        })
    }

    /// A TLS client for one knock, and the flag it raises when the server asks for a certificate.
    fn client(
        &self,
        identity: Option<&Arc<CertifiedKey>>,
        sni: bool,
    ) -> (TlsConnector, Arc<AtomicBool>) {
        let asked = Arc::new(AtomicBool::new(false));
        let mut config = self
            .builder
            .clone()
            .with_client_cert_resolver(Arc::new(Recorder {
                identity: identity.cloned(),
                asked: asked.clone(),
            }));
        config.enable_sni = sni;
        config.resumption = Resumption::disabled();
        (TlsConnector::from(Arc::new(config)), asked)
    }

    /// The attempts an endpoint's listener gets on each of its addresses.
    fn attempts(&self, endpoint: &Endpoint) -> Vec<Attempt> {
        match endpoint.listener {
            Listener::Plaintext => vec![Attempt::Plaintext],
            Listener::SaslScram | Listener::SaslIam => vec![Attempt::Sasl, Attempt::SaslNoAuth],
            Listener::ZooKeeper => vec![Attempt::ZooKeeper],
            Listener::ZooKeeperTls => vec![Attempt::ZooKeeperTlsNoCert],
            Listener::Tls => {
                let mut attempts = vec![Attempt::TlsNoCert, Attempt::TlsUntrustedCert];
                // A name is sent as SNI; a broker that routes by SNI may let in a client that
                // sends none (an address is never sent as SNI, so for one the knocks are the same).
                if endpoint.host.parse::<IpAddr>().is_err() {
                    attempts.extend([Attempt::TlsNoCertNoSni, Attempt::TlsUntrustedCertNoSni]);
                }
                if self.control.is_some() {
                    attempts.push(Attempt::TlsClientCert);
                }
                attempts.extend((0..self.refused.len()).map(Attempt::TlsRefusedCert));
                attempts.push(Attempt::PlaintextOnTls);
                attempts
            }
        }
    }

    /// Every attempt that fits the endpoint's listener, on every address its name resolves to,
    /// one after another.
    pub async fn knock(&self, endpoint: &Endpoint) -> Vec<Knocked> {
        match self.addresses(endpoint).await {
            Ok(addresses) => self.knock_at(endpoint, &addresses).await,
            Err(result) => self
                .attempts(endpoint)
                .into_iter()
                .map(|attempt| knocked(endpoint, attempt, result.clone()))
                .collect(),
        }
    }

    /// Every attempt on each of `addresses`, the endpoint's name resolved; the detail names the
    /// address when there are several.
    async fn knock_at(&self, endpoint: &Endpoint, addresses: &[SocketAddr]) -> Vec<Knocked> {
        let attempts = self.attempts(endpoint);
        let mut results = Vec::new();
        for address in addresses {
            for attempt in &attempts {
                let (outcome, mut detail) = self.attempt(endpoint, *address, *attempt).await;
                if addresses.len() > 1 {
                    detail = format!("[{}] {detail}", address.ip());
                }
                results.push(knocked(endpoint, *attempt, (outcome, detail)));
            }
        }
        results
    }

    async fn attempt(
        &self,
        endpoint: &Endpoint,
        address: SocketAddr,
        attempt: Attempt,
    ) -> (Outcome, String) {
        match attempt {
            Attempt::Plaintext => self.plaintext(address).await,
            Attempt::PlaintextOnTls => self.plaintext_on_tls(address).await,
            Attempt::Sasl => self.sasl(endpoint, address).await,
            Attempt::SaslNoAuth => self.sasl_no_auth(endpoint, address).await,
            Attempt::TlsNoCert => self.tls(endpoint, address, None, true).await,
            Attempt::TlsNoCertNoSni => self.tls(endpoint, address, None, false).await,
            Attempt::TlsUntrustedCert => {
                self.tls(endpoint, address, Some(&self.untrusted), true)
                    .await
            }
            Attempt::TlsUntrustedCertNoSni => {
                self.tls(endpoint, address, Some(&self.untrusted), false)
                    .await
            }
            Attempt::TlsClientCert => {
                self.tls(endpoint, address, self.control.as_ref(), true)
                    .await
            }
            Attempt::TlsRefusedCert(index) => self.refused_cert(endpoint, address, index).await,
            Attempt::ZooKeeper => self.zookeeper(address).await,
            Attempt::ZooKeeperTlsNoCert => self.zookeeper_tls(endpoint, address).await,
        }
    }

    /// Every address the endpoint's name resolves to: a name behind several brokers or load
    /// balancers is knocked on at each.
    async fn addresses(&self, endpoint: &Endpoint) -> Result<Vec<SocketAddr>, (Outcome, String)> {
        let lookup = tokio::net::lookup_host((endpoint.host.as_str(), endpoint.port));
        match timeout(self.connect_timeout, lookup).await {
            Err(_) => Err((
                Outcome::Unreachable,
                format!(
                    "{:?} did not resolve within {} ms",
                    endpoint.host,
                    self.connect_timeout.as_millis()
                ),
            )),
            Ok(Err(e)) => Err((
                Outcome::Inconclusive,
                format!("cannot resolve {:?}: {e}", endpoint.host),
            )),
            Ok(Ok(found)) => {
                let mut addresses: Vec<SocketAddr> = Vec::new();
                for address in found {
                    if !addresses.contains(&address) {
                        addresses.push(address);
                    }
                }
                if addresses.is_empty() {
                    return Err((
                        Outcome::Inconclusive,
                        format!("{:?} resolves to no address", endpoint.host),
                    ));
                }
                Ok(addresses)
            }
        }
    }

    async fn connect(&self, address: SocketAddr) -> Result<TcpStream, (Outcome, String)> {
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

    async fn plaintext(&self, address: SocketAddr) -> (Outcome, String) {
        let mut stream = match self.connect(address).await {
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

    /// Kafka in plaintext on the TLS port: a port-sharing proxy that sniffs the first byte would
    /// answer it, and then the TLS port lets anyone in.
    async fn plaintext_on_tls(&self, address: SocketAddr) -> (Outcome, String) {
        let mut stream = match self.connect(address).await {
            Ok(stream) => stream,
            Err(result) => return result,
        };
        match self.ask_api_versions(&mut stream).await {
            Ok(Answer::Kafka) => (
                Outcome::Accepted,
                "Kafka answered ApiVersions in plaintext on the TLS port: it lets anyone in without TLS".into(),
            ),
            Ok(Answer::NotKafka) => (
                Outcome::Refused,
                "no Kafka answer in plaintext (the port speaks only TLS)".into(),
            ),
            Err(Silent::Closed(e)) => (
                Outcome::Refused,
                format!("closed the connection on a plaintext Kafka request ({e})"),
            ),
            Err(Silent::Timeout) => (
                Outcome::Unreachable,
                format!(
                    "connected, but no answer to a plaintext Kafka request within {} ms, and no close",
                    self.read_timeout.as_millis()
                ),
            ),
        }
    }

    /// A SASL listener is another way in: reported when it takes a connection, never logged in to.
    async fn sasl(&self, endpoint: &Endpoint, address: SocketAddr) -> (Outcome, String) {
        match self.connect(address).await {
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

    /// Metadata before any SASL authentication, in plaintext and then over TLS with no
    /// certificate: a broker closes the connection on it, and only a listener that authenticates
    /// nobody answers. (ApiVersions would prove nothing: Kafka answers it before SASL.)
    async fn sasl_no_auth(&self, endpoint: &Endpoint, address: SocketAddr) -> (Outcome, String) {
        let mut plain = match self.connect(address).await {
            Ok(stream) => stream,
            Err(result) => return result,
        };
        if let Ok(Answer::Kafka) = self
            .ask(&mut plain, &metadata_request(CORRELATION_ID))
            .await
        {
            return (
                Outcome::Accepted,
                "Kafka answered Metadata in plaintext before any authentication: the port lets anyone in".into(),
            );
        }
        drop(plain);
        let mut tls = match self.handshake(endpoint, address, None, true).await {
            Ok((stream, _)) => stream,
            Err(NoSession::Before(result)) => return result,
            Err(NoSession::Timeout) => {
                return (
                    Outcome::Unreachable,
                    format!(
                        "no Metadata answer in plaintext, and the TLS handshake did not finish within {} ms",
                        self.read_timeout.as_millis()
                    ),
                )
            }
            Err(NoSession::Failed { error, .. }) => {
                return match error.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
                    Some(rustls::Error::InvalidCertificate(why)) => (
                        Outcome::Inconclusive,
                        format!("no Metadata answer in plaintext; the broker's certificate is not trusted ({why:?}), so TLS was not tried: give --ca-bundle"),
                    ),
                    _ => (
                        Outcome::Refused,
                        format!("no Metadata answer in plaintext, and no TLS session without a certificate ({error})"),
                    ),
                }
            }
        };
        match self.ask(&mut tls, &metadata_request(CORRELATION_ID)).await {
            Ok(Answer::Kafka) => (
                Outcome::Accepted,
                "Kafka answered Metadata over TLS with no certificate and before any SASL authentication: the port lets anyone in".into(),
            ),
            Ok(Answer::NotKafka) | Err(Silent::Closed(_)) => (
                Outcome::Refused,
                "no Metadata answer before authentication, in plaintext or over TLS".into(),
            ),
            Err(Silent::Timeout) => (
                Outcome::Unreachable,
                format!(
                    "no Metadata answer over TLS within {} ms, and no close",
                    self.read_timeout.as_millis()
                ),
            ),
        }
    }

    /// A TLS session with the endpoint's address, presenting `identity` (or none), with or without
    /// SNI; and whether the server asked for a certificate (settled once the handshake is done).
    async fn handshake(
        &self,
        endpoint: &Endpoint,
        address: SocketAddr,
        identity: Option<&Arc<CertifiedKey>>,
        sni: bool,
    ) -> Result<(TlsStream<TcpStream>, bool), NoSession> {
        let Ok(server_name) = ServerName::try_from(endpoint.host.clone()) else {
            return Err(NoSession::Before((
                Outcome::Inconclusive,
                format!("{:?} is not a TLS server name", endpoint.host),
            )));
        };
        let tcp = self.connect(address).await.map_err(NoSession::Before)?;
        let (connector, asked) = self.client(identity, sni);
        match timeout(self.read_timeout, connector.connect(server_name, tcp)).await {
            Err(_) => Err(NoSession::Timeout),
            Ok(Err(error)) => Err(NoSession::Failed {
                error,
                asked: asked.load(Ordering::SeqCst),
            }),
            Ok(Ok(stream)) => Ok((stream, asked.load(Ordering::SeqCst))),
        }
    }

    async fn tls(
        &self,
        endpoint: &Endpoint,
        address: SocketAddr,
        identity: Option<&Arc<CertifiedKey>>,
        sni: bool,
    ) -> (Outcome, String) {
        let (mut stream, asked) = match self.handshake(endpoint, address, identity, sni).await {
            Ok(session) => session,
            Err(NoSession::Before(result)) => return result,
            Err(NoSession::Timeout) => {
                return (
                    Outcome::Unreachable,
                    format!(
                        "connected, but the TLS handshake did not finish within {} ms",
                        self.read_timeout.as_millis()
                    ),
                )
            }
            Err(NoSession::Failed { error, asked }) => return handshake_failed(&error, asked),
        };
        let session = Session {
            tls13: stream.get_ref().1.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3),
            version: match stream.get_ref().1.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3",
                Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2",
                _ => "TLS",
            },
            presented: match (identity.is_some(), sni) {
                (true, true) => "with the certificate",
                (true, false) => "with the certificate and no SNI",
                (false, true) => "with no certificate",
                (false, false) => "with no certificate and no SNI",
            },
            asked,
        };
        let answer = self.ask_api_versions(&mut stream).await;
        session.outcome(answer, self.read_timeout)
    }

    /// A certificate that must be refused, presented: the report names it, and says for one taken
    /// with its issuer's chain that a CA above the issuer (a root trusted directly) may have let
    /// it in.
    async fn refused_cert(
        &self,
        endpoint: &Endpoint,
        address: SocketAddr,
        index: usize,
    ) -> (Outcome, String) {
        let Some((identity, refused)) = self.refused.get(index) else {
            return (
                Outcome::Inconclusive,
                format!("no certificate {index} to present"),
            );
        };
        let (outcome, detail) = self.tls(endpoint, address, Some(identity), true).await;
        let why = match (outcome, refused.with_chain) {
            (Outcome::Accepted, true) => "; it should have been refused. It came with its issuer's chain: if the brokers trust a root CA above its issuer, every CA under that root is let in (allowRootCertificateAuthority)",
            (Outcome::Accepted, false) => "; it should have been refused: the brokers trust its issuer",
            _ => "",
        };
        (
            outcome,
            format!("certificate {}: {detail}{why}", refused.named),
        )
    }

    /// A ZooKeeper session asked for in plaintext: one granted is a way to rewrite the ACLs.
    async fn zookeeper(&self, address: SocketAddr) -> (Outcome, String) {
        let mut stream = match self.connect(address).await {
            Ok(stream) => stream,
            Err(result) => return result,
        };
        let answer = self.ask_session(&mut stream).await;
        zookeeper_outcome(answer, None, self.read_timeout)
    }

    /// A ZooKeeper session asked for over TLS with no certificate.
    async fn zookeeper_tls(&self, endpoint: &Endpoint, address: SocketAddr) -> (Outcome, String) {
        let (mut stream, asked) = match self.handshake(endpoint, address, None, true).await {
            Ok(session) => session,
            Err(NoSession::Before(result)) => return result,
            Err(NoSession::Timeout) => {
                return (
                    Outcome::Unreachable,
                    format!(
                        "connected, but the TLS handshake did not finish within {} ms",
                        self.read_timeout.as_millis()
                    ),
                )
            }
            Err(NoSession::Failed { error, asked }) => return handshake_failed(&error, asked),
        };
        let answer = self.ask_session(&mut stream).await;
        zookeeper_outcome(answer, Some(asked), self.read_timeout)
    }

    /// Sends ZooKeeper's `ConnectRequest` and reads its answer, within the read timeout.
    async fn ask_session<S>(&self, stream: &mut S) -> Result<ZooKeeperAnswer, Silent>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let exchange = async {
            stream.write_all(&connect_request()).await?;
            stream.flush().await?;
            read_connect_response(stream).await
        };
        match timeout(self.read_timeout, exchange).await {
            Err(_) => Err(Silent::Timeout),
            Ok(Err(e)) => Err(Silent::Closed(e)),
            Ok(Ok(answer)) => Ok(answer),
        }
    }

    async fn ask_api_versions<S>(&self, stream: &mut S) -> Result<Answer, Silent>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        self.ask(stream, &api_versions_request(CORRELATION_ID))
            .await
    }

    /// Sends one request and reads its answer, within the read timeout.
    async fn ask<S>(&self, stream: &mut S, request: &[u8]) -> Result<Answer, Silent>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let exchange = async {
            stream.write_all(request).await?;
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

/// The correlation id of every request the probe sends ("mtls").
const CORRELATION_ID: i32 = 0x6d74_6c73;

fn knocked(endpoint: &Endpoint, attempt: Attempt, (outcome, detail): (Outcome, String)) -> Knocked {
    Knocked {
        endpoint: endpoint.clone(),
        attempt,
        outcome,
        detail,
    }
}

/// How a TLS handshake of ours ended short of a session.
enum NoSession {
    /// Before any handshake: a name that is no TLS name, a port that took no connection.
    Before((Outcome, String)),
    Timeout,
    /// The handshake failed; whether the server had asked for a certificate by then.
    Failed {
        error: std::io::Error,
        asked: bool,
    },
}

/// A TLS session a knock got: what it spoke, what it presented, whether the server asked for a
/// certificate.
struct Session {
    tls13: bool,
    version: &'static str,
    presented: &'static str,
    asked: bool,
}

impl Session {
    /// What the answer to ApiVersions after the handshake says about the knock.
    fn outcome(&self, answer: Result<Answer, Silent>, read_timeout: Duration) -> (Outcome, String) {
        let Session {
            tls13,
            version,
            presented,
            asked,
        } = *self;
        let unasked = if asked {
            ""
        } else {
            " (the server never asked for a certificate)"
        };
        match answer {
            Ok(Answer::Kafka) => (
                Outcome::Accepted,
                format!("{version} handshake {presented} completed and Kafka answered ApiVersions{unasked}"),
            ),
            Ok(Answer::NotKafka) => (
                Outcome::Accepted,
                format!("{version} handshake {presented} completed and the server answered (not as Kafka){unasked}"),
            ),
            // In TLS 1.2 the server's Finished follows its check of the client's certificate, and a
            // server that never asked has let the client in; in TLS 1.3 the client finishes first,
            // and a slow check looks like silence: only an answer lets a client in there.
            Err(Silent::Timeout) if !tls13 || !asked => (
                Outcome::Accepted,
                format!(
                    "{version} handshake {presented} completed and the server did not abort within {} ms (no Kafka answer){unasked}",
                    read_timeout.as_millis()
                ),
            ),
            Err(Silent::Timeout) => (
                Outcome::Inconclusive,
                format!(
                    "{version} handshake {presented} completed, but neither a Kafka answer nor an alert came within {} ms: a slow certificate check and an open door look the same",
                    read_timeout.as_millis()
                ),
            ),
            Err(Silent::Closed(e)) => match alert_of(&e) {
                Some(alert) if asked && CERTIFICATE_ALERTS.contains(&alert) => (
                    Outcome::Refused,
                    format!("{version} handshake {presented} completed, then the server aborted on the first read: alert {alert:?}"),
                ),
                Some(alert) => (
                    Outcome::Inconclusive,
                    format!("{version} handshake {presented} completed, then the server aborted with alert {alert:?}, which is not a certificate check{unasked}"),
                ),
                None => (
                    Outcome::Inconclusive,
                    format!("{version} handshake {presented} completed, then the connection closed with no alert and no answer ({e})"),
                ),
            },
        }
    }
}

/// Why no answer came.
enum Silent {
    Timeout,
    Closed(std::io::Error),
}

/// A TLS alert the server sent, from an I/O error rustls raised.
fn alert_of(error: &std::io::Error) -> Option<AlertDescription> {
    match error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::AlertReceived(alert) => Some(*alert),
        _ => None,
    }
}

/// What a ZooKeeper answer says; `tls` is whether the server asked for a certificate, for a knock
/// over TLS (`None` in plaintext). A session is a door whatever came before it.
fn zookeeper_outcome(
    answer: Result<ZooKeeperAnswer, Silent>,
    tls: Option<bool>,
    read_timeout: Duration,
) -> (Outcome, String) {
    let how = if tls.is_some() {
        "over TLS with no certificate"
    } else {
        "in plaintext"
    };
    match answer {
        Ok(ZooKeeperAnswer::Session { id, timeout_ms }) => (
            Outcome::Accepted,
            format!("ZooKeeper opened session {id:#x} ({timeout_ms} ms) {how}, with no credential: whoever reaches it can rewrite the ACLs"),
        ),
        Ok(ZooKeeperAnswer::NoSession) => (
            Outcome::Refused,
            format!("ZooKeeper answered {how} without a session"),
        ),
        Ok(ZooKeeperAnswer::NotZooKeeper) => (
            Outcome::Inconclusive,
            format!("answered {how}, but not as ZooKeeper"),
        ),
        Err(Silent::Timeout) => (
            Outcome::Unreachable,
            format!("connected, but no ZooKeeper answer within {} ms", read_timeout.as_millis()),
        ),
        Err(Silent::Closed(e)) => match (alert_of(&e), tls) {
            (Some(alert), Some(true)) if CERTIFICATE_ALERTS.contains(&alert) => (
                Outcome::Refused,
                format!("the TLS handshake completed, then ZooKeeper aborted on the first read: alert {alert:?}"),
            ),
            (Some(alert), _) => (
                Outcome::Inconclusive,
                format!("ZooKeeper aborted with alert {alert:?}, which is not a certificate check it asked for"),
            ),
            (None, None) => (
                Outcome::Refused,
                format!("closed the connection without a session ({e})"),
            ),
            (None, Some(_)) => (
                Outcome::Inconclusive,
                format!("the TLS handshake completed, then the connection closed with no alert and no session ({e})"),
            ),
        },
    }
}

fn handshake_failed(error: &std::io::Error, asked: bool) -> (Outcome, String) {
    match alert_of(error) {
        Some(alert) if asked && CERTIFICATE_ALERTS.contains(&alert) => {
            return (
                Outcome::Refused,
                format!("the server asked for a certificate, then aborted the TLS handshake: alert {alert:?}"),
            )
        }
        Some(alert) if asked => {
            return (
                Outcome::Inconclusive,
                format!("the server aborted the TLS handshake with alert {alert:?}, which is not a certificate check"),
            )
        }
        Some(alert) => {
            return (
                Outcome::Inconclusive,
                format!("the server aborted the TLS handshake with alert {alert:?} before it asked for a certificate (a version, cipher or name it does not take): not a refusal of the client"),
            )
        }
        None => {}
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
            Vec::new(),
        )
        .unwrap();
        let port = closed_port();
        for (listener, attempts) in [
            (Listener::Plaintext, vec![Attempt::Plaintext]),
            (Listener::SaslIam, vec![Attempt::Sasl, Attempt::SaslNoAuth]),
            (
                Listener::Tls,
                vec![
                    Attempt::TlsNoCert,
                    Attempt::TlsUntrustedCert,
                    Attempt::PlaintextOnTls,
                ],
            ),
            (Listener::ZooKeeper, vec![Attempt::ZooKeeper]),
            (Listener::ZooKeeperTls, vec![Attempt::ZooKeeperTlsNoCert]),
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

    /// A v1 certificate (no extensions, no `[0]` version) is named for what it is, not as a key
    /// that does not match.
    #[test]
    fn an_x509_v1_control_certificate_is_named_as_v1() {
        let key = rcgen::KeyPair::generate().unwrap();
        let v3 = rcgen::CertificateParams::new(vec!["client".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        assert!(!is_version_1(v3.der()));
        // The same TBSCertificate without its version field and extensions is v1: rebuilt by hand,
        // since no generator at hand writes v1.
        let v1 = version_1_of(v3.der());
        assert!(is_version_1(&v1));
        let roots = crate::probe::run::roots(Some(&[v3.der().clone()])).unwrap();
        let error = Knocker::new(
            Duration::from_millis(10),
            Duration::from_millis(10),
            roots,
            Some(Identity {
                chain: vec![CertificateDer::from(v1)],
                key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            }),
            Vec::new(),
        )
        .err()
        .unwrap();
        assert!(error.contains("X.509 v1 certificate"), "{error}");
        assert!(!error.contains("do not go together"), "{error}");
    }

    fn alert(alert: AlertDescription) -> std::io::Error {
        std::io::Error::new(ErrorKind::InvalidData, rustls::Error::AlertReceived(alert))
    }

    /// After a completed handshake: an answer lets the client in; silence does in TLS 1.2 or from a
    /// server that never asked, and proves nothing in TLS 1.3 after a CertificateRequest; an alert
    /// refuses only when it is a certificate check's, after the server asked.
    #[test]
    fn what_follows_a_handshake_reads_by_version_request_and_alert() {
        let session = |tls13, asked| Session {
            tls13,
            version: if tls13 { "TLS 1.3" } else { "TLS 1.2" },
            presented: "with no certificate",
            asked,
        };
        let outcome = |tls13, asked, answer| {
            session(tls13, asked)
                .outcome(answer, Duration::from_millis(10))
                .0
        };
        use Outcome::*;
        for tls13 in [true, false] {
            for asked in [true, false] {
                assert_eq!(outcome(tls13, asked, Ok(Answer::Kafka)), Accepted);
                assert_eq!(outcome(tls13, asked, Ok(Answer::NotKafka)), Accepted);
                let closed = || {
                    Err(Silent::Closed(std::io::Error::from(
                        ErrorKind::UnexpectedEof,
                    )))
                };
                assert_eq!(outcome(tls13, asked, closed()), Inconclusive);
                let internal = Err(Silent::Closed(alert(AlertDescription::InternalError)));
                assert_eq!(
                    outcome(tls13, asked, internal),
                    Inconclusive,
                    "not a certificate check"
                );
                let certificate = Err(Silent::Closed(alert(AlertDescription::BadCertificate)));
                let expected = if asked { Refused } else { Inconclusive };
                assert_eq!(
                    outcome(tls13, asked, certificate),
                    expected,
                    "tls13 {tls13}, asked {asked}"
                );
            }
        }
        assert_eq!(
            outcome(true, true, Err(Silent::Timeout)),
            Inconclusive,
            "a slow check looks like silence"
        );
        assert_eq!(
            outcome(true, false, Err(Silent::Timeout)),
            Accepted,
            "never asked"
        );
        assert_eq!(
            outcome(false, true, Err(Silent::Timeout)),
            Accepted,
            "TLS 1.2 finished after the check"
        );
        assert_eq!(outcome(false, false, Err(Silent::Timeout)), Accepted);
    }

    /// A handshake that failed refuses only by a certificate check's alert after the server asked.
    #[test]
    fn a_failed_handshake_refuses_only_by_a_certificate_alert_after_asking() {
        for certificate_alert in CERTIFICATE_ALERTS {
            assert_eq!(
                handshake_failed(&alert(certificate_alert), true).0,
                Outcome::Refused
            );
            assert_eq!(
                handshake_failed(&alert(certificate_alert), false).0,
                Outcome::Inconclusive
            );
        }
        for other in [
            AlertDescription::ProtocolVersion,
            AlertDescription::UnrecognisedName,
            AlertDescription::InternalError,
        ] {
            assert_eq!(
                handshake_failed(&alert(other), true).0,
                Outcome::Inconclusive,
                "{other:?}"
            );
            assert_eq!(
                handshake_failed(&alert(other), false).0,
                Outcome::Inconclusive,
                "{other:?}"
            );
        }
        assert!(
            handshake_failed(&alert(AlertDescription::HandshakeFailure), false)
                .1
                .contains("before it asked for a certificate")
        );
        assert!(
            handshake_failed(&alert(AlertDescription::InternalError), true)
                .1
                .contains("which is not a certificate check")
        );
    }

    /// The version is read through short and long DER lengths alike.
    #[test]
    fn the_version_is_read_through_short_and_long_lengths() {
        // SEQUENCE { SEQUENCE { INTEGER 0 } }: a TBSCertificate opening with its serial, v1.
        assert!(is_version_1(&[0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00]));
        // SEQUENCE { SEQUENCE { [0] { INTEGER 2 } } }: v3.
        assert!(!is_version_1(&[
            0x30, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x02
        ]));
        // The same with a long-form length (0x81 0x05) on the outer SEQUENCE.
        assert!(is_version_1(&[
            0x30, 0x81, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00
        ]));
        assert!(!is_version_1(&[0x30]), "too short to say: not v1");
    }

    /// `cert` with its TBSCertificate's `[0]` version and `[3]` extensions taken out (signature
    /// left as it was: only the shape is read).
    fn version_1_of(cert: &[u8]) -> Vec<u8> {
        fn element(der: &[u8]) -> (usize, usize) {
            // (header length, total length)
            let length = der[1];
            if length < 0x80 {
                return (2, 2 + usize::from(length));
            }
            let n = usize::from(length & 0x7f);
            let len = der[2..2 + n]
                .iter()
                .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
            (2 + n, 2 + n + len)
        }
        fn wrap(tag: u8, contents: &[u8]) -> Vec<u8> {
            let mut out = vec![tag];
            let len = contents.len();
            if len < 0x80 {
                out.push(len as u8);
            } else {
                let bytes: Vec<u8> = len
                    .to_be_bytes()
                    .into_iter()
                    .skip_while(|b| *b == 0)
                    .collect();
                out.push(0x80 | bytes.len() as u8);
                out.extend(bytes);
            }
            out.extend_from_slice(contents);
            out
        }
        let (header, _) = element(cert);
        let body = &cert[header..];
        let (tbs_header, tbs_total) = element(body);
        let mut tbs_rest = &body[tbs_header..tbs_total];
        let mut fields = Vec::new();
        while !tbs_rest.is_empty() {
            let (_, total) = element(tbs_rest);
            if tbs_rest[0] != 0xa0 && tbs_rest[0] != 0xa3 {
                fields.extend_from_slice(&tbs_rest[..total]);
            }
            tbs_rest = &tbs_rest[total..];
        }
        let mut outer = wrap(0x30, &fields);
        outer.extend_from_slice(&body[tbs_total..]);
        wrap(0x30, &outer)
    }

    /// A knocker for plaintext knocks and connection errors: its roots are never used.
    fn knocker_with_any_roots() -> Knocker {
        Knocker::new(
            Duration::from_millis(500),
            Duration::from_millis(500),
            crate::probe::run::roots(Some(&[untrusted_identity().unwrap().chain[1].clone()]))
                .unwrap(),
            None,
            Vec::new(),
        )
        .unwrap()
    }

    /// A name behind several addresses is knocked on at each: a door open at any of them is found,
    /// and named by its address.
    #[tokio::test]
    async fn every_address_of_a_name_is_knocked_on() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let first = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = first.local_addr().unwrap().port();
        // All of 127.0.0.0/8 is loopback on Linux: a second address of this machine.
        let second = tokio::net::TcpListener::bind(("127.0.0.2", port))
            .await
            .unwrap();
        // The first address hangs up; the second answers Kafka in plaintext.
        tokio::spawn(async move {
            while let Ok((stream, _)) = first.accept().await {
                drop(stream);
            }
        });
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = second.accept().await {
                let mut request = [0u8; 64];
                let read = stream.read(&mut request).await.unwrap_or(0);
                if read >= 12 {
                    let mut answer = 6i32.to_be_bytes().to_vec();
                    answer.extend_from_slice(&request[8..12]);
                    answer.extend_from_slice(&[0, 0]);
                    let _ = stream.write_all(&answer).await;
                }
            }
        });
        let knocker = knocker_with_any_roots();
        let endpoint = Endpoint {
            host: "broker.example".into(),
            port,
            listener: Listener::Plaintext,
        };
        let addresses = [
            SocketAddr::from(([127, 0, 0, 1], port)),
            SocketAddr::from(([127, 0, 0, 2], port)),
        ];
        let knocked = knocker.knock_at(&endpoint, &addresses).await;
        let seen: Vec<(Outcome, &str)> = knocked
            .iter()
            .map(|k| (k.outcome, k.detail.split(']').next().unwrap_or_default()))
            .collect();
        assert_eq!(
            seen,
            [
                (Outcome::Refused, "[127.0.0.1"),
                (Outcome::Accepted, "[127.0.0.2")
            ],
            "{knocked:?}"
        );
    }

    /// Only a refused connection says nothing listens; any other connection error proves nothing.
    #[tokio::test]
    async fn a_connection_error_other_than_refused_is_inconclusive() {
        let knocker = knocker_with_any_roots();
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

    /// What each ZooKeeper answer says: only a session is a door; a certificate check's alert is a
    /// refusal only over TLS after the server asked; a close with no alert refuses in plaintext and
    /// proves nothing over TLS.
    #[test]
    fn a_zookeeper_answer_reads_as_its_outcome() {
        let read = Duration::from_millis(1500);
        let alert = |alert| {
            Err(Silent::Closed(std::io::Error::new(
                ErrorKind::InvalidData,
                rustls::Error::AlertReceived(alert),
            )))
        };
        let closed = || {
            Err(Silent::Closed(std::io::Error::new(
                ErrorKind::UnexpectedEof,
                "early eof",
            )))
        };
        let session = || {
            Ok(ZooKeeperAnswer::Session {
                id: 0x10,
                timeout_ms: 4000,
            })
        };
        type Case = (
            Result<ZooKeeperAnswer, Silent>,
            Option<bool>,
            Outcome,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                session(),
                None,
                Outcome::Accepted,
                "session 0x10 (4000 ms) in plaintext",
            ),
            (
                session(),
                Some(true),
                Outcome::Accepted,
                "over TLS with no certificate",
            ),
            (
                Ok(ZooKeeperAnswer::NoSession),
                None,
                Outcome::Refused,
                "without a session",
            ),
            (
                Ok(ZooKeeperAnswer::NotZooKeeper),
                Some(false),
                Outcome::Inconclusive,
                "not as ZooKeeper",
            ),
            (
                Err(Silent::Timeout),
                None,
                Outcome::Unreachable,
                "within 1500 ms",
            ),
            (
                alert(AlertDescription::CertificateRequired),
                Some(true),
                Outcome::Refused,
                "CertificateRequired",
            ),
            (
                alert(AlertDescription::CertificateRequired),
                Some(false),
                Outcome::Inconclusive,
                "not a certificate check it asked for",
            ),
            (
                alert(AlertDescription::CertificateRequired),
                None,
                Outcome::Inconclusive,
                "not a certificate check",
            ),
            (
                alert(AlertDescription::ProtocolVersion),
                Some(true),
                Outcome::Inconclusive,
                "ProtocolVersion",
            ),
            (
                closed(),
                None,
                Outcome::Refused,
                "closed the connection without a session (early eof)",
            ),
            (
                closed(),
                Some(true),
                Outcome::Inconclusive,
                "no alert and no session",
            ),
        ];
        for (answer, tls, outcome, said) in cases {
            let (got, detail) = zookeeper_outcome(answer, tls, read);
            assert_eq!(got, outcome, "{detail}");
            assert!(detail.contains(said), "{detail}");
        }
    }
}
