//! YAML text → a tree of nodes that remember their line and column. The only module that
//! knows serde-saphyr, so a swap stays local. Pure, no I/O.
//!
//! Why a tree of our own rather than deserialising straight into `BuildSpec`: serde stops at
//! the first error, and the loader must report every problem at once, each at its node.
//! Scalars keep their source text, so `version: 1.20` stays `"1.20"` in a string field.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Options, Spanned};

use crate::load::refs::reference_offsets;

/// A 1-based place in a file: the document's own file, or a defaults file it inherits from.
/// Every YAML node holds one, so it is kept small: a file of at most 4 MiB has fewer lines
/// and columns than a `u32` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pos {
    /// Which file: [`FileId::OWN`] unless the node was inherited from a defaults file.
    pub file: FileId,
    pub line: u32,
    pub column: u32,
}

impl Pos {
    /// The first character of a file.
    pub const START: Pos = Pos {
        file: FileId::OWN,
        line: 1,
        column: 1,
    };

    /// A place in the document's own file.
    pub fn at(line: usize, column: usize) -> Pos {
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Pos {
            file: FileId::OWN,
            line: narrow(line),
            column: narrow(column),
        }
    }

    /// The line, as a count of lines.
    pub fn line(self) -> usize {
        widen(self.line)
    }

    /// The column, in characters.
    pub fn column(self) -> usize {
        widen(self.column)
    }
}

fn widen(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The file a node was written in, as the loader numbers them: the document's own file, or
/// one of the defaults files (`_defaults.yaml`) a build inherits values from. It rides on
/// every [`Pos`], so a problem found in a merged build is reported where its value was
/// written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

impl FileId {
    pub const OWN: FileId = FileId(0);

    pub fn is_own(self) -> bool {
        self == FileId::OWN
    }

    /// Where a defaults file is in the loader's list of them (file 1 first); `None` for the
    /// document's own file.
    pub fn defaults_index(self) -> Option<usize> {
        usize::try_from(self.0).ok()?.checked_sub(1)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    /// Each typed scalar keeps its source spelling, used when a string field receives it.
    Bool(bool, String),
    Int(i64, String),
    Float(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// Where a node's source text is in its file, in bytes: exactly the text of a scalar
/// (quotes included; a block scalar's lines, not its `|` header), only the start of a
/// collection (its first key or item, or its `[`/`{`). What in-place edits (`pull`) need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn start(self) -> usize {
        widen(self.start)
    }

    pub fn end(self) -> usize {
        widen(self.end)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    /// Its source text's bytes, in the file [`Pos::file`] names.
    pub span: Span,
    /// Set when `${env:…}`/`${file:…}` substitution wrote this value: messages must not show
    /// it, since it may be a secret (a token in an enum field would be quoted back).
    pub from_reference: bool,
    /// For a string holding `${env:…}`/`${file:…}` references: where each one starts in the
    /// file, in order (empty when they could not be placed; then the value's place is used).
    pub reference_places: Vec<Pos>,
}

impl Node {
    /// The text of a scalar, whatever YAML typed it as.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(
                Scalar::Str(s) | Scalar::Bool(_, s) | Scalar::Int(_, s) | Scalar::Float(s),
            ) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` when this node is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()
            .iter()
            .find(|(k, _)| k.text() == Some(key))
            .map(|(_, v)| v)
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Scalar(Scalar::Bool(b, _)) => Some(b),
            _ => None,
        }
    }

    /// Marks this node and everything under it as written in `file`.
    pub fn stamp(&mut self, file: FileId) {
        self.pos.file = file;
        for place in &mut self.reference_places {
            place.file = file;
        }
        match &mut self.value {
            Value::Seq(items) => items.iter_mut().for_each(|item| item.stamp(file)),
            Value::Map(entries) => entries.iter_mut().for_each(|(key, value)| {
                key.stamp(file);
                value.stamp(file);
            }),
            Value::Null | Value::Scalar(_) => {}
        }
    }

    /// What kind of YAML value this is, for messages.
    pub fn describe(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing (null)",
            Value::Scalar(Scalar::Str(_)) => "text",
            Value::Scalar(Scalar::Bool(..)) => "a boolean",
            Value::Scalar(Scalar::Int(..) | Scalar::Float(_)) => "a number",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A YAML error: its message and where it is (when the parser knows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub pos: Option<Pos>,
}

/// Deepest nesting accepted. Build files need about six levels; the cap keeps the recursive
/// deserialiser far from the end of a 2 MiB thread stack on hostile input.
const MAX_DEPTH: usize = 24;

/// Most nodes accepted in one file, aliases expanded: a large build file has a few hundred;
/// the cap stops "billion laughs" alias bombs early.
const MAX_NODES: usize = 20_000;

/// Most YAML documents (`---`) in one file: far more builds than one file should hold.
const MAX_DOCUMENTS: usize = 1_024;

fn options() -> Options {
    serde_saphyr::options! {
        strict_booleans: true,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_documents: MAX_DOCUMENTS,
            max_recorded_anchor_events: MAX_NODES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_NODES,
        },
        with_snippet: false,
    }
}

/// Parses every document of `text`; empty documents are skipped.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, SyntaxError> {
    let raw: Vec<Spanned<RawValue>> = serde_saphyr::from_str_multiple_with_options(text, options())
        .map_err(|error| SyntaxError {
            message: message_of(&error),
            pos: error.location().and_then(pos_of),
        })?;
    Ok(raw.into_iter().map(|doc| into_node(doc, text)).collect())
}

/// serde-saphyr's message without its ` at line L, column C…` tail (we print the place
/// ourselves) and without its advice to change parser options, which users cannot do.
fn message_of(error: &serde_saphyr::Error) -> String {
    if let serde_saphyr::Error::Budget { breach, .. } = error.without_snippet() {
        return limit_hit(breach);
    }
    let message = error.without_snippet().to_string();
    let message = message
        .find(" at line ")
        .map_or(&message[..], |at| &message[..at]);
    let message = message.replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    if message.starts_with("budget breached") || message.starts_with("recursion limit") {
        format!(
            "this YAML goes past the loader's limits ({MAX_DEPTH} levels of nesting, \
             {MAX_NODES} nodes with aliases expanded): {message}"
        )
    } else {
        message
    }
}

/// Names the one limit a file went past (documented in docs/file-format.md, "Limits").
fn limit_hit(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    let limit = match breach {
        B::Documents { .. } => format!("more than {MAX_DOCUMENTS} YAML documents"),
        B::Depth { .. } => format!("more than {MAX_DEPTH} levels of nesting"),
        B::Nodes { .. } => format!("more than {MAX_NODES} nodes"),
        B::AliasAnchorRatio { .. } | B::Aliases { .. } | B::Anchors { .. } => {
            format!("aliases expanding to more than {MAX_NODES} nodes")
        }
        other => format!("past a limit of the YAML reader ({other:?})"),
    };
    format!("this file has {limit}, the loader's limit for one file")
}

fn pos_of(location: Location) -> Option<Pos> {
    let line = usize::try_from(location.line()).ok()?;
    let column = usize::try_from(location.column()).ok()?;
    (line > 0).then_some(Pos::at(line, column))
}

fn into_node(raw: Spanned<RawValue>, text: &str) -> Node {
    let pos = pos_of(raw.referenced).unwrap_or(Pos::START);
    let span = span_of(raw.referenced);
    let source = source_text(raw.defined, text);
    let mut reference_places = Vec::new();
    let value = match raw.value {
        RawValue::Null => Value::Null,
        RawValue::Str(s) => {
            if s.contains("${") {
                reference_places = places_of_references(raw.defined, text, &s);
            }
            Value::Scalar(Scalar::Str(s))
        }
        RawValue::Bool(b) => {
            Value::Scalar(Scalar::Bool(b, source.unwrap_or_else(|| b.to_string())))
        }
        RawValue::Int(i) => Value::Scalar(Scalar::Int(i, source.unwrap_or_else(|| i.to_string()))),
        RawValue::Float(f) => Value::Scalar(Scalar::Float(source.unwrap_or_else(|| f.to_string()))),
        RawValue::Seq(items) => Value::Seq(items.into_iter().map(|n| into_node(n, text)).collect()),
        RawValue::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (into_node(k, text), into_node(v, text)))
                .collect(),
        ),
    };
    Node {
        value,
        pos,
        span,
        from_reference: false,
        reference_places,
    }
}

/// The byte span of a location, empty when the reader did not give one.
fn span_of(location: Location) -> Span {
    let span = location.span();
    let narrow = |n: Option<u64>| n.and_then(|n| u32::try_from(n).ok());
    match (narrow(span.byte_offset()), narrow(span.byte_len())) {
        (Some(start), Some(len)) => Span {
            start,
            end: start.saturating_add(len),
        },
        _ => Span::default(),
    }
}

/// The line and column of each reference in the source of a string scalar. A block scalar's
/// value starts lines below its key, and a second reference sits further along: each gets its
/// own place. Empty when the source and the value do not hold the same number of references
/// (a comment in a block header, escapes in a quoted string): the caller falls back to the
/// value's place rather than guess.
fn places_of_references(location: Location, text: &str, value: &str) -> Vec<Pos> {
    let span = location.span();
    let (Some(start), Some(len)) = (span.byte_offset(), span.byte_len()) else {
        return Vec::new();
    };
    let (Ok(start), Ok(len)) = (usize::try_from(start), usize::try_from(len)) else {
        return Vec::new();
    };
    let Some(source) = start.checked_add(len).and_then(|end| text.get(start..end)) else {
        return Vec::new();
    };
    let offsets = reference_offsets(source);
    if offsets.len() != reference_offsets(value).len() {
        return Vec::new();
    }
    offsets
        .into_iter()
        .map(|offset| pos_at(text, start + offset))
        .collect()
}

/// The 1-based line and column (in characters) of a byte offset.
fn pos_at(text: &str, offset: usize) -> Pos {
    let before = text.get(..offset).unwrap_or(text);
    let (line, column) = crate::load::files::line_and_column(before.as_bytes());
    Pos::at(line, column)
}

/// The source spelling of a scalar (`1.20`, `True`), from its byte span.
fn source_text(location: Location, text: &str) -> Option<String> {
    let span = location.span();
    let start = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len()?).ok()?;
    text.get(start..start.checked_add(len)?)
        .map(|s| s.trim().to_string())
}

/// What serde-saphyr hands us; turned into [`Node`] once positions are known.
enum RawValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawValue>>),
    Map(Vec<(Spanned<RawValue>, Spanned<RawValue>)>),
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_none<E>(self) -> Result<RawValue, E> {
        Ok(RawValue::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<RawValue, E> {
        Ok(RawValue::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<RawValue, E> {
        Ok(RawValue::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<RawValue, E> {
        Ok(i64::try_from(v).map_or(RawValue::Float(v as f64), RawValue::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<RawValue, E> {
        Ok(RawValue::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<RawValue, E> {
        Ok(RawValue::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<RawValue, E> {
        Ok(RawValue::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawValue::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(RawValue::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let mut docs = parse_documents(text).expect("parses");
        assert_eq!(docs.len(), 1);
        docs.remove(0)
    }

    #[test]
    fn scalars_keep_their_spelling_and_place() {
        let doc = one("# c\nversion: 1.20\nflag: yes\nok: True\nn: 007\n");
        assert_eq!(doc.get("version").and_then(Node::text), Some("1.20"));
        assert_eq!(doc.get("version").map(|n| n.pos), Some(Pos::at(2, 10)));
        // strict booleans: `yes` is text, `True` is a boolean.
        assert_eq!(doc.get("flag").map(|n| n.describe()), Some("text"));
        assert_eq!(doc.get("ok").and_then(Node::as_bool), Some(true));
        assert_eq!(doc.get("n").and_then(Node::text), Some("007"));
    }

    #[test]
    fn several_documents_and_empty_ones() {
        let docs = parse_documents("a: 1\n---\n---\nb: 2\n").expect("parses");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].entries()[0].0.pos, Pos::at(4, 1));
        assert!(parse_documents("").expect("parses").is_empty());
        assert!(
            parse_documents("# only a comment\n")
                .expect("parses")
                .is_empty()
        );
    }

    #[test]
    fn each_limit_is_named_when_it_is_the_one_hit() {
        let documents = vec!["a: 1"; MAX_DOCUMENTS + 1].join("\n---\n");
        let error = parse_documents(&documents).expect_err("too many documents");
        assert!(
            error
                .message
                .contains(&format!("more than {MAX_DOCUMENTS} YAML documents")),
            "{}",
            error.message
        );
        let nodes = (0..MAX_NODES)
            .map(|i| format!("k{i}: v\n"))
            .collect::<String>();
        let error = parse_documents(&nodes).expect_err("too many nodes");
        assert!(
            error
                .message
                .contains(&format!("more than {MAX_NODES} nodes")),
            "{}",
            error.message
        );
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        let error = parse_documents(&deep).expect_err("too deep");
        assert!(
            error.message.contains("levels of nesting"),
            "{}",
            error.message
        );
    }

    #[test]
    fn duplicate_keys_are_errors_with_their_place() {
        let error = parse_documents("a: 1\nb: 2\na: 3\n").expect_err("duplicate");
        assert_eq!(error.pos, Some(Pos::at(3, 1)));
        assert_eq!(error.message, "duplicate mapping key: a");
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let block = "- ".repeat(10_000) + "x\n";
        assert!(parse_documents(&block).is_err());
        let flow = "[".repeat(10_000);
        assert!(parse_documents(&flow).is_err());
    }
}
