//! A client certificate as the probe's report names it: its subject and its issuer, read from its
//! DER (the common name, else the whole name's attribute values), so a knock with a certificate that
//! should have been refused says which one got in.

/// A certificate's subject and issuer, as `CN=<name>` (or the name's values, or "(no name)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub subject: String,
    pub issuer: String,
}

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} issued by {}", self.subject, self.issuer)
    }
}

/// The subject and issuer of a DER certificate; `None` when it is not one this reader follows.
pub fn named(cert: &[u8]) -> Option<Named> {
    let (issuer, subject) = issuer_and_subject(cert)?;
    Some(Named {
        subject: name(subject),
        issuer: name(issuer),
    })
}

/// The DER contents of a certificate's issuer and subject names: a certificate was issued by the
/// CA whose subject is its issuer, byte for byte.
pub fn issuer_and_subject(cert: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, certificate, _) = element(cert)?;
    let (_, tbs, _) = element(certificate)?;
    let mut fields = tbs;
    // The optional [0] version, the serial number and the signature algorithm come first.
    let (tag, _, rest) = element(fields)?;
    fields = if tag == 0xa0 { element(rest)?.2 } else { rest };
    let (_, _, rest) = element(fields)?;
    let (_, issuer, rest) = element(rest)?;
    let (_, _, rest) = element(rest)?;
    let (_, subject, _) = element(rest)?;
    Some((issuer, subject))
}

/// An X.501 name as `CN=<common name>`, else its attribute values joined, else "(no name)".
fn name(mut rdns: &[u8]) -> String {
    const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
    let mut values = Vec::new();
    let mut common_name = None;
    while let Some((_, set, rest)) = element(rdns) {
        rdns = rest;
        let mut attributes = set;
        while let Some((_, attribute, rest)) = element(attributes) {
            attributes = rest;
            let Some((0x06, oid, after)) = element(attribute) else {
                continue;
            };
            let Some((_, value, _)) = element(after) else {
                continue;
            };
            let text = String::from_utf8_lossy(value).into_owned();
            if oid == COMMON_NAME && common_name.is_none() {
                common_name = Some(text.clone());
            }
            values.push(text);
        }
    }
    match common_name {
        Some(cn) => format!("CN={cn}"),
        None if !values.is_empty() => values.join(", "),
        None => "(no name)".to_owned(),
    }
}

/// The DER element at the start of `der`: its tag, its contents, and what follows it.
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first & 0x80 == 0 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
        (length, &rest[count..])
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(subject: Option<&str>, issuer_name: &str) -> Vec<u8> {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, issuer_name);
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        match subject {
            Some(cn) => params
                .distinguished_name
                .push(rcgen::DnType::CommonName, cn),
            None => params
                .distinguished_name
                .push(rcgen::DnType::OrganizationName, "orders team"),
        }
        params.signed_by(&key, &issuer).unwrap().der().to_vec()
    }

    #[test]
    fn a_certificate_is_named_by_its_subject_and_issuer() {
        let cert = certificate(Some("orders-producer"), "team B subordinate CA");
        let named = named(&cert).unwrap();
        assert_eq!(named.subject, "CN=orders-producer");
        assert_eq!(named.issuer, "CN=team B subordinate CA");
        assert_eq!(
            named.to_string(),
            "CN=orders-producer issued by CN=team B subordinate CA"
        );
        let no_cn = certificate(None, "root");
        assert_eq!(named_subject(&no_cn), "orders team");
    }

    fn named_subject(cert: &[u8]) -> String {
        named(cert).unwrap().subject
    }

    #[test]
    fn what_is_not_a_certificate_is_not_named() {
        for der in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 2, 3, 4, 5],
            &[0x30, 0x05, 0x30],
        ] {
            assert_eq!(named(der), None, "{der:?}");
        }
        assert_eq!(name(&[]), "(no name)");
    }
}
