//! Progress on stderr for long runs (reading N of M builds, applying N of M steps): shown only
//! for text output on a terminal, never when stderr is a pipe or a file, and never with JSON or
//! Markdown output (those are read by programs, which a redrawn line would only confuse).

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::remote::progress::{Progress, SharedProgress};
use crate::report::Format;

/// Whether to draw progress at all.
pub fn wanted(format: Format, stderr_is_terminal: bool) -> bool {
    format == Format::Text && stderr_is_terminal
}

/// A bar on stderr, cleared when dropped; hidden unless [`wanted`].
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    /// `verb` and `noun` make the line: `Reading 12 of 40 builds`.
    pub fn new(show: bool, verb: &str, noun: &str) -> Self {
        let target = if show {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        let template = format!("{verb} {{pos}} of {{len}} {noun} {{wide_bar}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Bar { bar }
    }

    /// The handle the fetch and apply stages report to.
    pub fn shared(&self) -> SharedProgress {
        Arc::new(Counter(self.bar.clone()))
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

struct Counter(ProgressBar);

impl Progress for Counter {
    fn add_total(&self, count: usize) {
        self.0.inc_length(u64::try_from(count).unwrap_or(u64::MAX));
    }

    fn advance(&self) {
        self.0.inc(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_text_on_a_terminal() {
        assert!(wanted(Format::Text, true));
        assert!(!wanted(Format::Text, false));
        assert!(!wanted(Format::Json, true));
        assert!(!wanted(Format::Markdown, true));
    }

    #[test]
    fn the_counter_follows_what_the_stages_report() {
        let bar = Bar::new(false, "Reading", "builds");
        let shared = bar.shared();
        shared.add_total(3);
        shared.add_total(2);
        shared.advance();
        assert_eq!(bar.bar.length(), Some(5));
        assert_eq!(bar.bar.position(), 1);
    }
}
