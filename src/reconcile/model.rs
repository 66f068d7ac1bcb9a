//! The canonical build: the one shape that both a build file and Zadig's detail response are
//! turned into (by `normalize`) so that `diff` can compare them field by field. Pure data, no I/O.
//!
//! Only what Zadig returns is modelled here; what it does not return (`infrastructure`,
//! `script_type`, code host names, parameter descriptions and choices, storages, labels,
//! annotations, privileged mode) is compared through [`DesiredCanonical::fingerprint`] and the
//! fingerprint in the live build's marker ([`LiveCanonical::ownership`]).
//! Set-like lists are `BTreeMap`s keyed by their identity, so order in the file or in Zadig's
//! answer never shows as a change and every output is deterministic.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use crate::reconcile::marker::Ownership;
use crate::reconcile::spec::{BuildKind, ServiceRef};

/// One build in the canonical model, on either side: its identity and its observable body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalBuild {
    pub project: String,
    pub name: String,
    pub body: CanonicalBody,
}

/// The desired side: a build from the files, with the fingerprint of its whole spec (the
/// fields Zadig does not return included), which its marker will carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredCanonical {
    pub build: CanonicalBuild,
    pub fingerprint: String,
}

/// The live side: a build as Zadig returned it, with whose it is (read from its marker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCanonical {
    pub build: CanonicalBuild,
    pub ownership: Ownership,
}

impl CanonicalBuild {
    /// The same build with every field unset: what a create starts from.
    pub fn blank_like(&self) -> Self {
        let body = match self.body {
            CanonicalBody::Custom(_) => CanonicalBody::Custom(CanonicalCustom::default()),
            CanonicalBody::Template(_) => CanonicalBody::Template(CanonicalTemplate::default()),
        };
        CanonicalBuild {
            project: self.project.clone(),
            name: self.name.clone(),
            body,
        }
    }

    pub fn kind(&self) -> BuildKind {
        match self.body {
            CanonicalBody::Custom(_) => BuildKind::Custom,
            CanonicalBody::Template(_) => BuildKind::Template,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "two values per build, short-lived; boxing would only add noise to every match"
)]
pub enum CanonicalBody {
    Custom(CanonicalCustom),
    Template(CanonicalTemplate),
}

/// The observable part of a custom build. `Default` is a build with nothing set, which a
/// create's fields are listed against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CanonicalCustom {
    /// The basic image label (`build_os` in the file, `build_env.basic_image_label` live).
    pub build_os: String,
    /// Tool name → version.
    pub installs: BTreeMap<String, String>,
    /// The script without zadig-sync's marker line.
    pub build_script: String,
    pub repos: BTreeMap<RepoKey, CanonicalRepo>,
    pub parameters: BTreeMap<String, CanonicalParameter>,
    pub services: BTreeSet<ServiceRef>,
    pub docker_build: Option<CanonicalDockerBuild>,
    pub advanced: CanonicalAdvanced,
    /// `advanced_settings.outputs`, without the `IMAGE` and `PKG_FILE` Zadig puts in front.
    pub outputs: Vec<String>,
}

/// A template build: the template, its services, and per service the repos and inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CanonicalTemplate {
    pub template_name: String,
    pub targets: BTreeMap<ServiceRef, CanonicalTarget>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CanonicalTarget {
    pub repos: BTreeMap<RepoKey, CanonicalRepo>,
    /// Desired side: the file's inputs. Live side: the template-merged parameters, which hold
    /// only keys the template defines.
    pub inputs: BTreeMap<String, CanonicalParameter>,
}

/// A repository's identity, `namespace/name` in paths.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoKey {
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for RepoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// What Zadig returns of a repository (not the code host name, commit or PRs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CanonicalRepo {
    pub branch: String,
    pub remote_name: String,
    pub checkout_path: String,
    pub submodules: bool,
}

/// A parameter (custom builds) or template input: the value Zadig stores, its type (`""` when
/// none) and whether it is a credential. The value may be a secret: never print it unless
/// `is_credential` is false on both sides of a comparison.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CanonicalParameter {
    pub kind: String,
    pub value: String,
    pub is_credential: bool,
}

/// Redacts a credential's value, so that a debug log of a canonical build holds no secret.
impl fmt::Debug for CanonicalParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.is_credential {
            "(sensitive)"
        } else {
            self.value.as_str()
        };
        f.debug_struct("CanonicalParameter")
            .field("kind", &self.kind)
            .field("value", &value)
            .field("is_credential", &self.is_credential)
            .finish()
    }
}

/// `docker_build_step` as Zadig stores it, under the file's field names: paths trimmed, and
/// only the field of the chosen source kept (`dockerfile_directory` for `local`,
/// `template_name` for `template`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CanonicalDockerBuild {
    pub dockerfile_source: String,
    pub build_context_dir: String,
    pub dockerfile_directory: String,
    pub template_name: String,
    pub build_args: String,
    pub enable_buildkit: bool,
    pub platforms: String,
}

/// `advanced_settings` as Zadig returns it. `None` means "whatever Zadig chose": a file without
/// `advanced_settings` gets the local cluster and its default strategy, whose names a client
/// cannot know in advance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CanonicalAdvanced {
    pub timeout: i64,
    pub cluster_name: Option<String>,
    pub strategy_name: Option<String>,
    pub resource_spec: CanonicalResourceSpec,
    pub cache_enabled: bool,
    /// Compared only while the file enables the cache: a directory of a disabled cache is unused.
    pub cache_dir: String,
    pub use_host_docker_daemon: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CanonicalResourceSpec {
    pub cpu_limit: i64,
    pub memory_limit: i64,
    pub cpu_req: i64,
    pub memory_req: i64,
    pub gpu_limit: String,
}

impl CanonicalResourceSpec {
    /// What Zadig stores when `advanced_settings` is omitted (`docs/zadig-api.md` §3).
    pub fn zadig_default() -> Self {
        CanonicalResourceSpec {
            cpu_limit: 1000,
            memory_limit: 512,
            ..CanonicalResourceSpec::default()
        }
    }
}

/// Zadig's timeout, in minutes, when `advanced_settings` is omitted.
pub const DEFAULT_TIMEOUT: i64 = 60;
