//! How an added value reads (a create, or an item added by an update): what the file sets,
//! without the empty fields every object of its kind carries, and with the values Zadig would
//! choose anyway marked `(default)`. Pure; text and Markdown only (JSON keeps every field).

use serde_json::Value;

use crate::reconcile::model::{CanonicalResourceSpec, DEFAULT_TIMEOUT};

/// The value as shown, and its mark (` (default)` or nothing).
pub fn shown(path: &str, value: &str) -> (String, &'static str) {
    let value = without_empty_fields(value);
    let mark = if is_zadig_default(path, &value) {
        " (default)"
    } else {
        ""
    };
    (value, mark)
}

/// The values Zadig fills in when a file leaves `advanced_settings` out, by path.
fn is_zadig_default(path: &str, value: &str) -> bool {
    let resources = CanonicalResourceSpec::zadig_default();
    let default = match path {
        "advanced_settings.timeout" => DEFAULT_TIMEOUT,
        "advanced_settings.resource_spec.cpu_limit" => resources.cpu_limit,
        "advanced_settings.resource_spec.memory_limit" => resources.memory_limit,
        _ => return false,
    };
    value == default.to_string()
}

/// A JSON object without its empty text, `false`, `null` and empty lists or objects: fields a
/// file that leaves them out gets all the same. Anything else is returned as it is.
fn without_empty_fields(value: &str) -> String {
    match serde_json::from_str::<Value>(value) {
        Ok(Value::Object(mut object)) => {
            object.retain(|_, field| !is_empty(field));
            Value::Object(object).to_string()
        }
        _ => value.to_string(),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_marked_only_where_zadig_chooses_them() {
        assert_eq!(
            shown("advanced_settings.timeout", "60"),
            ("60".into(), " (default)")
        );
        assert_eq!(shown("advanced_settings.timeout", "45"), ("45".into(), ""));
        assert_eq!(shown("build_os", "60"), ("60".into(), ""));
    }

    #[test]
    fn objects_lose_their_empty_fields_and_other_values_stay() {
        let repo = r#"{"branch":"main","checkout_path":"","remote_name":"","submodules":false}"#;
        assert_eq!(shown("repo_info[a/b]", repo).0, r#"{"branch":"main"}"#);
        let parameter = r#"{"default_value":"","is_credential":true,"type":"string"}"#;
        assert_eq!(
            shown("parameters[T]", parameter).0,
            r#"{"is_credential":true,"type":"string"}"#
        );
        assert_eq!(shown("script_type", r#""""#).0, r#""""#);
        assert_eq!(shown("x", "not json").0, "not json");
    }
}
