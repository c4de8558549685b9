//! Rule parameters: parsed once, strictly, into a type the evaluation core can trust.
//!
//! Config passes every value as a string. An unknown key or a value outside its domain is an error
//! that names both, so a typo can never silently weaken or tighten the rule.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::error::RuleError;
use crate::rule::evaluation::ComplianceType;

pub const ALLOWED_SASL_MECHANISMS: &str = "allowedSaslMechanisms";
pub const ALLOWED_CERTIFICATE_AUTHORITY_ARNS: &str = "allowedCertificateAuthorityArns";
pub const REQUIRED_TAG_KEYS: &str = "requiredTagKeys";
pub const SERVERLESS_CLUSTER_COMPLIANCE: &str = "serverlessClusterCompliance";
pub const CHECK_CERTIFICATE_AUTHORITY_STATUS: &str = "checkCertificateAuthorityStatus";
pub const CERTIFICATE_AUTHORITY_EXPIRY_DAYS: &str = "certificateAuthorityExpiryDays";
pub const EXECUTION_ROLE_NAME: &str = "executionRoleName";
pub const SCOPE_TAG_KEY: &str = "scopeTagKey";
pub const SCOPE_TAG_VALUE: &str = "scopeTagValue";
pub const ALLOW_PUBLIC_ACCESS: &str = "allowPublicAccess";
pub const REQUIRE_ACL_DEFAULT_DENY: &str = "requireAclDefaultDeny";
pub const ALLOW_ROOT_CERTIFICATE_AUTHORITY: &str = "allowRootCertificateAuthority";
pub const ALLOWED_ISSUER_ACCOUNTS: &str = "allowedIssuerAccounts";
pub const CERTIFICATE_AUTHORITY_PER_CLUSTER: &str = "certificateAuthorityPerCluster";
pub const REQUIRE_SHORT_LIVED_CERTIFICATES: &str = "requireShortLivedCertificates";
pub const REQUIRE_BROKER_LOGS: &str = "requireBrokerLogs";

pub const PARAMETER_NAMES: [&str; 16] = [
    ALLOWED_SASL_MECHANISMS,
    ALLOWED_CERTIFICATE_AUTHORITY_ARNS,
    REQUIRED_TAG_KEYS,
    SERVERLESS_CLUSTER_COMPLIANCE,
    CHECK_CERTIFICATE_AUTHORITY_STATUS,
    CERTIFICATE_AUTHORITY_EXPIRY_DAYS,
    EXECUTION_ROLE_NAME,
    SCOPE_TAG_KEY,
    SCOPE_TAG_VALUE,
    ALLOW_PUBLIC_ACCESS,
    REQUIRE_ACL_DEFAULT_DENY,
    ALLOW_ROOT_CERTIFICATE_AUTHORITY,
    ALLOWED_ISSUER_ACCOUNTS,
    CERTIFICATE_AUTHORITY_PER_CLUSTER,
    REQUIRE_SHORT_LIVED_CERTIFICATES,
    REQUIRE_BROKER_LOGS,
];

/// A century: no Private CA certificate is watched further ahead, so a bigger value is surely a typo.
const MAX_EXPIRY_DAYS: u32 = 36_500;

/// A SASL mechanism MSK offers besides mTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SaslMechanism {
    Iam,
    Scram,
}

impl SaslMechanism {
    pub fn label(self) -> &'static str {
        match self {
            SaslMechanism::Iam => "SASL/IAM",
            SaslMechanism::Scram => "SASL/SCRAM",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleParams {
    pub allowed_sasl_mechanisms: BTreeSet<SaslMechanism>,
    /// `None`: no allow-list, any Private CA is accepted.
    pub allowed_certificate_authority_arns: Option<BTreeSet<String>>,
    pub required_tag_keys: Vec<String>,
    /// NOT_APPLICABLE or NON_COMPLIANT.
    pub serverless_cluster_compliance: ComplianceType,
    pub check_certificate_authority_status: bool,
    pub certificate_authority_expiry_days: u32,
    pub execution_role_name: Option<String>,
    /// Only clusters with this tag are evaluated; the rest are NOT_APPLICABLE.
    pub scope_tag: Option<TagScope>,
    /// Brokers with public addresses pass the public-access check (every other check still holds).
    pub allow_public_access: bool,
    /// A cluster whose authorization is open by default (topics without an ACL open to every
    /// client certificate) fails; otherwise that is a note on its result.
    pub require_acl_default_deny: bool,
    /// A root CA in a cluster's list passes (every CA under it is trusted too).
    pub allow_root_certificate_authority: bool,
    /// The accounts besides a CA's own that may issue from it (`*` is never an account).
    pub allowed_issuer_accounts: BTreeSet<String>,
    /// A CA trusted by more than one cluster of the account fails for each of them.
    pub certificate_authority_per_cluster: bool,
    /// A CA that issues general-purpose (not short-lived) certificates fails.
    pub require_short_lived_certificates: bool,
    /// A cluster whose brokers log to no CloudWatch Logs group (where refused clients are counted)
    /// fails.
    pub require_broker_logs: bool,
}

/// The tag a cluster must carry to be in scope: the key, and the value too when one is given, as in
/// a Config rule's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagScope {
    pub key: String,
    pub value: Option<String>,
}

impl TagScope {
    pub fn admits(&self, tags: &BTreeMap<String, String>) -> bool {
        match (tags.get(&self.key), &self.value) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(actual), Some(wanted)) => actual == wanted,
        }
    }
}

impl TagScope {
    /// The tags a cluster may carry, as far as a template shows them before deploy: stack-level
    /// tags and Terraform's `default_tags` may add the scope tag, and a value written as an
    /// intrinsic is not known yet. Only a literal value that differs proves the cluster outside
    /// the scope; otherwise it is judged, so the scope tag is assumed.
    pub fn assumed_before_deploy(
        &self,
        tags: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut assumed = tags.clone();
        assumed
            .entry(self.key.clone())
            .or_insert_with(|| self.value.clone().unwrap_or_default());
        assumed
    }
}

impl std::fmt::Display for TagScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            None => write!(f, "tag {:?}", self.key),
            Some(value) => write!(f, "tag {:?} = {:?}", self.key, value),
        }
    }
}

impl Default for RuleParams {
    fn default() -> Self {
        RuleParams {
            allowed_sasl_mechanisms: BTreeSet::new(),
            allowed_certificate_authority_arns: None,
            required_tag_keys: Vec::new(),
            serverless_cluster_compliance: ComplianceType::NotApplicable,
            check_certificate_authority_status: true,
            certificate_authority_expiry_days: 30,
            execution_role_name: None,
            scope_tag: None,
            allow_public_access: false,
            require_acl_default_deny: false,
            allow_root_certificate_authority: false,
            allowed_issuer_accounts: BTreeSet::new(),
            certificate_authority_per_cluster: false,
            require_short_lived_certificates: false,
            require_broker_logs: false,
        }
    }
}

impl RuleParams {
    /// Parses the event's `ruleParameters` string; absent or blank means all defaults.
    pub fn parse(rule_parameters: Option<&str>) -> Result<Self, RuleError> {
        let text = rule_parameters.unwrap_or("").trim();
        if text.is_empty() {
            return Ok(RuleParams::default());
        }
        let object: Map<String, Value> = serde_json::from_str(text).map_err(|e| {
            RuleError::invalid_parameter(
                "ruleParameters",
                text,
                format!("not a JSON object of strings: {e}"),
            )
        })?;

        let mut params = RuleParams::default();
        let mut scope_tag_value = None;
        for (key, value) in &object {
            let raw = scalar_text(key, value)?;
            let value = raw.trim();
            if value.is_empty() {
                if PARAMETER_NAMES.contains(&key.as_str()) {
                    continue; // an empty value keeps the default, as in the Config console
                }
                return Err(unknown_key(key, value));
            }
            if key == SCOPE_TAG_VALUE {
                scope_tag_value = Some(parse_scope_tag(key, &raw, 256)?);
            } else {
                params.set(key, value, &raw)?;
            }
        }
        match (&mut params.scope_tag, scope_tag_value) {
            (Some(scope), value) => scope.value = value,
            (None, Some(value)) => {
                return Err(RuleError::invalid_parameter(
                    SCOPE_TAG_VALUE,
                    &value,
                    format!("a tag value needs {SCOPE_TAG_KEY} too"),
                ))
            }
            (None, None) => {}
        }
        Ok(params)
    }
}

impl RuleParams {
    /// Sets one parameter (all but `scopeTagValue`, which needs the key): `value` trimmed, `raw` as
    /// given.
    fn set(&mut self, key: &str, value: &str, raw: &str) -> Result<(), RuleError> {
        match key {
            ALLOWED_SASL_MECHANISMS => self.allowed_sasl_mechanisms = parse_sasl_mechanisms(value)?,
            ALLOWED_CERTIFICATE_AUTHORITY_ARNS => {
                self.allowed_certificate_authority_arns = Some(parse_ca_arns(value)?)
            }
            REQUIRED_TAG_KEYS => self.required_tag_keys = parse_tag_keys(value)?,
            SERVERLESS_CLUSTER_COMPLIANCE => {
                self.serverless_cluster_compliance = parse_serverless(value)?
            }
            CHECK_CERTIFICATE_AUTHORITY_STATUS => {
                self.check_certificate_authority_status = parse_bool(key, value)?
            }
            CERTIFICATE_AUTHORITY_EXPIRY_DAYS => {
                self.certificate_authority_expiry_days = parse_days(value)?
            }
            EXECUTION_ROLE_NAME => self.execution_role_name = Some(parse_role_name(value)?),
            ALLOW_PUBLIC_ACCESS => self.allow_public_access = parse_bool(key, value)?,
            REQUIRE_ACL_DEFAULT_DENY => self.require_acl_default_deny = parse_bool(key, value)?,
            ALLOW_ROOT_CERTIFICATE_AUTHORITY => {
                self.allow_root_certificate_authority = parse_bool(key, value)?
            }
            ALLOWED_ISSUER_ACCOUNTS => self.allowed_issuer_accounts = parse_accounts(value)?,
            CERTIFICATE_AUTHORITY_PER_CLUSTER => {
                self.certificate_authority_per_cluster = parse_bool(key, value)?
            }
            REQUIRE_SHORT_LIVED_CERTIFICATES => {
                self.require_short_lived_certificates = parse_bool(key, value)?
            }
            REQUIRE_BROKER_LOGS => self.require_broker_logs = parse_bool(key, value)?,
            // Config matches a rule's tag scope exactly, spaces included: so does the rule.
            SCOPE_TAG_KEY => {
                self.scope_tag = Some(TagScope {
                    key: parse_scope_tag(key, raw, 128)?,
                    value: None,
                })
            }
            _ => return Err(unknown_key(key, value)),
        }
        Ok(())
    }
}

/// Config sends strings; a hand-written event may carry `true` or `30`, which mean the same.
fn scalar_text(key: &str, value: &Value) -> Result<String, RuleError> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Number(number) => Ok(number.to_string()),
        other => Err(RuleError::invalid_parameter(
            key,
            &other.to_string(),
            "expected a string value",
        )),
    }
}

fn unknown_key(key: &str, value: &str) -> RuleError {
    RuleError::invalid_parameter(
        key,
        value,
        format!(
            "unknown parameter; known parameters are {}",
            PARAMETER_NAMES.join(", ")
        ),
    )
}

/// The items of a comma list, trimmed. An empty item (`",,"`, `"a,"`) is refused: it would turn
/// an allow-list into one that admits nothing, or hide a typo.
fn comma_list<'a>(key: &str, value: &'a str) -> Result<Vec<&'a str>, RuleError> {
    value
        .split(',')
        .map(str::trim)
        .enumerate()
        .map(|(index, item)| {
            if item.is_empty() {
                Err(RuleError::invalid_parameter(
                    key,
                    value,
                    format!("item {} of the comma list is empty", index + 1),
                ))
            } else {
                Ok(item)
            }
        })
        .collect()
}

/// `IAM,SCRAM` (any case, spaces allowed), as the rule's `allowedSaslMechanisms` reads it.
pub fn parse_sasl_mechanisms(value: &str) -> Result<BTreeSet<SaslMechanism>, RuleError> {
    comma_list(ALLOWED_SASL_MECHANISMS, value)?
        .into_iter()
        .map(|item| match item.to_ascii_uppercase().as_str() {
            "IAM" => Ok(SaslMechanism::Iam),
            "SCRAM" => Ok(SaslMechanism::Scram),
            _ => Err(RuleError::invalid_parameter(
                ALLOWED_SASL_MECHANISMS,
                value,
                format!("{item:?} is not a SASL mechanism; expected a comma list of IAM, SCRAM"),
            )),
        })
        .collect()
}

fn parse_ca_arns(value: &str) -> Result<BTreeSet<String>, RuleError> {
    let arns: BTreeSet<String> = comma_list(ALLOWED_CERTIFICATE_AUTHORITY_ARNS, value)?
        .into_iter()
        .map(|arn| {
            if is_private_ca_arn(arn) {
                Ok(arn.to_owned())
            } else {
                Err(RuleError::invalid_parameter(
                    ALLOWED_CERTIFICATE_AUTHORITY_ARNS,
                    value,
                    format!(
                        "{arn:?} is not an ACM Private CA ARN \
                         (arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<id>)"
                    ),
                ))
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(arns)
}

/// 12-digit account ids: `*` or an organization is not an account, so a CA shared with every
/// principal can never be allowed.
fn parse_accounts(value: &str) -> Result<BTreeSet<String>, RuleError> {
    comma_list(ALLOWED_ISSUER_ACCOUNTS, value)?
        .into_iter()
        .map(|account| {
            if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
                Ok(account.to_owned())
            } else {
                Err(RuleError::invalid_parameter(
                    ALLOWED_ISSUER_ACCOUNTS,
                    value,
                    format!("{account:?} is not a 12-digit AWS account id"),
                ))
            }
        })
        .collect()
}

/// `arn:<partition>:acm-pca:<region>:<12-digit account>:certificate-authority/<id>`.
pub fn is_private_ca_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    let id = resource
        .strip_prefix("certificate-authority/")
        .unwrap_or("");
    *prefix == "arn"
        && partition.starts_with("aws")
        && *service == "acm-pca"
        && !region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn parse_tag_keys(value: &str) -> Result<Vec<String>, RuleError> {
    let mut keys: Vec<String> = Vec::new();
    for key in comma_list(REQUIRED_TAG_KEYS, value)? {
        if key.chars().count() > 128 {
            return Err(RuleError::invalid_parameter(
                REQUIRED_TAG_KEYS,
                value,
                format!("tag key {key:?} is longer than 128 characters"),
            ));
        }
        if !keys.iter().any(|known| known == key) {
            keys.push(key.to_owned());
        }
    }
    Ok(keys)
}

/// Tag keys are at most 128 characters and values 256, as in a Config rule's scope.
fn parse_scope_tag(key: &str, value: &str, max_chars: usize) -> Result<String, RuleError> {
    if value.chars().count() > max_chars {
        return Err(RuleError::invalid_parameter(
            key,
            value,
            format!("longer than {max_chars} characters"),
        ));
    }
    Ok(value.to_owned())
}

fn parse_serverless(value: &str) -> Result<ComplianceType, RuleError> {
    match value.to_ascii_uppercase().as_str() {
        "NOT_APPLICABLE" => Ok(ComplianceType::NotApplicable),
        "NON_COMPLIANT" => Ok(ComplianceType::NonCompliant),
        _ => Err(RuleError::invalid_parameter(
            SERVERLESS_CLUSTER_COMPLIANCE,
            value,
            "expected NOT_APPLICABLE or NON_COMPLIANT",
        )),
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool, RuleError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(RuleError::invalid_parameter(
            key,
            value,
            "expected true or false",
        )),
    }
}

fn parse_days(value: &str) -> Result<u32, RuleError> {
    match value.parse::<u32>() {
        Ok(days) if days <= MAX_EXPIRY_DAYS => Ok(days),
        _ => Err(RuleError::invalid_parameter(
            CERTIFICATE_AUTHORITY_EXPIRY_DAYS,
            value,
            format!("expected a whole number of days from 0 to {MAX_EXPIRY_DAYS}"),
        )),
    }
}

/// IAM role names: 1 to 64 of `A-Za-z0-9+=,.@_-`; a path or an ARN is not a name.
pub fn is_role_name(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

fn parse_role_name(value: &str) -> Result<String, RuleError> {
    if is_role_name(value) {
        Ok(value.to_owned())
    } else {
        Err(RuleError::invalid_parameter(
            EXECUTION_ROLE_NAME,
            value,
            "expected an IAM role name (1-64 of A-Z a-z 0-9 +=,.@_-), not a path or an ARN",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555";

    fn parse(json: &str) -> Result<RuleParams, RuleError> {
        RuleParams::parse(Some(json))
    }

    fn rejected(json: &str) -> (String, String, String) {
        match parse(json) {
            Err(RuleError::InvalidRuleParameter { key, value, reason }) => (key, value, reason),
            other => panic!("{json} should be rejected, got {other:?}"),
        }
    }

    #[test]
    fn absent_blank_and_empty_mean_defaults() {
        for text in [None, Some(""), Some("  "), Some("{}")] {
            assert_eq!(RuleParams::parse(text).unwrap(), RuleParams::default());
        }
        let defaults = RuleParams::default();
        assert!(defaults.check_certificate_authority_status);
        assert_eq!(defaults.certificate_authority_expiry_days, 30);
        assert_eq!(
            defaults.serverless_cluster_compliance,
            ComplianceType::NotApplicable
        );
        assert!(defaults.allowed_sasl_mechanisms.is_empty());
        assert_eq!(defaults.allowed_certificate_authority_arns, None);
    }

    #[test]
    fn every_parameter_parses() {
        let params = parse(&format!(
            r#"{{"allowedSaslMechanisms":" iam , SCRAM ","allowedCertificateAuthorityArns":"{CA}",
                "requiredTagKeys":"owner, cost-center,owner","serverlessClusterCompliance":"non_compliant",
                "checkCertificateAuthorityStatus":"FALSE","certificateAuthorityExpiryDays":"0",
                "executionRoleName":"msk-mtls-rule-member","scopeTagValue":"production",
                "scopeTagKey":"environment","allowPublicAccess":"True",
                "requireAclDefaultDeny":"true","allowRootCertificateAuthority":"true",
                "allowedIssuerAccounts":"444455556666, 777788889999","certificateAuthorityPerCluster":"TRUE",
                "requireShortLivedCertificates":"true","requireBrokerLogs":"True"}}"#
        ))
        .unwrap();
        assert_eq!(
            params,
            RuleParams {
                allowed_sasl_mechanisms: BTreeSet::from([SaslMechanism::Iam, SaslMechanism::Scram]),
                allowed_certificate_authority_arns: Some(BTreeSet::from([CA.to_owned()])),
                required_tag_keys: vec!["owner".into(), "cost-center".into()],
                serverless_cluster_compliance: ComplianceType::NonCompliant,
                check_certificate_authority_status: false,
                certificate_authority_expiry_days: 0,
                execution_role_name: Some("msk-mtls-rule-member".into()),
                scope_tag: Some(TagScope {
                    key: "environment".into(),
                    value: Some("production".into()),
                }),
                allow_public_access: true,
                require_acl_default_deny: true,
                allow_root_certificate_authority: true,
                allowed_issuer_accounts: BTreeSet::from([
                    "444455556666".into(),
                    "777788889999".into()
                ]),
                certificate_authority_per_cluster: true,
                require_short_lived_certificates: true,
                require_broker_logs: true,
            }
        );
    }

    #[test]
    fn json_scalars_are_read_as_their_text() {
        let params = parse(
            r#"{"checkCertificateAuthorityStatus":false,"certificateAuthorityExpiryDays":45}"#,
        )
        .unwrap();
        assert!(!params.check_certificate_authority_status);
        assert_eq!(params.certificate_authority_expiry_days, 45);
    }

    #[test]
    fn empty_value_keeps_the_default() {
        assert_eq!(
            parse(r#"{"certificateAuthorityExpiryDays":"","executionRoleName":" "}"#).unwrap(),
            RuleParams::default()
        );
    }

    #[test]
    fn every_bad_value_is_named() {
        let cases = [
            (
                r#"{"allowedSaslMechanisms":"IAM,PLAIN"}"#,
                ALLOWED_SASL_MECHANISMS,
                "\"PLAIN\"",
            ),
            (
                r#"{"allowedSaslMechanisms":"TLS"}"#,
                ALLOWED_SASL_MECHANISMS,
                "not a SASL mechanism",
            ),
            (
                r#"{"allowedCertificateAuthorityArns":"arn:aws:acm:us-east-1:123456789012:certificate/abc"}"#,
                ALLOWED_CERTIFICATE_AUTHORITY_ARNS,
                "not an ACM Private CA ARN",
            ),
            (
                r#"{"allowedCertificateAuthorityArns":"ca-1"}"#,
                ALLOWED_CERTIFICATE_AUTHORITY_ARNS,
                "\"ca-1\"",
            ),
            (
                r#"{"allowedIssuerAccounts":"444455556666,*"}"#,
                ALLOWED_ISSUER_ACCOUNTS,
                "\"*\" is not a 12-digit AWS account id",
            ),
            (
                r#"{"allowedIssuerAccounts":"44445555666"}"#,
                ALLOWED_ISSUER_ACCOUNTS,
                "not a 12-digit",
            ),
            (
                r#"{"requireShortLivedCertificates":"yes"}"#,
                REQUIRE_SHORT_LIVED_CERTIFICATES,
                "expected true or false",
            ),
            (
                r#"{"requireBrokerLogs":"1"}"#,
                REQUIRE_BROKER_LOGS,
                "expected true or false",
            ),
            (
                r#"{"serverlessClusterCompliance":"COMPLIANT"}"#,
                SERVERLESS_CLUSTER_COMPLIANCE,
                "NOT_APPLICABLE or NON_COMPLIANT",
            ),
            (
                r#"{"checkCertificateAuthorityStatus":"yes"}"#,
                CHECK_CERTIFICATE_AUTHORITY_STATUS,
                "true or false",
            ),
            (
                r#"{"certificateAuthorityExpiryDays":"-1"}"#,
                CERTIFICATE_AUTHORITY_EXPIRY_DAYS,
                "whole number",
            ),
            (
                r#"{"certificateAuthorityExpiryDays":"30d"}"#,
                CERTIFICATE_AUTHORITY_EXPIRY_DAYS,
                "whole number",
            ),
            (
                r#"{"certificateAuthorityExpiryDays":"1.5"}"#,
                CERTIFICATE_AUTHORITY_EXPIRY_DAYS,
                "whole number",
            ),
            (
                r#"{"certificateAuthorityExpiryDays":"99999"}"#,
                CERTIFICATE_AUTHORITY_EXPIRY_DAYS,
                "0 to 36500",
            ),
            (
                r#"{"executionRoleName":"arn:aws:iam::123456789012:role/x"}"#,
                EXECUTION_ROLE_NAME,
                "not a path or an ARN",
            ),
            (
                r#"{"executionRoleName":"service-role/x"}"#,
                EXECUTION_ROLE_NAME,
                "IAM role name",
            ),
            (
                r#"{"requiredTagKeys":["owner"]}"#,
                REQUIRED_TAG_KEYS,
                "expected a string",
            ),
            (
                r#"{"requiredTagKeys":null}"#,
                REQUIRED_TAG_KEYS,
                "expected a string",
            ),
        ];
        for (json, key, words) in cases {
            let (got_key, _, reason) = rejected(json);
            assert_eq!(got_key, key, "{json}");
            assert!(reason.contains(words), "{json}: {reason}");
        }
        let long_key = format!(r#"{{"requiredTagKeys":"{}"}}"#, "k".repeat(129));
        assert_eq!(rejected(&long_key).0, REQUIRED_TAG_KEYS);
    }

    #[test]
    fn unknown_keys_are_rejected_by_name_with_the_known_ones_listed() {
        let (key, value, reason) = rejected(r#"{"allowedSaslMechanism":"IAM"}"#);
        assert_eq!(
            (key.as_str(), value.as_str()),
            ("allowedSaslMechanism", "IAM")
        );
        assert!(reason.contains("allowedSaslMechanisms"), "{reason}");
        assert_eq!(
            rejected(r#"{"AllowedSaslMechanisms":"IAM"}"#).0,
            "AllowedSaslMechanisms"
        );
        assert_eq!(rejected(r#"{"test":""}"#).0, "test");
    }

    #[test]
    fn parameters_that_are_not_a_json_object_are_rejected() {
        for text in ["[]", "\"IAM\"", "{\"a\":", "not json"] {
            assert_eq!(rejected(text).0, "ruleParameters", "{text}");
        }
    }

    #[test]
    fn private_ca_arns() {
        assert!(is_private_ca_arn(CA));
        assert!(is_private_ca_arn(
            "arn:aws-us-gov:acm-pca:us-gov-west-1:123456789012:certificate-authority/abc-123"
        ));
        for bad in [
            "",
            "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/",
            "arn:aws:acm-pca:us-east-1:12345678901:certificate-authority/abc",
            "arn:aws:acm-pca::123456789012:certificate-authority/abc",
            "arn:aws:acm-pca:us-east-1:123456789012:certificate/abc",
            "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/abc/def",
        ] {
            assert!(!is_private_ca_arn(bad), "{bad}");
        }
    }

    #[test]
    fn tag_scope_admits_the_key_and_the_value_when_one_is_given() {
        let tags = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let key_only = parse(r#"{"scopeTagKey":"environment"}"#)
            .unwrap()
            .scope_tag
            .unwrap();
        assert!(key_only.admits(&tags(&[("environment", "")])));
        assert!(!key_only.admits(&tags(&[("Environment", "production")])));
        let keyed = parse(r#"{"scopeTagKey":"environment","scopeTagValue":"production"}"#)
            .unwrap()
            .scope_tag
            .unwrap();
        assert!(keyed.admits(&tags(&[("environment", "production")])));
        assert!(!keyed.admits(&tags(&[("environment", "staging")])));
        assert!(!keyed.admits(&tags(&[])));
    }

    #[test]
    fn a_tag_value_without_a_key_is_rejected() {
        let (key, value, reason) = rejected(r#"{"scopeTagValue":"production"}"#);
        assert_eq!(
            (key.as_str(), value.as_str()),
            ("scopeTagValue", "production")
        );
        assert!(reason.contains("scopeTagKey"), "{reason}");
        assert_eq!(
            rejected(&format!(r#"{{"scopeTagKey":"{}"}}"#, "k".repeat(129))).0,
            "scopeTagKey"
        );
    }

    #[test]
    fn an_empty_item_in_any_comma_list_is_refused() {
        for key in [
            ALLOWED_SASL_MECHANISMS,
            ALLOWED_CERTIFICATE_AUTHORITY_ARNS,
            REQUIRED_TAG_KEYS,
        ] {
            for value in [",,", ",", "x,", ", x"] {
                let (got_key, got_value, reason) = rejected(&format!(r#"{{"{key}":"{value}"}}"#));
                assert_eq!((got_key.as_str(), got_value.as_str()), (key, value.trim()));
                assert!(reason.contains("of the comma list is empty"), "{reason}");
            }
        }
    }

    #[test]
    fn the_documented_defaults_given_explicitly_parse_to_the_defaults() {
        let explicit = parse(
            r#"{"serverlessClusterCompliance":"NOT_APPLICABLE","checkCertificateAuthorityStatus":"true",
                "certificateAuthorityExpiryDays":"30","allowRootCertificateAuthority":"false",
                "certificateAuthorityPerCluster":"false","requireShortLivedCertificates":"false",
                "requireBrokerLogs":"false"}"#,
        )
        .unwrap();
        assert_eq!(explicit, RuleParams::default());
        assert!(
            parse(r#"{"checkCertificateAuthorityStatus":"TRUE"}"#)
                .unwrap()
                .check_certificate_authority_status
        );
    }

    #[test]
    fn length_limits_admit_the_boundary_and_refuse_one_more() {
        let key = |n: usize| "k".repeat(n);
        assert_eq!(
            parse(&format!(r#"{{"requiredTagKeys":"{}"}}"#, key(128)))
                .unwrap()
                .required_tag_keys,
            vec![key(128)]
        );
        assert_eq!(
            rejected(&format!(r#"{{"requiredTagKeys":"{}"}}"#, key(129))).0,
            REQUIRED_TAG_KEYS
        );
        let scope = parse(&format!(
            r#"{{"scopeTagKey":"{}","scopeTagValue":"{}"}}"#,
            key(128),
            "v".repeat(256)
        ))
        .unwrap()
        .scope_tag
        .unwrap();
        assert_eq!(
            (scope.key.len(), scope.value.map(|v| v.len())),
            (128, Some(256))
        );
        let (got, _, reason) = rejected(&format!(
            r#"{{"scopeTagKey":"k","scopeTagValue":"{}"}}"#,
            "v".repeat(257)
        ));
        assert_eq!(got, SCOPE_TAG_VALUE);
        assert!(reason.contains("longer than 256"), "{reason}");
        assert_eq!(
            parse(&format!(r#"{{"executionRoleName":"{}"}}"#, "r".repeat(64)))
                .unwrap()
                .execution_role_name
                .map(|name| name.len()),
            Some(64)
        );
        assert_eq!(
            rejected(&format!(r#"{{"executionRoleName":"{}"}}"#, "r".repeat(65))).0,
            EXECUTION_ROLE_NAME
        );
    }

    #[test]
    fn the_tag_scope_is_matched_exactly_spaces_included() {
        let scope = parse(r#"{"scopeTagKey":"env ","scopeTagValue":"prod "}"#)
            .unwrap()
            .scope_tag
            .unwrap();
        assert_eq!(
            (scope.key.as_str(), scope.value.as_deref()),
            ("env ", Some("prod "))
        );
        let tags = |key: &str, value: &str| BTreeMap::from([(key.to_owned(), value.to_owned())]);
        assert!(scope.admits(&tags("env ", "prod ")));
        assert!(!scope.admits(&tags("env ", "prod")));
        assert!(!scope.admits(&tags("env", "prod ")));
    }
}
