//! The typed client for Zadig's build routes: the only module that talks HTTP to Zadig.
//!
//! `ZadigClient` offers the six routes of `docs/zadig-api.md` (list with paging, detail, detail
//! per target service, create, update, delete) and hides Zadig's quirks behind them: template
//! builds are updated through `PUT /openapi/build/{name}/template`, never the buggy
//! `PUT ?source=template`; a list that disagrees with its `total` is an error; a detail that
//! names another build is an error; a create answered "same name" in its own project is checked
//! by reading the build back (and keeps deletions out of that project for the run). Does I/O.

mod classify;
pub mod config;
pub mod error;
pub mod fetch;
mod list;
pub mod observe;
pub mod paging;
pub mod progress;
#[cfg(test)]
mod properties;
pub mod retry;
pub mod run;
pub mod tasks;
mod transport;
pub mod zadig_text;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use reqwest::Method;
use serde::de::DeserializeOwned;

pub use config::{ClientConfig, ConfigError, Token, TokenOrigin, resolve_token};
pub use error::{Call, Context, Kind, RemoteError, Subject};
pub use observe::{Observation, RequestObserver, Route};
pub use paging::BuildListing;
pub use retry::RetryPolicy;
pub use run::{Stop, StopReason};
pub use zadig_text::{ZadigMessage, ZadigText};

use crate::reconcile::spec::{BuildSpec, ServiceRef};
use crate::reconcile::wire;
use run::RunGuard;
use transport::{Answer, Outgoing, Transport};

/// Builds per list page: most projects are one request (Zadig has no maximum page size), and
/// an answer stays well within `--max-body-size` (a listed build is about 200 bytes).
pub const LIST_PAGE_SIZE: u32 = 1_000;

/// A client of one Zadig server. Cheap to clone into tasks: clones share one connection pool,
/// one set of rate and concurrency limits, and one run (breaker, deadline: see `run.rs`).
#[derive(Clone)]
pub struct ZadigClient {
    transport: Arc<Transport>,
    run: Arc<RunGuard>,
    /// Builds asked for per list page.
    page_size: u32,
}

impl fmt::Debug for ZadigClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZadigClient")
            .field("base", &self.transport.url(&[], &[]).as_str())
            .finish_non_exhaustive()
    }
}

impl ZadigClient {
    /// Checks the URL (and the plain-http rule), reads the CA file, sets up the limits.
    pub fn new(config: ClientConfig) -> Result<Self, ConfigError> {
        let transport = Transport::new(&config)?;
        let run = Arc::new(transport.new_run());
        Ok(ZadigClient {
            transport: Arc::new(transport),
            run,
            page_size: config.list_page_size.max(1),
        })
    }

    /// A client for a new run (a daemon's next pass): same connections and limits, a closed
    /// breaker, a full deadline and no disproved list.
    pub fn new_run(&self) -> Self {
        ZadigClient {
            transport: self.transport.clone(),
            run: Arc::new(self.transport.new_run()),
            page_size: self.page_size,
        }
    }

    /// Sends `token` from now on, in this run and every later one (a rotated token file).
    pub fn set_token(&self, token: &Token) -> Result<(), ConfigError> {
        self.transport.set_token(token)
    }

    /// Hides `values` (the `${env:…}` values of the files) from every error text read from
    /// Zadig from now on, in this run and every later one, however short each is; the token
    /// is always hidden.
    pub fn hide_in_errors(&self, values: &[String]) {
        self.transport.hide(values);
    }

    /// How many tasks a fan-out over builds keeps alive at once: as many as requests may be
    /// in flight (`--concurrency`). More would only wait for a slot while holding a request's
    /// state (several kilobytes each), which is what a long-running daemon's peak is made of.
    pub fn tasks_at_once(&self) -> usize {
        self.transport.concurrency().max(1)
    }

    /// Records that `project`'s list missed a build (a create found it existing): no deletion
    /// in that project is sent for the rest of the run (`Kind::ListDisproved`).
    pub fn disprove_list(&self, project: &str) {
        self.run.disprove_list(project);
    }

    /// The error that stopped this run (401, 403, an unreachable server, the deadline), to be
    /// reported once; every request after it failed with `Kind::Halted`.
    pub fn stopped(&self) -> Option<Stop> {
        self.run.stopped()
    }

    /// The detail of one build. A build that does not exist is `Kind::NotFound`.
    /// For a template build, repos and parameters are empty here: see `get_build_target`.
    pub async fn get_build(
        &self,
        project: &str,
        name: &str,
    ) -> Result<wire::DetailResponse, RemoteError> {
        let url = self
            .transport
            .url(&[name, "detail"], &[("projectKey", project)]);
        self.read_detail(url, project, name).await
    }

    /// The detail of a template build as one target service sees it: that target's repos and
    /// its inputs merged into the template's variables.
    pub async fn get_build_target(
        &self,
        project: &str,
        name: &str,
        service: &ServiceRef,
    ) -> Result<wire::DetailResponse, RemoteError> {
        let query = [
            ("projectKey", project),
            ("serviceName", service.service_name.as_str()),
            ("serviceModule", service.service_module.as_str()),
        ];
        let url = self.transport.url(&[name, "detail"], &query);
        self.read_detail(url, project, name).await
    }

    /// Creates a build: `POST /openapi/build`, or `?source=template` for a template build.
    /// A name taken anywhere on the server is `Kind::NameTaken`, naming its project.
    pub async fn create_build(&self, spec: &BuildSpec) -> Result<(), RemoteError> {
        let project = spec.project_key();
        let query: &[(&str, &str)] = match spec {
            BuildSpec::Custom(_) => &[("projectKey", project)],
            BuildSpec::Template(_) => &[("source", "template"), ("projectKey", project)],
        };
        let url = self.transport.url(&[], query);
        let answer = self.write(Method::POST, Route::Create, url, spec).await?;
        let retried = answer.attempts > 1;
        match answer_to_result(answer) {
            Err(error) if taken_in_own_project(&error, project) => {
                // The list of this project missed a build (or another run created it since):
                // either way no deletion in this project may rely on that list any more.
                self.run.disprove_list(project);
                self.confirm_earlier_create(spec, error).await
            }
            // A lost answer to an earlier attempt may have been ours whatever Zadig names.
            Err(error) if retried && matches!(error.kind(), Kind::NameTaken { .. }) => {
                self.confirm_earlier_create(spec, error).await
            }
            other => other,
        }
    }

    /// Replaces a build (Zadig's PUT is a full replace): `PUT /openapi/build` for custom builds,
    /// `PUT /openapi/build/{name}/template` for template builds.
    pub async fn update_build(&self, spec: &BuildSpec) -> Result<(), RemoteError> {
        let query = [("projectKey", spec.project_key())];
        let (route, url) = match spec {
            BuildSpec::Custom(_) => (Route::Update, self.transport.url(&[], &query)),
            BuildSpec::Template(_) => (
                Route::UpdateTemplate,
                self.transport.url(&[spec.name(), "template"], &query),
            ),
        };
        let answer = self.write(Method::PUT, route, url, spec).await?;
        answer_to_result(answer)
    }

    /// Deletes a build. Zadig answers success for a build that does not exist. Refused, with
    /// nothing sent, in a project whose list a create disproved during this run.
    pub async fn delete_build(&self, project: &str, name: &str) -> Result<(), RemoteError> {
        let url = self
            .transport
            .url(&[], &[("name", name), ("projectKey", project)]);
        let outgoing = Outgoing {
            method: Method::DELETE,
            route: Route::Delete,
            url,
            subject: build_subject(project, name),
            body: None,
        };
        if self.run.list_disproved(project) {
            return Err(RemoteError::new(outgoing.call(), Kind::ListDisproved));
        }
        let answer = self.transport.send(&self.run, outgoing).await?;
        answer_to_result(answer)
    }

    /// A detail answer, checked to be about the build asked for.
    async fn read_detail(
        &self,
        url: url::Url,
        project: &str,
        name: &str,
    ) -> Result<wire::DetailResponse, RemoteError> {
        let subject = build_subject(project, name);
        let (detail, call): (wire::DetailResponse, _) =
            self.read_with_call(Route::Detail, url, subject).await?;
        if detail.name != name || detail.project_key != project {
            let kind = Kind::WrongDetail {
                got_name: zadig_text::clip(&detail.name),
                got_project: zadig_text::clip(&detail.project_key),
            };
            return Err(RemoteError::new(call, kind));
        }
        Ok(detail)
    }

    async fn read_with_call<T: DeserializeOwned>(
        &self,
        route: Route,
        url: url::Url,
        subject: Subject,
    ) -> Result<(T, Call), RemoteError> {
        let (value, call, _) = self.read_dated(route, url, subject).await?;
        Ok((value, call))
    }

    /// [`Self::read_with_call`], with the answer's `Date` header.
    async fn read_dated<T: DeserializeOwned>(
        &self,
        route: Route,
        url: url::Url,
        subject: Subject,
    ) -> Result<(T, Call, Option<SystemTime>), RemoteError> {
        let outgoing = Outgoing {
            method: Method::GET,
            route,
            url,
            subject,
            body: None,
        };
        let answer = self.transport.send(&self.run, outgoing).await?;
        if !answer.status.is_success() {
            return Err(answer.into_error());
        }
        match serde_json::from_slice(&answer.body) {
            Ok(value) => Ok((value, answer.call, answer.date)),
            Err(source) => Err(RemoteError::answered(
                answer.call,
                Some(answer.status),
                answer.attempts,
                None,
                Kind::Decode(source),
            )),
        }
    }

    /// Sends a create or update body. Both may be repeated: PUT is idempotent, and a repeated
    /// POST is checked by `create_build`.
    async fn write(
        &self,
        method: Method,
        route: Route,
        url: url::Url,
        spec: &BuildSpec,
    ) -> Result<Answer, RemoteError> {
        let mut outgoing = Outgoing {
            method,
            route,
            url,
            subject: build_subject(spec.project_key(), spec.name()),
            body: None,
        };
        let body = serde_json::to_vec(spec)
            .map_err(|source| RemoteError::new(outgoing.call(), Kind::Encode(source)))?;
        outgoing.body = Some(&body);
        self.transport.send(&self.run, outgoing).await
    }

    /// A create found the name taken in its own project: if the build there holds what was
    /// sent, an earlier attempt of ours (a retry whose answer was lost) or an identical run
    /// at the same time created it, and the create is done. Anything else is a real conflict.
    async fn confirm_earlier_create(
        &self,
        spec: &BuildSpec,
        taken: RemoteError,
    ) -> Result<(), RemoteError> {
        match self.get_build(spec.project_key(), spec.name()).await {
            Ok(detail) if holds(&detail, spec) => {
                tracing::debug!(
                    build = spec.name(),
                    project = spec.project_key(),
                    "a retried create found its own earlier attempt"
                );
                Ok(())
            }
            _ => Err(taken),
        }
    }
}

fn build_subject(project: &str, name: &str) -> Subject {
    Subject::Build {
        project: project.to_owned(),
        name: name.to_owned(),
    }
}

fn answer_to_result(answer: Answer) -> Result<(), RemoteError> {
    if answer.status.is_success() {
        return Ok(());
    }
    Err(answer.into_error())
}

/// "Name taken", by a build of `project` itself (or of a project Zadig did not name, as in
/// the unique-index race): names are global, so another project's build is a move, not this.
fn taken_in_own_project(error: &RemoteError, project: &str) -> bool {
    match error.kind() {
        Kind::NameTaken { owner_project } => owner_project
            .as_deref()
            .is_none_or(|owner| owner == project),
        _ => false,
    }
}

/// Whether `detail` is the build `spec` would have created. The script of a custom build
/// carries the spec's fingerprint, so comparing it tells our build from someone else's.
fn holds(detail: &wire::DetailResponse, spec: &BuildSpec) -> bool {
    if detail.project_key != spec.project_key() {
        return false;
    }
    match spec {
        BuildSpec::Custom(custom) => {
            detail.template_name.is_empty() && detail.build_script == custom.build_script
        }
        // Services as a set: nothing promises Zadig keeps their order.
        BuildSpec::Template(template) => {
            let sent: BTreeSet<(&String, &String)> = template
                .target_services
                .iter()
                .map(|target| (&target.service_name, &target.service_module))
                .collect();
            let stored: BTreeSet<(&String, &String)> = detail
                .target_services
                .iter()
                .map(|service| (&service.service_name, &service.service_module))
                .collect();
            detail.template_name == template.template_name && stored == sent
        }
    }
}
