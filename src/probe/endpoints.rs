//! Where to knock: broker endpoints and the kind of listener each one is, from GetBootstrapBrokers'
//! strings or from `--bootstrap` with MSK's ports.

use std::fmt;

/// The kind of listener an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Listener {
    Plaintext,
    Tls,
    SaslScram,
    SaslIam,
}

impl Listener {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "plaintext" => Some(Listener::Plaintext),
            "tls" => Some(Listener::Tls),
            "sasl-scram" => Some(Listener::SaslScram),
            "sasl-iam" => Some(Listener::SaslIam),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Listener::Plaintext => "plaintext",
            Listener::Tls => "tls",
            Listener::SaslScram => "sasl-scram",
            Listener::SaslIam => "sasl-iam",
        }
    }

    /// The listener MSK serves on a port (the developer guide's port table), if the port is one.
    pub fn of_msk_port(port: u16) -> Option<Self> {
        match port {
            9092 | 20092 => Some(Listener::Plaintext),
            9094 | 9194 | 20094 => Some(Listener::Tls),
            9096 | 9196 | 20096 => Some(Listener::SaslScram),
            9098 | 9198 | 20098 => Some(Listener::SaslIam),
            _ => None,
        }
    }

    /// The listener of a GetBootstrapBrokers member (wire name), public, multi-VPC and IPv6 alike.
    pub fn of_bootstrap_member(member: &str) -> Option<Self> {
        let kind = member.strip_prefix("bootstrapBrokerString")?;
        let kind = kind
            .strip_prefix("Public")
            .or_else(|| kind.strip_prefix("VpcConnectivity"))
            .unwrap_or(kind);
        let kind = kind.strip_suffix("Ipv6").unwrap_or(kind);
        match kind {
            "" => Some(Listener::Plaintext),
            "Tls" => Some(Listener::Tls),
            "SaslScram" => Some(Listener::SaslScram),
            "SaslIam" => Some(Listener::SaslIam),
            _ => None,
        }
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broker endpoint: `host:port` as given, and its listener.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub listener: Listener,
}

impl Endpoint {
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// `host:port[,host:port...]`; `listener` for every endpoint, or each one's from MSK's ports.
pub fn parse_bootstrap(list: &str, listener: Option<Listener>) -> Result<Vec<Endpoint>, String> {
    let mut endpoints = Vec::new();
    for item in list.split(',') {
        let (host, port) = split_host_port(item)?;
        let listener = match listener.or_else(|| Listener::of_msk_port(port)) {
            Some(listener) => listener,
            None => {
                return Err(format!(
                    "{item:?}: port {port} is not one of MSK's listener ports (9092, 9094, 9096, 9098, \
                     9194, 9196, 9198, 20092-20098): give --listener"
                ))
            }
        };
        let endpoint = Endpoint {
            host: host.to_owned(),
            port,
            listener,
        };
        if !endpoints.contains(&endpoint) {
            endpoints.push(endpoint);
        }
    }
    Ok(endpoints)
}

/// Every endpoint of GetBootstrapBrokers' answer: (wire member name, broker string) pairs.
pub fn from_bootstrap_brokers(members: &[(String, String)]) -> Result<Vec<Endpoint>, String> {
    let mut endpoints = Vec::new();
    for (member, list) in members {
        let listener = Listener::of_bootstrap_member(member)
            .ok_or_else(|| format!("GetBootstrapBrokers answered an unknown member {member:?}"))?;
        for endpoint in parse_bootstrap(list, Some(listener))
            .map_err(|e| format!("GetBootstrapBrokers {member}: {e}"))?
        {
            if !endpoints.contains(&endpoint) {
                endpoints.push(endpoint);
            }
        }
    }
    endpoints.sort();
    Ok(endpoints)
}

fn split_host_port(item: &str) -> Result<(&str, u16), String> {
    let bad = || format!("{item:?} is not host:port");
    let (host, port) = match item.strip_prefix('[') {
        Some(rest) => {
            let (host, port) = rest.split_once("]:").ok_or_else(bad)?;
            (host, port)
        }
        None => item.rsplit_once(':').ok_or_else(bad)?,
    };
    let valid_host = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b));
    let port: u16 = port.parse().ok().filter(|port| *port > 0).ok_or_else(bad)?;
    if !valid_host {
        return Err(bad());
    }
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listener_reads_back_from_its_name_and_only_from_it() {
        for listener in [
            Listener::Plaintext,
            Listener::Tls,
            Listener::SaslScram,
            Listener::SaslIam,
        ] {
            assert_eq!(Listener::parse(listener.as_str()), Some(listener));
        }
        assert_eq!(Listener::parse("TLS"), None);
        assert_eq!(Listener::parse("sasl"), None);
        assert_eq!(Listener::SaslScram.to_string(), "sasl-scram");
    }

    #[test]
    fn every_port_of_msks_table_gives_its_listener() {
        for (ports, listener) in [
            ([9092, 20092].as_slice(), Listener::Plaintext),
            (&[9094, 9194, 20094], Listener::Tls),
            (&[9096, 9196, 20096], Listener::SaslScram),
            (&[9098, 9198, 20098], Listener::SaslIam),
        ] {
            for port in ports {
                assert_eq!(Listener::of_msk_port(*port), Some(listener), "{port}");
            }
        }
        assert_eq!(Listener::of_msk_port(9093), None);
    }

    #[test]
    fn every_bootstrap_member_maps_to_its_listener() {
        for (member, listener) in [
            ("bootstrapBrokerString", Listener::Plaintext),
            ("bootstrapBrokerStringIpv6", Listener::Plaintext),
            ("bootstrapBrokerStringTls", Listener::Tls),
            ("bootstrapBrokerStringPublicTls", Listener::Tls),
            ("bootstrapBrokerStringVpcConnectivityTls", Listener::Tls),
            ("bootstrapBrokerStringTlsIpv6", Listener::Tls),
            ("bootstrapBrokerStringSaslScram", Listener::SaslScram),
            ("bootstrapBrokerStringPublicSaslScram", Listener::SaslScram),
            (
                "bootstrapBrokerStringVpcConnectivitySaslScram",
                Listener::SaslScram,
            ),
            ("bootstrapBrokerStringSaslScramIpv6", Listener::SaslScram),
            ("bootstrapBrokerStringSaslIam", Listener::SaslIam),
            ("bootstrapBrokerStringPublicSaslIam", Listener::SaslIam),
            (
                "bootstrapBrokerStringVpcConnectivitySaslIam",
                Listener::SaslIam,
            ),
            ("bootstrapBrokerStringSaslIamIpv6", Listener::SaslIam),
        ] {
            assert_eq!(
                Listener::of_bootstrap_member(member),
                Some(listener),
                "{member}"
            );
        }
        assert_eq!(
            Listener::of_bootstrap_member("bootstrapBrokerStringQuic"),
            None
        );
        assert_eq!(
            Listener::of_bootstrap_member("zookeeperConnectString"),
            None
        );
    }

    #[test]
    fn msk_ports_give_the_listener_and_other_ports_need_it_named() {
        let endpoints =
            parse_bootstrap("b-1.x:9094,b-2.x:9092,[::1]:9098,b-1.x:9094", None).unwrap();
        assert_eq!(
            endpoints
                .iter()
                .map(|e| (e.address(), e.listener))
                .collect::<Vec<_>>(),
            [
                ("b-1.x:9094".to_owned(), Listener::Tls),
                ("b-2.x:9092".to_owned(), Listener::Plaintext),
                ("[::1]:9098".to_owned(), Listener::SaslIam),
            ]
        );
        let error = parse_bootstrap("127.0.0.1:14001", None).unwrap_err();
        assert!(error.contains("give --listener"), "{error}");
        let named = parse_bootstrap("127.0.0.1:14001", Some(Listener::Tls)).unwrap();
        assert_eq!(named[0].listener, Listener::Tls);
        for bad in [
            "b-1",
            "b-1:",
            ":9094",
            "b-1:0",
            "b-1:65536",
            "b 1:9094",
            "",
            "b-1:9094/x",
        ] {
            assert!(
                parse_bootstrap(bad, Some(Listener::Tls)).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bootstrap_brokers_answers_give_every_endpoint_once() {
        let members = vec![
            (
                "bootstrapBrokerStringTls".to_owned(),
                "b-1.x:9094,b-2.x:9094".to_owned(),
            ),
            (
                "bootstrapBrokerStringSaslIam".to_owned(),
                "b-1.x:9098".to_owned(),
            ),
            (
                "bootstrapBrokerStringPublicTls".to_owned(),
                "b-1.x:9094".to_owned(),
            ),
        ];
        let endpoints = from_bootstrap_brokers(&members).unwrap();
        assert_eq!(endpoints.len(), 3);
        let unknown = vec![("bootstrapBrokerStringNew".to_owned(), "b:1".to_owned())];
        assert!(from_bootstrap_brokers(&unknown)
            .unwrap_err()
            .contains("bootstrapBrokerStringNew"));
    }
}
