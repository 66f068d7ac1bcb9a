//! For each field where Zadig and a build's file differ, what pull does: the operation on the
//! file's YAML that makes it say what Zadig has (set the value where it is written, add what
//! the file lacks, remove what Zadig no longer has), or why it leaves the field alone (a
//! reference, a credential, a value inherited from a defaults file, Zadig's mask, a value
//! export cannot write). Values come from the spec `reconcile::export` makes of the live
//! build, so they are in the file's terms. Pure, no I/O.

use serde_json::Value as Json;

use crate::load::refs::has_reference;
use crate::load::schema::BUILD_SCRIPT_FILE;
use crate::load::yaml::{Node, Value};
use crate::reconcile::desired::Inherited;
use crate::reconcile::diff::{Difference, UNOBSERVABLE_PATH};
use crate::reconcile::export::Inferred;
use crate::reconcile::pull::address::{Hop, Step, display, follow, parse, steps_reached};
use crate::reconcile::pull::edit::{Op, Slot};
use crate::reconcile::pull::render::frag;
use crate::reconcile::pull::{Skipped, Why};
use crate::reconcile::redact::Secrets;

/// What Zadig shows instead of a hidden value.
const MASK: &str = "********";

/// What deciding needs: the build's own document, what Zadig has as a file spec, and which
/// fields the build inherits.
pub struct Sides<'a> {
    pub doc: &'a Node,
    pub exported: &'a Json,
    pub inferred: &'a [Inferred],
    pub inherited: &'a Inherited,
    pub override_defaults: bool,
    /// What must never be written into a file: the `${env:…}` values and the token.
    pub secrets: &'a Secrets,
}

/// What was decided so far for one build.
#[derive(Default)]
pub struct Decided<'a> {
    pub ops: Vec<(String, Op<'a>)>,
    /// The new text of the build's `build_script_file` (its path as written, and the text).
    pub script: Option<(String, String)>,
    pub pulled: Vec<String>,
    pub skipped: Vec<Skipped>,
    /// Fields written with a value Zadig does not return, to be checked.
    pub written: Vec<Inferred>,
    /// Paths whose whole value an operation already writes (a new item, a removed mapping).
    covered: Vec<Vec<Step>>,
}

/// The operations for every difference between the live build and the file's.
pub fn decide<'a>(sides: &Sides<'a>, differences: &[Difference]) -> Decided<'a> {
    let mut decided = Decided::default();
    for difference in differences {
        let path = difference.path();
        if path == UNOBSERVABLE_PATH || path == "kind" {
            continue;
        }
        if let Err(why) = one(sides, &mut decided, difference) {
            decided.skipped.push(Skipped {
                path: path.to_string(),
                why,
            });
        }
    }
    decided
}

/// The hops of a path through a tree, read by step.
struct Reached<'t, T> {
    hops: Vec<Hop<'t, T>>,
    /// For each step, the index of the hop that is its node (an item step's item), and of
    /// its list for an item step.
    at: Vec<(usize, Option<usize>)>,
    /// How many steps were reached.
    steps: usize,
}

impl<'t, T: crate::reconcile::pull::address::Tree> Reached<'t, T> {
    fn of(root: &'t T, steps: &[Step]) -> Self {
        let hops = follow(root, steps);
        let mut at = Vec::with_capacity(steps.len());
        let mut next = 0;
        for step in steps {
            at.push(match step {
                Step::Field(_) => (next, None),
                Step::Item { .. } => (next + 1, Some(next)),
            });
            next += if matches!(step, Step::Item { .. }) {
                2
            } else {
                1
            };
        }
        let reached = steps_reached(steps, hops.len());
        Reached {
            hops,
            at,
            steps: reached,
        }
    }

    /// The node step `k` reaches (an item, for an item step).
    fn node(&self, k: usize) -> Option<&'t T> {
        let (hop, _) = self.at.get(k)?;
        self.hops.get(*hop).map(|hop| hop.node)
    }

    /// The list of item step `k`, when the list is there.
    fn list(&self, k: usize) -> Option<&'t T> {
        let (_, list) = self.at.get(k)?;
        self.hops.get((*list)?).map(|hop| hop.node)
    }

    /// The index of item step `k`'s item in its list.
    fn item_index(&self, k: usize) -> Option<usize> {
        let (hop, _) = self.at.get(k)?;
        self.hops.get(*hop)?.item
    }

    /// The node holding step `k`'s key: the root, or step `k - 1`'s node.
    fn parent(&self, k: usize, root: &'t T) -> Option<&'t T> {
        match k {
            0 => Some(root),
            k => self.node(k - 1),
        }
    }
}

fn one<'a>(
    sides: &Sides<'a>,
    decided: &mut Decided<'a>,
    difference: &Difference,
) -> Result<(), Why> {
    let path = difference.path();
    if matches!(difference, Difference::Credential { .. }) {
        return Err(Why::Credential);
    }
    let steps = parse(path).ok_or(Why::Unknown("not a field pull knows".into()))?;
    if decided.covered.iter().any(|c| steps.starts_with(c)) {
        decided.pulled.push(path.to_string());
        return Ok(());
    }
    if steps.last() == Some(&Step::Field("is_credential".into())) {
        return Err(Why::CredentialFlag);
    }
    if let Some(file) = sides.inherited.source_of(path) {
        if !sides.override_defaults {
            return Err(Why::Inherited(file.display().to_string()));
        }
        return override_default(sides, decided, path);
    }
    let live = Reached::of(sides.exported, &steps);
    refuse_unwritable(sides, &live, &steps, path)?;
    if path == "build_script"
        && let Some(file) = sides.doc.get(BUILD_SCRIPT_FILE)
    {
        return script_file(sides, decided, file, path);
    }
    edit_field(sides, decided, (&steps, &live), path)
}

/// The operation that makes the file say Zadig's value of the field at `steps`.
fn edit_field<'a>(
    sides: &Sides<'a>,
    decided: &mut Decided<'a>,
    (steps, live): (&[Step], &Reached<'_, Json>),
    path: &str,
) -> Result<(), Why> {
    let file = Reached::of(sides.doc, steps);
    let op = if live.steps < steps.len() {
        remove(sides, &file, steps, live.steps)?
    } else if file.steps < steps.len() {
        add(sides, decided, (&file, live), steps)?
    } else {
        set(sides, &file, live, steps)?
    };
    if let Some(item) = path.strip_suffix(".type") {
        // A type that takes choices: Zadig does not return a custom build's choices.
        let choices = format!("{item}.choice_option");
        let inferred = sides.inferred.iter().filter(|i| i.path == choices);
        decided.written.extend(inferred.cloned());
    }
    decided.ops.push((path.to_string(), op));
    decided.pulled.push(path.to_string());
    Ok(())
}

/// Zadig's value cannot be written in a file: its mask, or a value export flags.
fn refuse_unwritable(
    sides: &Sides<'_>,
    live: &Reached<'_, Json>,
    steps: &[Step],
    path: &str,
) -> Result<(), Why> {
    let value = live
        .node(steps.len() - 1)
        .filter(|_| live.steps == steps.len());
    if value == Some(&Json::String(MASK.into())) {
        return Err(Why::Mask);
    }
    match sides.inferred.iter().find(|i| i.path == path) {
        Some(inferred) => Err(Why::Unknown(inferred.reason.clone())),
        None => Ok(()),
    }
}

/// Both have the field: its value is set (a scalar) or replaced (a list such as `outputs`).
fn set<'a>(
    sides: &Sides<'a>,
    file: &Reached<'a, Node>,
    live: &Reached<'_, Json>,
    steps: &[Step],
) -> Result<Op<'a>, Why> {
    let last = steps.len() - 1;
    let node = file.node(last).ok_or(Why::NotFound)?;
    refuse_references(node)?;
    let value = live.node(last).ok_or(Why::NotFound)?;
    if holds_secret(value, sides.secrets) {
        return Err(Why::Secret);
    }
    let slot = slot(sides.doc, file, steps, last)?;
    Ok(match node.value {
        Value::Map(_) | Value::Seq(_) => Op::Replace(slot, frag(value)),
        _ => Op::Set(slot, frag(value)),
    })
}

/// Zadig no longer has the value from step `missing` on: that entry or item goes.
fn remove<'a>(
    sides: &Sides<'a>,
    file: &Reached<'a, Node>,
    steps: &[Step],
    missing: usize,
) -> Result<Op<'a>, Why> {
    if file.steps <= missing {
        return Err(Why::NotFound);
    }
    let mut slot = slot(sides.doc, file, steps, missing)?;
    if matches!(steps[missing], Step::Item { .. }) && slot.parent.items().len() == 1 {
        // The last item: the list goes with it.
        slot = key_slot(sides.doc, file, steps, missing)?;
    }
    Ok(Op::Remove(slot))
}

/// The file lacks the value from some step on: it is added, whole, from what Zadig has.
fn add<'a>(
    sides: &Sides<'a>,
    decided: &mut Decided<'a>,
    (file, live): (&Reached<'a, Node>, &Reached<'_, Json>),
    steps: &[Step],
) -> Result<Op<'a>, Why> {
    let missing = file.steps;
    let value = live.node(missing).ok_or(Why::NotFound)?;
    if holds_secret(value, sides.secrets) {
        return Err(Why::Secret);
    }
    let prefix = &steps[..=missing];
    let shown = display(prefix);
    decided.written.extend(
        (sides.inferred.iter())
            .filter(|i| i.path.starts_with(&shown))
            .cloned(),
    );
    decided.covered.push(prefix.to_vec());
    let parent = file.parent(missing, sides.doc).ok_or(Why::NotFound)?;
    match &steps[missing] {
        Step::Field(key) => Ok(Op::Add {
            map: mapping(parent)?,
            keys: vec![key.clone()],
            value: frag(value),
        }),
        Step::Item { list, .. } => match file.list(missing) {
            Some(items) if matches!(items.value, Value::Seq(_)) => Ok(Op::Append {
                list: items,
                item: frag(value),
            }),
            Some(_) => Err(Why::Unknown(format!("`{list}` is not a list in the file"))),
            None => Ok(Op::Add {
                map: mapping(parent)?,
                keys: vec![list.clone()],
                value: frag(&Json::Array(vec![value.clone()])),
            }),
        },
    }
}

fn mapping(node: &Node) -> Result<&Node, Why> {
    match node.value {
        Value::Map(_) => Ok(node),
        _ => Err(Why::Unknown(
            "its parent is not a mapping in the file".into(),
        )),
    }
}

/// The script lives in its own file: that file gets the new text.
fn script_file<'a>(
    sides: &Sides<'a>,
    decided: &mut Decided<'a>,
    file: &Node,
    path: &str,
) -> Result<(), Why> {
    let relative = file.text().ok_or(Why::NotFound)?;
    // No script from Zadig is not an empty one: the file is never emptied on a guess.
    let script = (sides.exported.get("build_script").and_then(Json::as_str))
        .ok_or_else(|| Why::Unknown("Zadig's answer holds no script".into()))?;
    if sides.secrets.redact(script) != script {
        return Err(Why::Secret);
    }
    decided.script = Some((relative.to_string(), script.to_string()));
    decided.pulled.push(path.to_string());
    Ok(())
}

/// With `--override-defaults`: the build file gets its own value of the field (`null` when
/// Zadig has none), as little of it as the merge needs: mappings merge key by key, so only
/// the keys down to the value; a list is inherited whole, so all of it.
fn override_default<'a>(
    sides: &Sides<'a>,
    decided: &mut Decided<'a>,
    path: &str,
) -> Result<(), Why> {
    let steps = mapping_keys(&parse(path).ok_or(Why::NotFound)?);
    if !decided.covered.iter().any(|c| steps.starts_with(c)) {
        let file = Reached::of(sides.doc, &steps);
        if file.steps == steps.len() {
            return Err(Why::NotFound);
        }
        let live = Reached::of(sides.exported, &steps);
        let found = live
            .node(steps.len() - 1)
            .filter(|_| live.steps == steps.len());
        let value = found.cloned().unwrap_or(Json::Null);
        if holds_secret(&value, sides.secrets) {
            return Err(Why::Secret);
        }
        let parent = file.parent(file.steps, sides.doc).ok_or(Why::NotFound)?;
        let keys = (steps[file.steps..].iter())
            .map(|s| s.key().to_string())
            .collect();
        let op = Op::Add {
            map: mapping(parent)?,
            keys,
            value: frag(&value),
        };
        decided.ops.push((path.to_string(), op));
        decided.covered.push(steps);
    }
    decided.pulled.push(path.to_string());
    Ok(())
}

/// The mapping keys down to a path's value, ending at the first list (a list is merged
/// whole).
fn mapping_keys(steps: &[Step]) -> Vec<Step> {
    let mut keys = Vec::new();
    for step in steps {
        keys.push(Step::Field(step.key().to_string()));
        if matches!(step, Step::Item { .. }) {
            break;
        }
    }
    keys
}

/// Where step `k`'s node sits: its mapping and key index, or its list and item index.
fn slot<'a>(
    doc: &'a Node,
    file: &Reached<'a, Node>,
    steps: &[Step],
    k: usize,
) -> Result<Slot<'a>, Why> {
    match &steps[k] {
        Step::Field(_) => key_slot(doc, file, steps, k),
        Step::Item { .. } => Ok(Slot {
            parent: file.list(k).ok_or(Why::NotFound)?,
            index: file.item_index(k).ok_or(Why::NotFound)?,
        }),
    }
}

/// The slot of step `k`'s key in its mapping (for an item step, its list's key).
fn key_slot<'a>(
    doc: &'a Node,
    file: &Reached<'a, Node>,
    steps: &[Step],
    k: usize,
) -> Result<Slot<'a>, Why> {
    let parent = file.parent(k, doc).ok_or(Why::NotFound)?;
    let key = steps[k].key();
    let index = (parent.entries().iter())
        .position(|(name, _)| name.text() == Some(key))
        .ok_or(Why::NotFound)?;
    Ok(Slot { parent, index })
}

/// Whether a value holds a secret's text anywhere: it is not written into a file.
fn holds_secret(value: &Json, secrets: &Secrets) -> bool {
    match value {
        Json::String(text) => secrets.redact(text) != text.as_str(),
        Json::Array(items) => items.iter().any(|item| holds_secret(item, secrets)),
        Json::Object(object) => object.values().any(|item| holds_secret(item, secrets)),
        _ => false,
    }
}

/// A value written as a reference (or holding one) is set where the reference points.
fn refuse_references(node: &Node) -> Result<(), Why> {
    match &node.value {
        Value::Map(entries) => entries.iter().try_for_each(|(_, v)| refuse_references(v)),
        Value::Seq(items) => items.iter().try_for_each(refuse_references),
        _ => match node.text() {
            Some(text) if has_reference(text) => Err(Why::Reference(text.to_string())),
            _ => Ok(()),
        },
    }
}
