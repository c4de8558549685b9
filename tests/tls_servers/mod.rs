//! Real TLS servers for the probe's tests: rustls servers on a runtime of their own, requiring,
//! requesting or never asking for a client certificate, in TLS 1.2 or 1.3, with a minimal Kafka
//! ApiVersions responder behind each; a plaintext responder; a listener that never answers.
//! Shared by `tests/knock.rs` (the library, in process) and `tests/probe.rs` (the release binary).

#![allow(dead_code)] // each test file uses its own part

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{LazyConfigAcceptor, TlsAcceptor};

/// A test CA, a server certificate for 127.0.0.1 and a client certificate it issued, in a temp dir.
pub struct Pki {
    dir: PathBuf,
    pub ca: CertificateDer<'static>,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
    pub client_chain: Vec<CertificateDer<'static>>,
    pub client_key: PrivateKeyDer<'static>,
}

impl Pki {
    pub fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("msk-probe-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "probe test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let leaf = |names: Vec<String>, client: bool| {
            let key = rcgen::KeyPair::generate().unwrap();
            let mut params = rcgen::CertificateParams::new(names).unwrap();
            params.extended_key_usages = vec![if client {
                rcgen::ExtendedKeyUsagePurpose::ClientAuth
            } else {
                rcgen::ExtendedKeyUsagePurpose::ServerAuth
            }];
            let cert = params.signed_by(&key, &issuer).unwrap();
            (cert, key)
        };
        let (server, server_key) = leaf(vec!["127.0.0.1".into(), "localhost".into()], false);
        let (client, client_key) = leaf(vec![], true);
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.join("server.pem"), server.pem()).unwrap();
        std::fs::write(dir.join("server.key"), server_key.serialize_pem()).unwrap();
        std::fs::write(dir.join("client.pem"), client.pem()).unwrap();
        std::fs::write(dir.join("client.key"), client_key.serialize_pem()).unwrap();
        Pki {
            dir,
            ca: ca.der().clone(),
            server_chain: vec![server.der().clone()],
            server_key: PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
            client_chain: vec![client.der().clone()],
            client_key: PrivateKeyDer::Pkcs8(client_key.serialize_der().into()),
        }
    }

    pub fn path(&self, file: &str) -> String {
        self.dir.join(file).to_str().unwrap().to_owned()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A CA hierarchy for rotations, in the test PKI's directory: a root, two sibling subordinate CAs
/// under it (team A's and team B's), and a client certificate from each, presented with its
/// issuer's certificate after it (`client-a-chain.pem`, `client-b-chain.pem` and their keys).
pub struct Hierarchy {
    pub root: CertificateDer<'static>,
    pub sub_a: CertificateDer<'static>,
    pub client_a: (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>),
    pub client_b: (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>),
}

impl Hierarchy {
    pub fn new(pki: &Pki) -> Hierarchy {
        let ca = |name: &str| {
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, name);
            params.key_usages = vec![
                rcgen::KeyUsagePurpose::KeyCertSign,
                rcgen::KeyUsagePurpose::CrlSign,
            ];
            (params, rcgen::KeyPair::generate().unwrap())
        };
        let (root_params, root_key) = ca("rotation test root CA");
        let root = root_params.self_signed(&root_key).unwrap();
        let root_issuer = rcgen::Issuer::new(root_params, root_key);
        let sub = |name: &str| {
            let (params, key) = ca(name);
            let cert = params.signed_by(&key, &root_issuer).unwrap();
            (cert, rcgen::Issuer::new(params, key))
        };
        let (sub_a, issuer_a) = sub("team A subordinate CA");
        let (sub_b, issuer_b) = sub("team B subordinate CA");
        let client = |name: &str,
                      file: &str,
                      sub: &rcgen::Certificate,
                      issuer: &rcgen::Issuer<'_, rcgen::KeyPair>| {
            let key = rcgen::KeyPair::generate().unwrap();
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, name);
            params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
            let cert = params.signed_by(&key, issuer).unwrap();
            std::fs::write(
                pki.path(&format!("{file}-chain.pem")),
                format!("{}{}", cert.pem(), sub.pem()),
            )
            .unwrap();
            std::fs::write(pki.path(&format!("{file}.key")), key.serialize_pem()).unwrap();
            (
                vec![cert.der().clone(), sub.der().clone()],
                PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
        };
        let client_a = client("client of team A", "client-a", &sub_a, &issuer_a);
        let client_b = client("client of team B", "client-b", &sub_b, &issuer_b);
        std::fs::write(pki.path("root.pem"), root.pem()).unwrap();
        std::fs::write(pki.path("sub-a.pem"), sub_a.pem()).unwrap();
        Hierarchy {
            root: root.der().clone(),
            sub_a: sub_a.der().clone(),
            client_a,
            client_b,
        }
    }
}

/// A server (the test PKI's server certificate) that requires a client certificate chaining to
/// `trusted` alone, in one TLS version.
pub fn server_config_trusting(
    pki: &Pki,
    trusted: CertificateDer<'static>,
    version: Version,
) -> ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(trusted).unwrap();
    let versions: &[&rustls::SupportedProtocolVersion] = match version {
        Version::Tls12 => &[&rustls::version::TLS12],
        Version::Tls13 => &[&rustls::version::TLS13],
    };
    ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .unwrap()
        .with_client_cert_verifier(
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap(),
        )
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .unwrap()
}

#[derive(Clone, Copy, Debug)]
pub enum ClientAuth {
    Required,
    Requested,
    None,
}

#[derive(Clone, Copy, Debug)]
pub enum Version {
    Tls12,
    Tls13,
}

pub fn server_config(pki: &Pki, auth: ClientAuth, version: Version) -> ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca.clone()).unwrap();
    let versions: &[&rustls::SupportedProtocolVersion] = match version {
        Version::Tls12 => &[&rustls::version::TLS12],
        Version::Tls13 => &[&rustls::version::TLS13],
    };
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .unwrap();
    let verifier =
        || WebPkiClientVerifier::builder_with_provider(Arc::new(roots.clone()), provider.clone());
    let builder = match auth {
        ClientAuth::Required => builder.with_client_cert_verifier(verifier().build().unwrap()),
        ClientAuth::Requested => {
            builder.with_client_cert_verifier(verifier().allow_unauthenticated().build().unwrap())
        }
        ClientAuth::None => builder.with_no_client_auth(),
    };
    builder
        .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
        .unwrap()
}

/// Answers one ApiVersions request the way a broker does: size, our correlation id, error 0, one API.
pub async fn kafka_responder<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
) {
    let mut size = [0u8; 4];
    if stream.read_exact(&mut size).await.is_err() {
        return;
    }
    let mut request = vec![0u8; i32::from_be_bytes(size).clamp(0, 4096) as usize];
    if stream.read_exact(&mut request).await.is_err() || request.len() < 8 {
        return;
    }
    let mut body = request[4..8].to_vec(); // correlation id
    body.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3]);
    let mut answer = (body.len() as i32).to_be_bytes().to_vec();
    answer.extend_from_slice(&body);
    let _ = stream.write_all(&answer).await;
    let _ = stream.flush().await;
}

/// The servers of one test, on a runtime of their own; each returns its port.
pub struct Servers {
    runtime: tokio::runtime::Runtime,
}

impl Servers {
    pub fn new() -> Servers {
        Servers {
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        }
    }

    pub fn tls(&self, config: ServerConfig) -> u16 {
        let acceptor = TlsAcceptor::from(Arc::new(config));
        self.serve(move |stream| {
            let acceptor = acceptor.clone();
            async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    kafka_responder(tls).await;
                }
            }
        })
    }

    /// Completes the handshake, then closes the connection without a word or an alert.
    pub fn tls_then_hang_up(&self, config: ServerConfig) -> u16 {
        let acceptor = TlsAcceptor::from(Arc::new(config));
        self.serve(move |stream| {
            let acceptor = acceptor.clone();
            async move {
                drop(acceptor.accept(stream).await);
            }
        })
    }

    /// Completes the handshake, then neither answers nor closes: a TLS 1.3 broker still checking
    /// the certificate looks the same.
    pub fn tls_then_silent(&self, config: ServerConfig) -> u16 {
        let acceptor = TlsAcceptor::from(Arc::new(config));
        self.serve(move |stream| {
            let acceptor = acceptor.clone();
            async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    drop(tls);
                }
            }
        })
    }

    /// Answers every ClientHello with a fatal handshake_failure alert before asking for any
    /// certificate, as a broker does that will not take the client's version, ciphers or SNI; and
    /// lets in, in plaintext, no one.
    pub fn alert_before_asking(&self) -> u16 {
        self.serve(|mut stream| async move {
            let mut hello = [0u8; 5];
            if stream.read_exact(&mut hello).await.is_ok() {
                let _ = stream
                    .write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
                    .await;
                let _ = stream.flush().await;
            }
        })
    }

    /// TLS (with `config`) for a client whose first byte opens a TLS record, plaintext Kafka for
    /// anyone else: a port-sharing proxy that sniffs the first byte.
    pub fn sniffing(&self, config: ServerConfig) -> u16 {
        let acceptor = TlsAcceptor::from(Arc::new(config));
        self.serve(move |stream| {
            let acceptor = acceptor.clone();
            async move {
                let mut first = [0u8; 1];
                if stream.peek(&mut first).await.is_err() {
                    return;
                }
                if first[0] == 0x16 {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        kafka_responder(tls).await;
                    }
                } else {
                    kafka_responder(stream).await;
                }
            }
        })
    }

    /// `with_sni` for a client that names the server, `without_sni` for one that does not: SNI
    /// routing, where the certificate check lives on one route only.
    pub fn by_sni(&self, with_sni: ServerConfig, without_sni: ServerConfig) -> u16 {
        let (with_sni, without_sni) = (Arc::new(with_sni), Arc::new(without_sni));
        self.serve(move |stream| {
            let (with_sni, without_sni) = (with_sni.clone(), without_sni.clone());
            async move {
                let acceptor = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream);
                let Ok(start) = acceptor.await else { return };
                let config = match start.client_hello().server_name() {
                    Some(_) => with_sni,
                    None => without_sni,
                };
                if let Ok(tls) = start.into_stream(config).await {
                    kafka_responder(tls).await;
                }
            }
        })
    }

    pub fn plaintext(&self) -> u16 {
        self.serve(kafka_responder)
    }

    /// Accepts connections and never answers.
    pub fn silent(&self) -> u16 {
        self.serve(|stream| async move {
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(stream);
        })
    }

    pub fn serve<F, Fut>(&self, handle: F) -> u16
    where
        F: Fn(TcpStream) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = self
            .runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        self.runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(handle(stream));
            }
        });
        port
    }
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real JSSE listener (Java's TLS, as MSK's brokers run it), required client authentication, in
/// one protocol version; stopped when dropped.
pub struct Jsse {
    child: std::process::Child,
    pub port: u16,
}

/// The test PKI's server certificate and key as a PKCS12 keystore, and its CA as a PKCS12 trust store,
/// for a Java server (JSSE, ZooKeeper).
pub struct JavaStores {
    pub keystore: String,
    pub truststore: String,
    pub password: &'static str,
}

impl JavaStores {
    pub fn new(pki: &Pki, name: &str) -> JavaStores {
        Self::trusting(pki, name, &pki.path("ca.pem"))
    }

    /// The stores with `trusted` (a PEM file) as the only client CA.
    pub fn trusting(pki: &Pki, name: &str, trusted: &str) -> JavaStores {
        use std::process::Command;
        let stores = JavaStores {
            keystore: pki.path(&format!("{name}.p12")),
            truststore: pki.path(&format!("{name}-trust.p12")),
            password: "probe-test",
        };
        let run = |command: &mut Command| {
            let output = command.output().unwrap();
            assert!(
                output.status.success(),
                "{command:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        run(Command::new("openssl").args([
            "pkcs12",
            "-export",
            "-in",
            &pki.path("server.pem"),
            "-inkey",
            &pki.path("server.key"),
            "-name",
            "server",
            "-out",
            &stores.keystore,
            "-passout",
            &format!("pass:{}", stores.password),
        ]));
        run(Command::new("keytool").args([
            "-importcert",
            "-noprompt",
            "-alias",
            "clients-ca",
            "-file",
            trusted,
            "-keystore",
            &stores.truststore,
            "-storetype",
            "PKCS12",
            "-storepass",
            stores.password,
        ]));
        stores
    }
}

impl Jsse {
    pub fn start(pki: &Pki, protocol: &str) -> Jsse {
        Self::start_trusting(pki, protocol, &pki.path("ca.pem"))
    }

    /// A JSSE listener whose trust store holds `trusted` (a PEM file) alone.
    pub fn start_trusting(pki: &Pki, protocol: &str, trusted: &str) -> Jsse {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let stem = std::path::Path::new(trusted)
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap();
        let JavaStores {
            keystore,
            truststore,
            password,
        } = JavaStores::trusting(pki, &format!("broker-{protocol}-{stem}"), trusted);
        let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/jsse/JsseBroker.java");
        let mut child = Command::new("java")
            .args([source, &keystore, &truststore, password, protocol])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("JsseBroker printed {line:?}"));
        Jsse { child, port }
    }
}

impl Drop for Jsse {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `openssl s_server` requiring a client certificate (`-Verify 1 -verify_return_error`) in one
/// protocol version (`-tls1_2`, `-tls1_3`); stopped when dropped. It speaks no Kafka.
pub struct OpensslServer {
    child: std::process::Child,
    pub port: u16,
}

impl OpensslServer {
    pub fn start(pki: &Pki, version_flag: &str) -> OpensslServer {
        Self::start_trusting(pki, version_flag, &pki.path("ca.pem"))
    }

    /// `openssl s_server` whose client CA file is `trusted` alone (`-partial_chain`: a subordinate
    /// CA may be the anchor, as in a JVM trust store).
    pub fn start_trusting(pki: &Pki, version_flag: &str, trusted: &str) -> OpensslServer {
        use std::process::{Command, Stdio};
        let port = closed_port();
        let child = Command::new("openssl")
            .args([
                "s_server",
                "-quiet",
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-cert",
                &pki.path("server.pem"),
                "-key",
                &pki.path("server.key"),
                "-CAfile",
                trusted,
                "-partial_chain",
                "-Verify",
                "1",
                "-verify_return_error",
                version_flag,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "openssl s_server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        OpensslServer { child, port }
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real ZooKeeper (Apache ZooKeeper 3.8.0, Debian's jars that `make zookeeper` unpacks into
/// target/zookeeper, on the machine's Java 17), standalone, with a plaintext client port and a TLS
/// one (Netty, the test PKI's server certificate) that asks for client certificates as
/// `client_auth` says (`need`, `want`, `none`); stopped when dropped.
pub struct ZooKeeper {
    child: std::process::Child,
    dir: PathBuf,
    pub port: u16,
    pub tls_port: u16,
}

impl ZooKeeper {
    pub fn start(pki: &Pki, client_auth: &str) -> ZooKeeper {
        use std::process::{Command, Stdio};
        let lib = std::env::var("MSK_MTLS_RULE_ZOOKEEPER").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/target/zookeeper/lib").to_owned()
        });
        assert!(
            std::path::Path::new(&lib).join("zookeeper.jar").exists(),
            "no ZooKeeper jars in {lib}: run `make zookeeper` (make test does)"
        );
        let dir = PathBuf::from(pki.path(&format!("zookeeper-{client_auth}")));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let JavaStores {
            keystore,
            truststore,
            password,
        } = JavaStores::new(pki, &format!("zookeeper-{client_auth}"));
        let (port, tls_port) = (closed_port(), closed_port());
        let config = format!(
            "tickTime=2000\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
             secureClientPort={tls_port}\nsecureClientPortAddress=127.0.0.1\nadmin.enableServer=false\n\
             serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n\
             ssl.keyStore.location={}\nssl.keyStore.password={password}\nssl.keyStore.type=PKCS12\n\
             ssl.trustStore.location={}\nssl.trustStore.password={password}\nssl.trustStore.type=PKCS12\n\
             ssl.clientAuth={client_auth}\n",
            dir.join("data").display(),
            keystore,
            truststore,
        );
        std::fs::write(dir.join("zoo.cfg"), config).unwrap();
        let child = Command::new("java")
            .arg("-cp")
            .arg(format!("{lib}/*"))
            .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
            .arg(dir.join("zoo.cfg"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = ZooKeeper {
            child,
            dir,
            port,
            tls_port,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        for port in [port, tls_port] {
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "ZooKeeper did not listen on {port}"
                );
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        server
    }
}

impl Drop for ZooKeeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
