//! One value of a body that the scanner accepted, kept as its bytes and read one level at a
//! time: an object's entries in document order, an array's items, a scalar as Go's decoder
//! reads it into a field of its type. Reading relies on the scanner's check: it never fails on
//! syntax, and stays total (no panics) even so. No I/O.

use super::scan::is_space;
use super::{BindError, Fields, text};

/// How deep a Go `interface{}` value (a label or annotation value) may nest. Go decodes any
/// depth the scanner allows, then Zadig's MongoDB refuses documents nested past 100 levels;
/// the emulator refuses them while binding, which also keeps its state file readable.
const MAX_ANY_DEPTH: usize = 100;

/// One checked JSON value: its bytes, without surrounding whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Json<'a> {
    bytes: &'a [u8],
}

impl<'a> Json<'a> {
    /// `bytes` must be one value the scanner accepted.
    pub(super) fn checked(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn first(self) -> u8 {
        self.bytes.first().copied().unwrap_or(b'n')
    }

    pub fn is_null(self) -> bool {
        self.first() == b'n'
    }

    /// The fields of an object; `null` reads as an object with no fields (Go leaves the zero
    /// value).
    pub fn fields(self, what: &str) -> Result<Fields<'a>, BindError> {
        match self.first() {
            b'{' => Ok(Fields {
                entries: self.members(),
            }),
            b'n' => Ok(Fields::default()),
            _ => Err(BindError::new(format!("{what}: expected an object"))),
        }
    }

    /// The items of an array; `None` for any other value.
    pub fn items(self) -> Option<Vec<Json<'a>>> {
        if self.first() != b'[' {
            return None;
        }
        let mut items = Vec::new();
        let mut at = skip_space(self.bytes, 1);
        while !matches!(self.bytes.get(at), None | Some(b']')) {
            let end = value_end(self.bytes, at);
            if end <= at {
                break;
            }
            items.push(Json::checked(self.bytes.get(at..end).unwrap_or_default()));
            at = after_separator(self.bytes, end);
        }
        Some(items)
    }

    pub fn as_string(self, what: &str) -> Result<String, BindError> {
        match self.first() {
            b'"' => Ok(text::unquote(self.bytes)),
            b'n' => Ok(String::new()),
            _ => Err(BindError::new(format!("{what}: expected a string"))),
        }
    }

    /// Go's int64 (`strconv.ParseInt`): an integer literal, `-0` included; `1.5`, `60.0`,
    /// `1e2` and `"60"` do not bind, nor does a value past the int64 range.
    pub fn as_int(self, what: &str) -> Result<i64, BindError> {
        if self.is_null() {
            return Ok(0);
        }
        std::str::from_utf8(self.bytes)
            .ok()
            .and_then(|literal| literal.parse().ok())
            .ok_or_else(|| BindError::new(format!("{what}: expected an integer")))
    }

    pub fn as_bool(self, what: &str) -> Result<bool, BindError> {
        match self.bytes {
            b"true" => Ok(true),
            b"false" | b"null" => Ok(false),
            _ => Err(BindError::new(format!("{what}: expected a boolean"))),
        }
    }

    /// Any value, as a Go `interface{}` field takes it: numbers become float64, and of
    /// duplicate keys the last one stays.
    pub fn to_value(self, what: &str) -> Result<serde_json::Value, BindError> {
        self.to_value_within(what, MAX_ANY_DEPTH)
    }

    fn to_value_within(self, what: &str, depth: usize) -> Result<serde_json::Value, BindError> {
        use serde_json::Value;
        let container = matches!(self.first(), b'{' | b'[');
        if container && depth == 0 {
            return Err(BindError::new(format!("{what}: nested too deep")));
        }
        let inner = depth.saturating_sub(1);
        Ok(match self.first() {
            b'{' => Value::Object(
                self.members()
                    .into_iter()
                    .map(|(key, value)| Ok((key, value.to_value_within(what, inner)?)))
                    .collect::<Result<_, BindError>>()?,
            ),
            b'[' => Value::Array(
                self.items()
                    .unwrap_or_default()
                    .iter()
                    .map(|item| item.to_value_within(what, inner))
                    .collect::<Result<_, _>>()?,
            ),
            b'"' => Value::String(text::unquote(self.bytes)),
            b't' | b'f' => Value::Bool(self.bytes == b"true"),
            b'n' => Value::Null,
            _ => Value::Number(self.float(what)?),
        })
    }

    /// Go's float64 (`strconv.ParseFloat`): a number out of its range does not bind.
    fn float(self, what: &str) -> Result<serde_json::Number, BindError> {
        std::str::from_utf8(self.bytes)
            .ok()
            .and_then(|literal| literal.parse::<f64>().ok())
            .and_then(serde_json::Number::from_f64)
            .ok_or_else(|| BindError::new(format!("{what}: number out of range")))
    }

    /// An object's keys (decoded) and values, in document order, duplicates included.
    fn members(self) -> Vec<(String, Json<'a>)> {
        let bytes = self.bytes;
        let mut entries = Vec::new();
        let mut at = skip_space(bytes, 1);
        while bytes.get(at) == Some(&b'"') {
            let key_end = string_end(bytes, at);
            let key = text::unquote(bytes.get(at..key_end).unwrap_or_default());
            // Past the `:` and the whitespace around it.
            let start = skip_space(bytes, skip_space(bytes, key_end) + 1);
            let end = value_end(bytes, start);
            if end <= start {
                break;
            }
            entries.push((
                key,
                Json::checked(bytes.get(start..end).unwrap_or_default()),
            ));
            at = after_separator(bytes, end);
        }
        entries
    }
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).copied().is_some_and(is_space) {
        at += 1;
    }
    at
}

/// Past the whitespace after a value, its `,` if any, and the whitespace after that.
fn after_separator(bytes: &[u8], end: usize) -> usize {
    let at = skip_space(bytes, end);
    if bytes.get(at) == Some(&b',') {
        return skip_space(bytes, at + 1);
    }
    at
}

/// Where the value starting at `start` ends.
fn value_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start) {
        Some(b'"') => string_end(bytes, start),
        Some(b'{' | b'[') => container_end(bytes, start),
        Some(_) => {
            let mut at = start;
            while bytes
                .get(at)
                .is_some_and(|&byte| !is_space(byte) && !b",}]".contains(&byte))
            {
                at += 1;
            }
            at
        }
        None => start,
    }
}

/// Past the closing quote of the string starting at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// Past the bracket that closes the object or array starting at `start`: counted, not
/// recursed into, so depth costs no stack.
fn container_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut at = start;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'"' => {
                at = string_end(bytes, at);
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return at + 1;
                }
            }
            _ => {}
        }
        at += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Json<'_> {
        Json::checked(text.as_bytes())
    }

    #[test]
    fn members_and_items_are_read_one_level_at_a_time_in_order() {
        let object = value(r#"{ "a" : [1, {"b": "]"}] , "a":"x\"}" ,"c":{} }"#);
        let members = object.members();
        let keys: Vec<&str> = members.iter().map(|(key, _)| key.as_str()).collect();
        assert_eq!(keys, ["a", "a", "c"]);
        assert_eq!(members[0].1, value(r#"[1, {"b": "]"}]"#));
        assert_eq!(members[1].1, value(r#""x\"}""#));
        let items = members[0].1.items().unwrap();
        assert_eq!(items, [value("1"), value(r#"{"b": "]"}"#)]);
        assert_eq!(value("[ ]").items().unwrap(), []);
        assert_eq!(value("{}").items(), None);
    }

    #[test]
    fn any_values_are_go_values_nested_at_most_a_hundred_levels() {
        let read = value(r#"{"n":[1,-0,2.5],"s":"é","d":1,"d":2}"#).to_value("v");
        assert_eq!(
            read.unwrap(),
            serde_json::json!({"n": [1.0, -0.0, 2.5], "s": "é", "d": 2.0})
        );
        assert!(value("1e400").to_value("v").is_err());
        let deep = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(value(&deep(MAX_ANY_DEPTH)).to_value("v").is_ok());
        assert!(value(&deep(MAX_ANY_DEPTH + 1)).to_value("v").is_err());
    }
}
