//! A commit's signature and what it signs, read from the raw commit object as git does:
//! the `gpgsig` header (its value spans the following lines that start with a space) is the
//! signature, and the object without that header is the signed payload. Pure.

/// A signed commit, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCommit {
    /// The armored signature (`-----BEGIN SSH SIGNATURE-----` or `-----BEGIN PGP SIGNATURE-----`).
    pub signature: String,
    /// The bytes the signature covers: the commit object without its `gpgsig` header.
    pub payload: Vec<u8>,
}

/// What kind of signature a commit carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    Ssh,
    Pgp,
    Other,
}

impl SignedCommit {
    pub fn kind(&self) -> SignatureKind {
        let first = self.signature.trim_start();
        if first.starts_with("-----BEGIN SSH SIGNATURE-----") {
            SignatureKind::Ssh
        } else if first.starts_with("-----BEGIN PGP SIGNATURE-----") {
            SignatureKind::Pgp
        } else {
            SignatureKind::Other
        }
    }
}

const SIGNATURE_HEADER: &[u8] = b"gpgsig ";

/// Splits a raw commit object (without git's `commit <size>\0` prefix) into its signature and
/// the payload it signs; `None` when the commit carries no signature.
pub fn split_signature(commit: &[u8]) -> Option<SignedCommit> {
    let headers_end = find(commit, b"\n\n").map_or(commit.len(), |at| at + 1);
    let mut lines = Lines::new(&commit[..headers_end]);
    let mut payload = Vec::with_capacity(commit.len());
    let mut signature: Option<Vec<u8>> = None;
    while let Some(line) = lines.next() {
        match line.strip_prefix(SIGNATURE_HEADER) {
            Some(first) if signature.is_none() => {
                let mut value = first.to_vec();
                while let Some(more) = lines.peek().and_then(|l| l.strip_prefix(b" ")) {
                    value.extend_from_slice(more);
                    lines.next();
                }
                signature = Some(value);
            }
            _ => payload.extend_from_slice(line),
        }
    }
    payload.extend_from_slice(&commit[headers_end..]);
    let signature = String::from_utf8(signature?).ok()?;
    Some(SignedCommit { signature, payload })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Lines with their `\n`, with one line of look-ahead.
struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines { rest: bytes }
    }

    fn peek(&self) -> Option<&'a [u8]> {
        let end = self.line_end()?;
        Some(&self.rest[..end])
    }

    fn line_end(&self) -> Option<usize> {
        if self.rest.is_empty() {
            return None;
        }
        Some(
            self.rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(self.rest.len(), |i| i + 1),
        )
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let end = self.line_end()?;
        let (line, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNSIGNED: &str = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
        author A <a@example.com> 1700000000 +0000\n\
        committer A <a@example.com> 1700000000 +0000\n\
        \n\
        message\n\nbody gpgsig not a header\n";

    fn signed() -> String {
        let (headers, message) = UNSIGNED.split_once("\n\n").unwrap();
        format!(
            "{headers}\ngpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n \n -----END SSH SIGNATURE-----\n\n{message}"
        )
    }

    #[test]
    fn the_payload_is_the_commit_without_its_signature_header() {
        let split = split_signature(signed().as_bytes()).expect("signed");
        assert_eq!(split.payload, UNSIGNED.as_bytes());
        assert_eq!(
            split.signature,
            "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n\n-----END SSH SIGNATURE-----\n"
        );
        assert_eq!(split.kind(), SignatureKind::Ssh);
    }

    #[test]
    fn an_unsigned_commit_has_no_signature_even_if_its_message_says_gpgsig() {
        assert_eq!(split_signature(UNSIGNED.as_bytes()), None);
        let in_message = format!("{UNSIGNED}gpgsig -----BEGIN PGP SIGNATURE-----\n");
        assert_eq!(split_signature(in_message.as_bytes()), None);
    }
}
