//! Small pieces of English shared by every rendering: counts with the right plural. Pure.

/// `1 build`, `2 builds`, `0 builds`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `is` or `are`, agreeing with `n`.
pub fn is_are(n: usize) -> &'static str {
    if n == 1 { "is" } else { "are" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(1, "build"), "1 build");
        assert_eq!(count(0, "build"), "0 builds");
        assert_eq!(count(2, "error"), "2 errors");
        assert_eq!(is_are(1), "is");
        assert_eq!(is_are(3), "are");
    }
}
