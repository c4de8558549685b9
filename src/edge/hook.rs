//! A CloudFormation Lambda-hook request, read into what the rule judges: the operation, the target
//! and its proposed properties. The Hooks guide spells some keys two ways (`clientRequestToken` and
//! `clientRequesttoken`) and may pass property values as strings: both are read, nothing else is
//! guessed, and a key given twice on the path read is refused.

use std::collections::BTreeMap;

use crate::edge::configuration::is_flag;
use crate::edge::json::Json;
use crate::rule::evaluation::ResourceType;

/// What the hook is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookOperation {
    Create,
    Update,
    Delete,
}

/// Who asked: a stack operation, or a Cloud Control call (Terraform's awscc provider, Pulumi's
/// aws-native), which has no stack and so no stack-level tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    CloudFormation,
    CloudControl,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HookRequest {
    pub client_request_token: Option<String>,
    pub operation: HookOperation,
    pub resource_type: ResourceType,
    pub origin: Origin,
    /// The stack the operation is part of; `None` for Cloud Control.
    pub stack_id: Option<String>,
    /// The template's logical id, or the type when the request names none (Cloud Control).
    pub logical_id: String,
    /// The proposed properties, `Enabled` flags given as "true"/"false" read as booleans.
    pub properties: Json,
    /// The proposed `Tags` map.
    pub tags: BTreeMap<String, String>,
}

/// Whether a Lambda payload is a hook request rather than a Config event.
pub fn is_hook_request(payload: &Json) -> bool {
    matches!(payload, Json::Object(entries)
        if entries.iter().any(|(key, _)| key == "actionInvocationPoint" || key == "hookTypeName"))
}

/// The payload, parsed, when it is a hook request. Config events, the usual payload, are told apart
/// by a look for the hook's keys in the text, so they are not parsed twice; a hook request that
/// escaped its key names would be read as a Config event and refused, never passed.
pub fn hook_payload(text: &str) -> Option<Json> {
    if !text.contains("\"actionInvocationPoint\"") && !text.contains("\"hookTypeName\"") {
        return None;
    }
    Json::parse(text).ok().filter(is_hook_request)
}

/// The request's token, when one can be read, for an answer to a request that cannot.
pub fn token_of(payload: &Json) -> Option<String> {
    let object = as_object(payload)?;
    ["clientRequestToken", "clientRequesttoken"]
        .iter()
        .find_map(|key| match field(object, key) {
            Ok(Some(Json::String(token))) => Some(token.clone()),
            _ => None,
        })
}

pub fn read_hook_request(payload: &Json) -> Result<HookRequest, String> {
    let root = as_object(payload).ok_or("the hook request is not a JSON object")?;
    let client_request_token = token_of_request(root)?;
    let point = field(root, "actionInvocationPoint")?.ok_or("actionInvocationPoint is missing")?;
    let operation = match string(point, "actionInvocationPoint")?.as_str() {
        "CREATE_PRE_PROVISION" => HookOperation::Create,
        "UPDATE_PRE_PROVISION" => HookOperation::Update,
        "DELETE_PRE_PROVISION" => HookOperation::Delete,
        other => {
            return Err(format!(
                "actionInvocationPoint {other:?} is not CREATE_, UPDATE_ or DELETE_PRE_PROVISION"
            ))
        }
    };
    let data = field(root, "requestData")?
        .and_then(as_object)
        .ok_or("requestData is missing or not an object (this hook judges resource operations, not stacks or change sets)")?;
    // `targetName` holds the resource type in every request; `targetType` holds it too for
    // CloudFormation but `RESOURCE` for Cloud Control, and `STACK` or `CHANGE_SET` for the targets
    // this hook does not judge.
    let target = match field(data, "targetName")? {
        Some(name) => string(name, "requestData.targetName")?,
        None => return Err("requestData.targetName is missing".into()),
    };
    let origin = origin_of(data, &target)?;
    // The guide's shape block spells it `stackID`, its examples `stackId`.
    let stack_id = match field(root, "stackId")?.or(field(root, "stackID")?) {
        Some(Json::String(id)) if !id.is_empty() => Some(id.clone()),
        Some(Json::String(_) | Json::Null) | None => None,
        Some(other) => return Err(format!("stackId is {}, not a string", other.kind())),
    };
    let logical_id = match field(data, "targetLogicalId")? {
        Some(id) => string(id, "requestData.targetLogicalId")?,
        None => target.clone(),
    };
    let properties = properties_of(data, operation)?;
    let tags = tags_of(&properties)?;
    Ok(HookRequest {
        client_request_token,
        operation,
        resource_type: ResourceType::parse(&target),
        origin,
        stack_id,
        logical_id,
        properties,
        tags,
    })
}

/// The request's token, in either spelling the guide uses (both at once is ambiguous).
fn token_of_request(root: &[(String, Json)]) -> Result<Option<String>, String> {
    Ok(
        match (
            field(root, "clientRequestToken")?,
            field(root, "clientRequesttoken")?,
        ) {
            (Some(_), Some(_)) => {
                return Err("clientRequestToken is given in both spellings".into())
            }
            (Some(token), None) | (None, Some(token)) => Some(string(token, "clientRequestToken")?),
            (None, None) => None,
        },
    )
}

/// Where the request comes from: `targetType` holds the resource type for CloudFormation and
/// `RESOURCE` for Cloud Control; a stack or change-set target is not this hook's.
fn origin_of(data: &[(String, Json)], target: &str) -> Result<Origin, String> {
    Ok(match field(data, "targetType")? {
        None => Origin::CloudFormation,
        Some(kind) => match string(kind, "requestData.targetType")?.as_str() {
            kind @ ("STACK" | "CHANGE_SET") => {
                return Err(format!(
                    "a {kind} target arrived: this hook judges resource operations only (TargetOperations RESOURCE and CLOUD_CONTROL)"
                ))
            }
            "RESOURCE" => Origin::CloudControl,
            kind if kind == target => Origin::CloudFormation,
            kind => {
                return Err(format!(
                    "requestData.targetType {kind:?} is neither RESOURCE nor the targetName {target:?}"
                ))
            }
        },
    })
}

/// The proposed properties, string flags read as booleans; none for a delete.
fn properties_of(data: &[(String, Json)], operation: HookOperation) -> Result<Json, String> {
    Ok(match operation {
        HookOperation::Delete => Json::Object(Vec::new()),
        HookOperation::Create | HookOperation::Update => {
            let model = field(data, "targetModel")?
                .and_then(as_object)
                .ok_or("requestData.targetModel is missing: a create or update names the proposed properties")?;
            match field(model, "resourceProperties")? {
                Some(properties @ Json::Object(_)) => with_string_flags_read(properties.clone()),
                Some(Json::Null) | None => Json::Object(Vec::new()),
                Some(other) => {
                    return Err(format!(
                        "requestData.targetModel.resourceProperties is {}, not an object",
                        other.kind()
                    ))
                }
            }
        }
    })
}

fn as_object(json: &Json) -> Option<&[(String, Json)]> {
    match json {
        Json::Object(entries) => Some(entries),
        _ => None,
    }
}

/// A key of an object, refused when given twice.
fn field<'a>(object: &'a [(String, Json)], key: &str) -> Result<Option<&'a Json>, String> {
    let mut found = object
        .iter()
        .filter(|(name, _)| name == key)
        .map(|(_, value)| value);
    let first = found.next();
    if found.next().is_some() {
        return Err(format!("{key} is given twice"));
    }
    Ok(first)
}

fn string(json: &Json, path: &str) -> Result<String, String> {
    match json {
        Json::String(text) => Ok(text.clone()),
        other => Err(format!("{path} is {}, not a string", other.kind())),
    }
}

/// CloudFormation may pass a boolean property as the string "true" or "false": at a flag the rule
/// reads (`Enabled`, `InCluster`), exactly those two strings are read as booleans; anything else
/// stays as given, for the reader to refuse by path.
fn with_string_flags_read(json: Json) -> Json {
    match json {
        Json::Object(entries) => Json::Object(
            entries
                .into_iter()
                .map(|(key, value)| {
                    let value = match value {
                        Json::String(text) if is_flag(&key) && text == "true" => Json::Bool(true),
                        Json::String(text) if is_flag(&key) && text == "false" => Json::Bool(false),
                        value => with_string_flags_read(value),
                    };
                    (key, value)
                })
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.into_iter().map(with_string_flags_read).collect()),
        other => other,
    }
}

/// CloudFormation's MSK `Tags`: a map of strings.
fn tags_of(properties: &Json) -> Result<BTreeMap<String, String>, String> {
    let Some(object) = as_object(properties) else {
        return Ok(BTreeMap::new());
    };
    match field(object, "Tags")? {
        None | Some(Json::Null) => Ok(BTreeMap::new()),
        Some(Json::Object(entries)) => entries
            .iter()
            .map(|(key, value)| Ok((key.clone(), string(value, &format!("Tags.{key}"))?)))
            .collect(),
        Some(other) => Err(format!("Tags is {}, not a map of strings", other.kind())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<HookRequest, String> {
        read_hook_request(&Json::parse(text).unwrap())
    }

    const CREATE: &str = r#"{"clientRequesttoken": "t-1", "actionInvocationPoint": "CREATE_PRE_PROVISION",
        "hookTypeName": "MskMtls::Rule::Hook",
        "requestData": {"targetName": "AWS::MSK::Cluster", "targetType": "AWS::MSK::Cluster", "targetLogicalId": "Orders",
          "targetModel": {"resourceProperties": {"ClientAuthentication": {"Unauthenticated": {"Enabled": "false"}},
            "Tags": {"owner": "team-a"}}}}}"#;

    #[test]
    fn a_create_request_reads_both_token_spellings_and_string_flags() {
        let request = read(CREATE).unwrap();
        assert_eq!(request.client_request_token.as_deref(), Some("t-1"));
        assert_eq!(request.operation, HookOperation::Create);
        assert_eq!(request.resource_type, ResourceType::MskCluster);
        assert_eq!(request.logical_id, "Orders");
        assert_eq!(
            request.tags.get("owner").map(String::as_str),
            Some("team-a")
        );
        let text = format!("{:?}", request.properties);
        assert!(text.contains("Bool(false)"), "{text}");
        assert!(is_hook_request(&Json::parse(CREATE).unwrap()));
        assert!(!is_hook_request(
            &Json::parse(r#"{"invokingEvent": "{}"}"#).unwrap()
        ));
        let camel = CREATE.replace("clientRequesttoken", "clientRequestToken");
        assert_eq!(
            read(&camel).unwrap().client_request_token.as_deref(),
            Some("t-1")
        );
    }

    #[test]
    fn a_delete_needs_no_properties_and_a_flag_that_is_not_a_boolean_is_kept_for_the_reader() {
        let delete = r#"{"actionInvocationPoint": "DELETE_PRE_PROVISION", "requestData": {"targetName": "AWS::MSK::Cluster"}}"#;
        let request = read(delete).unwrap();
        assert_eq!(request.operation, HookOperation::Delete);
        assert_eq!(request.logical_id, "AWS::MSK::Cluster");
        assert_eq!(request.client_request_token, None);
        let odd = CREATE.replace(r#""Enabled": "false""#, r#""Enabled": "no""#);
        let text = format!("{:?}", read(&odd).unwrap().properties);
        assert!(text.contains("String(\"no\")"), "{text}");
    }

    /// `InCluster` is a flag too: CloudFormation's "false" is the boolean, which the
    /// encryption-between-brokers check then fails.
    #[test]
    fn in_cluster_given_as_a_string_is_read_as_the_flag_it_is() {
        let plaintext = CREATE.replace(
            r#""Tags""#,
            r#""EncryptionInfo": {"EncryptionInTransit": {"InCluster": "false", "ClientBroker": "TLS"}}, "Tags""#,
        );
        let properties = read(&plaintext).unwrap().properties;
        let facts = crate::edge::configuration::read_facts(&properties, []).unwrap();
        assert!(facts.broker_traffic_plaintext);
        // Only flags: a tag whose value is "false" or "true" stays a string.
        let tagged = plaintext.replace(
            r#"{"owner": "team-a"}"#,
            r#"{"owner": "false", "team": "true"}"#,
        );
        let request = read(&tagged).unwrap();
        assert_eq!(request.tags.get("owner").map(String::as_str), Some("false"));
        assert_eq!(request.tags.get("team").map(String::as_str), Some("true"));
        let encrypted = plaintext.replace(r#""InCluster": "false""#, r#""InCluster": "true""#);
        let properties = read(&encrypted).unwrap().properties;
        let facts = crate::edge::configuration::read_facts(&properties, []).unwrap();
        assert!(!facts.broker_traffic_plaintext);
    }

    /// Cloud Control's requests say `RESOURCE` in `targetType`: the type is in `targetName`.
    #[test]
    fn a_cloud_control_request_is_read_by_its_target_name_and_has_no_stack() {
        let cloud_control = CREATE.replace(
            r#""targetType": "AWS::MSK::Cluster""#,
            r#""targetType": "RESOURCE""#,
        );
        let request = read(&cloud_control).unwrap();
        assert_eq!(request.resource_type, ResourceType::MskCluster);
        assert_eq!(request.origin, Origin::CloudControl);
        assert_eq!(request.stack_id, None);
        assert_eq!(read(CREATE).unwrap().origin, Origin::CloudFormation);
        let with_stack = CREATE.replace(
            r#""hookTypeName""#,
            r#""stackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1", "hookTypeName""#,
        );
        assert_eq!(
            read(&with_stack).unwrap().stack_id.as_deref(),
            Some("arn:aws:cloudformation:us-east-1:123456789012:stack/s/1")
        );
        // Cloud Control's empty stackId is no stack.
        let empty = CREATE.replace(r#""hookTypeName""#, r#""stackId": "", "hookTypeName""#);
        assert_eq!(read(&empty).unwrap().stack_id, None);
        // A targetType that is a type must be the targetName's.
        let mismatched = CREATE.replace(
            r#""targetType": "AWS::MSK::Cluster""#,
            r#""targetType": "AWS::MSK::ServerlessCluster""#,
        );
        let error = read(&mismatched).unwrap_err();
        assert!(
            error.contains("neither RESOURCE nor the targetName"),
            "{error}"
        );
    }

    #[test]
    fn the_token_is_read_in_either_spelling_when_it_is_text() {
        for (text, token) in [
            (r#"{"clientRequestToken": "t-1"}"#, Some("t-1")),
            (r#"{"clientRequesttoken": "t-2"}"#, Some("t-2")),
            (r#"{"clientRequestToken": 7}"#, None),
            (r#"{"other": "t-3"}"#, None),
            (r#"["t-4"]"#, None),
        ] {
            assert_eq!(
                token_of(&Json::parse(text).unwrap()).as_deref(),
                token,
                "{text}"
            );
        }
    }

    #[test]
    fn a_hook_request_is_told_from_a_config_event_by_either_key() {
        for text in [
            r#"{"actionInvocationPoint": "CREATE_PRE_PROVISION"}"#,
            r#"{"hookTypeName": "MskMtls::Rule::Hook"}"#,
        ] {
            assert!(hook_payload(text).is_some(), "{text}");
        }
        for text in [
            r#"{"invokingEvent": "{}", "resultToken": "t"}"#,
            // The name as a value, not a key: valid JSON that passes the quick text check.
            r#"{"note": "hookTypeName", "x": 1}"#,
            r#"["hookTypeName"]"#,
            r#"{"hookTypeName": "#,
        ] {
            assert!(hook_payload(text).is_none(), "{text}");
        }
    }

    #[test]
    fn every_unreadable_request_is_refused_by_name() {
        for (text, named) in [
            ("[]", "not a JSON object"),
            (r#"{"requestData": {}}"#, "actionInvocationPoint is missing"),
            (
                r#"{"actionInvocationPoint": "CREATE_POST_PROVISION", "requestData": {}}"#,
                "CREATE_POST_PROVISION",
            ),
            (
                r#"{"actionInvocationPoint": "CREATE_PRE_PROVISION"}"#,
                "requestData is missing",
            ),
            (
                r#"{"actionInvocationPoint": "CREATE_PRE_PROVISION", "requestData": {"targetName": "AWS::MSK::Cluster"}}"#,
                "targetModel is missing",
            ),
            (
                r#"{"actionInvocationPoint": "CREATE_PRE_PROVISION", "requestData": {"targetType": "AWS::MSK::Cluster", "targetModel": {}}}"#,
                "targetName is missing",
            ),
            (
                r#"{"actionInvocationPoint": "CREATE_PRE_PROVISION", "requestData": {"targetName": "STACK", "targetType": "STACK"}}"#,
                "a STACK target arrived",
            ),
            (
                r#"{"actionInvocationPoint": "CREATE_PRE_PROVISION", "stackId": 7, "requestData": {"targetName": "AWS::MSK::Cluster"}}"#,
                "stackId is a number",
            ),
            (
                r#"{"actionInvocationPoint": "CREATE_PRE_PROVISION", "actionInvocationPoint": "DELETE_PRE_PROVISION", "requestData": {}}"#,
                "given twice",
            ),
            (
                r#"{"clientRequestToken": "a", "clientRequesttoken": "b", "actionInvocationPoint": "CREATE_PRE_PROVISION"}"#,
                "both spellings",
            ),
            (
                r#"{"actionInvocationPoint": "CREATE_PRE_PROVISION", "requestData": {"targetName": "AWS::MSK::Cluster", "targetModel": {"resourceProperties": "x"}}}"#,
                "not an object",
            ),
            (
                r#"{"actionInvocationPoint": "CREATE_PRE_PROVISION", "requestData": {"targetName": "AWS::MSK::Cluster", "targetModel": {"resourceProperties": {"Tags": [{"Key": "a"}]}}}}"#,
                "Tags is an array",
            ),
        ] {
            let error = read(text).expect_err(text);
            assert!(error.contains(named), "{text}: {error}");
        }
    }
}
