//! Where to knock: broker endpoints and the kind of listener each one is, from GetBootstrapBrokers'
//! strings (and a ZooKeeper-mode cluster's ZooKeeper nodes, from DescribeClusterV2) or from
//! `--bootstrap` with MSK's ports.

use std::fmt;

use crate::edge::kafka::{ZOOKEEPER_MEMBER, ZOOKEEPER_TLS_MEMBER};

/// The kind of listener an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Listener {
    Plaintext,
    Tls,
    SaslScram,
    SaslIam,
    /// A ZooKeeper node's client port in plaintext (2181): a session there can rewrite the ACLs.
    ZooKeeper,
    /// A ZooKeeper node's TLS client port (2182).
    ZooKeeperTls,
}

impl Listener {
    pub const ALL: [Listener; 6] = [
        Listener::Plaintext,
        Listener::Tls,
        Listener::SaslScram,
        Listener::SaslIam,
        Listener::ZooKeeper,
        Listener::ZooKeeperTls,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Listener::ALL
            .into_iter()
            .find(|listener| listener.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Listener::Plaintext => "plaintext",
            Listener::Tls => "tls",
            Listener::SaslScram => "sasl-scram",
            Listener::SaslIam => "sasl-iam",
            Listener::ZooKeeper => "zookeeper",
            Listener::ZooKeeperTls => "zookeeper-tls",
        }
    }

    /// The listener MSK serves on a port (the developer guide's port table), if the port is one.
    pub fn of_msk_port(port: u16) -> Option<Self> {
        match port {
            9092 | 20092 => Some(Listener::Plaintext),
            9094 | 9194 | 20094 => Some(Listener::Tls),
            9096 | 9196 | 20096 => Some(Listener::SaslScram),
            9098 | 9198 | 20098 => Some(Listener::SaslIam),
            2181 => Some(Listener::ZooKeeper),
            2182 => Some(Listener::ZooKeeperTls),
            _ => None,
        }
    }

    /// The listener of a GetBootstrapBrokers member (wire name), public, multi-VPC and IPv6 alike,
    /// or of DescribeClusterV2's ZooKeeper connection strings.
    pub fn of_bootstrap_member(member: &str) -> Option<Self> {
        match member {
            ZOOKEEPER_MEMBER => return Some(Listener::ZooKeeper),
            ZOOKEEPER_TLS_MEMBER => return Some(Listener::ZooKeeperTls),
            _ => {}
        }
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

/// Where a GetBootstrapBrokers endpoint is reached from. A probe in a VPC reaches the private
/// endpoints; the public ones need a route to the internet, the multi-VPC ones (ports 14001-14100)
/// a managed VPC connection in the client's VPC, the IPv6 ones an IPv6 route (Lambda's
/// `Ipv6AllowedForDualStack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Network {
    Private,
    Public,
    MultiVpc,
    Ipv6,
}

impl Network {
    pub const ALL: [Network; 4] = [
        Network::Private,
        Network::Public,
        Network::MultiVpc,
        Network::Ipv6,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Network::Private => "private",
            Network::Public => "public",
            Network::MultiVpc => "multi-vpc",
            Network::Ipv6 => "ipv6",
        }
    }

    /// `private,public,...` (each once); an unknown name is an error naming the known ones.
    pub fn parse_list(text: &str) -> Result<Vec<Network>, String> {
        let mut networks = Vec::new();
        for item in text.split(',') {
            let network = Network::ALL
                .into_iter()
                .find(|network| network.as_str() == item.trim())
                .ok_or_else(|| {
                    format!("{item:?} is not one of private, public, multi-vpc, ipv6")
                })?;
            if !networks.contains(&network) {
                networks.push(network);
            }
        }
        Ok(networks)
    }

    /// The network of a GetBootstrapBrokers member (wire name).
    fn of_bootstrap_member(member: &str) -> Self {
        let kind = member
            .strip_prefix("bootstrapBrokerString")
            .unwrap_or(member);
        if kind.starts_with("Public") {
            Network::Public
        } else if kind.starts_with("VpcConnectivity") {
            Network::MultiVpc
        } else if kind.ends_with("Ipv6") {
            Network::Ipv6
        } else {
            Network::Private
        }
    }
}

/// The endpoints to knock on, and how many of each network left out were not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selected {
    pub endpoints: Vec<Endpoint>,
    pub not_knocked: Vec<(Network, usize)>,
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
                     9194, 9196, 9198, 20092-20098, ZooKeeper's 2181 and 2182): give --listener"
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

/// Every endpoint of GetBootstrapBrokers' answer ((wire member name, broker string) pairs) in the
/// networks asked for; the others are counted, never dropped unsaid.
pub fn from_bootstrap_brokers(
    members: &[(String, String)],
    networks: &[Network],
) -> Result<Selected, String> {
    let mut selected = Selected::default();
    let mut left_out: Vec<Endpoint> = Vec::new();
    for (member, list) in members {
        let listener = Listener::of_bootstrap_member(member)
            .ok_or_else(|| format!("GetBootstrapBrokers answered an unknown member {member:?}"))?;
        let network = Network::of_bootstrap_member(member);
        let chosen = networks.contains(&network);
        for endpoint in parse_bootstrap(list, Some(listener))
            .map_err(|e| format!("GetBootstrapBrokers {member}: {e}"))?
        {
            if chosen && !selected.endpoints.contains(&endpoint) {
                selected.endpoints.push(endpoint);
            } else if !chosen && !left_out.contains(&endpoint) {
                left_out.push(endpoint);
                match selected.not_knocked.iter_mut().find(|(n, _)| *n == network) {
                    Some((_, count)) => *count += 1,
                    None => selected.not_knocked.push((network, 1)),
                }
            }
        }
    }
    selected.endpoints.sort();
    selected.not_knocked.sort();
    Ok(selected)
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
        for listener in Listener::ALL {
            assert_eq!(Listener::parse(listener.as_str()), Some(listener));
        }
        assert_eq!(Listener::parse("ZooKeeper"), None);
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
            (&[2181], Listener::ZooKeeper),
            (&[2182], Listener::ZooKeeperTls),
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
        for (member, listener) in [
            (ZOOKEEPER_MEMBER, Listener::ZooKeeper),
            (ZOOKEEPER_TLS_MEMBER, Listener::ZooKeeperTls),
        ] {
            assert_eq!(Listener::of_bootstrap_member(member), Some(listener));
            assert_eq!(Network::of_bootstrap_member(member), Network::Private);
        }
        assert_eq!(
            Listener::of_bootstrap_member("zookeeperConnectStringIpv6"),
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
        let selected = from_bootstrap_brokers(&members, &Network::ALL).unwrap();
        assert_eq!(selected.endpoints.len(), 3);
        assert!(selected.not_knocked.is_empty());
        let unknown = vec![("bootstrapBrokerStringNew".to_owned(), "b:1".to_owned())];
        assert!(from_bootstrap_brokers(&unknown, &Network::ALL)
            .unwrap_err()
            .contains("bootstrapBrokerStringNew"));
    }

    /// A probe in a VPC knocks on what it can reach; what it leaves out is counted by network.
    #[test]
    fn endpoints_of_networks_not_asked_for_are_counted_not_knocked() {
        let member = |name: &str, list: &str| (name.to_owned(), list.to_owned());
        let members = vec![
            member("bootstrapBrokerStringTls", "b-1.x:9094,b-2.x:9094"),
            member("bootstrapBrokerString", "b-1.x:9092"),
            member(
                "bootstrapBrokerStringPublicTls",
                "b-1-public.x:9194,b-2-public.x:9194",
            ),
            member("bootstrapBrokerStringPublicSaslIam", "b-1-public.x:9198"),
            member("bootstrapBrokerStringVpcConnectivityTls", "b-1.x:14001"),
            member("bootstrapBrokerStringTlsIpv6", "[fd00::1]:20094"),
            member("bootstrapBrokerStringIpv6", "[fd00::1]:20092"),
        ];
        let private = from_bootstrap_brokers(&members, &[Network::Private]).unwrap();
        assert_eq!(
            private
                .endpoints
                .iter()
                .map(Endpoint::address)
                .collect::<Vec<_>>(),
            ["b-1.x:9092", "b-1.x:9094", "b-2.x:9094"]
        );
        assert_eq!(
            private.not_knocked,
            [
                (Network::Public, 3),
                (Network::MultiVpc, 1),
                (Network::Ipv6, 2)
            ]
        );
        let all = from_bootstrap_brokers(&members, &Network::ALL).unwrap();
        assert_eq!(all.endpoints.len(), 9);
        assert!(all.not_knocked.is_empty());
        let ipv6 = from_bootstrap_brokers(&members, &[Network::Ipv6]).unwrap();
        assert_eq!(
            ipv6.endpoints
                .iter()
                .map(Endpoint::address)
                .collect::<Vec<_>>(),
            ["[fd00::1]:20092", "[fd00::1]:20094"]
        );
    }

    #[test]
    fn network_lists_read_each_name_once_and_refuse_others() {
        assert_eq!(
            Network::parse_list("private, ipv6,private").unwrap(),
            [Network::Private, Network::Ipv6]
        );
        for network in Network::ALL {
            assert_eq!(Network::parse_list(network.as_str()).unwrap(), [network]);
        }
        assert!(Network::parse_list("private,internet")
            .unwrap_err()
            .contains("\"internet\""));
        assert!(Network::parse_list("").is_err());
    }
}
