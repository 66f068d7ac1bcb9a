//! Where things are in a YAML file's text, in bytes: lines, columns, the end of a node with
//! everything under it, an entry's own comment lines, the brackets of a flow collection. What
//! `edit` needs to replace, insert and delete as a person would. Pure, no I/O.

use crate::load::yaml::{Node, Value};

/// A file's text and its line ending (`\r\n` when the file uses it).
#[derive(Debug, Clone, Copy)]
pub struct Text<'t> {
    pub text: &'t str,
    pub eol: &'static str,
}

impl<'t> Text<'t> {
    pub fn new(text: &'t str) -> Self {
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        Text { text, eol }
    }

    /// The start of the line holding `pos`.
    pub fn line_start(&self, pos: usize) -> usize {
        self.text[..pos].rfind('\n').map_or(0, |at| at + 1)
    }

    /// `pos` when it starts a line, else the start of the next line (the end of the text when
    /// there is none).
    pub fn next_line(&self, pos: usize) -> usize {
        if pos == 0 || self.text.as_bytes().get(pos - 1) == Some(&b'\n') {
            return pos;
        }
        self.text[pos..]
            .find('\n')
            .map_or(self.text.len(), |at| pos + at + 1)
    }

    /// The column of `pos`, in bytes from its line's start.
    pub fn column(&self, pos: usize) -> usize {
        pos - self.line_start(pos)
    }

    /// Whether only spaces come before `pos` on its line.
    pub fn first_on_line(&self, pos: usize) -> bool {
        self.text[self.line_start(pos)..pos]
            .bytes()
            .all(|b| b == b' ')
    }

    /// The start of the comment lines right above the line starting at `line`, written at
    /// `column`: they belong to the entry below them, and go with it.
    pub fn own_comments_start(&self, line: usize, column: usize) -> usize {
        let mut start = line;
        while start > 0 {
            let above = self.line_start(start - 1);
            let content = self.text[above..start].trim_end_matches(['\n', '\r']);
            let indent = content.len() - content.trim_start_matches(' ').len();
            if indent != column || !content[indent..].starts_with('#') {
                break;
            }
            start = above;
        }
        start
    }

    /// Where `node` and everything under it ends (keys included), before any blank lines
    /// that follow (a block scalar's text runs through them).
    pub fn end_of(&self, node: &Node) -> usize {
        if self.flow_open(node).is_some() {
            return self
                .flow_close(node)
                .map_or(node.span.end(), |close| close + 1);
        }
        let mut end = node.span.end();
        match &node.value {
            Value::Seq(items) => {
                for item in items {
                    end = end.max(self.end_of(item));
                }
            }
            Value::Map(entries) => {
                for (key, value) in entries {
                    end = end.max(key.span.end()).max(self.end_of(value));
                }
            }
            Value::Null | Value::Scalar(_) => {}
        }
        self.before_blank_lines(end)
    }

    /// `end` moved back over the blanks of its own line (a block scalar's text runs into the
    /// next line's indentation) and over whole lines of blanks just before it.
    fn before_blank_lines(&self, mut end: usize) -> usize {
        let start = self.line_start(end);
        if start < end && self.text[start..end].bytes().all(|b| b == b' ') {
            end = start;
        }
        while end > 0 && self.text.as_bytes().get(end - 1) == Some(&b'\n') {
            let start = self.line_start(end - 1);
            if start == 0 || !self.text[start..end].trim().is_empty() {
                break;
            }
            end = start;
        }
        end
    }

    /// The bracket (`{` or `[`) a flow collection starts with, when `node` is one.
    pub fn flow_open(&self, node: &Node) -> Option<u8> {
        let first = *self.text.as_bytes().get(node.span.start())?;
        let collection = matches!(node.value, Value::Map(_) | Value::Seq(_));
        (collection && node.span.end() > node.span.start() && matches!(first, b'{' | b'['))
            .then_some(first)
    }

    /// Where the closing bracket of the flow collection `node` is.
    pub fn flow_close(&self, node: &Node) -> Option<usize> {
        let close = match self.flow_open(node)? {
            b'{' => b'}',
            _ => b']',
        };
        let children_end = match &node.value {
            Value::Map(entries) => entries.last().map(|(_, v)| self.end_of(v)),
            Value::Seq(items) => items.last().map(|item| self.end_of(item)),
            _ => None,
        };
        let from = children_end.unwrap_or(node.span.start() + 1);
        let mut in_comment = false;
        for (at, byte) in self.text.bytes().enumerate().skip(from) {
            match byte {
                b'\n' => in_comment = false,
                _ if in_comment => {}
                b'#' => in_comment = true,
                b if b == close => return Some(at),
                b' ' | b'\t' | b'\r' | b',' => {}
                _ => return None,
            }
        }
        None
    }

    /// The text from `pos` to the end of its line, without the line ending.
    pub fn rest_of_line(&self, pos: usize) -> &'t str {
        let end = self.text[pos..]
            .find('\n')
            .map_or(self.text.len(), |at| pos + at);
        self.text[pos..end].trim_end_matches('\r')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse_documents;

    #[test]
    fn lines_columns_and_comments() {
        let text = "a: 1\n  # about b\n  # more\n  b: 2\nc: x # trailing\n";
        let t = Text::new(text);
        let b = text.find("b: 2").expect("b");
        assert_eq!(t.line_start(b), b - 2);
        assert_eq!(t.column(b), 2);
        assert!(t.first_on_line(b));
        assert_eq!(
            t.own_comments_start(b - 2, 2),
            text.find("  # about").expect("c")
        );
        assert_eq!(t.next_line(b), text.find("c: x").expect("c"));
        assert_eq!(t.rest_of_line(text.find("x #").expect("x")), "x # trailing");
        assert_eq!(Text::new("a\r\nb").eol, "\r\n");
    }

    #[test]
    fn a_node_ends_with_its_last_descendant_before_blank_lines() {
        let text = "a:\n  b: |\n    x\n\n  c: [1, {d: 2} ]\n\ne: 1\n";
        let doc = parse_documents(text).expect("YAML").remove(0);
        let t = Text::new(text);
        let a = doc.get("a").expect("a");
        let c = a.get("c").expect("c");
        assert_eq!(
            &text[..t.end_of(a)],
            "a:\n  b: |\n    x\n\n  c: [1, {d: 2} ]"
        );
        assert_eq!(t.flow_open(c), Some(b'['));
        assert_eq!(t.flow_close(c), text.rfind(']'));
        let b = a.get("b").expect("b");
        assert_eq!(&text[..t.end_of(b)], "a:\n  b: |\n    x\n");
        assert_eq!(t.flow_open(a), None);
    }
}
