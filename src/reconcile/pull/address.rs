//! A plan path in the build file's terms (`advanced_settings.timeout`,
//! `repo_info[shop/billing].branch`, `target_services[api/api].inputs[JDK].value`) as the
//! steps that reach its field, and those steps followed through a tree: the YAML of the file
//! or the JSON of the spec `reconcile::export` makes of what Zadig has. List items are found
//! by their identity (a parameter by `key`, a repository by `namespace/name`, …), the way
//! `diff` names them, so an identity holding `.`, `/` or `]` still reads back. Pure, no I/O.

use crate::load::yaml::Node;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A mapping key.
    Field(String),
    /// The item of the list `list` whose identity is `id`.
    Item { list: String, id: String },
}

impl Step {
    /// The key this step reads in its mapping (the list's key for an item).
    pub fn key(&self) -> &str {
        match self {
            Step::Field(name) | Step::Item { list: name, .. } => name,
        }
    }
}

/// The lists whose items have an identity: the fields naming it, and the fields a path may
/// go on to after an item.
const KEYED_LISTS: [(&str, &[&str], &[&str]); 6] = [
    ("installs", &["name"], &["version"]),
    (
        "repo_info",
        &["repo_namespace", "repo_name"],
        &["branch", "remote_name", "checkout_path", "submodules"],
    ),
    (
        "parameters",
        &["key"],
        &["type", "default_value", "is_credential"],
    ),
    ("inputs", &["key"], &["type", "value", "is_credential"]),
    ("services", &["service_name", "service_module"], &[]),
    (
        "target_services",
        &["service_name", "service_module"],
        &["repo_info", "inputs"],
    ),
];

fn keyed_list(name: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    KEYED_LISTS
        .iter()
        .find(|(list, _, _)| *list == name)
        .map(|(_, identity, fields)| (*identity, *fields))
}

/// The steps of `path`; `None` when it is not a path `diff` writes.
pub fn parse(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    parse_into(path, None, &mut steps).then_some(steps)
}

/// Parses `rest` onto `steps`; `allowed`: the fields an item of the enclosing list may go on
/// to. Tries each `]` that can close an identity, shortest first, and keeps the first reading
/// whose remainder parses.
fn parse_into(rest: &str, allowed: Option<&[&str]>, steps: &mut Vec<Step>) -> bool {
    let end = rest.find(['.', '[']).unwrap_or(rest.len());
    let name = &rest[..end];
    if name.is_empty() || allowed.is_some_and(|fields| !fields.contains(&name)) {
        return false;
    }
    let after = &rest[end..];
    if after.is_empty() {
        steps.push(Step::Field(name.to_string()));
        return true;
    }
    if let Some(next) = after.strip_prefix('.') {
        steps.push(Step::Field(name.to_string()));
        return parse_into(next, None, steps) || undo(steps);
    }
    let Some((_, fields)) = keyed_list(name) else {
        return false;
    };
    let inside = &after[1..];
    for (close, _) in inside.match_indices(']') {
        let id = &inside[..close];
        let tail = &inside[close + 1..];
        steps.push(Step::Item {
            list: name.to_string(),
            id: id.to_string(),
        });
        if tail.is_empty() {
            return true;
        }
        if let Some(next) = tail.strip_prefix('.')
            && parse_into(next, Some(fields), steps)
        {
            return true;
        }
        steps.pop();
    }
    false
}

fn undo(steps: &mut Vec<Step>) -> bool {
    steps.pop();
    false
}

/// The plan path of `steps` (the inverse of [`parse`]).
pub fn display(steps: &[Step]) -> String {
    let mut path = String::new();
    for step in steps {
        if !path.is_empty() {
            path.push('.');
        }
        match step {
            Step::Field(name) => path.push_str(name),
            Step::Item { list, id } => path.push_str(&format!("{list}[{id}]")),
        }
    }
    path
}

/// A tree a path can be followed through.
pub trait Tree: Sized {
    fn field(&self, name: &str) -> Option<&Self>;
    fn list(&self) -> &[Self];
    /// The text of a scalar field, as an identity reads it.
    fn text_of(&self, name: &str) -> Option<String>;
}

impl Tree for Node {
    fn field(&self, name: &str) -> Option<&Node> {
        self.get(name)
    }

    fn list(&self) -> &[Node] {
        self.items()
    }

    fn text_of(&self, name: &str) -> Option<String> {
        self.get(name).and_then(Node::text).map(str::to_string)
    }
}

impl Tree for serde_json::Value {
    fn field(&self, name: &str) -> Option<&Self> {
        self.get(name)
    }

    fn list(&self) -> &[Self] {
        self.as_array().map_or(&[], Vec::as_slice)
    }

    fn text_of(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            serde_json::Value::String(text) => Some(text.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// The identity of an item of `list`, as `diff` writes it between brackets.
pub fn identity<T: Tree>(list: &str, item: &T) -> Option<String> {
    let (fields, _) = keyed_list(list)?;
    let parts: Option<Vec<String>> = fields.iter().map(|f| item.text_of(f)).collect();
    Some(parts?.join("/"))
}

/// One node reached while following a path: the node, and for an item its index in the list
/// (the list itself is the hop before).
#[derive(Debug)]
pub struct Hop<'t, T> {
    pub node: &'t T,
    pub item: Option<usize>,
}

/// Follows `steps` from `root` as far as the tree has them: a hop per step reached (an item
/// step takes two: the list, then the item). The last item of an identity counts, as in the
/// canonical model.
pub fn follow<'t, T: Tree>(root: &'t T, steps: &[Step]) -> Vec<Hop<'t, T>> {
    let mut hops = Vec::new();
    let mut at = root;
    for step in steps {
        let Some(value) = at.field(step.key()) else {
            break;
        };
        hops.push(Hop {
            node: value,
            item: None,
        });
        at = value;
        if let Step::Item { list, id } = step {
            let found = (value.list().iter().enumerate())
                .rev()
                .find(|(_, item)| identity(list, *item).as_deref() == Some(id.as_str()));
            let Some((index, item)) = found else {
                break;
            };
            hops.push(Hop {
                node: item,
                item: Some(index),
            });
            at = item;
        }
    }
    hops
}

/// How many steps `hops` (from [`follow`]) fully reached.
pub fn steps_reached(steps: &[Step], hops: usize) -> usize {
    let mut used = 0;
    for (index, step) in steps.iter().enumerate() {
        used += match step {
            Step::Field(_) => 1,
            Step::Item { .. } => 2,
        };
        if used > hops {
            return index;
        }
    }
    steps.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(list: &str, id: &str) -> Step {
        Step::Item {
            list: list.into(),
            id: id.into(),
        }
    }

    fn field(name: &str) -> Step {
        Step::Field(name.into())
    }

    #[test]
    fn paths_parse_into_steps_and_back() {
        for (path, steps) in [
            (
                "advanced_settings.resource_spec.cpu_limit",
                vec![
                    field("advanced_settings"),
                    field("resource_spec"),
                    field("cpu_limit"),
                ],
            ),
            (
                "repo_info[group/sub/app].branch",
                vec![item("repo_info", "group/sub/app"), field("branch")],
            ),
            ("parameters[a.b]", vec![item("parameters", "a.b")]),
            (
                "parameters[x].default_value].type",
                vec![item("parameters", "x].default_value"), field("type")],
            ),
            (
                "target_services[api/api].inputs[JDK].value",
                vec![
                    item("target_services", "api/api"),
                    item("inputs", "JDK"),
                    field("value"),
                ],
            ),
        ] {
            assert_eq!(parse(path), Some(steps.clone()), "{path}");
            assert_eq!(display(&steps), path);
        }
        assert_eq!(parse("build_os[x]"), None);
        assert_eq!(parse("installs[go].colour"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn a_path_is_followed_through_yaml_and_json_alike() {
        let yaml = crate::load::yaml::parse_documents(
            "repo_info:\n  - {repo_namespace: g/s, repo_name: a, branch: x}\n  - {repo_namespace: g, repo_name: s/a, branch: y}\n",
        )
        .expect("YAML")
        .remove(0);
        let steps = parse("repo_info[g/s/a].branch").expect("a path");
        let hops = follow(&yaml, &steps);
        assert_eq!(hops.len(), 3);
        assert_eq!(hops[1].item, Some(1), "the last item of that identity");
        assert_eq!(hops[2].node.text(), Some("y"));
        let json = serde_json::json!({"repo_info": [{"repo_namespace": "g", "repo_name": "b"}]});
        let hops = follow(&json, &steps);
        assert_eq!(hops.len(), 1);
        assert_eq!(steps_reached(&steps, hops.len()), 0);
        assert_eq!(steps_reached(&steps, 3), 2);
    }
}
