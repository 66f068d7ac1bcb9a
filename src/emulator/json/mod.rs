//! Request bodies read the way gin's `BindJSON` reads them into a struct: Go's
//! `json.Decoder` takes the first JSON value of the body (what follows it is never read),
//! with Go's grammar, its 10,000 levels of nesting and its lenient strings (`scan.rs`,
//! `text.rs`); then keys match a field by Go's case folding, the last of duplicate keys
//! wins, unknown keys are ignored, `null` leaves the zero value, and a wrong type is a bind
//! failure, which Zadig answers with 400 and an empty body. No I/O.
//!
//! serde would match keys exactly, keep no order between them and stop at 128 levels, so a
//! body is kept as its bytes and read one level at a time ([`Json`]): only what a field asks
//! for is decoded, and an unknown key's value, however deep, is only skipped.

mod scan;
mod text;
mod value;

pub use value::Json;

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

/// The first value of a body; an empty or invalid one does not bind.
pub fn parse(body: &[u8]) -> Result<Json<'_>, BindError> {
    scan::first_value(body)
        .map(Json::checked)
        .map_err(|error| BindError::new(format!("invalid JSON: {error}")))
}

/// The entries of one JSON object, in document order, read field by field like a Go struct.
#[derive(Debug, Clone, Default)]
pub struct Fields<'a> {
    entries: Vec<(String, Json<'a>)>,
}

impl<'a> Fields<'a> {
    /// The value for a struct field: the last key that names it.
    fn get(&self, name: &str) -> Option<Json<'a>> {
        self.entries
            .iter()
            .rev()
            .find(|(key, _)| text::names_field(key, name))
            .map(|(_, value)| *value)
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
        element: impl FnMut(Json<'a>) -> Result<T, BindError>,
    ) -> Result<Option<Vec<T>>, BindError> {
        let Some(value) = self.get(name).filter(|value| !value.is_null()) else {
            return Ok(None);
        };
        let items = value
            .items()
            .ok_or_else(|| BindError::new(format!("{name}: expected an array")))?;
        items
            .into_iter()
            .map(element)
            .collect::<Result<_, _>>()
            .map(Some)
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

    /// A Go `interface{}` field: any JSON (numbers as Go's float64), `null` when absent.
    pub fn any(&self, name: &str) -> Result<serde_json::Value, BindError> {
        self.get(name)
            .map_or(Ok(serde_json::Value::Null), |value| value.to_value(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(body: &[u8]) -> Fields<'_> {
        parse(body).unwrap().fields("body").unwrap()
    }

    #[test]
    fn keys_match_by_case_folding_and_the_last_duplicate_wins() {
        let fields = fields_of(br#"{"name":"a","NAME":"b","Name":"c","other":1}"#);
        assert_eq!(fields.string("name").unwrap(), "c");
        let folded =
            fields_of("{\"ſcript_type\":\"shell\",\"project_\u{212a}ey\":\"p\"}".as_bytes());
        assert_eq!(folded.string("script_type").unwrap(), "shell");
        assert_eq!(folded.string("project_key").unwrap(), "p");
    }

    #[test]
    fn integers_take_what_go_s_parse_int_takes_and_null_as_zero() {
        let fields = fields_of(
            br#"{"a":60.0,"b":"60","c":null,"d":-3,"e":-0,"f":1e2,"g":9223372036854775808}"#,
        );
        for name in ["a", "b", "f", "g"] {
            assert!(fields.int(name).is_err(), "{name}");
        }
        assert_eq!(fields.int("c").unwrap(), 0);
        assert_eq!(fields.int("d").unwrap(), -3);
        assert_eq!(fields.int("e").unwrap(), 0);
    }

    #[test]
    fn an_empty_body_and_a_wrong_container_do_not_bind() {
        assert!(parse(b"").is_err());
        let fields = fields_of(br#"{"installs":"go","adv":[]}"#);
        assert!(fields.structs("installs", Ok).is_err());
        assert!(fields.object("adv").is_err());
    }

    #[test]
    fn null_and_absent_lists_differ_from_empty_lists() {
        let fields = fields_of(br#"{"a":null,"b":[]}"#);
        let read = |name| fields.list(name, |item| item.to_value(name)).unwrap();
        assert_eq!(read("a"), None);
        assert_eq!(read("b"), Some(vec![]));
        assert_eq!(read("c"), None);
    }

    #[test]
    fn strings_are_read_as_go_reads_them() {
        let fields = fields_of(b"{\"s\":\"a\xffb \\ud800\"}");
        assert_eq!(fields.string("s").unwrap(), "a\u{fffd}b \u{fffd}");
    }

    #[test]
    fn an_unknown_key_may_nest_ten_thousand_levels_and_what_follows_the_body_is_unread() {
        // The body is the first level; 9,999 more under one key make Go's 10,000.
        let deep = format!("{}{}", "[".repeat(9_999), "]".repeat(9_999));
        let body = format!(r#"{{"unknown":{deep},"name":"b"}} and then some"#);
        assert_eq!(fields_of(body.as_bytes()).string("name").unwrap(), "b");
        let deeper = format!(r#"{{"unknown":[{deep}],"name":"b"}}"#);
        assert!(parse(deeper.as_bytes()).is_err());
    }
}
