//! git's allowed-signers file (`gpg.ssh.allowedSignersFile`, the format of ssh-keygen's
//! ALLOWED SIGNERS): one `principals [options] key-type base64-key [comment]` per line.
//! Options zadig-sync cannot honour make their line unusable rather than more permissive:
//! `cert-authority` (certificates are not verified here) and `valid-after`/`valid-before`.
//! A `namespaces=` list must name `git`. Pure.

use ssh_key::PublicKey;

/// One usable line.
#[derive(Debug, Clone)]
pub struct AllowedSigner {
    /// As written (`alice@example.com`, or a comma-separated list).
    pub principals: String,
    pub key: PublicKey,
}

/// The usable lines, and what was wrong with the others (`line N: why`).
#[derive(Debug, Default)]
pub struct AllowedSigners {
    pub signers: Vec<AllowedSigner>,
    pub skipped: Vec<String>,
}

/// Reads the text of an allowed-signers file.
pub fn parse(text: &str) -> AllowedSigners {
    let mut parsed = AllowedSigners::default();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(line) {
            Ok(Some(signer)) => parsed.signers.push(signer),
            Ok(None) => {}
            Err(why) => parsed.skipped.push(format!("line {}: {why}", index + 1)),
        }
    }
    parsed
}

/// A line's signer; `Ok(None)` for a line restricted to namespaces other than `git`.
fn parse_line(line: &str) -> Result<Option<AllowedSigner>, String> {
    let words = split_words(line);
    let (principals, rest) = words.split_first().ok_or("empty line")?;
    let (options, key_words) = match rest.first() {
        Some(word) if is_key_type(word) => (None, rest),
        Some(word) => (Some(word.as_str()), &rest[1..]),
        None => return Err("no key".into()),
    };
    if let Some(options) = options {
        for option in split_options(options) {
            let (name, value) = option.split_once('=').unwrap_or((option.as_str(), ""));
            match name.to_ascii_lowercase().as_str() {
                "namespaces" => {
                    let value = value.trim_matches('"');
                    if !value.split(',').any(|n| n.trim() == "git") {
                        return Ok(None);
                    }
                }
                other => return Err(format!("option `{other}` is not supported here")),
            }
        }
    }
    let [key_type, base64, ..] = key_words else {
        return Err("no key after the principals".into());
    };
    let key = PublicKey::from_openssh(&format!("{key_type} {base64}"))
        .map_err(|error| format!("not a public key: {error}"))?;
    Ok(Some(AllowedSigner {
        principals: principals.trim_matches('"').to_string(),
        key,
    }))
}

fn is_key_type(word: &str) -> bool {
    ["ssh-", "ecdsa-", "sk-"]
        .iter()
        .any(|prefix| word.starts_with(prefix))
}

/// Whitespace-separated words; a double-quoted part keeps its spaces.
fn split_words(line: &str) -> Vec<String> {
    split_unquoted(line, char::is_whitespace)
        .into_iter()
        .filter(|word| !word.is_empty())
        .collect()
}

/// `a,b="x,y",c` → `a`, `b="x,y"`, `c`.
fn split_options(options: &str) -> Vec<String> {
    split_unquoted(options, |c| c == ',')
}

/// `text` split at every separator outside double quotes (quotes kept).
fn split_unquoted(text: &str, is_separator: impl Fn(char) -> bool) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if is_separator(c) && !quoted {
            parts.push(std::mem::take(&mut part));
        } else {
            part.push(c);
        }
    }
    parts.push(part);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBex/uj+Ok1KbFXzuLWA35wwVK+y3H54+4q2zq/XSXZF";

    #[test]
    fn principals_options_keys_and_comments() {
        let text = format!(
            "# maintainers\n\nalice@example.com {KEY} alice's laptop\n\
             \"bob@example.com,carol@example.com\" namespaces=\"file,git\" {KEY}\n\
             dave@example.com namespaces=\"file\" {KEY}\n"
        );
        let parsed = parse(&text);
        let names: Vec<&str> = parsed
            .signers
            .iter()
            .map(|s| s.principals.as_str())
            .collect();
        assert_eq!(
            names,
            ["alice@example.com", "bob@example.com,carol@example.com"]
        );
        assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
    }

    #[test]
    fn lines_zadig_sync_cannot_honour_are_skipped_not_trusted() {
        let text = format!(
            "ca@example.com cert-authority {KEY}\n\
             eve@example.com valid-before=\"20200101\" {KEY}\n\
             frank@example.com ssh-ed25519 not-base64\n"
        );
        let parsed = parse(&text);
        assert!(parsed.signers.is_empty());
        assert_eq!(parsed.skipped.len(), 3, "{:?}", parsed.skipped);
        assert!(parsed.skipped[0].starts_with("line 1: option `cert-authority`"));
    }
}
