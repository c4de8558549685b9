//! Which of a cluster's CAs issued the control certificate (`probe --client-cert`): the CA whose own
//! certificate's subject is the control's issuer, byte for byte, among those the cluster trusts.

use crate::aws::ports::ControlIssuers;
use crate::probe::certificate::{issuer_and_subject, named};

/// What the report says of the control certificate's issuer for `cluster_arn`.
pub async fn control_issuer<A: ControlIssuers>(aws: &A, cluster_arn: &str, leaf: &[u8]) -> String {
    let (Some((issuer, _)), Some(names)) = (issuer_and_subject(leaf), named(leaf)) else {
        return "its issuer could not be read from the certificate".to_owned();
    };
    let issued_by = format!("issued by {}", names.issuer);
    let cas = match aws.trusted_cas(cluster_arn).await {
        Ok(cas) => cas,
        Err(error) => {
            return format!(
                "{issued_by}; the cluster's CA list could not be read ({})",
                error.message()
            )
        }
    };
    let mut unread = Vec::new();
    for ca in &cas {
        match aws.ca_certificate(ca).await {
            Ok(der) => {
                if issuer_and_subject(&der).is_some_and(|(_, subject)| subject == issuer) {
                    return format!("{issued_by}: CA {ca}, in the cluster's list");
                }
            }
            Err(error) => unread.push(format!("{ca}: {}", error.message())),
        }
    }
    match unread.as_slice() {
        [] => format!(
            "{issued_by}, which is none of the cluster's {} CA(s): a CA above it in its chain is what the brokers trust (a root trusted directly lets every CA under it in)",
            cas.len()
        ),
        _ => format!(
            "{issued_by}; not one of the cluster's CAs read, and {} could not be read ({})",
            unread.len(),
            unread.join("; ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RuleError;

    struct Cluster {
        cas: Result<Vec<String>, String>,
        certificates: Vec<(String, Result<Vec<u8>, String>)>,
    }

    impl ControlIssuers for Cluster {
        async fn trusted_cas(&self, _: &str) -> Result<Vec<String>, RuleError> {
            self.cas
                .clone()
                .map_err(|e| RuleError::aws("DescribeClusterV2", e))
        }

        async fn ca_certificate(&self, ca_arn: &str) -> Result<Vec<u8>, RuleError> {
            let found = self.certificates.iter().find(|(arn, _)| arn == ca_arn);
            match found {
                Some((_, answer)) => answer
                    .clone()
                    .map_err(|e| RuleError::aws("GetCertificateAuthorityCertificate", e)),
                None => Err(RuleError::aws(
                    "GetCertificateAuthorityCertificate",
                    "not found",
                )),
            }
        }
    }

    /// A CA and a client certificate it issued, both DER.
    fn ca_and_client(name: &str) -> (Vec<u8>, Vec<u8>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let ca = params.self_signed(&key).unwrap().der().to_vec();
        let issuer = rcgen::Issuer::new(params, key);
        let client_key = rcgen::KeyPair::generate().unwrap();
        let client = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .signed_by(&client_key, &issuer)
            .unwrap();
        (ca, client.der().to_vec())
    }

    fn said(cluster: &Cluster, leaf: &[u8]) -> String {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(control_issuer(
                cluster,
                "arn:aws:kafka:eu-west-1:123456789012:cluster/c/1",
                leaf,
            ))
    }

    #[test]
    fn the_control_is_matched_to_the_ca_of_the_cluster_that_issued_it() {
        let (team_a, client_a) = ca_and_client("team A CA");
        let (team_b, _) = ca_and_client("team B CA");
        let (_, client_other) = ca_and_client("team A CA");
        let cluster = Cluster {
            cas: Ok(vec!["ca/b".into(), "ca/a".into()]),
            certificates: vec![("ca/b".into(), Ok(team_b)), ("ca/a".into(), Ok(team_a))],
        };
        assert_eq!(
            said(&cluster, &client_a),
            "issued by CN=team A CA: CA ca/a, in the cluster's list"
        );
        // Another CA of the same name is the same name: matched, as the brokers match names too.
        assert!(said(&cluster, &client_other).ends_with("CA ca/a, in the cluster's list"));
        let (_, stranger) = ca_and_client("team C CA");
        assert!(said(&cluster, &stranger)
            .starts_with("issued by CN=team C CA, which is none of the cluster's 2 CA(s)"));
        let unreadable = Cluster {
            cas: Ok(vec!["ca/a".into()]),
            certificates: vec![("ca/a".into(), Err("AccessDeniedException".into()))],
        };
        assert!(said(&unreadable, &client_a).contains("1 could not be read (ca/a: AWS GetCertificateAuthorityCertificate failed: AccessDeniedException)"), "{}", said(&unreadable, &client_a));
        let no_list = Cluster {
            cas: Err("AccessDeniedException".into()),
            certificates: Vec::new(),
        };
        assert!(said(&no_list, &client_a).contains("the cluster's CA list could not be read"));
        assert_eq!(
            said(&cluster, b"not a certificate"),
            "its issuer could not be read from the certificate"
        );
    }
}
