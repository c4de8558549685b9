//! JSON as it was written: an object keeps every key in the order given, duplicates included.
//!
//! `serde_json::Value` keeps only the last of two equal keys, so `{"Enabled":true,"Enabled":false}`
//! would read as `false`. The configuration reader walks this tree instead and refuses what is
//! ambiguous. Depth is bounded by serde_json's recursion limit, so hostile nesting is an error.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    /// Every key as written, in order; a key may repeat.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses one JSON text, refusing trailing characters.
    pub fn parse(text: &str) -> Result<Json, serde_json::Error> {
        let mut reader = serde_json::Deserializer::from_str(text);
        let json = Json::deserialize(&mut reader)?;
        reader.end()?;
        Ok(json)
    }

    /// What a value is, for error messages: "an object", "a string", ...
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// A `Value` has no duplicate keys to lose: tests and tools build configurations this way.
impl From<Value> for Json {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Json::Null,
            Value::Bool(flag) => Json::Bool(flag),
            Value::Number(number) => Json::Number(number),
            Value::String(text) => Json::String(text),
            Value::Array(items) => Json::Array(items.into_iter().map(Json::from).collect()),
            Value::Object(map) => {
                Json::Object(map.into_iter().map(|(k, v)| (k, Json::from(v))).collect())
            }
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        Json::deserialize(deserializer)
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Json, E> {
        Ok(Json::Bool(flag))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Json, E> {
        Ok(Json::Number(number.into()))
    }

    fn visit_u64<E>(self, number: u64) -> Result<Json, E> {
        Ok(Json::Number(number.into()))
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(number)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, text: &str) -> Result<Json, E> {
        Ok(Json::String(text.to_owned()))
    }

    fn visit_string<E>(self, text: String) -> Result<Json, E> {
        Ok(Json::String(text))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_kept_in_order() {
        let json = Json::parse(r#"{"Enabled":true,"Enabled":false}"#).unwrap();
        assert_eq!(
            json,
            Json::Object(vec![
                ("Enabled".into(), Json::Bool(true)),
                ("Enabled".into(), Json::Bool(false)),
            ])
        );
    }

    #[test]
    fn trailing_characters_and_deep_nesting_are_errors() {
        assert!(Json::parse("{} x").is_err());
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let error = Json::parse(&deep).unwrap_err().to_string();
        assert!(error.contains("recursion limit"), "{error}");
    }

    #[test]
    fn kinds_are_named() {
        let kinds: Vec<&str> = ["null", "true", "1", "\"x\"", "[]", "{}"]
            .iter()
            .map(|text| Json::parse(text).unwrap().kind())
            .collect();
        assert_eq!(
            kinds,
            [
                "null",
                "a boolean",
                "a number",
                "a string",
                "an array",
                "an object"
            ]
        );
    }

    #[test]
    fn a_value_converts_without_loss() {
        let value = serde_json::json!({"a": [1, -2, 2.5, "x", null, true], "b": {}});
        let Json::Object(entries) = Json::from(value) else {
            panic!("not an object")
        };
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries[0].1,
            Json::Array(vec![
                Json::Number(1.into()),
                Json::Number((-2).into()),
                Json::Number(serde_json::Number::from_f64(2.5).unwrap()),
                Json::String("x".into()),
                Json::Null,
                Json::Bool(true),
            ])
        );
    }
}
