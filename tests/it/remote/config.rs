//! Where the token comes from, and trusting a private CA.

use std::io::Write;
use std::path::PathBuf;

use tempfile::NamedTempFile;
use zadig_sync::remote::{ClientConfig, ConfigError, ZadigClient, resolve_token};

use crate::util::client::token;

fn file_with(text: &str) -> NamedTempFile {
    let mut file = NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn the_flag_file_wins_over_both_env_values() {
    let flag = file_with("from-flag\n");
    let env_file = file_with("from-env-file\n");
    let token = resolve_token(
        Some(flag.path()),
        Some("from-env".to_owned()),
        Some(env_file.path().to_owned()),
    )
    .unwrap();
    assert_eq!(token.expose(), "from-flag");
}

#[test]
fn zadig_token_wins_over_zadig_token_file() {
    let env_file = file_with("from-env-file");
    let token = resolve_token(
        None,
        Some(" from-env \n".to_owned()),
        Some(env_file.path().to_owned()),
    );
    assert_eq!(token.unwrap().expose(), "from-env");
    let token = resolve_token(None, None, Some(env_file.path().to_owned()));
    assert_eq!(token.unwrap().expose(), "from-env-file");
}

#[test]
fn no_token_anywhere_names_all_three_sources() {
    let error = resolve_token(None, None, None).unwrap_err();
    assert!(matches!(error, ConfigError::TokenMissing));
    let text = error.to_string();
    assert!(
        text.contains("ZADIG_TOKEN")
            && text.contains("ZADIG_TOKEN_FILE")
            && text.contains("--token-file")
    );
}

#[test]
fn an_empty_or_unreadable_token_file_names_the_file() {
    let empty = file_with("\n  \n");
    let error = resolve_token(Some(empty.path()), None, None).unwrap_err();
    assert!(matches!(error, ConfigError::TokenEmpty { .. }));
    assert!(
        error
            .to_string()
            .contains(&empty.path().display().to_string())
    );
    let missing = PathBuf::from("/nonexistent/zadig-token");
    let error = resolve_token(None, None, Some(missing)).unwrap_err();
    assert!(matches!(error, ConfigError::TokenFileRead { .. }));
    assert!(
        error
            .to_string()
            .contains("ZADIG_TOKEN_FILE /nonexistent/zadig-token")
    );
}

fn with_ca(ca_file: PathBuf) -> Result<ZadigClient, ConfigError> {
    let mut config = ClientConfig::new("https://zadig.example.com", token());
    config.ca_file = Some(ca_file);
    ZadigClient::new(config)
}

#[test]
fn a_pem_ca_bundle_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let ca_file = crate::util::tls::private_ca().write_ca(dir.path());
    with_ca(ca_file).unwrap();
}

#[test]
fn a_ca_file_without_certificates_is_refused() {
    let not_pem = file_with("this is not a certificate\n");
    let error = with_ca(not_pem.path().to_owned()).unwrap_err();
    assert!(
        matches!(error, ConfigError::CaFileEmpty { .. }),
        "{error:?}"
    );
    let error = with_ca(PathBuf::from("/nonexistent/ca.pem")).unwrap_err();
    assert!(matches!(error, ConfigError::CaFileRead { .. }), "{error:?}");
    assert!(error.to_string().contains("/nonexistent/ca.pem"));
}
