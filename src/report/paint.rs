//! ANSI colour for text output, applied only when the caller asked for it. Pure.

/// `--color`: whether text output is coloured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when the output is a terminal, unless `NO_COLOR` is set (or `CLICOLOR_FORCE` is).
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// The decision, given what the caller knows of the world: whether the stream is a
    /// terminal and the values of `NO_COLOR` and `CLICOLOR_FORCE`. An empty variable counts
    /// as unset, and `CLICOLOR_FORCE=0` as well; an explicit `always` or `never` wins over both.
    pub fn resolve(self, terminal: bool, no_color: Option<&str>, force: Option<&str>) -> bool {
        let set = |value: Option<&str>| value.is_some_and(|v| !v.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set(no_color) => false,
            ColorChoice::Auto if set(force) && force != Some("0") => true,
            ColorChoice::Auto => terminal,
        }
    }
}

/// Wraps text in an ANSI colour when `color` is on; otherwise leaves it as it is.
#[derive(Debug, Clone, Copy)]
pub struct Painter {
    pub color: bool,
}

impl Painter {
    /// `code` is an SGR parameter list such as `32` (green) or `1;31` (bold red).
    pub fn apply(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_choice_honours_the_flag_then_no_color_then_clicolor_force() {
        use ColorChoice::*;
        assert!(Always.resolve(false, Some("1"), None));
        assert!(!Never.resolve(true, None, Some("1")));
        assert!(Auto.resolve(true, None, None));
        assert!(!Auto.resolve(false, None, None));
        assert!(!Auto.resolve(true, Some("1"), None));
        assert!(
            Auto.resolve(true, Some(""), None),
            "empty NO_COLOR is unset"
        );
        assert!(Auto.resolve(false, None, Some("1")));
        assert!(!Auto.resolve(false, None, Some("0")));
        assert!(!Auto.resolve(false, Some("1"), Some("1")), "NO_COLOR wins");
    }

    #[test]
    fn colour_only_on_request() {
        assert_eq!(Painter { color: false }.apply("32", "ok"), "ok");
        assert_eq!(
            Painter { color: true }.apply("32", "ok"),
            "\u{1b}[32mok\u{1b}[0m"
        );
    }
}
