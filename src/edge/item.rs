//! The one reader of a configuration item, in both envelope spellings: the Lambda event's
//! (`configuration` an object) and GetResourceConfigHistory's (`configuration` a JSON string).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::edge::configuration::{read_facts, ReadError};
use crate::edge::json::Json;
use crate::edge::read::{parse_time, required, required_text, to_timestamp};
use crate::error::RuleError;
use crate::rule::applicability::Presence;
use crate::rule::evaluation::ResourceType;
use crate::rule::facts::Cluster;
use crate::rule::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    Ok,
    ResourceDiscovered,
    ResourceNotRecorded,
    ResourceDeleted,
    ResourceDeletedNotRecorded,
}

impl ItemStatus {
    pub fn parse(status: &str) -> Result<Self, RuleError> {
        Ok(match status {
            "OK" => ItemStatus::Ok,
            "ResourceDiscovered" => ItemStatus::ResourceDiscovered,
            "ResourceNotRecorded" => ItemStatus::ResourceNotRecorded,
            "ResourceDeleted" => ItemStatus::ResourceDeleted,
            "ResourceDeletedNotRecorded" => ItemStatus::ResourceDeletedNotRecorded,
            other => {
                return Err(RuleError::InvalidEvent(format!(
                    "configurationItemStatus {other:?} is not one of OK, ResourceDiscovered, \
                     ResourceNotRecorded, ResourceDeleted, ResourceDeletedNotRecorded"
                )))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Ok => "OK",
            ItemStatus::ResourceDiscovered => "ResourceDiscovered",
            ItemStatus::ResourceNotRecorded => "ResourceNotRecorded",
            ItemStatus::ResourceDeleted => "ResourceDeleted",
            ItemStatus::ResourceDeletedNotRecorded => "ResourceDeletedNotRecorded",
        }
    }
}

/// The parts of a configuration item this rule reads, whichever way the envelope was spelled.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigurationItem {
    pub resource_type: ResourceType,
    pub resource_id: String,
    pub status: ItemStatus,
    pub capture_time: Timestamp,
    /// The resource's recorded configuration, as written (duplicate keys kept, for the reader to
    /// refuse); `None` for summaries and deleted resources.
    pub configuration: Option<Json>,
    pub tags: BTreeMap<String, String>,
}

/// Both spellings of the envelope share these names; where they differ (`ARN`/`arn`, `awsAccountId`/
/// `accountId`) the rule reads neither. `configuration` is an object in Lambda events and a JSON
/// string in GetResourceConfigHistory answers.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawItem {
    resource_type: Option<String>,
    resource_id: Option<String>,
    configuration_item_status: Option<String>,
    configuration_item_capture_time: Option<String>,
    configuration: Option<Json>,
    tags: Option<BTreeMap<String, Option<String>>>,
}

impl RawItem {
    pub(crate) fn into_item(self) -> Result<ConfigurationItem, RuleError> {
        let configuration = match self.configuration {
            None | Some(Json::Null) => None,
            Some(Json::String(text)) => configuration_from_text(&text)
                .map_err(|e| RuleError::InvalidEvent(format!("configurationItem.{e}")))?,
            Some(object @ Json::Object(_)) => Some(object),
            Some(other) => {
                return Err(RuleError::InvalidEvent(format!(
                    "configurationItem.configuration must be an object, got {}",
                    other.kind()
                )))
            }
        };
        Ok(ConfigurationItem {
            resource_type: ResourceType::parse(&required_text(
                self.resource_type,
                "configurationItem.resourceType",
            )?),
            resource_id: required_text(self.resource_id, "configurationItem.resourceId")?,
            status: ItemStatus::parse(&required(
                self.configuration_item_status,
                "configurationItem.configurationItemStatus",
            )?)?,
            capture_time: parse_time(
                "configurationItemCaptureTime",
                &required(
                    self.configuration_item_capture_time,
                    "configurationItem.configurationItemCaptureTime",
                )?,
            )?,
            configuration,
            tags: self
                .tags
                .unwrap_or_default()
                .into_iter()
                .map(|(key, value)| (key, value.unwrap_or_default()))
                .collect(),
        })
    }
}

/// A configuration given as a JSON string (GetResourceConfigHistory's spelling): `None` when the
/// string is empty or `null`, as Config writes it for deleted resources.
pub fn configuration_from_text(text: &str) -> Result<Option<Json>, String> {
    let text = text.trim();
    if text.is_empty() || text == "null" {
        return Ok(None);
    }
    match Json::parse(text) {
        Ok(object @ Json::Object(_)) => Ok(Some(object)),
        Ok(other) => Err(format!(
            "configuration must be an object, got {}",
            other.kind()
        )),
        Err(e) => Err(format!("configuration is not JSON: {e}")),
    }
}

impl ConfigurationItem {
    /// GetResourceConfigHistory's spelling of an item. An item AWS answered that cannot be read is
    /// an `AwsApi` error of that call.
    pub fn from_history(
        item: &aws_sdk_config::types::ConfigurationItem,
    ) -> Result<Self, RuleError> {
        let failed = |message: String| RuleError::aws("GetResourceConfigHistory", message);
        let missing = |field: &str| failed(format!("the item has no {field}"));
        Ok(ConfigurationItem {
            resource_type: ResourceType::parse(
                item.resource_type()
                    .ok_or_else(|| missing("resourceType"))?
                    .as_str(),
            ),
            resource_id: item
                .resource_id()
                .filter(|id| !id.trim().is_empty())
                .ok_or_else(|| missing("resourceId"))?
                .to_owned(),
            status: ItemStatus::parse(
                item.configuration_item_status()
                    .ok_or_else(|| missing("configurationItemStatus"))?
                    .as_str(),
            )
            .map_err(|e| failed(e.to_string()))?,
            capture_time: to_timestamp(
                item.configuration_item_capture_time()
                    .ok_or_else(|| missing("configurationItemCaptureTime"))?,
            ),
            configuration: configuration_from_text(item.configuration().unwrap_or(""))
                .map_err(failed)?,
            tags: item
                .tags()
                .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        })
    }

    /// What the item says of the resource's existence, for `applicability`.
    pub fn presence(&self) -> Presence {
        match self.status {
            ItemStatus::Ok | ItemStatus::ResourceDiscovered => Presence::Present,
            ItemStatus::ResourceDeleted | ItemStatus::ResourceDeletedNotRecorded => {
                Presence::Deleted
            }
            ItemStatus::ResourceNotRecorded => Presence::NotRecorded,
        }
    }

    /// The cluster the item records; its configuration is read only now, once applicability has
    /// let it through.
    pub fn cluster(&self) -> Result<Cluster, ReadError> {
        if self.resource_type == ResourceType::MskServerlessCluster {
            return Ok(Cluster::Serverless);
        }
        let configuration = self.configuration.as_ref().ok_or_else(|| {
            ReadError(format!(
                "configuration is missing for {} (status {})",
                self.resource_id,
                self.status.as_str()
            ))
        })?;
        Ok(Cluster::Provisioned(read_facts(
            configuration,
            self.tags.keys().cloned(),
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_or_null_configuration_string_is_no_configuration_and_others_must_be_objects() {
        for none in ["", "  ", "null", " null "] {
            assert_eq!(configuration_from_text(none), Ok(None), "{none:?}");
        }
        assert!(matches!(
            configuration_from_text(r#"{"a": 1}"#),
            Ok(Some(Json::Object(_)))
        ));
        assert_eq!(
            configuration_from_text("[1]").unwrap_err(),
            "configuration must be an object, got an array"
        );
        assert!(configuration_from_text("nul")
            .unwrap_err()
            .starts_with("configuration is not JSON"));
    }

    #[test]
    fn every_status_reads_back_from_its_name() {
        for status in [
            ItemStatus::Ok,
            ItemStatus::ResourceDiscovered,
            ItemStatus::ResourceNotRecorded,
            ItemStatus::ResourceDeleted,
            ItemStatus::ResourceDeletedNotRecorded,
        ] {
            assert_eq!(ItemStatus::parse(status.as_str()).unwrap(), status);
        }
    }
}
