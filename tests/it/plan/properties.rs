//! Properties. Normalising is idempotent over what we send; and, the one that can catch a
//! misreading of Zadig, a generated build written to the emulator and read back through the
//! client compares equal to its file: the live side goes through Zadig's shapes (renames,
//! defaults, trimming, omissions), never through our own normaliser twice.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::plan::fixtures::diff;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use zadig_sync::emulator::{self, EmulatorConfig};
use zadig_sync::reconcile::marker::{fingerprint, request_body, split_marker};
use zadig_sync::reconcile::normalize::{from_live, from_spec};
use zadig_sync::reconcile::spec::BuildSpec;
use zadig_sync::remote::fetch::read_build;
use zadig_sync::remote::{ClientConfig, Token, ZadigClient};

use crate::plan::fixtures::{create_body, spec_from};
use crate::plan::generated::custom_body;

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
    fn normalising_the_sent_body_gives_the_same_build(spec in arbitrary_spec()) {
        let sent = request_body(&spec);
        prop_assert_eq!(from_spec(&sent), from_spec(&spec));
        prop_assert_eq!(request_body(&sent), sent.clone());
        let split = split_marker(&script_of(&sent));
        prop_assert_eq!(split.script, script_of(&spec));
        prop_assert_eq!(split.marker.map(|m| m.fingerprint), Some(fingerprint(&spec)));
    }
}

const TOKEN: &str = "plan-properties-token";
const PROJECT: &str = "generated";

/// Two generated builds: the first created, the second written over it with Zadig's full
/// replace.
fn written_pair() -> impl Strategy<Value = (BuildSpec, BuildSpec)> {
    (custom_body(), custom_body()).prop_map(|(first, second)| (spec_from(first), spec_from(second)))
}

fn named(spec: BuildSpec, name: &str) -> BuildSpec {
    match spec {
        BuildSpec::Custom(mut custom) => {
            custom.name = name.to_string();
            custom.project_key = PROJECT.to_string();
            BuildSpec::Custom(custom)
        }
        template => template,
    }
}

/// Reads `spec`'s build back and requires it to equal the file, marker included.
async fn read_back_equals(client: &ZadigClient, spec: &BuildSpec) -> Result<(), TestCaseError> {
    let detail = read_build(client, PROJECT, spec.name())
        .await
        .map_err(|error| TestCaseError::fail(format!("detail: {error}")))?;
    let live = from_live(&detail);
    let desired = from_spec(spec);
    prop_assert_eq!(diff(&desired, &live), vec![], "{:#?}", detail.base());
    let expected = fingerprint(spec);
    prop_assert_eq!(live.ownership.fingerprint(), Some(expected.as_str()));
    Ok(())
}

#[test]
fn a_generated_build_written_to_the_emulator_reads_back_equal_to_its_file() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let emulator = runtime
        .block_on(emulator::start(loopback, EmulatorConfig::new(TOKEN)))
        .expect("the emulator starts");
    let config = ClientConfig {
        rate_limit: 0,
        ..ClientConfig::new(emulator.url(), Token::generated(TOKEN.to_string()))
    };
    let client = ZadigClient::new(config).expect("a client");
    let cases = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config::with_cases(24));
    let outcome = runner.run(&written_pair(), |(first, second)| {
        let name = format!("gen-{}", cases.fetch_add(1, Ordering::Relaxed));
        let (first, second) = (named(first, &name), named(second, &name));
        runtime.block_on(async {
            let created = client.create_build(&request_body(&first)).await;
            created.map_err(|error| TestCaseError::fail(format!("create: {error}")))?;
            read_back_equals(&client, &first).await?;
            let updated = client.update_build(&request_body(&second)).await;
            updated.map_err(|error| TestCaseError::fail(format!("update: {error}")))?;
            read_back_equals(&client, &second).await
        })
    });
    runtime
        .block_on(emulator.shutdown())
        .expect("the emulator stops");
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
