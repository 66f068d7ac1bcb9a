//! `--git-verify`: a commit is applied only when it is signed by a trusted key. `ssh:FILE`
//! reads git's allowed-signers file and checks git's SSH signatures (SshSig, namespace `git`)
//! with `ssh-key`; `gpg:FILE` reads OpenPGP public keys (armored or binary, as `gpg --export`
//! writes them) and checks OpenPGP signatures with `pgp`. Pure Rust; no `ssh-keygen`, no
//! `gpg`. The trusted keys are read again at every fetch, so a rotated file is taken as it
//! is. Reads the key file.

use std::path::{Path, PathBuf};

use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::types::KeyDetails;
use ssh_key::SshSig;
use tracing::warn;

use crate::git::allowed_signers;
use crate::git::signature::{SignatureKind, SignedCommit, split_signature};

/// The namespace git signs commits in (`ssh-keygen -Y sign -n git`).
const GIT_NAMESPACE: &str = "git";

/// Which keys are trusted, as `--git-verify` names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// `ssh:FILE`: git's allowed-signers file.
    Ssh(PathBuf),
    /// `gpg:FILE`: OpenPGP public keys.
    Gpg(PathBuf),
}

impl Trust {
    /// `ssh:PATH` or `gpg:PATH`.
    pub fn parse(text: &str) -> Result<Trust, String> {
        match text.split_once(':') {
            Some(("ssh", path)) if !path.is_empty() => Ok(Trust::Ssh(path.into())),
            Some(("gpg" | "pgp", path)) if !path.is_empty() => Ok(Trust::Gpg(path.into())),
            _ => Err(format!(
                "expected ssh:ALLOWED_SIGNERS_FILE or gpg:KEYRING_FILE, got `{text}`"
            )),
        }
    }

    fn file(&self) -> &Path {
        match self {
            Trust::Ssh(path) | Trust::Gpg(path) => path,
        }
    }
}

/// Why a commit is not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Untrusted {
    #[error("the commit is not signed")]
    Unsigned,
    #[error("the commit is signed with {found}, but --git-verify expects {expected} signatures")]
    WrongKind {
        found: &'static str,
        expected: &'static str,
    },
    #[error("the signature cannot be read: {0}")]
    Malformed(String),
    #[error("the commit is not signed by a key listed in {file}{detail}")]
    NotTrusted { file: String, detail: String },
    #[error("cannot read the trusted keys in {file}: {reason}")]
    Keys { file: String, reason: String },
}

/// Checks that the raw commit object `commit` is signed by a key `trust` lists; returns who
/// signed it (the allowed signer's principals, or the OpenPGP key's fingerprint).
pub fn verify(trust: &Trust, commit: &[u8]) -> Result<String, Untrusted> {
    let signed = split_signature(commit).ok_or(Untrusted::Unsigned)?;
    let file = trust.file();
    let text = std::fs::read(file).map_err(|error| Untrusted::Keys {
        file: file.display().to_string(),
        reason: error.to_string(),
    })?;
    match (trust, signed.kind()) {
        (Trust::Ssh(_), SignatureKind::Ssh) => verify_ssh(file, &text, &signed),
        (Trust::Gpg(_), SignatureKind::Pgp) => verify_pgp(file, &text, &signed),
        (Trust::Ssh(_), found) => Err(wrong_kind(found, "SSH")),
        (Trust::Gpg(_), found) => Err(wrong_kind(found, "OpenPGP")),
    }
}

fn wrong_kind(found: SignatureKind, expected: &'static str) -> Untrusted {
    let found = match found {
        SignatureKind::Ssh => "an SSH key",
        SignatureKind::Pgp => "an OpenPGP key",
        SignatureKind::Other => "an unknown kind of key (X.509?)",
    };
    Untrusted::WrongKind { found, expected }
}

fn verify_ssh(file: &Path, text: &[u8], signed: &SignedCommit) -> Result<String, Untrusted> {
    let signature = SshSig::from_pem(signed.signature.as_bytes())
        .map_err(|error| Untrusted::Malformed(error.to_string()))?;
    if signature.namespace() != GIT_NAMESPACE {
        return Err(Untrusted::Malformed(format!(
            "signed in namespace `{}`, not `git`",
            signature.namespace()
        )));
    }
    let allowed = allowed_signers::parse(&String::from_utf8_lossy(text));
    for skipped in &allowed.skipped {
        warn!(file = %file.display(), %skipped, "allowed-signers line not used");
    }
    let signer = allowed
        .signers
        .iter()
        .filter(|s| s.key.key_data() == signature.public_key())
        .find(|s| {
            s.key
                .verify(GIT_NAMESPACE, &signed.payload, &signature)
                .is_ok()
        });
    match signer {
        Some(signer) => Ok(signer.principals.clone()),
        None => Err(Untrusted::NotTrusted {
            file: file.display().to_string(),
            detail: format!(
                " (signed by {})",
                ssh_key::PublicKey::from(signature.public_key().clone())
                    .fingerprint(ssh_key::HashAlg::Sha256)
            ),
        }),
    }
}

fn verify_pgp(file: &Path, text: &[u8], signed: &SignedCommit) -> Result<String, Untrusted> {
    let keys_error = |reason: String| Untrusted::Keys {
        file: file.display().to_string(),
        reason,
    };
    let keys = read_keyring(text).map_err(keys_error)?;
    let (signature, _) = DetachedSignature::from_armor_single(signed.signature.as_bytes())
        .map_err(|error| Untrusted::Malformed(error.to_string()))?;
    for key in &keys {
        if key.verify_bindings().is_err() {
            continue;
        }
        let primary = signature.verify(key, &signed.payload).is_ok();
        let subkey = || {
            (key.public_subkeys.iter()).any(|sub| signature.verify(sub, &signed.payload).is_ok())
        };
        if primary || subkey() {
            return Ok(format!("OpenPGP key {}", key.fingerprint()));
        }
    }
    let issuers: Vec<String> = (signature.signature.issuer_fingerprint().iter())
        .map(|f| f.to_string())
        .collect();
    Err(Untrusted::NotTrusted {
        file: file.display().to_string(),
        detail: match issuers.as_slice() {
            [] => String::new(),
            some => format!(" (signed by {})", some.join(", ")),
        },
    })
}

/// Every public key in an OpenPGP keyring: armored blocks (one or more) or binary packets.
fn read_keyring(bytes: &[u8]) -> Result<Vec<SignedPublicKey>, String> {
    const BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
    let text = String::from_utf8_lossy(bytes);
    let mut keys = Vec::new();
    if text.contains(BEGIN) {
        for block in text.split(BEGIN).skip(1) {
            let armored = format!("{BEGIN}{block}");
            let (parsed, _) = SignedPublicKey::from_armor_many(armored.as_bytes())
                .map_err(|error| error.to_string())?;
            for key in parsed {
                keys.push(key.map_err(|error| error.to_string())?);
            }
        }
    } else {
        let parsed = SignedPublicKey::from_bytes_many(bytes).map_err(|error| error.to_string())?;
        for key in parsed {
            keys.push(key.map_err(|error| error.to_string())?);
        }
    }
    if keys.is_empty() {
        return Err("no OpenPGP public key in it".into());
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_is_ssh_or_gpg_with_a_file() {
        assert_eq!(Trust::parse("ssh:/a"), Ok(Trust::Ssh("/a".into())));
        assert_eq!(Trust::parse("gpg:k.asc"), Ok(Trust::Gpg("k.asc".into())));
        for bad in ["ssh:", "x509:/a", "/a"] {
            assert!(Trust::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_unsigned_commit_is_refused_before_any_key_is_read() {
        let commit = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmessage\n";
        let trust = Trust::Ssh("/nonexistent/allowed_signers".into());
        assert_eq!(verify(&trust, commit), Err(Untrusted::Unsigned));
    }
}
