//! Request bodies read the way Go's `encoding/json` reads them into a struct (what gin's
//! `BindJSON` does): keys match case-insensitively, the last of duplicate keys wins, unknown
//! keys are ignored, `null` leaves the zero value, and a wrong type is a bind failure, which
//! Zadig answers with 400 and an empty body. No I/O.
//!
//! serde would match keys exactly and keep no order between them, so bodies are first parsed
//! into [`Json`], which keeps object entries in document order.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A body Zadig's binding would reject: bad JSON, a wrong type, or a missing required field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("request body does not bind: {reason}")]
pub struct BindError {
    pub reason: String,
}

impl BindError {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// A JSON value whose objects keep their entries, duplicates included, in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Parses a whole body; an empty or invalid body does not bind.
pub fn parse(body: &[u8]) -> Result<Json, BindError> {
    serde_json::from_slice(body).map_err(|error| BindError::new(format!("invalid JSON: {error}")))
}

impl Json {
    /// The fields of an object; `null` reads as an object with no fields (Go leaves the zero value).
    pub fn fields(&self, what: &str) -> Result<Fields<'_>, BindError> {
        match self {
            Json::Object(entries) => Ok(Fields { entries }),
            Json::Null => Ok(Fields { entries: &[] }),
            _ => Err(BindError::new(format!("{what}: expected an object"))),
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn as_string(&self, what: &str) -> Result<String, BindError> {
        match self {
            Json::String(text) => Ok(text.clone()),
            Json::Null => Ok(String::new()),
            _ => Err(BindError::new(format!("{what}: expected a string"))),
        }
    }

    /// Go's int64: an integer literal only; `1.5`, `60.0` and `"60"` do not bind.
    pub fn as_int(&self, what: &str) -> Result<i64, BindError> {
        match self {
            Json::Number(number) => number
                .as_i64()
                .ok_or_else(|| BindError::new(format!("{what}: expected an integer"))),
            Json::Null => Ok(0),
            _ => Err(BindError::new(format!("{what}: expected an integer"))),
        }
    }

    pub fn as_bool(&self, what: &str) -> Result<bool, BindError> {
        match self {
            Json::Bool(flag) => Ok(*flag),
            Json::Null => Ok(false),
            _ => Err(BindError::new(format!("{what}: expected a boolean"))),
        }
    }

    /// Any value, as a Go `interface{}` field takes it.
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            Json::Null => serde_json::Value::Null,
            Json::Bool(flag) => serde_json::Value::Bool(*flag),
            Json::Number(number) => serde_json::Value::Number(number.clone()),
            Json::String(text) => serde_json::Value::String(text.clone()),
            Json::Array(items) => items.iter().map(Json::to_value).collect(),
            Json::Object(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(key, value)| (key.clone(), value.to_value()))
                    .collect(),
            ),
        }
    }
}

/// The entries of one JSON object, read field by field like a Go struct.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    entries: &'a [(String, Json)],
}

impl<'a> Fields<'a> {
    /// The value for a struct field: the last key equal to `name` ignoring case.
    fn get(&self, name: &str) -> Option<&'a Json> {
        self.entries
            .iter()
            .rev()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    pub fn string(&self, name: &str) -> Result<String, BindError> {
        self.get(name)
            .map_or(Ok(String::new()), |value| value.as_string(name))
    }

    /// A string field tagged `binding:"required"`: absent or empty does not bind.
    pub fn required_string(&self, name: &str) -> Result<String, BindError> {
        let value = self.string(name)?;
        if value.is_empty() {
            return Err(BindError::new(format!("{name} is required")));
        }
        Ok(value)
    }

    pub fn int(&self, name: &str) -> Result<i64, BindError> {
        self.get(name).map_or(Ok(0), |value| value.as_int(name))
    }

    pub fn bool(&self, name: &str) -> Result<bool, BindError> {
        self.get(name)
            .map_or(Ok(false), |value| value.as_bool(name))
    }

    /// A nested object (a Go struct or struct pointer); `None` when absent or `null`.
    pub fn object(&self, name: &str) -> Result<Option<Fields<'a>>, BindError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) if value.is_null() => Ok(None),
            Some(value) => value.fields(name).map(Some),
        }
    }

    /// A slice; `None` when absent or `null` (Go's nil slice), which `required` rejects.
    pub fn list<T>(
        &self,
        name: &str,
        mut element: impl FnMut(&'a Json) -> Result<T, BindError>,
    ) -> Result<Option<Vec<T>>, BindError> {
        match self.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Array(items)) => items
                .iter()
                .map(&mut element)
                .collect::<Result<_, _>>()
                .map(Some),
            Some(_) => Err(BindError::new(format!("{name}: expected an array"))),
        }
    }

    /// A slice of structs, empty when absent.
    pub fn structs<T>(
        &self,
        name: &str,
        element: impl Fn(Fields<'a>) -> Result<T, BindError>,
    ) -> Result<Vec<T>, BindError> {
        let list = self.list(name, |item| element(item.fields(name)?))?;
        Ok(list.unwrap_or_default())
    }

    pub fn strings(&self, name: &str) -> Result<Vec<String>, BindError> {
        Ok(self
            .list(name, |item| item.as_string(name))?
            .unwrap_or_default())
    }

    pub fn ints(&self, name: &str) -> Result<Vec<i64>, BindError> {
        Ok(self
            .list(name, |item| item.as_int(name))?
            .unwrap_or_default())
    }

    /// A Go `interface{}` field: any JSON at all, `null` when absent.
    pub fn any(&self, name: &str) -> serde_json::Value {
        self.get(name)
            .map_or(serde_json::Value::Null, Json::to_value)
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

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Json, E> {
        Ok(Json::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Json, E> {
        // Non-finite floats cannot come out of JSON text; `Null` keeps this total.
        Ok(serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Json, E> {
        Ok(Json::String(value.to_owned()))
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
        while let Some(entry) = map.next_entry::<String, Json>()? {
            entries.push(entry);
        }
        Ok(Json::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_case_insensitively_and_the_last_duplicate_wins() {
        let body = parse(br#"{"name":"a","NAME":"b","Name":"c","other":1}"#).unwrap();
        let fields = body.fields("body").unwrap();
        assert_eq!(fields.string("name").unwrap(), "c");
    }

    #[test]
    fn integers_reject_floats_and_strings_but_take_null_as_zero() {
        let body = parse(br#"{"a":60.0,"b":"60","c":null,"d":-3}"#).unwrap();
        let fields = body.fields("body").unwrap();
        assert!(fields.int("a").is_err());
        assert!(fields.int("b").is_err());
        assert_eq!(fields.int("c").unwrap(), 0);
        assert_eq!(fields.int("d").unwrap(), -3);
    }

    #[test]
    fn an_empty_body_and_a_wrong_container_do_not_bind() {
        assert!(parse(b"").is_err());
        let body = parse(br#"{"installs":"go","adv":[]}"#).unwrap();
        let fields = body.fields("body").unwrap();
        assert!(fields.structs("installs", Ok).is_err());
        assert!(fields.object("adv").is_err());
    }

    #[test]
    fn null_and_absent_lists_differ_from_empty_lists() {
        let body = parse(br#"{"a":null,"b":[]}"#).unwrap();
        let fields = body.fields("body").unwrap();
        assert_eq!(fields.list("a", |item| Ok(item.to_value())).unwrap(), None);
        assert_eq!(
            fields.list("b", |item| Ok(item.to_value())).unwrap(),
            Some(vec![])
        );
        assert_eq!(fields.list("c", |item| Ok(item.to_value())).unwrap(), None);
    }
}
