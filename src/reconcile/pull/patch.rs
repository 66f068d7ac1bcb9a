//! A file's change as a unified diff that `git apply` (and `patch -p1`) accept: `a/` and `b/`
//! before the path, which is relative to the repository's root. Pure.

use similar::TextDiff;

/// The diff from `old` to `new` of the file at `path` (with `/` between its parts); empty
/// when they are equal.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let (a, b) = (format!("a/{path}"), format!("b/{path}"));
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_with_its_context_and_git_headers() {
        let diff = unified("builds.d/a.yaml", "a: 1\nb: 2\n", "a: 1\nb: 3\n");
        assert_eq!(
            diff,
            "--- a/builds.d/a.yaml\n+++ b/builds.d/a.yaml\n@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n+b: 3\n"
        );
        assert_eq!(unified("x", "same", "same"), "");
        let no_newline = unified("x", "a", "b");
        assert!(
            no_newline.contains("\\ No newline at end of file"),
            "{no_newline}"
        );
    }
}
