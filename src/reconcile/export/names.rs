//! Names export makes up: environment variables for credentials and file names for builds.
//! Pure, no I/O.

use std::collections::BTreeSet;

/// Hands out `<PROJECT>_<BUILD>_<KEY>` names, upper-cased, every character other than an
/// ASCII letter or digit turned into `_` (what `${env:…}` accepts), with a leading `_` when
/// the name would start with a digit. Two credentials that would get the same name (`a-b` and
/// `a_b`, or one key in two services of a template build) get `_2`, `_3`, … so that no
/// variable ever stands for two secrets.
#[derive(Debug, Clone, Default)]
pub struct EnvNames {
    used: BTreeSet<String>,
}

impl EnvNames {
    pub fn allocate(&mut self, project: &str, build: &str, key: &str) -> String {
        let mut base = format!(
            "{}_{}_{}",
            sanitise(project),
            sanitise(build),
            sanitise(key)
        );
        if base.starts_with(|c: char| c.is_ascii_digit()) {
            base.insert(0, '_');
        }
        let mut name = base.clone();
        let mut n = 1;
        while !self.used.insert(name.clone()) {
            n += 1;
            name = format!("{base}_{n}");
        }
        name
    }
}

/// A conventional environment variable name for a text: upper case, and `_` for every
/// character that is not an ASCII letter or digit (`db-pass` → `DB_PASS`). Shared with the
/// loader's advice for a literal credential.
pub fn sanitise(part: &str) -> String {
    part.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A file or folder name for a Zadig name that the build-file walk will read back: a name
/// the walk would skip (hidden `.x`, editor leftovers `x~`, `x.swp`, `#x#`) or that is not a
/// plain name (`/`, `\`, NUL, control characters, `.`, `..`, empty) has those characters
/// replaced by `_` and a leading `_` added where needed. Distinct names can meet here; the
/// caller keeps files apart.
pub fn file_stem(name: &str) -> String {
    let mut stem: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if stem.is_empty() || stem.starts_with('.') || stem.starts_with('#') {
        stem.insert(0, '_');
    }
    if stem.ends_with('~') || stem.ends_with(".swp") || stem.ends_with('#') {
        stem.push('_');
    }
    stem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_are_upper_case_sanitised_and_never_shared() {
        let mut names = EnvNames::default();
        assert_eq!(
            names.allocate("shop", "api-build", "db.pass"),
            "SHOP_API_BUILD_DB_PASS"
        );
        assert_eq!(
            names.allocate("shop", "api-build", "db-pass"),
            "SHOP_API_BUILD_DB_PASS_2"
        );
        assert_eq!(
            names.allocate("shop", "api_build", "db_pass"),
            "SHOP_API_BUILD_DB_PASS_3"
        );
        assert_eq!(names.allocate("1st", "b", "k"), "_1ST_B_K");
        assert_eq!(names.allocate("项目", "b", "k"), "___B_K");
    }

    #[test]
    fn file_stems_are_read_back_by_the_walk() {
        for (name, stem) in [
            ("api", "api"),
            ("构建", "构建"),
            (".hidden", "_.hidden"),
            ("..", "_.."),
            ("", "_"),
            ("a/b", "a_b"),
            ("back\\slash", "back_slash"),
            ("tilde~", "tilde~_"),
            ("x.swp", "x.swp_"),
            ("#x#", "_#x#_"),
            ("line\nbreak", "line_break"),
        ] {
            assert_eq!(file_stem(name), stem, "{name:?}");
            let file = format!("{}.yaml", file_stem(name));
            assert!(!crate::load::files::is_ignored_name(&file), "{file}");
        }
    }
}
