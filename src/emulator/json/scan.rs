//! Go's JSON scanner as gin's `BindJSON` runs it (a `json.Decoder` reading one value): where
//! the first value of a body ends and whether it is well formed. Iterative, so the 10,000
//! levels of nesting Go allows cost no stack. The bytes after the first value are never
//! looked at: the decoder leaves them unread. Strings may hold any byte from 0x20 up, invalid
//! UTF-8 included (decoding replaces it, `text.rs`). No I/O.

/// Go's `maxNestingDepth`: one more open object or array is a syntax error.
pub const MAX_DEPTH: usize = 10_000;

/// Why a body is not JSON to Go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("unexpected end of JSON input")]
    End,
    #[error("invalid character {byte:#04x} at byte {at}")]
    Unexpected { byte: u8, at: usize },
    #[error("exceeded max depth at byte {at}")]
    TooDeep { at: usize },
}

/// The first value of `body`, without the whitespace before it, once Go's scanner accepts it.
pub fn first_value(body: &[u8]) -> Result<&[u8], SyntaxError> {
    let mut scanner = Scanner {
        bytes: body,
        at: 0,
        open: Vec::new(),
    };
    scanner.skip_space();
    let start = scanner.at;
    scanner.run()?;
    Ok(body.get(start..scanner.at).unwrap_or_default())
}

/// Go's JSON whitespace; anything else between tokens is an error.
pub fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Object,
    Array,
}

/// What reading the start of a value left to do.
#[derive(Debug, PartialEq, Eq)]
enum Read {
    /// A whole value: a scalar or an empty container.
    Done,
    /// A container was opened and its first element (an object's after its key) comes next.
    Opened,
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    /// The objects and arrays open around `at`.
    open: Vec<Open>,
}

impl Scanner<'_> {
    fn run(&mut self) -> Result<(), SyntaxError> {
        loop {
            if self.value()? == Read::Opened {
                self.skip_space();
                continue;
            }
            if !self.next_element()? {
                return Ok(());
            }
        }
    }

    /// After a whole value: closes what ends here, then moves past a `,` (and an object's
    /// next key). False once the outermost value is closed.
    fn next_element(&mut self) -> Result<bool, SyntaxError> {
        while let Some(&open) = self.open.last() {
            self.skip_space();
            match (open, self.peek()?) {
                (Open::Object, b'}') | (Open::Array, b']') => {
                    self.at += 1;
                    self.open.pop();
                }
                (_, b',') => {
                    self.at += 1;
                    self.skip_space();
                    if open == Open::Object {
                        self.key()?;
                    }
                    return Ok(true);
                }
                _ => return Err(self.unexpected()),
            }
        }
        Ok(false)
    }

    fn value(&mut self) -> Result<Read, SyntaxError> {
        match self.peek()? {
            b'{' => self.open_container(Open::Object, b'}'),
            b'[' => self.open_container(Open::Array, b']'),
            b'"' => self.string().map(|()| Read::Done),
            b'-' | b'0'..=b'9' => self.number().map(|()| Read::Done),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => Err(self.unexpected()),
        }
    }

    fn open_container(&mut self, open: Open, close: u8) -> Result<Read, SyntaxError> {
        self.open.push(open);
        if self.open.len() > MAX_DEPTH {
            return Err(SyntaxError::TooDeep { at: self.at });
        }
        self.at += 1;
        self.skip_space();
        if self.peek()? == close {
            self.at += 1;
            self.open.pop();
            return Ok(Read::Done);
        }
        if open == Open::Object {
            self.key()?;
        }
        Ok(Read::Opened)
    }

    /// A key, its `:` and the whitespace up to its value.
    fn key(&mut self) -> Result<(), SyntaxError> {
        self.string()?;
        self.skip_space();
        self.expect(b':')?;
        self.skip_space();
        Ok(())
    }

    fn string(&mut self) -> Result<(), SyntaxError> {
        self.expect(b'"')?;
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Ok(());
                }
                b'\\' => self.escape()?,
                byte if byte < 0x20 => return Err(self.unexpected()),
                _ => self.at += 1,
            }
        }
    }

    fn escape(&mut self) -> Result<(), SyntaxError> {
        self.at += 1;
        match self.peek()? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
            b'u' => {
                self.at += 1;
                for _ in 0..4 {
                    if !self.peek()?.is_ascii_hexdigit() {
                        return Err(self.unexpected());
                    }
                    self.at += 1;
                }
            }
            _ => return Err(self.unexpected()),
        }
        Ok(())
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<(), SyntaxError> {
        self.skip_if(|byte| byte == b'-');
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits()?,
            _ => return Err(self.unexpected()),
        }
        if self.skip_if(|byte| byte == b'.') {
            self.digits()?;
        }
        if self.skip_if(|byte| byte == b'e' || byte == b'E') {
            self.skip_if(|byte| byte == b'+' || byte == b'-');
            self.digits()?;
        }
        Ok(())
    }

    /// One digit or more.
    fn digits(&mut self) -> Result<(), SyntaxError> {
        if !self.peek()?.is_ascii_digit() {
            return Err(self.unexpected());
        }
        while self.skip_if(|byte| byte.is_ascii_digit()) {}
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<Read, SyntaxError> {
        for &expected in word {
            self.expect(expected)?;
        }
        Ok(Read::Done)
    }

    fn skip_if(&mut self, wanted: impl Fn(u8) -> bool) -> bool {
        let found = self.bytes.get(self.at).is_some_and(|&byte| wanted(byte));
        if found {
            self.at += 1;
        }
        found
    }

    fn skip_space(&mut self) {
        while self.skip_if(is_space) {}
    }

    fn expect(&mut self, byte: u8) -> Result<(), SyntaxError> {
        if self.peek()? != byte {
            return Err(self.unexpected());
        }
        self.at += 1;
        Ok(())
    }

    fn peek(&self) -> Result<u8, SyntaxError> {
        self.bytes.get(self.at).copied().ok_or(SyntaxError::End)
    }

    fn unexpected(&self) -> SyntaxError {
        match self.bytes.get(self.at) {
            Some(&byte) => SyntaxError::Unexpected { byte, at: self.at },
            None => SyntaxError::End,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize, inner: &str) -> String {
        format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn the_first_value_ends_where_go_s_decoder_stops_reading() {
        assert_eq!(
            first_value(b" \n{\"a\":[1, -0, 2.5e-3]} trailing").unwrap(),
            br#"{"a":[1, -0, 2.5e-3]}"#
        );
        assert_eq!(first_value(b"{}{}").unwrap(), b"{}");
        assert_eq!(first_value(b"null").unwrap(), b"null");
    }

    #[test]
    fn go_s_grammar_is_enforced_inside_the_first_value() {
        for bad in [
            "",
            " ",
            "{",
            r#"{"a"}"#,
            r#"{"a":1,}"#,
            "[1,]",
            "[01]",
            "[1.]",
            "[.5]",
            "[+1]",
            "[1e]",
            "[-]",
            "[tru]",
            "[nul]",
            r#"["\x"]"#,
            r#"["\u12G4"]"#,
            "{'a':1}",
            "[\"tab\there\"]",
            "\u{feff}{}",
        ] {
            assert!(first_value(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn strings_may_hold_any_byte_from_space_up_and_every_valid_escape() {
        let body = b"[\"\xff\xfe \xed\xa0\x80 \\ud800 \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9\"]";
        assert_eq!(first_value(body).unwrap(), body);
    }

    #[test]
    fn nesting_is_allowed_to_ten_thousand_levels_and_no_further() {
        let deepest = nested(MAX_DEPTH, "1");
        assert!(first_value(deepest.as_bytes()).is_ok());
        let too_deep = nested(MAX_DEPTH + 1, "1");
        assert!(matches!(
            first_value(too_deep.as_bytes()),
            Err(SyntaxError::TooDeep { .. })
        ));
    }
}
