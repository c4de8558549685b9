//! CloudFormation YAML, read into the JSON form of the same template: short-form intrinsics (`!Ref`,
//! `!GetAtt`, `!Sub`, `!If`, ...) become their long forms, plain scalars are typed as CloudFormation
//! types them, and each resource's line is kept. Duplicate keys, aliases and unknown tags are
//! refused: CloudFormation rejects them too, and a reader that guessed could judge a different
//! template from the one deployed.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The template as JSON, and the 1-based line of each resource's logical id.
pub struct YamlTemplate {
    pub value: Value,
    pub resource_lines: BTreeMap<String, usize>,
}

/// The long form of each short-form intrinsic function.
const FUNCTIONS: &[&str] = &[
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "ToJsonString",
    "Length",
    "Equals",
    "And",
    "Or",
    "Not",
];

pub fn read_yaml(text: &str) -> Result<YamlTemplate, String> {
    let mut builder = Builder::default();
    Parser::new_from_str(text)
        .load(&mut builder, true)
        .map_err(|e| format!("not YAML: {e}"))?;
    if let Some(error) = builder.error {
        return Err(error);
    }
    // CloudFormation reads one document: a template after a `---` would never be judged.
    if builder.roots.len() > 1 {
        let looks_like_template = |root: &Value| {
            root.get("Resources").is_some() || root.get("AWSTemplateFormatVersion").is_some()
        };
        return Err(match builder.roots.iter().position(looks_like_template) {
            Some(i) => format!(
                "a YAML file of {} documents, document {} a CloudFormation template: CloudFormation reads a single document, so the file is refused rather than judged in part",
                builder.roots.len(),
                i + 1
            ),
            None => format!(
                "a YAML file of {} documents and none a CloudFormation template: not a CloudFormation template (no Resources) nor a Terraform plan",
                builder.roots.len()
            ),
        });
    }
    let value = builder.roots.pop().ok_or("an empty document")?;
    Ok(YamlTemplate {
        value,
        resource_lines: builder.resource_lines,
    })
}

enum Frame {
    Map {
        entries: Map<String, Value>,
        key: Option<String>,
        tag: Option<Tag>,
        /// The key this mapping is the value of, in its parent.
        under: Option<String>,
    },
    Seq {
        items: Vec<Value>,
        tag: Option<Tag>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    /// One per document.
    roots: Vec<Value>,
    resource_lines: BTreeMap<String, usize>,
    error: Option<String>,
}

impl Builder {
    fn fail(&mut self, message: String) {
        self.error.get_or_insert(message);
    }

    fn pending_key(&self) -> Option<String> {
        match self.stack.last() {
            Some(Frame::Map { key, .. }) => key.clone(),
            _ => None,
        }
    }

    /// A finished value goes to its parent: a key, a mapping's value, a sequence's item, or the root.
    fn add(&mut self, value: Value, line: usize, is_plain_scalar: bool) {
        let depth = self.stack.len();
        match self.stack.last_mut() {
            None => self.roots.push(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                entries,
                key,
                under,
                ..
            }) => match key.take() {
                Some(name) => {
                    entries.insert(name, value);
                }
                None => {
                    let name = match value {
                        Value::String(name) => name,
                        other if is_plain_scalar => other.to_string(),
                        _ => {
                            return self
                                .fail(format!("line {line}: a mapping key must be a scalar"))
                        }
                    };
                    if entries.contains_key(&name) {
                        return self.fail(format!("line {line}: key {name:?} is given twice"));
                    }
                    if depth == 2 && under.as_deref() == Some("Resources") {
                        self.resource_lines.insert(name.clone(), line);
                    }
                    *key = Some(name);
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = mark.line();
        match event {
            Event::Scalar(text, style, _, tag) => {
                let plain = style == TScalarStyle::Plain;
                let value = match intrinsic(tag.as_ref(), scalar(text, plain)) {
                    Ok(value) => value,
                    Err(e) => return self.fail(format!("line {line}: {e}")),
                };
                self.add(value, line, plain && tag.is_none());
            }
            Event::MappingStart(_, tag) => {
                let under = self.pending_key();
                self.stack.push(Frame::Map {
                    entries: Map::new(),
                    key: None,
                    tag,
                    under,
                });
            }
            Event::SequenceStart(_, tag) => self.stack.push(Frame::Seq {
                items: Vec::new(),
                tag,
            }),
            Event::MappingEnd | Event::SequenceEnd => {
                let (value, tag) = match self.stack.pop() {
                    Some(Frame::Map { entries, tag, .. }) => (Value::Object(entries), tag),
                    Some(Frame::Seq { items, tag }) => (Value::Array(items), tag),
                    None => return self.fail("unbalanced YAML".into()),
                };
                match intrinsic(tag.as_ref(), value) {
                    Ok(value) => self.add(value, line, false),
                    Err(e) => self.fail(format!("line {line}: {e}")),
                }
            }
            Event::Alias(_) => self.fail(format!(
                "line {line}: YAML aliases are not allowed in CloudFormation templates"
            )),
            _ => {}
        }
    }
}

/// A plain scalar typed as CloudFormation's YAML reader types it; a quoted one is a string.
fn scalar(text: String, plain: bool) -> Value {
    if !plain {
        return Value::String(text);
    }
    match text.as_str() {
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        _ => text
            .parse::<i64>()
            .map(|n| Value::Number(n.into()))
            .ok()
            .or_else(|| {
                text.parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
            })
            .unwrap_or(Value::String(text)),
    }
}

/// A tagged value in its long form: `!Ref x` is `{"Ref": "x"}`, `!GetAtt a.b` is
/// `{"Fn::GetAtt": ["a", "b"]}`, `!If [...]` is `{"Fn::If": [...]}`.
fn intrinsic(tag: Option<&Tag>, value: Value) -> Result<Value, String> {
    let Some(tag) = tag else {
        return Ok(value);
    };
    // `!!str` arrives with the YAML core schema's handle resolved (unless a `%TAG` redefines `!!`).
    if tag.handle == "tag:yaml.org,2002:" && tag.suffix == "str" {
        return Ok(Value::String(match value {
            Value::String(text) => text,
            other => other.to_string(),
        }));
    }
    if tag.handle != "!" {
        return Err(format!(
            "the tag {}{} is not a CloudFormation function",
            tag.handle, tag.suffix
        ));
    }
    let name = tag.suffix.as_str();
    let wrapped = |key: String, value: Value| Value::Object(Map::from_iter([(key, value)]));
    Ok(match (name, value) {
        ("Ref", value) => wrapped("Ref".into(), value),
        ("Condition", value) => wrapped("Condition".into(), value),
        ("GetAtt", Value::String(text)) => {
            let (resource, attribute) = text
                .split_once('.')
                .ok_or_else(|| format!("!GetAtt {text:?} is not Resource.Attribute"))?;
            wrapped(
                "Fn::GetAtt".into(),
                Value::Array(vec![resource.into(), attribute.into()]),
            )
        }
        ("GetAtt", value) => wrapped("Fn::GetAtt".into(), value),
        (name, value) if FUNCTIONS.contains(&name) => wrapped(format!("Fn::{name}"), value),
        (name, _) => return Err(format!("!{name} is not a CloudFormation function")),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// An open cluster after `---` would pass if only the first document were read.
    #[test]
    fn a_multi_document_file_with_a_template_is_refused_naming_the_document() {
        let text = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n---\nResources:\n  Open:\n    Type: AWS::MSK::Cluster\n";
        let error = read_yaml(text).err().unwrap();
        assert!(
            error.contains("2 documents, document 1 a CloudFormation template"),
            "{error}"
        );
        let second = "kind: ConfigMap\n---\nAWSTemplateFormatVersion: '2010-09-09'\n";
        let error = read_yaml(second).err().unwrap();
        assert!(
            error.contains("document 2 a CloudFormation template"),
            "{error}"
        );
        let manifests = "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Secret\n";
        let error = read_yaml(manifests).err().unwrap();
        assert!(error.contains("none a CloudFormation template"), "{error}");
        let one = read_yaml("---\nResources: {}\n...\n").unwrap();
        assert_eq!(one.value, json!({"Resources": {}}));
    }

    #[test]
    fn short_forms_become_long_forms_and_lines_are_kept() {
        let template = read_yaml(
            "AWSTemplateFormatVersion: \"2010-09-09\"\n\
             Conditions:\n  Prod: !Equals [!Ref Env, prod]\n\
             Resources:\n  Orders:\n    Type: AWS::MSK::Cluster\n    Properties:\n      \
             ClientAuthentication:\n        Tls:\n          Enabled: !If [Prod, true, 'false']\n          \
             CertificateAuthorityArnList: [!GetAtt Ca.Arn, !Sub '${Ca}']\n      NumberOfBrokerNodes: 3\n  \
             Topic:\n    Type: AWS::SNS::Topic\n",
        )
        .unwrap();
        let tls =
            &template.value["Resources"]["Orders"]["Properties"]["ClientAuthentication"]["Tls"];
        assert_eq!(tls["Enabled"], json!({"Fn::If": ["Prod", true, "false"]}));
        assert_eq!(
            tls["CertificateAuthorityArnList"],
            json!([{"Fn::GetAtt": ["Ca", "Arn"]}, {"Fn::Sub": "${Ca}"}])
        );
        assert_eq!(
            template.value["Conditions"]["Prod"],
            json!({"Fn::Equals": [{"Ref": "Env"}, "prod"]})
        );
        assert_eq!(
            template.value["Resources"]["Orders"]["Properties"]["NumberOfBrokerNodes"],
            json!(3)
        );
        assert_eq!(template.resource_lines["Orders"], 5);
        assert_eq!(template.resource_lines["Topic"], 13);
    }

    #[test]
    fn duplicates_aliases_and_unknown_tags_are_refused_by_line() {
        for (text, named) in [
            ("A: 1\nA: 2\n", "line 2: key \"A\" is given twice"),
            ("A: &x 1\nB: *x\n", "aliases are not allowed"),
            ("A: !Reff x\n", "!Reff is not a CloudFormation function"),
            ("A: !GetAtt nodot\n", "not Resource.Attribute"),
            ("A: [1\n", "not YAML"),
            ("!Ref A: 1\n", "line 1: a mapping key must be a scalar"),
            ("[A]: 1\n", "a mapping key must be a scalar"),
        ] {
            let error = read_yaml(text)
                .err()
                .unwrap_or_else(|| panic!("{text:?} must be refused"));
            assert!(error.contains(named), "{text:?}: {error}");
        }
    }
    #[test]
    fn plain_keys_of_any_scalar_type_are_text_and_only_resources_have_lines() {
        let template = read_yaml(
            "Parameters:\n  Env:\n    Type: String\nResources:\n  Orders:\n    Type: AWS::MSK::Cluster\n    \
             Properties:\n      Tags:\n        1: one\n        true: yes\n",
        )
        .unwrap();
        assert_eq!(
            template.value["Resources"]["Orders"]["Properties"]["Tags"],
            json!({"1": "one", "true": "yes"})
        );
        assert_eq!(
            template.resource_lines,
            BTreeMap::from([("Orders".to_owned(), 5)])
        );
    }
    #[test]
    fn plain_scalars_are_typed_quoted_ones_and_str_tags_are_text() {
        let template = read_yaml(
            "A: false\nB: FALSE\nC: ~\nD: null\nE: 'false'\nF: !!str 123\nG: !!str true\nH:\nI: True\n",
        )
        .unwrap();
        assert_eq!(
            template.value,
            json!({"A": false, "B": false, "C": null, "D": null, "E": "false", "F": "123",
                   "G": "true", "H": null, "I": true})
        );
        let error = read_yaml("A: !!int 5\n").err().unwrap();
        assert_eq!(
            error,
            "line 1: the tag tag:yaml.org,2002:int is not a CloudFormation function"
        );
        // A document that redefines `!!` makes `!!str` another tag, not text.
        let error = read_yaml("%TAG !! tag:example.com,2000:\n---\nA: !!str 5\n")
            .err()
            .unwrap();
        assert_eq!(
            error,
            "line 3: the tag tag:example.com,2000:str is not a CloudFormation function"
        );
        let error = read_yaml("A: !str 5\n").err().unwrap();
        assert_eq!(error, "line 1: !str is not a CloudFormation function");
    }
}
