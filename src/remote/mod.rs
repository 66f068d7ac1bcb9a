//! The typed client for Zadig's build routes: the only module that talks HTTP to Zadig.
//!
//! `ZadigClient` offers the six routes of `docs/zadig-api.md` (list with paging, detail, detail
//! per target service, create, update, delete) and hides Zadig's quirks behind them: template
//! builds are updated through `PUT /openapi/build/{name}/template`, never the buggy
//! `PUT ?source=template`; a list that disagrees with its `total` is an error; a create that was
//! retried and then answered "same name" is checked by reading the build back. Does I/O.

pub mod config;
pub mod error;
pub mod fetch;
pub mod paging;
pub mod progress;
pub mod retry;
pub mod tasks;
mod transport;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use reqwest::Method;
use serde::de::DeserializeOwned;

pub use config::{ClientConfig, ConfigError, Token, TokenOrigin, resolve_token};
pub use error::{Call, RemoteError, Subject, ZadigMessage, ZadigText};
pub use paging::BuildListing;
pub use retry::RetryPolicy;

use crate::reconcile::spec::{BuildSpec, ServiceRef};
use crate::reconcile::wire;
use paging::{Next, PageCollector};
use transport::{Answer, Outgoing, Transport};

/// Builds per list page: large enough that most projects are one request (Zadig has no
/// maximum page size), small enough to keep one answer modest.
pub const LIST_PAGE_SIZE: u32 = 100;

/// A client of one Zadig server. Cheap to clone into tasks: clones share one connection pool
/// and one set of rate and concurrency limits.
#[derive(Clone)]
pub struct ZadigClient {
    transport: Arc<Transport>,
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
        Ok(ZadigClient {
            transport: Arc::new(Transport::new(&config)?),
        })
    }

    /// Every build of `project`, all pages. Fails with `RemoteError::IncompleteList` when the
    /// pages disagree with Zadig's `total`: such a list must not drive deletions.
    pub async fn list_builds(&self, project: &str) -> Result<BuildListing, RemoteError> {
        let mut collector = PageCollector::new(project, LIST_PAGE_SIZE);
        let page_size = LIST_PAGE_SIZE.to_string();
        let mut page = 1;
        loop {
            let page_number = page.to_string();
            let query = [
                ("projectKey", project),
                ("pageNum", page_number.as_str()),
                ("pageSize", page_size.as_str()),
            ];
            let url = self.transport.url(&[], &query);
            let subject = Subject::Project {
                project: project.to_owned(),
            };
            let response: wire::ListResponse = self.read(url, subject).await?;
            match collector.add(response)? {
                Next::Done => return Ok(collector.finish()),
                Next::Page(next) => page = next,
            }
        }
    }

    /// The detail of one build. A build that does not exist is `RemoteError::NotFound`.
    /// For a template build, repos and parameters are empty here: see `get_build_target`.
    pub async fn get_build(
        &self,
        project: &str,
        name: &str,
    ) -> Result<wire::DetailResponse, RemoteError> {
        let url = self
            .transport
            .url(&[name, "detail"], &[("projectKey", project)]);
        self.read(url, build_subject(project, name)).await
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
        self.read(url, build_subject(project, name)).await
    }

    /// Creates a build: `POST /openapi/build`, or `?source=template` for a template build.
    /// A name taken anywhere on the server is `RemoteError::NameTaken`, naming its project.
    pub async fn create_build(&self, spec: &BuildSpec) -> Result<(), RemoteError> {
        let project = spec.project_key();
        let query: &[(&str, &str)] = match spec {
            BuildSpec::Custom(_) => &[("projectKey", project)],
            BuildSpec::Template(_) => &[("source", "template"), ("projectKey", project)],
        };
        let url = self.transport.url(&[], query);
        let answer = self.write(Method::POST, url, spec).await?;
        match answer_to_result(answer) {
            Err((error, attempts)) if attempts > 1 && is_name_taken(&error) => {
                self.confirm_earlier_create(spec, error).await
            }
            other => other.map_err(|(error, _)| error),
        }
    }

    /// Replaces a build (Zadig's PUT is a full replace): `PUT /openapi/build` for custom builds,
    /// `PUT /openapi/build/{name}/template` for template builds.
    pub async fn update_build(&self, spec: &BuildSpec) -> Result<(), RemoteError> {
        let query = [("projectKey", spec.project_key())];
        let url = match spec {
            BuildSpec::Custom(_) => self.transport.url(&[], &query),
            BuildSpec::Template(_) => self.transport.url(&[spec.name(), "template"], &query),
        };
        let answer = self.write(Method::PUT, url, spec).await?;
        answer_to_result(answer).map_err(|(error, _)| error)
    }

    /// Deletes a build. Zadig answers success for a build that does not exist.
    pub async fn delete_build(&self, project: &str, name: &str) -> Result<(), RemoteError> {
        let url = self
            .transport
            .url(&[], &[("name", name), ("projectKey", project)]);
        let answer = self
            .transport
            .send(Outgoing {
                method: Method::DELETE,
                url,
                subject: build_subject(project, name),
                body: None,
            })
            .await?;
        answer_to_result(answer).map_err(|(error, _)| error)
    }

    async fn read<T: DeserializeOwned>(
        &self,
        url: url::Url,
        subject: Subject,
    ) -> Result<T, RemoteError> {
        let answer = self
            .transport
            .send(Outgoing {
                method: Method::GET,
                url,
                subject,
                body: None,
            })
            .await?;
        if !answer.status.is_success() {
            return Err(error::classify(
                answer.call,
                answer.status,
                &answer.body,
                answer.attempts,
            ));
        }
        serde_json::from_slice(&answer.body).map_err(|source| RemoteError::Decode {
            call: Box::new(answer.call),
            status: answer.status,
            source,
        })
    }

    /// Sends a create or update body. Both may be repeated: PUT is idempotent, and a repeated
    /// POST is checked by `create_build`.
    async fn write(
        &self,
        method: Method,
        url: url::Url,
        spec: &BuildSpec,
    ) -> Result<Answer, RemoteError> {
        let subject = build_subject(spec.project_key(), spec.name());
        let body = serde_json::to_vec(spec).map_err(|source| RemoteError::Encode {
            subject: subject.clone(),
            source,
        })?;
        self.transport
            .send(Outgoing {
                method,
                url,
                subject,
                body: Some(&body),
            })
            .await
    }

    /// A create was sent more than once and the last attempt found the name taken: if the
    /// build now exists in this project and holds what was sent, an earlier attempt created it.
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

fn answer_to_result(answer: Answer) -> Result<(), (RemoteError, u32)> {
    if answer.status.is_success() {
        return Ok(());
    }
    let attempts = answer.attempts;
    Err((
        error::classify(answer.call, answer.status, &answer.body, attempts),
        attempts,
    ))
}

fn is_name_taken(error: &RemoteError) -> bool {
    matches!(error, RemoteError::NameTaken { .. })
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
