//! The Private CAs a template's cluster trusts that the same template creates, read from it: an
//! `AWS::ACMPCA::CertificateAuthority` its `CertificateAuthorityArnList` points at (`Ref` or
//! `Fn::GetAtt ... Arn`), with its `Type` and `UsageMode`, and the principals an `AWS::RAM::ResourceShare`
//! of it shares it with. An `AWS::ACMPCA::Permission` lets ACM issue for the CA's own account only
//! (CreatePermission's `SourceAccount` is the calling account), so it names nobody else. What is not
//! a literal is not known before deploy, which reads the unsafe way.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::rule::ca::{CaKind, CaProfile, Issuers, UsageMode};

const NOT_KNOWN: &str = "not known before deploy";

/// What a template shows of a CA it creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateCa {
    pub profile: CaProfile,
    pub issuers: Issuers,
}

/// The CAs of this template that the cluster (`properties`) trusts, by the name the cluster's CA
/// list now gives them: each reference to one is replaced by `template_ca_arn(id)`.
pub fn template_cas(
    resources: &Map<String, Value>,
    properties: &mut Value,
) -> BTreeMap<String, TemplateCa> {
    let mut found = BTreeMap::new();
    let Some(Value::Array(list)) =
        properties.pointer_mut("/ClientAuthentication/Tls/CertificateAuthorityArnList")
    else {
        return found;
    };
    for entry in list.iter_mut() {
        let Some(id) = referenced(entry).map(str::to_owned) else {
            continue;
        };
        let Some(ca) = resources
            .get(&id)
            .filter(|r| r.get("Type") == Some(&Value::from("AWS::ACMPCA::CertificateAuthority")))
        else {
            continue;
        };
        let arn = template_ca_arn(&id);
        *entry = Value::from(arn.clone());
        found.insert(
            arn,
            TemplateCa {
                profile: profile(ca.get("Properties").unwrap_or(&Value::Null)),
                issuers: Issuers::Known(shared_with(resources, &id)),
            },
        );
    }
    found
}

/// The name a CA the template creates goes by in findings: its logical id, as a CA id.
pub fn template_ca_arn(id: &str) -> String {
    format!("arn:aws:acm-pca:::certificate-authority/{id}")
}

/// The logical id a `Ref` or a `Fn::GetAtt` of `Arn` points at.
fn referenced(value: &Value) -> Option<&str> {
    let object = value.as_object()?;
    match (object.get("Ref"), object.get("Fn::GetAtt")) {
        (Some(Value::String(id)), None) => Some(id),
        (None, Some(Value::Array(parts))) if parts.get(1) == Some(&Value::from("Arn")) => {
            parts.first().and_then(Value::as_str)
        }
        (None, Some(Value::String(dotted))) => dotted.strip_suffix(".Arn"),
        _ => None,
    }
}

/// `Type` and `UsageMode` as the template gives them: an absent mode is ACM PCA's default,
/// `GENERAL_PURPOSE`; a value that is not a literal is not known, never the safe one.
fn profile(properties: &Value) -> CaProfile {
    let kind = match properties.get("Type") {
        Some(Value::String(kind)) if kind == "ROOT" => CaKind::Root,
        Some(Value::String(kind)) if kind == "SUBORDINATE" => CaKind::Subordinate,
        Some(Value::String(other)) => CaKind::Unknown(other.clone()),
        _ => CaKind::Unknown(NOT_KNOWN.to_owned()),
    };
    let usage = match properties.get("UsageMode") {
        None | Some(Value::Null) => UsageMode::GeneralPurpose,
        Some(Value::String(mode)) if mode == "GENERAL_PURPOSE" => UsageMode::GeneralPurpose,
        Some(Value::String(mode)) if mode == "SHORT_LIVED_CERTIFICATE" => {
            UsageMode::ShortLivedCertificate
        }
        Some(Value::String(other)) => UsageMode::Unknown(other.clone()),
        Some(_) => UsageMode::Unknown(NOT_KNOWN.to_owned()),
    };
    CaProfile { kind, usage }
}

/// The principals every `AWS::RAM::ResourceShare` of the template shares the CA `id` with: account
/// ids and organization or OU ARNs as written; one that is not a literal is named as not known.
fn shared_with(resources: &Map<String, Value>, id: &str) -> BTreeSet<String> {
    let mut principals = BTreeSet::new();
    for share in resources
        .values()
        .filter(|r| r.get("Type") == Some(&Value::from("AWS::RAM::ResourceShare")))
    {
        let properties = share.get("Properties").unwrap_or(&Value::Null);
        let shares_it = match properties.get("ResourceArns") {
            Some(Value::Array(arns)) => arns.iter().any(|arn| referenced(arn) == Some(id)),
            _ => false,
        };
        if !shares_it {
            continue;
        }
        match properties.get("Principals") {
            Some(Value::Array(named)) => principals.extend(named.iter().map(|principal| {
                principal
                    .as_str()
                    .map_or_else(|| format!("(a principal {NOT_KNOWN})"), str::to_owned)
            })),
            None => {}
            Some(_) => {
                principals.insert(format!("(principals {NOT_KNOWN})"));
            }
        }
    }
    principals
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resources(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_ca_the_template_creates_is_read_with_its_type_mode_and_shares() {
        let resources = resources(json!({
            "Root": {"Type": "AWS::ACMPCA::CertificateAuthority", "Properties": {"Type": "ROOT"}},
            "Short": {"Type": "AWS::ACMPCA::CertificateAuthority",
                      "Properties": {"Type": "SUBORDINATE", "UsageMode": "SHORT_LIVED_CERTIFICATE"}},
            "Share": {"Type": "AWS::RAM::ResourceShare",
                      "Properties": {"Name": "ca", "ResourceArns": [{"Fn::GetAtt": ["Root", "Arn"]}],
                                     "Principals": ["444455556666", {"Ref": "Partner"}]}},
            "Renewals": {"Type": "AWS::ACMPCA::Permission",
                         "Properties": {"Actions": ["IssueCertificate"], "CertificateAuthorityArn": {"Ref": "Short"},
                                        "Principal": "acm.amazonaws.com"}},
        }));
        let mut properties = json!({"ClientAuthentication": {"Tls": {"CertificateAuthorityArnList": [
            {"Ref": "Root"}, {"Fn::GetAtt": "Short.Arn"}, "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x",
            {"Ref": "NotACa"}]}}});
        let found = template_cas(&resources, &mut properties);
        assert_eq!(
            properties["ClientAuthentication"]["Tls"]["CertificateAuthorityArnList"],
            json!([template_ca_arn("Root"), template_ca_arn("Short"),
                   "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x", {"Ref": "NotACa"}])
        );
        assert_eq!(
            found[&template_ca_arn("Root")],
            TemplateCa {
                profile: CaProfile {
                    kind: CaKind::Root,
                    usage: UsageMode::GeneralPurpose
                },
                issuers: Issuers::Known(BTreeSet::from([
                    "444455556666".to_owned(),
                    "(a principal not known before deploy)".to_owned()
                ])),
            }
        );
        assert_eq!(
            found[&template_ca_arn("Short")],
            TemplateCa {
                profile: CaProfile {
                    kind: CaKind::Subordinate,
                    usage: UsageMode::ShortLivedCertificate
                },
                issuers: Issuers::Known(BTreeSet::new()),
            }
        );
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn a_type_or_mode_not_known_before_deploy_is_never_the_safe_one() {
        let unknown = profile(&json!({"Type": {"Ref": "CaType"}, "UsageMode": {"Ref": "Mode"}}));
        assert_eq!(unknown.kind, CaKind::Unknown(NOT_KNOWN.into()));
        assert_eq!(unknown.usage, UsageMode::Unknown(NOT_KNOWN.into()));
        assert_eq!(profile(&json!({})).kind, CaKind::Unknown(NOT_KNOWN.into()));
        assert_eq!(
            profile(&json!({"Type": "SUBORDINATE"})).usage,
            UsageMode::GeneralPurpose
        );
        let other = profile(&json!({"Type": "INTERMEDIATE", "UsageMode": "LONG_LIVED"}));
        assert_eq!(
            (other.kind, other.usage),
            (
                CaKind::Unknown("INTERMEDIATE".into()),
                UsageMode::Unknown("LONG_LIVED".into())
            )
        );
        let explicit = profile(&json!({"Type": "SUBORDINATE", "UsageMode": "GENERAL_PURPOSE"}));
        assert_eq!(
            (explicit.kind, explicit.usage),
            (CaKind::Subordinate, UsageMode::GeneralPurpose)
        );
    }

    /// Only the CA's ARN is the CA: another attribute of it (its CSR) in the list is no reference.
    #[test]
    fn only_a_reference_to_the_cas_arn_is_the_ca() {
        let resources = resources(json!({
            "Root": {"Type": "AWS::ACMPCA::CertificateAuthority", "Properties": {"Type": "ROOT"}}}));
        let csr = json!({"Fn::GetAtt": ["Root", "CertificateSigningRequest"]});
        let mut properties = json!({"ClientAuthentication": {"Tls": {"CertificateAuthorityArnList": [csr.clone()]}}});
        assert!(template_cas(&resources, &mut properties).is_empty());
        assert_eq!(
            properties["ClientAuthentication"]["Tls"]["CertificateAuthorityArnList"],
            json!([csr])
        );
    }
}
