//! Changes to a YAML file's text, made as a person would make them: a scalar's text replaced
//! where it is written (in its spelling), new keys added to their mapping at its indentation
//! (after the sibling Zadig's docs put before them), new items after a list's last one, a
//! key or item deleted with its own comment lines; inside `{…}`/`[…]`, in flow style. Every
//! other byte stays. Pure, no I/O.

use crate::load::yaml::{Node, Value};
use crate::reconcile::export::scalar::double_quoted;
use crate::reconcile::pull::render::{Frag, Layout, block_at, inline, rank, respelled};
use crate::reconcile::pull::text::Text;

/// A mapping's entry or a list's item: the collection and the index in it.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'n> {
    pub parent: &'n Node,
    pub index: usize,
}

impl<'n> Slot<'n> {
    fn key(&self) -> Option<&'n Node> {
        self.parent.entries().get(self.index).map(|(key, _)| key)
    }

    fn value(&self) -> Option<&'n Node> {
        match &self.parent.value {
            Value::Map(entries) => entries.get(self.index).map(|(_, value)| value),
            Value::Seq(items) => items.get(self.index),
            _ => None,
        }
    }
}

/// One change to a document.
#[derive(Debug, Clone)]
pub enum Op<'n> {
    /// The scalar at the slot takes a new value.
    Set(Slot<'n>, Frag),
    /// The collection at the slot is replaced whole.
    Replace(Slot<'n>, Frag),
    /// The entry or item at the slot goes.
    Remove(Slot<'n>),
    /// A new key (a path of keys, when the mappings on the way are new too) in a mapping.
    Add {
        map: &'n Node,
        keys: Vec<String>,
        value: Frag,
    },
    /// A new last item of a list.
    Append { list: &'n Node, item: Frag },
}

/// A replacement of the bytes `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Why an operation could not be made into an edit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("it is written in a way pull does not edit ({0}); edit it by hand")]
    Unsupported(&'static str),
    #[error("it overlaps another change of the same file")]
    Overlap,
}

/// The edits that make `ops` in a file's text. Additions to one mapping are made together.
pub fn edits(text: &Text<'_>, layout: &Layout, ops: Vec<Op<'_>>) -> Result<Vec<Edit>, EditError> {
    let mut out = Vec::new();
    let mut additions: Vec<(&Node, Vec<(String, Frag)>)> = Vec::new();
    for op in ops {
        match op {
            Op::Set(slot, value) => out.push(set(text, layout, slot, &value)?),
            Op::Replace(slot, value) => out.push(replace(text, layout, slot, &value)?),
            Op::Remove(slot) => out.push(remove(text, slot)?),
            Op::Append { list, item } => out.push(append(text, layout, list, &item)?),
            Op::Add { map, keys, value } => {
                let at = match additions.iter().position(|(m, _)| std::ptr::eq(*m, map)) {
                    Some(at) => at,
                    None => {
                        additions.push((map, Vec::new()));
                        additions.len() - 1
                    }
                };
                merge_path(&mut additions[at].1, &keys, value);
            }
        }
    }
    for (map, entries) in additions {
        out.extend(add(text, layout, map, entries)?);
    }
    Ok(out)
}

/// `text` with `edits` made; they must not overlap (insertions at one place keep their order).
pub fn apply(text: &str, mut edits: Vec<Edit>) -> Result<String, EditError> {
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        if edit.start < at || edit.end > text.len() {
            return Err(EditError::Overlap);
        }
        out.push_str(&text[at..edit.start]);
        out.push_str(&edit.text);
        at = edit.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// `value` put at `keys` in a tree of new entries.
fn merge_path(entries: &mut Vec<(String, Frag)>, keys: &[String], value: Frag) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    if rest.is_empty() {
        entries.push((first.clone(), value));
        return;
    }
    if let Some((_, Frag::Map(inner))) = entries.iter_mut().find(|(k, _)| k == first) {
        merge_path(inner, rest, value);
        return;
    }
    let mut inner = Vec::new();
    merge_path(&mut inner, rest, value);
    entries.push((first.clone(), Frag::Map(inner)));
}

/// The column a mapping's keys are written at.
fn key_column(text: &Text<'_>, map: &Node) -> Option<usize> {
    map.entries()
        .first()
        .map(|(key, _)| text.column(key.span.start()))
}

/// Where the dash of a list item is.
fn dash_of(text: &Text<'_>, item: &Node) -> Option<usize> {
    text.text[..item.span.start()].rfind('-')
}

fn set(text: &Text<'_>, layout: &Layout, slot: Slot<'_>, value: &Frag) -> Result<Edit, EditError> {
    let node = (slot.value()).ok_or(EditError::Unsupported("no such value"))?;
    let flow = text.flow_open(slot.parent).is_some();
    let (start, end) = (node.span.start(), node.span.end());
    let parent_column = match slot.key() {
        Some(key) => text.column(key.span.start()),
        None => dash_of(text, node).map_or(0, |dash| text.column(dash)),
    };
    if let Some(header) = block_header(text, slot, node) {
        let block = (header, node);
        return Ok(set_block(text, layout, block, parent_column, value));
    }
    if let Some(written) = respelled(&text.text[start..end], value, flow) {
        return Ok(edit(start, end, written));
    }
    let Frag::Text(new) = value else {
        return Err(EditError::Unsupported("a value with line breaks"));
    };
    match block_at(new, parent_column + layout.indent, parent_column).filter(|_| !flow) {
        Some(block) => Ok(into_block(text, layout, node, &block)),
        None => Ok(edit(start, end, double_quoted(new))),
    }
}

/// A plain or single-quoted scalar that now has line breaks, as the literal block `block`:
/// the rest of its line (a comment) kept after the block's header. (Inside `{…}`/`[…]`, or
/// when a block could not read back exactly, it is double-quoted instead.)
fn into_block(text: &Text<'_>, layout: &Layout, node: &Node, block: &str) -> Edit {
    let end = node.span.end();
    let (header, lines) = block.split_once('\n').unwrap_or((block, ""));
    let after = text.rest_of_line(end);
    let replaced = format!("{header}{after}\n{lines}");
    edit(
        node.span.start(),
        text.next_line(end),
        layout.with_eol(replaced),
    )
}

/// Where a block scalar's `|`/`>` header is, when the value is one.
fn block_header(text: &Text<'_>, slot: Slot<'_>, node: &Node) -> Option<usize> {
    if !matches!(node.value, Value::Scalar(_)) {
        return None;
    }
    let after = match slot.key() {
        Some(key) => key.span.end(),
        None => dash_of(text, node)? + 1,
    };
    let between = text.text.get(after..node.span.start())?;
    let offset = between.find(['|', '>'])?;
    let before = between[..offset].trim_start_matches([':', ' ']);
    before.is_empty().then_some(after + offset)
}

/// A block scalar replaced: its header and lines, by a block at the same indentation or by
/// one line.
fn set_block(
    text: &Text<'_>,
    layout: &Layout,
    (header, node): (usize, &Node),
    parent_column: usize,
    value: &Frag,
) -> Edit {
    let keeps_trailing =
        text.text[header..].starts_with("|+") || text.text[header..].starts_with(">+");
    let end = if keeps_trailing {
        node.span.end()
    } else {
        text.end_of(node)
    };
    let content = text.column(node.span.start()).max(parent_column + 1);
    let written = match value {
        Frag::Text(new) if new.contains('\n') => block_at(new, content, parent_column)
            .unwrap_or_else(|| format!("{}\n", inline(value, false))),
        other => format!("{}\n", inline(other, false)),
    };
    let end = text.next_line(end);
    edit(header, end, layout.with_eol(written))
}

fn replace(
    text: &Text<'_>,
    layout: &Layout,
    slot: Slot<'_>,
    value: &Frag,
) -> Result<Edit, EditError> {
    let node = slot
        .value()
        .ok_or(EditError::Unsupported("no such value"))?;
    if text.flow_open(node).is_some() || text.flow_open(slot.parent).is_some() {
        let written = inline(value, true);
        return Ok(edit(node.span.start(), text.end_of(node), written));
    }
    let key = slot
        .key()
        .ok_or(EditError::Unsupported("a list in a list"))?;
    if !text.first_on_line(key.span.start()) {
        return Err(EditError::Unsupported("a list as a list item's first key"));
    }
    let key_text = key
        .text()
        .ok_or(EditError::Unsupported("a key that is not text"))?;
    let column = text.column(key.span.start());
    let start = text.line_start(key.span.start());
    let end = text.next_line(text.end_of(node));
    Ok(edit(start, end, layout.entry(key_text, value, column)))
}

fn remove(text: &Text<'_>, slot: Slot<'_>) -> Result<Edit, EditError> {
    let node = slot
        .value()
        .ok_or(EditError::Unsupported("no such value"))?;
    let start = match slot.key() {
        Some(key) => key.span.start(),
        None => dash_of(text, node).ok_or(EditError::Unsupported("an item without a dash"))?,
    };
    if text.flow_open(slot.parent).is_some() {
        let item_start = if slot.key().is_some() {
            start
        } else {
            node.span.start()
        };
        return Ok(remove_in_flow(text, item_start, text.end_of(node)));
    }
    if !text.first_on_line(start) {
        // A list item's first key: the next key moves up onto the dash's line.
        let next = (slot.parent.entries().get(slot.index + 1))
            .ok_or(EditError::Unsupported("the only key of a list item"))?;
        return Ok(edit(start, next.0.span.start(), String::new()));
    }
    let line = text.line_start(start);
    let begin = text.own_comments_start(line, text.column(start));
    Ok(edit(
        begin,
        text.next_line(text.end_of(node)),
        String::new(),
    ))
}

/// An entry or item of a flow collection removed with one of the commas around it.
fn remove_in_flow(text: &Text<'_>, start: usize, end: usize) -> Edit {
    let bytes = text.text.as_bytes();
    let mut after = end;
    while bytes.get(after).is_some_and(|b| *b == b' ') {
        after += 1;
    }
    if bytes.get(after) == Some(&b',') {
        after += 1;
        while bytes.get(after).is_some_and(|b| *b == b' ') {
            after += 1;
        }
        return edit(start, after, String::new());
    }
    let mut before = start;
    while before > 0 && bytes[before - 1] == b' ' {
        before -= 1;
    }
    if before > 0 && bytes[before - 1] == b',' {
        return edit(before - 1, end, String::new());
    }
    edit(start, end, String::new())
}

fn append(text: &Text<'_>, layout: &Layout, list: &Node, item: &Frag) -> Result<Edit, EditError> {
    if let Some(close) = text.flow_close(list) {
        let comma = if list.items().is_empty() { "" } else { ", " };
        return Ok(edit(close, close, format!("{comma}{}", inline(item, true))));
    }
    let last = list
        .items()
        .last()
        .ok_or(EditError::Unsupported("an empty list"))?;
    let dash = dash_of(text, last).ok_or(EditError::Unsupported("an item without a dash"))?;
    if !text.first_on_line(dash) {
        return Err(EditError::Unsupported("a list on a list item's line"));
    }
    let item_indent = (list.items().iter())
        .find_map(|item| {
            let (key, _) = item.entries().first()?;
            let dash = dash_of(text, item)?;
            text.column(key.span.start()).checked_sub(text.column(dash))
        })
        .unwrap_or(layout.item);
    let own = Layout {
        item: item_indent.max(2),
        ..*layout
    };
    let at = text.next_line(text.end_of(last));
    Ok(insertion(text, at, own.item(item, text.column(dash))))
}

/// New entries of `map`, each after the sibling that comes before it in Zadig's docs (else
/// after the last).
fn add(
    text: &Text<'_>,
    layout: &Layout,
    map: &Node,
    mut entries: Vec<(String, Frag)>,
) -> Result<Vec<Edit>, EditError> {
    entries.sort_by_key(|(key, _)| rank(key));
    if let Some(close) = text.flow_close(map) {
        let new: Vec<String> = (entries.iter())
            .map(|(k, v)| format!("{k}: {}", inline(v, true)))
            .collect();
        let comma = if map.entries().is_empty() { "" } else { ", " };
        return Ok(vec![edit(
            close,
            close,
            format!("{comma}{}", new.join(", ")),
        )]);
    }
    let column = key_column(text, map).ok_or(EditError::Unsupported("an empty mapping"))?;
    let existing = map.entries();
    let mut out = Vec::new();
    for (key, value) in entries {
        let before = (existing.iter().enumerate())
            .filter(|(_, (k, _))| k.text().is_some_and(|k| rank(k) <= rank(&key)))
            .map(|(index, _)| index)
            .next_back()
            .unwrap_or(existing.len() - 1);
        let at = text.next_line(text.end_of(&existing[before].1));
        out.push(insertion(text, at, layout.entry(&key, &value, column)));
    }
    Ok(out)
}

/// Lines inserted at `at`, after a line break the text may lack at its very end.
fn insertion(text: &Text<'_>, at: usize, lines: String) -> Edit {
    let needs_break = at == text.text.len() && !text.text.is_empty() && !text.text.ends_with('\n');
    let lines = if needs_break {
        format!("{}{lines}", text.eol)
    } else {
        lines
    };
    edit(at, at, lines)
}

fn edit(start: usize, end: usize, text: String) -> Edit {
    Edit { start, end, text }
}
