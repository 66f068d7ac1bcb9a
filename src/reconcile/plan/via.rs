//! Where a planned value was written, when not in the build's own file: each field change of
//! a build that inherits from defaults files (`_defaults.yaml`) says which one gave the new
//! value ("via builds.d/shop/_defaults.yaml"), so that a change of one default, which updates
//! every build below it, reads as one cause. Pure, no I/O.

use std::collections::HashMap;

use crate::reconcile::desired::{DesiredSet, Inherited};
use crate::reconcile::plan::Step;

/// Fills in `via` on the changes of every step whose build inherits the changed field.
pub fn trace(steps: &mut [Step], desired: &DesiredSet) {
    if !desired.has_inherited() {
        return;
    }
    let inherited: HashMap<(&str, &str), &Inherited> = desired
        .builds
        .iter()
        .filter(|build| !build.inherited.is_empty())
        .map(|build| {
            let key = (build.spec.project_key(), build.spec.name());
            (key, &build.inherited)
        })
        .collect();
    for step in steps.iter_mut() {
        let key = (step.build.project.as_str(), step.build.name.as_str());
        let Some(fields) = inherited.get(&key) else {
            continue;
        };
        for change in &mut step.changes {
            change.via = fields
                .source_of(&change.path)
                .map(|file| file.display().to_string());
        }
    }
}
