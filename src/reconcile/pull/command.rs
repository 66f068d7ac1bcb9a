//! The command line that pulls a build, as the daemon's notifications and status page show
//! it, with its words quoted for a POSIX shell. Pure.

/// `zadig-sync pull --build NAME` (names are global in Zadig, so the name alone is enough).
pub fn pull_command(build: &str) -> String {
    format!("zadig-sync pull --build {}", shell_word(build))
}

/// `word` as one word for a POSIX shell: as is when it is plain, else single-quoted.
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("builds.d/x"), "builds.d/x");
        assert_eq!(shell_word("my builds"), "'my builds'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(pull_command("shop-api"), "zadig-sync pull --build shop-api");
        assert_eq!(pull_command("a b"), "zadig-sync pull --build 'a b'");
    }
}
