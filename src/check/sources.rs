//! The MSK clusters a file would create or change: CloudFormation templates (JSON or YAML) and
//! Terraform plans (`terraform show -json`), each cluster's settings in CloudFormation's property
//! shape with what cannot be known before deploy marked `UNKNOWN`.

use serde_json::{json, Map, Value};

use crate::check::yaml::read_yaml;
use crate::edge::json::Json;
use crate::rule::evaluation::ResourceType;

/// Marks a value that cannot be known before deploy.
pub const UNKNOWN: &str = "__msk_mtls_rule_unknown_before_deploy__";

pub fn unknown() -> Value {
    json!({ UNKNOWN: true })
}

pub fn is_unknown(value: &Value) -> bool {
    value.get(UNKNOWN).is_some()
}

/// One cluster of one file, as written (intrinsics and conditions left for the judge).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The logical id, or the Terraform address.
    pub resource: String,
    pub resource_type: ResourceType,
    pub line: Option<usize>,
    pub properties: Value,
}

/// Every MSK cluster in `text` (the file's name decides how it is read, the content whether a JSON
/// file is a plan). Anything that is neither a template nor a plan is an error that names the path.
pub fn candidates(file: &str, text: &str) -> Result<Vec<Candidate>, String> {
    let yaml = [".yaml", ".yml"].iter().any(|ext| file.ends_with(ext));
    let (template, lines) = if yaml {
        let template = read_yaml(text)?;
        (template.value, template.resource_lines)
    } else {
        let json = Json::parse(text).map_err(|e| format!("not JSON: {e}"))?;
        let value = without_duplicates(&json, "")?;
        if value.get("resource_changes").is_some() || value.get("terraform_version").is_some() {
            return terraform_candidates(&value);
        }
        let lines = value
            .get("Resources")
            .and_then(Value::as_object)
            .map(|resources| {
                resources
                    .keys()
                    .filter_map(|id| Some((id.clone(), json_line(text, id)?)))
                    .collect()
            })
            .unwrap_or_default();
        (value, lines)
    };
    cloudformation_candidates(&template, &lines)
}

/// A `Json` tree as a `Value`, refusing a key given twice (which `Value` would keep last-wins).
fn without_duplicates(json: &Json, path: &str) -> Result<Value, String> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(flag) => Value::Bool(*flag),
        Json::Number(number) => Value::Number(number.clone()),
        Json::String(text) => Value::String(text.clone()),
        Json::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| without_duplicates(item, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if map
                    .insert(key.clone(), without_duplicates(value, &at)?)
                    .is_some()
                {
                    return Err(format!("{at} is given twice"));
                }
            }
            Value::Object(map)
        }
    })
}

/// The line of `"<id>":` in a JSON template (the first key of that name).
fn json_line(text: &str, id: &str) -> Option<usize> {
    let needle = format!("\"{id}\"");
    let at = text
        .match_indices(&needle)
        .map(|(at, _)| at)
        .find(|at| text[at + needle.len()..].trim_start().starts_with(':'))?;
    Some(text[..at].matches('\n').count() + 1)
}

fn cloudformation_candidates(
    template: &Value,
    lines: &std::collections::BTreeMap<String, usize>,
) -> Result<Vec<Candidate>, String> {
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .ok_or("not a CloudFormation template (no Resources) nor a Terraform plan")?;
    let mut found = Vec::new();
    for (id, resource) in resources {
        let kind = resource
            .get("Type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("Resources.{id}.Type is missing or not a string"))?;
        let resource_type = ResourceType::parse(kind);
        if !resource_type.is_msk_cluster() {
            continue;
        }
        found.push(Candidate {
            resource: id.clone(),
            resource_type,
            line: lines.get(id).copied(),
            properties: resource
                .get("Properties")
                .cloned()
                .unwrap_or_else(|| json!({})),
        });
    }
    // In the template's order (a JSON object's keys may come back sorted).
    found.sort_by_key(|candidate| {
        (
            candidate.line.unwrap_or(usize::MAX),
            candidate.resource.clone(),
        )
    });
    Ok(found)
}

/// `aws_msk_cluster` and `aws_msk_serverless_cluster` changes that create or update.
fn terraform_candidates(plan: &Value) -> Result<Vec<Candidate>, String> {
    let changes = match plan.get("resource_changes") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(changes)) => changes,
        Some(_) => return Err("resource_changes is not an array".into()),
    };
    let mut found = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        let at = format!("resource_changes[{i}]");
        let resource_type = match change.get("type").and_then(Value::as_str) {
            Some("aws_msk_cluster") => ResourceType::MskCluster,
            Some("aws_msk_serverless_cluster") => ResourceType::MskServerlessCluster,
            Some(_) => continue,
            None => return Err(format!("{at}.type is missing")),
        };
        let actions: Vec<&str> = change
            .pointer("/change/actions")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{at}.change.actions is missing"))?
            .iter()
            .map(|action| action.as_str().unwrap_or_default())
            .collect();
        if !actions
            .iter()
            .any(|action| matches!(*action, "create" | "update"))
        {
            continue;
        }
        let address = change
            .get("address")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{at}.address is missing"))?
            .to_owned();
        let after = change
            .pointer("/change/after")
            .cloned()
            .unwrap_or(Value::Null);
        let after_unknown = change
            .pointer("/change/after_unknown")
            .cloned()
            .unwrap_or(Value::Null);
        let properties = match resource_type {
            ResourceType::MskCluster => terraform_properties(&after, &after_unknown),
            _ => json!({}),
        };
        found.push(Candidate {
            resource: address,
            resource_type,
            line: None,
            properties,
        });
    }
    Ok(found)
}

/// An attribute of a Terraform value: what `after` holds, unless `after_unknown` marks it unknown.
fn attribute(after: &Value, unknown: &Value, key: &str) -> Option<(Value, Value)> {
    if unknown.get(key) == Some(&Value::Bool(true)) {
        return Some((self::unknown(), Value::Null));
    }
    match after.get(key) {
        None | Some(Value::Null) => None,
        Some(value) => Some((
            value.clone(),
            unknown.get(key).cloned().unwrap_or(Value::Null),
        )),
    }
}

/// A nested block (Terraform's `nesting_mode: list`): its first element.
fn block(after: &Value, unknown: &Value, key: &str) -> Option<(Value, Value)> {
    let (value, unknown) = attribute(after, unknown, key)?;
    if is_unknown(&value) {
        return Some((value, Value::Null));
    }
    let first = value.as_array()?.first()?.clone();
    let first_unknown = unknown
        .as_array()
        .and_then(|items| items.first())
        .cloned()
        .unwrap_or(Value::Null);
    Some((first, first_unknown))
}

/// A toggle `{"Enabled": <bool>}` from a Terraform boolean attribute.
fn toggle(after: &Value, unknown: &Value, key: &str) -> Option<Value> {
    attribute(after, unknown, key).map(|(value, _)| json!({ "Enabled": value }))
}

/// The properties CloudFormation would hold for the same `aws_msk_cluster` settings.
fn terraform_properties(after: &Value, unknown: &Value) -> Value {
    let mut properties = Map::new();
    match block(after, unknown, "client_authentication") {
        Some((auth, _)) if is_unknown(&auth) => {
            properties.insert("ClientAuthentication".into(), auth);
        }
        Some((auth, auth_unknown)) => {
            let mut client = Map::new();
            if let Some(flag) = toggle(&auth, &auth_unknown, "unauthenticated") {
                client.insert("Unauthenticated".into(), flag);
            }
            if let Some((sasl, sasl_unknown)) = block(&auth, &auth_unknown, "sasl") {
                client.insert("Sasl".into(), sasl_properties(&sasl, &sasl_unknown));
            }
            // A `tls` block turns TLS client authentication on; it has no flag of its own.
            if let Some((tls, tls_unknown)) = block(&auth, &auth_unknown, "tls") {
                let tls_value = if is_unknown(&tls) {
                    tls
                } else {
                    let arns = attribute(&tls, &tls_unknown, "certificate_authority_arns")
                        .map_or(json!([]), |(arns, arns_unknown)| {
                            items_with_unknowns(arns, &arns_unknown)
                        });
                    json!({"Enabled": true, "CertificateAuthorityArnList": arns})
                };
                client.insert("Tls".into(), tls_value);
            }
            properties.insert("ClientAuthentication".into(), Value::Object(client));
        }
        None => {}
    }
    if let Some((encryption, encryption_unknown)) = block(after, unknown, "encryption_info") {
        let in_transit = if is_unknown(&encryption) {
            Some((encryption, Value::Null))
        } else {
            block(&encryption, &encryption_unknown, "encryption_in_transit")
        };
        if let Some((in_transit, in_transit_unknown)) = in_transit {
            let broker = if is_unknown(&in_transit) {
                Some(in_transit)
            } else {
                attribute(&in_transit, &in_transit_unknown, "client_broker")
                    .map(|(broker, _)| broker)
            };
            if let Some(broker) = broker {
                properties.insert(
                    "EncryptionInfo".into(),
                    json!({"EncryptionInTransit": {"ClientBroker": broker}}),
                );
            }
        }
    }
    let vpc = block(after, unknown, "broker_node_group_info")
        .and_then(|(info, info_unknown)| pass_unknown(info, info_unknown, "connectivity_info"))
        .and_then(|(info, info_unknown)| pass_unknown(info, info_unknown, "vpc_connectivity"))
        .and_then(|(info, info_unknown)| pass_unknown(info, info_unknown, "client_authentication"));
    if let Some((vpc_auth, vpc_unknown)) = vpc {
        let client = if is_unknown(&vpc_auth) {
            vpc_auth
        } else {
            let mut client = Map::new();
            if let Some(flag) = toggle(&vpc_auth, &vpc_unknown, "tls") {
                client.insert("Tls".into(), flag);
            }
            if let Some((sasl, sasl_unknown)) = block(&vpc_auth, &vpc_unknown, "sasl") {
                client.insert("Sasl".into(), sasl_properties(&sasl, &sasl_unknown));
            }
            Value::Object(client)
        };
        properties.insert(
            "BrokerNodeGroupInfo".into(),
            json!({"ConnectivityInfo": {"VpcConnectivity": {"ClientAuthentication": client}}}),
        );
    }
    if let Some((tags, _)) = attribute(after, unknown, "tags") {
        properties.insert("Tags".into(), tags);
    }
    Value::Object(properties)
}

/// The next nested block, or the unknown marker passed down as it is.
fn pass_unknown(value: Value, unknown: Value, key: &str) -> Option<(Value, Value)> {
    if is_unknown(&value) {
        Some((value, Value::Null))
    } else {
        block(&value, &unknown, key)
    }
}

/// A list whose items `after_unknown` may mark unknown one by one.
fn items_with_unknowns(list: Value, unknown: &Value) -> Value {
    match list {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    if unknown.get(i) == Some(&Value::Bool(true)) {
                        self::unknown()
                    } else {
                        item
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

fn sasl_properties(sasl: &Value, unknown: &Value) -> Value {
    if is_unknown(sasl) {
        return sasl.clone();
    }
    let mut mechanisms = Map::new();
    for (key, name) in [("iam", "Iam"), ("scram", "Scram")] {
        if let Some(flag) = toggle(sasl, unknown, key) {
            mechanisms.insert(name.into(), flag);
        }
    }
    Value::Object(mechanisms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_mark_of_a_plan_makes_a_json_file_a_plan() {
        for plan in [
            r#"{"format_version": "1.2", "terraform_version": "1.9.0"}"#,
            r#"{"resource_changes": []}"#,
        ] {
            assert_eq!(candidates("plan.json", plan).unwrap(), Vec::new(), "{plan}");
        }
        assert_eq!(
            candidates("other.json", r#"{"format_version": "1.2"}"#).unwrap_err(),
            "not a CloudFormation template (no Resources) nor a Terraform plan"
        );
    }
    #[test]
    fn an_unknown_client_authentication_block_stays_unknown() {
        let properties = terraform_properties(&json!({}), &json!({"client_authentication": true}));
        assert_eq!(properties["ClientAuthentication"], unknown());
        let known = terraform_properties(
            &json!({"client_authentication": [{"unauthenticated": false}]}),
            &json!({"client_authentication": [{}]}),
        );
        assert_eq!(
            known["ClientAuthentication"],
            json!({"Unauthenticated": {"Enabled": false}})
        );
    }
    #[test]
    fn multi_vpc_sasl_is_read_down_its_nested_blocks_and_an_unknown_block_stays_unknown() {
        let vpc_sasl = json!({"broker_node_group_info": [{"connectivity_info": [{"vpc_connectivity": [
            {"client_authentication": [{"tls": false, "sasl": [{"iam": true, "scram": false}]}]}
        ]}]}]});
        assert_eq!(
            terraform_properties(&vpc_sasl, &json!({}))["BrokerNodeGroupInfo"],
            json!({"ConnectivityInfo": {"VpcConnectivity": {"ClientAuthentication": {
                "Tls": {"Enabled": false},
                "Sasl": {"Iam": {"Enabled": true}, "Scram": {"Enabled": false}}
            }}}})
        );
        let connectivity_unknown = terraform_properties(
            &json!({"broker_node_group_info": [{}]}),
            &json!({"broker_node_group_info": [{"connectivity_info": true}]}),
        );
        assert_eq!(
            connectivity_unknown["BrokerNodeGroupInfo"],
            json!({"ConnectivityInfo": {"VpcConnectivity": {"ClientAuthentication": unknown()}}})
        );
        let client_sasl = terraform_properties(
            &json!({"client_authentication": [{"sasl": [{"scram": true}]}]}),
            &json!({}),
        );
        assert_eq!(
            client_sasl["ClientAuthentication"],
            json!({"Sasl": {"Scram": {"Enabled": true}}})
        );
    }
}
