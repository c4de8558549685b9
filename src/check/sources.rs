//! The MSK clusters a file would create or change: CloudFormation templates (JSON or YAML) and
//! Terraform plans (`terraform show -json`), each cluster's settings in CloudFormation's property
//! shape with what cannot be known before deploy marked `UNKNOWN`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::check::authorities::{template_cas, TemplateCa};
use crate::check::configuration::{plan_configuration, template_configuration};
use crate::check::yaml::read_yaml;
use crate::edge::json::Json;
use crate::rule::authorization::BrokerConfiguration;
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
    /// The properties, without `ConfigurationInfo`: the configuration is resolved apart.
    pub properties: Value,
    pub configuration: BrokerConfiguration,
    /// The Private CAs the cluster trusts that the same template creates, as it shows them.
    pub cas: BTreeMap<String, TemplateCa>,
    /// Why the file's MSK clusters may lie beyond what is read here (a nested stack, a module, a
    /// macro): said in every format, never silence.
    pub not_judged: Option<String>,
}

/// Why a file's clusters were not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRead {
    /// Neither a CloudFormation template nor a Terraform plan, and nothing in it names one: what
    /// `check --skip-unrecognised` passes over (a workflow, `package.json`, a Kubernetes manifest).
    Unrecognised(String),
    /// A template or plan (or what may be one) that cannot be read: always an error.
    Malformed(String),
}

impl NotRead {
    pub fn message(&self) -> &str {
        match self {
            NotRead::Unrecognised(message) | NotRead::Malformed(message) => message,
        }
    }
}

/// Every MSK cluster in `text`, read as JSON when it starts with `{` and as YAML otherwise (by
/// content, whatever the file's extension: `.template` files come in both); the content decides
/// whether it is a template or a plan.
pub fn candidates(text: &str) -> Result<Vec<Candidate>, NotRead> {
    let parsed = if text.trim_start().starts_with('{') {
        read_json(text)
    } else {
        read_yaml(text).map(|template| (template.value, template.resource_lines))
    };
    let (value, lines) = parsed.map_err(|error| {
        if may_be_template(text) {
            NotRead::Malformed(error)
        } else {
            NotRead::Unrecognised(error)
        }
    })?;
    if value.get("resource_changes").is_some() || value.get("terraform_version").is_some() {
        // `terraform show -json` of a state (no plan file) has `values` and no
        // `planned_values`: it says what exists, not what the plan would change.
        if value.get("planned_values").is_none() && value.get("resource_changes").is_none() {
            return Err(NotRead::Malformed("a Terraform state (terraform show -json without a plan file), not a plan: run terraform plan -out=tfplan, then terraform show -json tfplan".into()));
        }
        return terraform_candidates(&value).map_err(NotRead::Malformed);
    }
    if value.get("Resources").is_none() {
        return Err(NotRead::Unrecognised(
            "not a CloudFormation template (no Resources) nor a Terraform plan".into(),
        ));
    }
    cloudformation_candidates(&value, &lines).map_err(NotRead::Malformed)
}

/// Whether a file that does not parse names what a template or plan holds: such a file is an error
/// even where unrecognised files are skipped, since the clusters in it would go unjudged.
fn may_be_template(text: &str) -> bool {
    [
        "AWSTemplateFormatVersion",
        "Resources",
        "AWS::",
        "resource_changes",
        "terraform_version",
        "msk_",
    ]
    .iter()
    .any(|mark| text.contains(mark))
}

fn read_json(text: &str) -> Result<(Value, std::collections::BTreeMap<String, usize>), String> {
    let json = Json::parse(text).map_err(|e| format!("not JSON: {e}"))?;
    let value = without_duplicates(&json, "")?;
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
    Ok((value, lines))
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
        .ok_or("Resources is not a mapping")?;
    let mut found = Vec::new();
    for transform in macros(template)? {
        found.push(Candidate {
            resource: "Transform".into(),
            resource_type: ResourceType::parse(&transform),
            line: None,
            properties: json!({}),
            configuration: BrokerConfiguration::MskDefault,
            cas: BTreeMap::new(),
            not_judged: Some(format!(
                "the macro {transform} rewrites the template before deploy: what it makes is not judged"
            )),
        });
    }
    for (id, resource) in resources {
        let kind = resource
            .get("Type")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("Resources.{id}.Type is missing or not a string"))?;
        let resource_type = ResourceType::parse(kind);
        let not_judged = not_judged_part(kind);
        if !resource_type.is_msk_cluster() && not_judged.is_none() {
            continue;
        }
        let mut properties = resource
            .get("Properties")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let configuration = template_configuration(resources, &mut properties);
        let cas = template_cas(resources, &mut properties);
        found.push(Candidate {
            resource: id.clone(),
            resource_type,
            line: lines.get(id).copied(),
            properties,
            configuration,
            cas,
            not_judged,
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

/// Why a resource that may create clusters this template does not show is not judged.
fn not_judged_part(kind: &str) -> Option<String> {
    match kind {
        "AWS::CloudFormation::Stack" => {
            Some("a nested stack: check its template on its own".to_owned())
        }
        "AWS::Serverless::Application" => {
            Some("a nested application: check its template on its own".to_owned())
        }
        kind if kind.ends_with("::MODULE") => {
            Some("a CloudFormation module: its resources are not in this template".to_owned())
        }
        _ => None,
    }
}

/// The template-level macros other than SAM's transform, which `check` reads as SAM leaves MSK
/// resources: every other macro may add or change resources.
fn macros(template: &Value) -> Result<Vec<String>, String> {
    const SAM: &str = "AWS::Serverless-2016-10-31";
    let named = |value: &Value| -> Result<String, String> {
        match value {
            Value::String(name) => Ok(name.clone()),
            Value::Object(map) => map
                .get("Name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| "Transform: a macro without a Name".to_owned()),
            _ => Err("Transform is neither a name nor a list of names".into()),
        }
    };
    let names = match template.get("Transform") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(named).collect::<Result<_, _>>()?,
        Some(one) => vec![named(one)?],
    };
    Ok(names.into_iter().filter(|name| name != SAM).collect())
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
        if let Some(candidate) =
            terraform_candidate(plan, change, &format!("resource_changes[{i}]"))?
        {
            found.push(candidate);
        }
    }
    Ok(found)
}

/// One resource change, when it creates or updates an MSK cluster.
fn terraform_candidate(
    plan: &Value,
    change: &Value,
    at: &str,
) -> Result<Option<Candidate>, String> {
    let (resource_type, provider) = match change.get("type").and_then(Value::as_str) {
        Some("aws_msk_cluster") => (ResourceType::MskCluster, Provider::Aws),
        Some("aws_msk_serverless_cluster") => (ResourceType::MskServerlessCluster, Provider::Aws),
        Some("awscc_msk_cluster") => (ResourceType::MskCluster, Provider::CloudControl),
        Some("awscc_msk_serverless_cluster") => {
            (ResourceType::MskServerlessCluster, Provider::CloudControl)
        }
        Some(_) => return Ok(None),
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
        return Ok(None);
    }
    let address = change
        .get("address")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{at}.address is missing"))?
        .to_owned();
    let after = change.pointer("/change/after").unwrap_or(&Value::Null);
    let after_unknown = change
        .pointer("/change/after_unknown")
        .unwrap_or(&Value::Null);
    let mut properties = match (provider, &resource_type) {
        (Provider::Aws, ResourceType::MskCluster) => {
            terraform_properties(after, after_unknown).map_err(|e| format!("{address}: {e}"))?
        }
        (Provider::CloudControl, ResourceType::MskCluster) => {
            cloud_control_properties(after, after_unknown, false)
        }
        _ => json!({}),
    };
    let configuration = plan_configuration(plan, change, &mut properties);
    Ok(Some(Candidate {
        resource: address,
        resource_type,
        line: None,
        properties,
        configuration,
        cas: BTreeMap::new(),
        not_judged: None,
    }))
}

/// Which Terraform provider wrote the change: `aws` (its own schema, nested blocks as lists) or
/// `awscc` (Cloud Control: the CloudFormation schema's properties in snake_case, nested blocks as
/// objects, no `tags_all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    Aws,
    CloudControl,
}

/// An `awscc` value in CloudFormation's shape: each key in PascalCase (`client_authentication` is
/// `ClientAuthentication`), tag keys as written, what `after_unknown` marks unknown marked so.
fn cloud_control_properties(after: &Value, unknown: &Value, tag_map: bool) -> Value {
    if unknown == &Value::Bool(true) {
        return self::unknown();
    }
    match after {
        Value::Object(map) => {
            let unknown_keys = unknown
                .as_object()
                .map(|map| map.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            let mut keys: Vec<&String> = map.keys().collect();
            keys.extend(unknown_keys.iter().filter(|key| !map.contains_key(*key)));
            let mut out = Map::new();
            for key in keys {
                let value = map.get(key).unwrap_or(&Value::Null);
                let key_unknown = unknown.get(key).unwrap_or(&Value::Null);
                if value.is_null() && key_unknown != &Value::Bool(true) {
                    continue;
                }
                let name = if tag_map {
                    key.clone()
                } else {
                    pascal_case(key)
                };
                let tags = !tag_map && key == "tags";
                out.insert(name, cloud_control_properties(value, key_unknown, tags));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    cloud_control_properties(item, unknown.get(i).unwrap_or(&Value::Null), false)
                })
                .collect(),
        ),
        scalar => scalar.clone(),
    }
}

/// `certificate_authority_arn_list` as `CertificateAuthorityArnList`.
fn pascal_case(snake: &str) -> String {
    snake
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
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

/// A nested block (Terraform's `nesting_mode: list`, at most one element in the MSK schema): its
/// element. A list of two is refused: reading the first would judge half of what is written.
fn block(after: &Value, unknown: &Value, key: &str) -> Result<Option<(Value, Value)>, String> {
    let Some((value, unknown)) = attribute(after, unknown, key) else {
        return Ok(None);
    };
    if is_unknown(&value) {
        return Ok(Some((value, Value::Null)));
    }
    let items = match value.as_array() {
        Some(items) => items,
        None => return Ok(None),
    };
    if items.len() > 1 {
        return Err(format!(
            "{key} is a list of {} blocks where the schema allows one",
            items.len()
        ));
    }
    let Some(first) = items.first().cloned() else {
        return Ok(None);
    };
    let first_unknown = unknown
        .as_array()
        .and_then(|items| items.first())
        .cloned()
        .unwrap_or(Value::Null);
    Ok(Some((first, first_unknown)))
}

/// A toggle `{"Enabled": <bool>}` from a Terraform boolean attribute.
fn toggle(after: &Value, unknown: &Value, key: &str) -> Option<Value> {
    attribute(after, unknown, key).map(|(value, _)| json!({ "Enabled": value }))
}

/// The properties CloudFormation would hold for the same `aws_msk_cluster` settings.
fn terraform_properties(after: &Value, unknown: &Value) -> Result<Value, String> {
    let mut properties = Map::new();
    if let Some(client) = client_authentication(after, unknown)? {
        properties.insert("ClientAuthentication".into(), client);
    }
    if let Some(in_transit) = encryption_in_transit(after, unknown)? {
        properties.insert(
            "EncryptionInfo".into(),
            json!({ "EncryptionInTransit": in_transit }),
        );
    }
    let mut broker_node_group = Map::new();
    if let Some(connectivity) = connectivity_info(after, unknown)? {
        broker_node_group.insert("ConnectivityInfo".into(), connectivity);
    }
    // The Kafka version and the brokers' instance type: whether there is a ZooKeeper to reach.
    if let Some((group, group_unknown)) = block(after, unknown, "broker_node_group_info")? {
        if let Some((kind, _)) = attribute(&group, &group_unknown, "instance_type") {
            broker_node_group.insert("InstanceType".into(), kind);
        }
    }
    if !broker_node_group.is_empty() {
        properties.insert(
            "BrokerNodeGroupInfo".into(),
            Value::Object(broker_node_group),
        );
    }
    if let Some((version, _)) = attribute(after, unknown, "kafka_version") {
        properties.insert("KafkaVersion".into(), version);
    }
    if let Some(logs) = broker_logs(after, unknown)? {
        properties.insert("LoggingInfo".into(), json!({ "BrokerLogs": logs }));
    }
    // `tags_all` holds the provider's `default_tags` too; `tags` only what the resource sets.
    if let Some((tags, _)) =
        attribute(after, unknown, "tags_all").or_else(|| attribute(after, unknown, "tags"))
    {
        properties.insert("Tags".into(), tags);
    }
    Ok(Value::Object(properties))
}

/// `client_authentication` as CloudFormation's `ClientAuthentication`.
fn client_authentication(after: &Value, unknown: &Value) -> Result<Option<Value>, String> {
    let Some((auth, auth_unknown)) = block(after, unknown, "client_authentication")? else {
        return Ok(None);
    };
    if is_unknown(&auth) {
        return Ok(Some(auth));
    }
    let mut client = Map::new();
    if let Some(flag) = toggle(&auth, &auth_unknown, "unauthenticated") {
        client.insert("Unauthenticated".into(), flag);
    }
    if let Some((sasl, sasl_unknown)) = block(&auth, &auth_unknown, "sasl")? {
        client.insert("Sasl".into(), sasl_properties(&sasl, &sasl_unknown));
    }
    // A `tls` block turns TLS client authentication on; it has no flag of its own.
    if let Some((tls, tls_unknown)) = block(&auth, &auth_unknown, "tls")? {
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
    Ok(Some(Value::Object(client)))
}

/// `encryption_info.encryption_in_transit` as CloudFormation's `EncryptionInTransit`
/// (`client_broker`, `in_cluster`), or the unknown marker above it.
fn encryption_in_transit(after: &Value, unknown: &Value) -> Result<Option<Value>, String> {
    let Some((in_transit, in_transit_unknown)) = nested_block(
        after,
        unknown,
        &["encryption_info", "encryption_in_transit"],
    )?
    else {
        return Ok(None);
    };
    if is_unknown(&in_transit) {
        return Ok(Some(in_transit));
    }
    let mut properties = Map::new();
    for (attribute_name, property) in [
        ("client_broker", "ClientBroker"),
        ("in_cluster", "InCluster"),
    ] {
        if let Some((value, _)) = attribute(&in_transit, &in_transit_unknown, attribute_name) {
            properties.insert(property.into(), value);
        }
    }
    Ok(Some(Value::Object(properties)))
}

/// `logging_info.broker_logs` as CloudFormation's `BrokerLogs`: each destination's `enabled`, and
/// the CloudWatch Logs group.
fn broker_logs(after: &Value, unknown: &Value) -> Result<Option<Value>, String> {
    let Some((logs, logs_unknown)) =
        nested_block(after, unknown, &["logging_info", "broker_logs"])?
    else {
        return Ok(None);
    };
    if is_unknown(&logs) {
        return Ok(Some(logs));
    }
    let mut properties = Map::new();
    for (block_name, property) in [
        ("cloudwatch_logs", "CloudWatchLogs"),
        ("s3", "S3"),
        ("firehose", "Firehose"),
    ] {
        let Some((destination, destination_unknown)) = block(&logs, &logs_unknown, block_name)?
        else {
            continue;
        };
        let value = if is_unknown(&destination) {
            destination
        } else {
            let mut fields = Map::new();
            if let Some((enabled, _)) = attribute(&destination, &destination_unknown, "enabled") {
                fields.insert("Enabled".into(), enabled);
            }
            if let Some((group, _)) = attribute(&destination, &destination_unknown, "log_group") {
                fields.insert("LogGroup".into(), group);
            }
            Value::Object(fields)
        };
        properties.insert(property.into(), value);
    }
    Ok(Some(Value::Object(properties)))
}

/// `broker_node_group_info.connectivity_info` as CloudFormation's `ConnectivityInfo`: public
/// access (`public_access.type`) and multi-VPC connectivity's client authentication.
fn connectivity_info(after: &Value, unknown: &Value) -> Result<Option<Value>, String> {
    let Some((connectivity, connectivity_unknown)) = nested_block(
        after,
        unknown,
        &["broker_node_group_info", "connectivity_info"],
    )?
    else {
        return Ok(None);
    };
    if is_unknown(&connectivity) {
        return Ok(Some(connectivity));
    }
    let mut properties = Map::new();
    if let Some((public, public_unknown)) =
        block(&connectivity, &connectivity_unknown, "public_access")?
    {
        let public = if is_unknown(&public) {
            public
        } else {
            attribute(&public, &public_unknown, "type")
                .map_or(json!({}), |(kind, _)| json!({ "Type": kind }))
        };
        properties.insert("PublicAccess".into(), public);
    }
    if let Some(client) = vpc_client_authentication(&connectivity, &connectivity_unknown)? {
        properties.insert(
            "VpcConnectivity".into(),
            json!({ "ClientAuthentication": client }),
        );
    }
    Ok(Some(Value::Object(properties)))
}

/// Multi-VPC connectivity's client authentication
/// (`connectivity_info.vpc_connectivity.client_authentication`).
fn vpc_client_authentication(
    connectivity: &Value,
    unknown: &Value,
) -> Result<Option<Value>, String> {
    let Some((vpc_auth, vpc_unknown)) = nested_block(
        connectivity,
        unknown,
        &["vpc_connectivity", "client_authentication"],
    )?
    else {
        return Ok(None);
    };
    if is_unknown(&vpc_auth) {
        return Ok(Some(vpc_auth));
    }
    let mut client = Map::new();
    if let Some(flag) = toggle(&vpc_auth, &vpc_unknown, "tls") {
        client.insert("Tls".into(), flag);
    }
    if let Some((sasl, sasl_unknown)) = block(&vpc_auth, &vpc_unknown, "sasl")? {
        client.insert("Sasl".into(), sasl_properties(&sasl, &sasl_unknown));
    }
    Ok(Some(Value::Object(client)))
}

/// The block at the end of a path of nested blocks; an unknown block on the way is passed down as
/// it is, for the caller to read the unsafe way.
fn nested_block(
    after: &Value,
    unknown: &Value,
    path: &[&str],
) -> Result<Option<(Value, Value)>, String> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(None);
    };
    let mut current = block(after, unknown, first)?;
    for key in rest {
        current = match current {
            Some((value, _)) if is_unknown(&value) => return Ok(Some((value, Value::Null))),
            Some((value, value_unknown)) => block(&value, &value_unknown, key)?,
            None => return Ok(None),
        };
    }
    Ok(current)
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

    fn tf(after: &Value, unknown: &Value) -> Value {
        terraform_properties(after, unknown).unwrap()
    }

    #[test]
    fn either_mark_of_a_plan_makes_a_json_file_a_plan() {
        for plan in [
            r#"{"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {}}"#,
            r#"{"resource_changes": []}"#,
        ] {
            assert_eq!(candidates(plan).unwrap(), Vec::new(), "{plan}");
        }
        assert_eq!(
            candidates(r#"{"format_version": "1.2"}"#).unwrap_err(),
            NotRead::Unrecognised(
                "not a CloudFormation template (no Resources) nor a Terraform plan".into()
            )
        );
    }

    /// What `--skip-unrecognised` may pass over: files that are neither a template nor a plan and
    /// name nothing a template holds. Everything else that cannot be read stays an error.
    #[test]
    fn only_a_file_that_names_no_template_is_unrecognised() {
        for unrelated in [
            "repos:\n  - repo: local\n    hooks: []\n",
            r#"{"name": "web", "version": "1.0.0", "scripts": {"test": "jest"}}"#,
            "apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Service\n",
            "{\n  // tsconfig with a comment\n  \"compilerOptions\": {}\n}",
            "name: {{ .Values.name }}\nreplicas: [\n",
            "- a list\n- at the top\n",
            "",
        ] {
            assert!(
                matches!(candidates(unrelated), Err(NotRead::Unrecognised(_))),
                "{unrelated:?}: {:?}",
                candidates(unrelated)
            );
        }
        for broken in [
            "AWSTemplateFormatVersion: '2010-09-09'\nResources: [\n",
            "Resources:\n  C:\n    Type: AWS::MSK::Cluster\n---\nother: 1\n",
            r#"{"Resources": {"C": {"Type": "AWS::MSK::Cluster"}}, "Resources": {}}"#,
            "Resources: 3\n",
            r#"{"resource_changes": [{"type": "aws_msk_cluster", "#,
        ] {
            assert!(
                matches!(candidates(broken), Err(NotRead::Malformed(_))),
                "{broken:?}: {:?}",
                candidates(broken)
            );
        }
    }

    /// `.template` files and any other name: JSON or YAML by what the file holds.
    #[test]
    fn json_or_yaml_is_told_by_the_content() {
        let yaml = "Resources:\n  Open:\n    Type: AWS::MSK::Cluster\n    Properties: {}\n";
        let json = r#"{"Resources": {"Open": {"Type": "AWS::MSK::Cluster", "Properties": {}}}}"#;
        for text in [yaml, json] {
            let found = candidates(text).unwrap();
            assert_eq!(found.len(), 1, "{text}");
            assert_eq!(found[0].resource, "Open");
            assert_eq!(found[0].line, Some(if text == yaml { 2 } else { 1 }));
        }
    }
    /// `terraform show -json` of a state has no changes to read: taken for a plan it would pass.
    #[test]
    fn a_terraform_state_is_refused_as_not_a_plan() {
        let state = r#"{"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": {"resources": [
            {"address": "aws_msk_cluster.open", "type": "aws_msk_cluster", "values": {"client_authentication": []}}]}}}"#;
        let error = candidates(state).unwrap_err();
        assert!(
            matches!(&error, NotRead::Malformed(m) if m.starts_with("a Terraform state")),
            "{error:?}"
        );
    }

    fn plan_of(kind: &str, after: Value, after_unknown: Value) -> String {
        json!({"format_version": "1.2", "terraform_version": "1.9.0", "planned_values": {},
            "resource_changes": [{"address": format!("{kind}.this"), "type": kind, "name": "this",
                "change": {"actions": ["create"], "after": after, "after_unknown": after_unknown}}]})
        .to_string()
    }

    /// A block the schema allows once, given twice: reading the first would judge half of it.
    #[test]
    fn a_block_list_of_two_is_refused() {
        let two = json!({"client_authentication": [
            {"unauthenticated": false, "tls": [{"certificate_authority_arns": ["arn:ca"]}]},
            {"unauthenticated": true}
        ]});
        let error = candidates(&plan_of("aws_msk_cluster", two, json!({}))).unwrap_err();
        assert_eq!(
            error.message(),
            "aws_msk_cluster.this: client_authentication is a list of 2 blocks where the schema allows one"
        );
        let nested = json!({"client_authentication": [{"sasl": [{"iam": false}, {"iam": true}]}]});
        let error = candidates(&plan_of("aws_msk_cluster", nested, json!({}))).unwrap_err();
        assert!(
            matches!(&error, NotRead::Malformed(m) if m.contains("sasl is a list of 2 blocks")),
            "{error:?}"
        );
    }

    /// `default_tags` land in `tags_all` only.
    #[test]
    fn tags_all_is_read_with_the_providers_default_tags() {
        let after = json!({"tags": {"owner": "a"}, "tags_all": {"owner": "a", "environment": "production"}});
        let found = candidates(&plan_of("aws_msk_cluster", after, json!({}))).unwrap();
        assert_eq!(
            found[0].properties["Tags"],
            json!({"owner": "a", "environment": "production"})
        );
        let unknown_tags = candidates(&plan_of(
            "aws_msk_cluster",
            json!({"tags": {"owner": "a"}}),
            json!({"tags_all": true}),
        ))
        .unwrap();
        assert_eq!(unknown_tags[0].properties["Tags"], unknown());
    }

    /// Terraform's Cloud Control provider: the CloudFormation schema in snake_case, blocks as objects.
    #[test]
    fn awscc_clusters_are_read_in_cloudformations_shape() {
        let after = json!({
            "cluster_name": "orders",
            "client_authentication": {
                "sasl": {"iam": {"enabled": true}, "scram": null},
                "tls": {"certificate_authority_arn_list": ["arn:ca"], "enabled": null},
                "unauthenticated": {"enabled": false}
            },
            "encryption_info": {"encryption_in_transit": {"client_broker": "TLS", "in_cluster": true}},
            "tags": {"cost_center": "42"}
        });
        let found = candidates(
            &plan_of("awscc_msk_cluster", after, json!({"arn": true, "client_authentication": {"tls": {"certificate_authority_arn_list": [true]}}})),
        )
        .unwrap();
        assert_eq!(found[0].resource, "awscc_msk_cluster.this");
        assert_eq!(found[0].resource_type, ResourceType::MskCluster);
        assert_eq!(
            found[0].properties["ClientAuthentication"],
            json!({"Sasl": {"Iam": {"Enabled": true}},
                   "Tls": {"CertificateAuthorityArnList": [unknown()]},
                   "Unauthenticated": {"Enabled": false}})
        );
        assert_eq!(
            found[0].properties["EncryptionInfo"]["EncryptionInTransit"]["ClientBroker"],
            "TLS"
        );
        assert_eq!(
            found[0].properties["Tags"],
            json!({"cost_center": "42"}),
            "tag keys as written"
        );
        assert_eq!(found[0].properties["Arn"], unknown());
        let serverless = candidates(&plan_of(
            "awscc_msk_serverless_cluster",
            json!({}),
            json!({}),
        ))
        .unwrap();
        assert_eq!(
            serverless[0].resource_type,
            ResourceType::MskServerlessCluster
        );
    }

    /// What may hold clusters this file does not show is listed, not skipped.
    #[test]
    fn nested_stacks_modules_and_macros_are_listed_as_not_judged() {
        let template = json!({
            "Transform": ["AWS::Serverless-2016-10-31", {"Name": "AWS::Include", "Parameters": {}}],
            "Resources": {
                "Nested": {"Type": "AWS::CloudFormation::Stack", "Properties": {}},
                "App": {"Type": "AWS::Serverless::Application", "Properties": {}},
                "Module": {"Type": "Org::Kafka::Cluster::MODULE", "Properties": {}},
                "Bucket": {"Type": "AWS::S3::Bucket"}
            }
        });
        let found = candidates(&template.to_string()).unwrap();
        let listed: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|c| (c.resource.as_str(), c.not_judged.as_deref()))
            .collect();
        assert_eq!(
            listed,
            [
                ("App", Some("a nested application: check its template on its own")),
                ("Module", Some("a CloudFormation module: its resources are not in this template")),
                ("Nested", Some("a nested stack: check its template on its own")),
                ("Transform", Some("the macro AWS::Include rewrites the template before deploy: what it makes is not judged")),
            ]
        );
        let sam_only = json!({"Transform": "AWS::Serverless-2016-10-31", "Resources": {}});
        assert!(candidates(&sam_only.to_string()).unwrap().is_empty());
    }

    #[test]
    fn broker_logs_are_read_as_cloudformation_writes_them_and_an_unknown_group_stays_unknown() {
        let after = json!({"logging_info": [{"broker_logs": [{
            "cloudwatch_logs": [{"enabled": true, "log_group": null}],
            "s3": [{"enabled": false, "bucket": "logs", "prefix": "msk/"}],
        }]}]});
        let unknown_group = json!({"logging_info": [{"broker_logs": [{
            "cloudwatch_logs": [{"log_group": true}], "s3": [{}]}]}]});
        assert_eq!(
            tf(&after, &unknown_group)["LoggingInfo"],
            json!({"BrokerLogs": {
                "CloudWatchLogs": {"Enabled": true, "LogGroup": unknown()},
                "S3": {"Enabled": false},
            }})
        );
        let whole_unknown = tf(&json!({}), &json!({"logging_info": true}));
        assert_eq!(
            whole_unknown["LoggingInfo"],
            json!({"BrokerLogs": unknown()})
        );
    }

    #[test]
    fn an_unknown_client_authentication_block_stays_unknown() {
        let properties = tf(&json!({}), &json!({"client_authentication": true}));
        assert_eq!(properties["ClientAuthentication"], unknown());
        let known = tf(
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
            tf(&vpc_sasl, &json!({}))["BrokerNodeGroupInfo"],
            json!({"ConnectivityInfo": {"VpcConnectivity": {"ClientAuthentication": {
                "Tls": {"Enabled": false},
                "Sasl": {"Iam": {"Enabled": true}, "Scram": {"Enabled": false}}
            }}}})
        );
        let connectivity_unknown = tf(
            &json!({"broker_node_group_info": [{}]}),
            &json!({"broker_node_group_info": [{"connectivity_info": true}]}),
        );
        assert_eq!(
            connectivity_unknown["BrokerNodeGroupInfo"],
            json!({ "ConnectivityInfo": unknown() })
        );
        let public = tf(
            &json!({"broker_node_group_info": [{"connectivity_info": [{"public_access": [{"type": "SERVICE_PROVIDED_EIPS"}]}]}],
                    "encryption_info": [{"encryption_in_transit": [{"client_broker": "TLS", "in_cluster": false}]}]}),
            &json!({}),
        );
        assert_eq!(
            public["BrokerNodeGroupInfo"],
            json!({"ConnectivityInfo": {"PublicAccess": {"Type": "SERVICE_PROVIDED_EIPS"}}})
        );
        assert_eq!(
            public["EncryptionInfo"],
            json!({"EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": false}})
        );
        // A whole block unknown on the way down stays unknown: read the unsafe way, not as absent.
        let encryption_unknown = tf(
            &json!({"encryption_info": [{}]}),
            &json!({"encryption_info": true}),
        );
        assert_eq!(
            encryption_unknown["EncryptionInfo"],
            json!({ "EncryptionInTransit": unknown() })
        );
        let vpc_unknown = tf(
            &json!({"broker_node_group_info": [{"connectivity_info": [{}]}]}),
            &json!({"broker_node_group_info": [{"connectivity_info": [{"vpc_connectivity": true}]}]}),
        );
        assert_eq!(
            vpc_unknown["BrokerNodeGroupInfo"],
            json!({"ConnectivityInfo": {"VpcConnectivity": {"ClientAuthentication": unknown()}}})
        );
        let type_unknown = tf(
            &json!({"broker_node_group_info": [{"connectivity_info": [{"public_access": [{}]}]}]}),
            &json!({"broker_node_group_info": [{"connectivity_info": [{"public_access": [{"type": true}]}]}]}),
        );
        assert_eq!(
            type_unknown["BrokerNodeGroupInfo"],
            json!({"ConnectivityInfo": {"PublicAccess": {"Type": unknown()}}})
        );
        let client_sasl = tf(
            &json!({"client_authentication": [{"sasl": [{"scram": true}]}]}),
            &json!({}),
        );
        assert_eq!(
            client_sasl["ClientAuthentication"],
            json!({"Sasl": {"Scram": {"Enabled": true}}})
        );
    }
}
