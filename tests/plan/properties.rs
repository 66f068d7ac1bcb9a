//! Properties: normalising is idempotent and a build compared with itself has no changes.

use proptest::prelude::*;
use zadig_sync::diff::diff;
use zadig_sync::marker::{fingerprint, request_body, split_marker};
use zadig_sync::normalize::from_spec;
use zadig_sync::spec::BuildSpec;

use crate::fixtures::{NONE, create_body, spec_from};

/// full.json with a random script, timeout, installs and parameters.
fn arbitrary_spec() -> impl Strategy<Value = BuildSpec> {
    (
        "[a-z #\\r\\n]{0,30}",
        0i64..1000,
        proptest::collection::vec(("[a-c]{1,2}", "[0-9.]{1,4}"), 0..4),
        proptest::collection::vec(("[A-C]{1,2}", "[a-z]{0,3}", any::<bool>()), 0..4),
    )
        .prop_map(|(script, timeout, installs, parameters)| {
            let mut body = create_body("full");
            body["build_script"] = script.into();
            body["advanced_settings"]["timeout"] = timeout.into();
            body["installs"] = installs
                .into_iter()
                .map(|(name, version)| serde_json::json!({"name": name, "version": version}))
                .collect();
            body["parameters"] = parameters
                .into_iter()
                .map(|(key, value, secret)| {
                    serde_json::json!({"key": key, "default_value": value, "is_credential": secret})
                })
                .collect();
            spec_from(body)
        })
}

fn script_of(spec: &BuildSpec) -> String {
    match spec {
        BuildSpec::Custom(custom) => custom.build_script.clone(),
        BuildSpec::Template(_) => String::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_build_compared_with_itself_has_no_changes(spec in arbitrary_spec()) {
        let canonical = from_spec(&spec, NONE);
        prop_assert_eq!(diff(&canonical, &canonical), vec![]);
    }

    #[test]
    fn normalising_the_sent_body_gives_the_same_build(spec in arbitrary_spec()) {
        let sent = request_body(&spec, NONE);
        prop_assert_eq!(from_spec(&sent, NONE), from_spec(&spec, NONE));
        prop_assert_eq!(request_body(&sent, NONE), sent.clone());
        let split = split_marker(&script_of(&sent));
        prop_assert_eq!(split.script, script_of(&spec));
        prop_assert_eq!(split.marker.map(|m| m.fingerprint), Some(fingerprint(&spec, NONE)));
    }
}
