//! The configuration a cluster of a template or plan will run, read from the same file: an
//! `AWS::MSK::Configuration` the template's `ConfigurationInfo` points at (`Ref` or `Fn::GetAtt`),
//! or the `aws_msk_configuration` / `awscc_msk_configuration` a plan's `configuration_info`
//! references. Whatever cannot be resolved offline (an ARN given as a literal or a parameter, an
//! intrinsic in `ServerProperties`, a configuration in another state) is not known before deploy,
//! which reads open, and says so.

use serde_json::{Map, Value};

use crate::rule::authorization::{acl_default_of, AclDefault, BrokerConfiguration, OpenBecause};

const NOT_KNOWN: BrokerConfiguration =
    BrokerConfiguration::Read(AclDefault::Allow(OpenBecause::NotKnownBeforeDeploy));

/// The configuration of a template's cluster whose properties are `properties`; `ConfigurationInfo`
/// is taken out of them (the check reads it here, not as a recorded ARN).
pub fn template_configuration(
    resources: &Map<String, Value>,
    properties: &mut Value,
) -> BrokerConfiguration {
    let Some(info) = take_info(properties, "ConfigurationInfo") else {
        return BrokerConfiguration::MskDefault;
    };
    let target = match info.get("Arn") {
        Some(Value::Object(arn)) => match (arn.get("Ref"), arn.get("Fn::GetAtt")) {
            (Some(Value::String(id)), None) => Some(id.as_str()),
            (None, Some(Value::Array(parts))) if parts.get(1) == Some(&Value::from("Arn")) => {
                parts.first().and_then(Value::as_str)
            }
            (None, Some(Value::String(dotted))) => dotted.strip_suffix(".Arn"),
            _ => None,
        },
        _ => None,
    };
    target
        .and_then(|id| resources.get(id))
        .filter(|resource| resource.get("Type") == Some(&Value::from("AWS::MSK::Configuration")))
        .and_then(|resource| resource.pointer("/Properties/ServerProperties"))
        .and_then(Value::as_str)
        .map_or(NOT_KNOWN, read)
}

/// The configuration of a plan's cluster (`change` is its resource change, `properties` its
/// properties in CloudFormation's shape, which an `awscc` cluster's `ConfigurationInfo` is taken
/// out of).
pub fn plan_configuration(
    plan: &Value,
    change: &Value,
    properties: &mut Value,
) -> BrokerConfiguration {
    take_info(properties, "ConfigurationInfo");
    let after = change.pointer("/change/after").unwrap_or(&Value::Null);
    let unknown = change
        .pointer("/change/after_unknown")
        .unwrap_or(&Value::Null);
    let info = match after.get("configuration_info") {
        Some(Value::Array(items)) => items.first().cloned(),
        Some(Value::Object(info)) => Some(Value::Object(info.clone())),
        _ => None,
    };
    // The whole block unknown (`after_unknown` marks it `true`, `after` leaves it out): some
    // configuration is set, which one only the references tell.
    let whole_block_unknown = unknown.get("configuration_info") == Some(&Value::Bool(true));
    if info.is_none() && !whole_block_unknown {
        return BrokerConfiguration::MskDefault;
    }
    let address = change
        .get("address")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let known_arn = info
        .as_ref()
        .and_then(|info| info.get("arn"))
        .and_then(Value::as_str);
    let configuration = match known_arn {
        Some(arn) => configuration_with_arn(plan, arn),
        None => referenced_configuration(plan, address),
    };
    configuration
        .and_then(|change| change.pointer("/change/after/server_properties"))
        .and_then(Value::as_str)
        .map_or(NOT_KNOWN, read)
}

fn read(server_properties: &str) -> BrokerConfiguration {
    BrokerConfiguration::Read(acl_default_of(server_properties.as_bytes()))
}

fn take_info(properties: &mut Value, key: &str) -> Option<Value> {
    properties
        .as_object_mut()
        .and_then(|map| map.remove(key))
        .filter(|info| !info.is_null())
}

fn is_configuration_type(change: &Value) -> bool {
    matches!(
        change.get("type").and_then(Value::as_str),
        Some("aws_msk_configuration" | "awscc_msk_configuration")
    )
}

fn changes(plan: &Value) -> impl Iterator<Item = &Value> {
    plan.get("resource_changes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The one configuration change of the plan whose ARN is `arn` (a configuration the plan updates
/// or leaves as it is: Terraform lists both).
fn configuration_with_arn<'a>(plan: &'a Value, arn: &str) -> Option<&'a Value> {
    let mut found = changes(plan)
        .filter(|change| is_configuration_type(change))
        .filter(|change| change.pointer("/change/after/arn") == Some(&Value::from(arn)));
    let first = found.next();
    found.next().is_none().then_some(first).flatten()
}

/// The configuration change the cluster's `configuration_info.arn` expression references, in the
/// cluster's own module; a reference to anything else (a variable, a data source, an indexed
/// resource) is not resolved.
fn referenced_configuration<'a>(plan: &'a Value, cluster_address: &str) -> Option<&'a Value> {
    let (module, resource) = split_module(cluster_address);
    let resource = resource.split('[').next().unwrap_or(resource);
    let resources = module_config(plan.pointer("/configuration/root_module")?, module)?
        .get("resources")?
        .as_array()?;
    let expression = resources
        .iter()
        .find(|config| config.get("address") == Some(&Value::from(resource)))?
        .pointer("/expressions/configuration_info")?;
    let expression = match expression {
        Value::Array(items) => items.first()?,
        other => other,
    };
    let references = expression.pointer("/arn/references")?.as_array()?;
    let target = references
        .iter()
        .filter_map(Value::as_str)
        .find(|reference| {
            reference.starts_with("aws_msk_configuration.")
                || reference.starts_with("awscc_msk_configuration.")
        })?;
    let target = target.strip_suffix(".arn").unwrap_or(target);
    let full = format!("{module}{target}");
    let mut found = changes(plan).filter(|change| {
        is_configuration_type(change) && change.get("address") == Some(&Value::from(full.as_str()))
    });
    let first = found.next();
    found.next().is_none().then_some(first).flatten()
}

/// An address's module prefix (`module.a.module.b.`, empty at the root) and the resource part.
fn split_module(address: &str) -> (&str, &str) {
    let mut end = 0;
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let Some(dot) = after.find('.') else { break };
        end += "module.".len() + dot + 1;
        rest = &address[end..];
    }
    (&address[..end], rest)
}

/// The configuration of the module at `prefix` (`module.a.module.b.`) under the root module.
fn module_config<'a>(root: &'a Value, prefix: &str) -> Option<&'a Value> {
    let mut module = root;
    for name in prefix
        .split("module.")
        .map(|part| part.trim_end_matches('.'))
        .filter(|part| !part.is_empty())
    {
        let name = name.split('[').next().unwrap_or(name);
        module = module.get("module_calls")?.get(name)?.get("module")?;
    }
    Some(module)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const CLOSED: &str = "auto.create.topics.enable=false\nallow.everyone.if.no.acl.found=false\n";

    fn template_resources() -> Map<String, Value> {
        json!({
            "Tenants": {"Type": "AWS::MSK::Configuration", "Properties": {"ServerProperties": CLOSED}},
            "Open": {"Type": "AWS::MSK::Configuration", "Properties": {"ServerProperties": "a=b"}},
            "Computed": {"Type": "AWS::MSK::Configuration", "Properties": {"ServerProperties": {"Fn::Sub": "x=${A}"}}},
            "NotAConfiguration": {"Type": "AWS::SSM::Parameter", "Properties": {"ServerProperties": CLOSED}},
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn of_template(info: Value) -> (BrokerConfiguration, Value) {
        let mut properties = json!({"ConfigurationInfo": info, "ClusterName": "c"});
        let read = template_configuration(&template_resources(), &mut properties);
        (read, properties)
    }

    #[test]
    fn a_template_configuration_is_read_through_ref_or_getatt_and_taken_out() {
        for arn in [
            json!({"Ref": "Tenants"}),
            json!({"Fn::GetAtt": ["Tenants", "Arn"]}),
            json!({"Fn::GetAtt": "Tenants.Arn"}),
        ] {
            let (read, properties) = of_template(json!({"Arn": arn, "Revision": 1}));
            assert_eq!(read, BrokerConfiguration::Read(AclDefault::Deny), "{arn}");
            assert_eq!(properties, json!({"ClusterName": "c"}));
        }
        let (read, _) = of_template(json!({"Arn": {"Ref": "Open"}, "Revision": 1}));
        assert_eq!(
            read,
            BrokerConfiguration::Read(AclDefault::Allow(OpenBecause::PropertyNotSet))
        );
    }

    #[test]
    fn what_a_template_does_not_resolve_is_not_known_and_no_info_is_msks_default() {
        for arn in [
            json!("arn:aws:kafka:us-east-1:123456789012:configuration/x/abc-1"),
            json!({"Ref": "ConfigurationArnParameter"}),
            json!({"Ref": "Computed"}),
            json!({"Ref": "NotAConfiguration"}),
            json!({"Fn::ImportValue": "shared-configuration"}),
            json!({"Fn::GetAtt": ["Tenants", "LatestRevision.Revision"]}),
        ] {
            assert_eq!(
                of_template(json!({"Arn": arn, "Revision": 1})).0,
                NOT_KNOWN,
                "{arn}"
            );
        }
        assert_eq!(
            of_template(
                json!({"Fn::If": ["C", {"Arn": {"Ref": "Tenants"}}, {"Ref": "AWS::NoValue"}]})
            )
            .0,
            NOT_KNOWN
        );
        let mut properties = json!({"ClusterName": "c"});
        assert_eq!(
            template_configuration(&template_resources(), &mut properties),
            BrokerConfiguration::MskDefault
        );
    }

    fn configuration_change(address: &str, after: Value) -> Value {
        json!({"address": address, "type": "aws_msk_configuration", "change": {"actions": ["create"], "after": after}})
    }

    fn cluster_change(address: &str, info: Value, unknown: Value) -> Value {
        json!({"address": address, "type": "aws_msk_cluster", "change": {"actions": ["create"],
            "after": {"configuration_info": info}, "after_unknown": {"configuration_info": unknown}}})
    }

    #[test]
    fn a_plan_configuration_is_read_through_the_reference_or_the_known_arn() {
        let plan = json!({
            "resource_changes": [
                configuration_change("module.kafka.aws_msk_configuration.tenants", json!({"server_properties": CLOSED})),
                configuration_change("aws_msk_configuration.existing", json!({"arn": "arn:c/existing", "server_properties": "allow.everyone.if.no.acl.found=true"})),
                // Not a configuration, whatever its attributes: never read as one.
                json!({"address": "aws_ssm_parameter.copy", "type": "aws_ssm_parameter", "change": {"actions": ["create"],
                       "after": {"arn": "arn:c/existing", "server_properties": CLOSED}}}),
                json!({"address": "module.kafka.aws_ssm_parameter.tenants", "type": "aws_ssm_parameter", "change": {"actions": ["create"],
                       "after": {"server_properties": "allow.everyone.if.no.acl.found=true"}}}),
            ],
            "configuration": {"root_module": {"module_calls": {"kafka": {"module": {"resources": [
                {"address": "aws_msk_cluster.main", "expressions": {"configuration_info": [
                    {"arn": {"references": ["aws_msk_configuration.tenants.arn", "aws_msk_configuration.tenants"]}}
                ]}}
            ]}}}}}
        });
        let created = cluster_change(
            "module.kafka.aws_msk_cluster.main",
            json!([{}]),
            json!([{"arn": true, "revision": true}]),
        );
        assert_eq!(
            plan_configuration(&plan, &created, &mut json!({})),
            BrokerConfiguration::Read(AclDefault::Deny)
        );
        let existing = cluster_change(
            "aws_msk_cluster.other",
            json!([{"arn": "arn:c/existing", "revision": 2}]),
            json!([{}]),
        );
        assert_eq!(
            plan_configuration(&plan, &existing, &mut json!({})),
            BrokerConfiguration::Read(AclDefault::Allow(OpenBecause::PropertyTrue))
        );
        let elsewhere = cluster_change(
            "aws_msk_cluster.third",
            json!([{"arn": "arn:c/in-another-state", "revision": 2}]),
            json!([{}]),
        );
        assert_eq!(
            plan_configuration(&plan, &elsewhere, &mut json!({})),
            NOT_KNOWN
        );
        let unreferenced = cluster_change(
            "aws_msk_cluster.fourth",
            json!([{}]),
            json!([{"arn": true}]),
        );
        assert_eq!(
            plan_configuration(&plan, &unreferenced, &mut json!({})),
            NOT_KNOWN
        );
        let none = json!({"address": "aws_msk_cluster.plain", "change": {"after": {"configuration_info": []}, "after_unknown": {"configuration_info": []}}});
        assert_eq!(
            plan_configuration(&plan, &none, &mut json!({})),
            BrokerConfiguration::MskDefault
        );
        // The whole block unknown: read through the references, never as MSK's default.
        let whole = |address: &str| json!({"address": address, "change": {"after": {}, "after_unknown": {"configuration_info": true}}});
        assert_eq!(
            plan_configuration(
                &plan,
                &whole("module.kafka.aws_msk_cluster.main"),
                &mut json!({})
            ),
            BrokerConfiguration::Read(AclDefault::Deny)
        );
        assert_eq!(
            plan_configuration(&plan, &whole("aws_msk_cluster.fifth"), &mut json!({})),
            NOT_KNOWN
        );
        // awscc: the block is an object, and its CloudFormation-shaped copy leaves the properties.
        let awscc = json!({"address": "awscc_msk_cluster.cc", "type": "awscc_msk_cluster", "change": {
            "after": {"configuration_info": {"arn": "arn:c/existing", "revision": 2}}, "after_unknown": {}}});
        let mut properties = json!({"ConfigurationInfo": {"Arn": "arn:c/existing", "Revision": 2}, "ClusterName": "cc"});
        assert_eq!(
            plan_configuration(&plan, &awscc, &mut properties),
            BrokerConfiguration::Read(AclDefault::Allow(OpenBecause::PropertyTrue))
        );
        assert_eq!(properties, json!({"ClusterName": "cc"}));
    }

    #[test]
    fn module_addresses_split_at_the_resource() {
        assert_eq!(split_module("aws_msk_cluster.a"), ("", "aws_msk_cluster.a"));
        assert_eq!(
            split_module("module.x.module.y[\"k\"].aws_msk_cluster.a[0]"),
            ("module.x.module.y[\"k\"].", "aws_msk_cluster.a[0]")
        );
    }
}
