//! The six build routes, each in Zadig's order of checks: bind (400, empty body) →
//! permission (403, empty body) → `Validate()` (400 JSON) → licence (template routes) →
//! service logic. Writes the state file after each change.

use std::path::PathBuf;

use axum::http::StatusCode;
use tokio::sync::Mutex;

use super::Edition;
use super::access::{BUILD_CREATE, BUILD_DELETE, BUILD_VIEW, Caller, ENV_EDIT_CONFIG};
use super::clock::Clock;
use super::convert::{self, LookupError};
use super::model::BuildDoc;
use super::render::{self, RenderError, ServiceFilter};
use super::reply::{Code, Reply};
use super::request::{CustomBuildRequest, TemplateBuildRequest};
use super::response::{ListResponse, SUCCESS};
use super::router::Query;
use super::seeds::Seeds;
use super::store::Store;
use super::template;

/// The emulated Zadig: seeds, edition and the build store behind one lock.
#[derive(Debug)]
pub struct Api {
    pub seeds: Seeds,
    pub edition: Edition,
    pub store: Mutex<Store>,
    pub state_path: Option<PathBuf>,
    /// Stamps `update_time`; moved forward by `POST /_emulator/clock`.
    pub clock: Clock,
}

/// Every handler's early exits are replies; this keeps the check order readable with `?`.
type Step<T> = Result<T, Reply>;

fn bad_body() -> Reply {
    Reply::Empty(StatusCode::BAD_REQUEST)
}

fn forbidden() -> Reply {
    Reply::Empty(StatusCode::FORBIDDEN)
}

fn require(allowed: bool) -> Step<()> {
    if allowed { Ok(()) } else { Err(forbidden()) }
}

fn stamp(build: &mut BuildDoc, caller: Caller<'_>, now: i64) {
    build.update_by = caller.name().to_owned();
    build.update_time = now;
}

fn duplicate(existing: &BuildDoc) -> Reply {
    Reply::error(
        Code::CreateBuild,
        format!(
            "{}项目中有相同的构建名称存在,请检查!",
            existing.product_name
        ),
    )
}

fn internal(error: LookupError) -> Reply {
    Reply::Internal(error.description)
}

/// Bind, then permission: create and update both need `Build.Create` (not `Build.Edit`).
fn bind_custom(caller: Caller<'_>, body: &[u8]) -> Step<CustomBuildRequest> {
    let request = CustomBuildRequest::bind(body).map_err(|_| bad_body())?;
    require(caller.may(&request.project_key, &[BUILD_CREATE]))?;
    Ok(request)
}

fn into_reply(step: Step<Reply>) -> Reply {
    step.unwrap_or_else(|reply| reply)
}

impl Api {
    /// POST `/openapi/build`: custom, or template with `?source=template`.
    pub async fn create(&self, caller: Caller<'_>, query: &Query, body: &[u8]) -> Reply {
        if query.get("source") == Some("template") {
            return self.create_from_template(caller, body).await;
        }
        into_reply(self.create_custom(caller, body).await)
    }

    async fn create_custom(&self, caller: Caller<'_>, body: &[u8]) -> Step<Reply> {
        let request = bind_custom(caller, body)?;
        let mut build = convert::custom_build(&self.seeds, &request)
            .map_err(|error| Reply::error(Code::CreateBuild, error.description))?;
        self.insert_new(caller, &mut build).await
    }

    /// Create's last steps for both kinds: trim the name, refuse a global duplicate, store.
    async fn insert_new(&self, caller: Caller<'_>, build: &mut BuildDoc) -> Step<Reply> {
        build.name = build.name.trim().to_owned();
        let mut store = self.store.lock().await;
        if let Some(existing) = store.find_any_project(&build.name) {
            return Err(duplicate(existing));
        }
        stamp(build, caller, self.clock.now_seconds());
        let build = build.clone();
        self.commit(&mut store, |store| store.insert(build)).await
    }

    /// POST `?source=template`, and PUT `?source=template` (Zadig's bug: it creates too).
    pub async fn create_from_template(&self, caller: Caller<'_>, body: &[u8]) -> Reply {
        into_reply(self.create_from_template_steps(caller, body).await)
    }

    async fn create_from_template_steps(&self, caller: Caller<'_>, body: &[u8]) -> Step<Reply> {
        let request = self.bind_template_request(caller, body)?;
        let mut build = template::template_build(&self.seeds, &request).map_err(internal)?;
        self.insert_new(caller, &mut build).await
    }

    /// The checks both template routes share, up to and including the licence.
    fn bind_template_request(&self, caller: Caller<'_>, body: &[u8]) -> Step<TemplateBuildRequest> {
        let request = TemplateBuildRequest::bind(body).map_err(|_| bad_body())?;
        require(caller.may(&request.project_key, &[BUILD_CREATE]))?;
        if request.target_services.is_empty() {
            return Err(Reply::error(
                Code::BadRequest,
                "target_service must have at least one item in it",
            ));
        }
        if self.edition == Edition::Oss {
            return Err(Reply::error(Code::Licence, ""));
        }
        Ok(request)
    }

    /// PUT `/openapi/build`: a full replace of a custom build (or `?source=template`: a create).
    pub async fn update(&self, caller: Caller<'_>, query: &Query, body: &[u8]) -> Reply {
        if query.get("source") == Some("template") {
            return self.create_from_template(caller, body).await;
        }
        into_reply(self.update_custom(caller, body).await)
    }

    async fn update_custom(&self, caller: Caller<'_>, body: &[u8]) -> Step<Reply> {
        let request = bind_custom(caller, body)?;
        let mut store = self.store.lock().await;
        let stored = store.find(&request.name, &request.project_key).ok_or_else(|| {
            Reply::error(
                Code::UpdateBuild,
                format!(
                    "failed to find build module, buildName: {}, projectName: {}, err: mongo: no documents in result",
                    request.name, request.project_key
                ),
            )
        })?;
        let mut build = convert::custom_build(&self.seeds, &request)
            .map_err(|error| Reply::error(Code::UpdateBuild, error.description))?;
        build.source = stored.source.clone();
        convert::keep_masked_values(&stored.pre_build.envs, &mut build.pre_build.envs);
        stamp(&mut build, caller, self.clock.now_seconds());
        self.commit(&mut store, |store| store.replace(build)).await
    }

    /// PUT `/openapi/build/:name/template`: `:name` and `?projectKey` are ignored.
    pub async fn update_from_template(&self, caller: Caller<'_>, body: &[u8]) -> Reply {
        into_reply(self.update_from_template_steps(caller, body).await)
    }

    async fn update_from_template_steps(&self, caller: Caller<'_>, body: &[u8]) -> Step<Reply> {
        let request = self.bind_template_request(caller, body)?;
        let mut store = self.store.lock().await;
        let mut build = store.find(&request.name, &request.project_key).cloned().ok_or_else(|| {
            Reply::error(
                Code::GetBuild,
                format!(
                    "failed to find build module, buildName:{}, projectName:{} err: mongo: no documents in result",
                    request.name, request.project_key
                ),
            )
        })?;
        let template =
            template::build_template(&self.seeds, &request.template_name).map_err(internal)?;
        // A merge onto the stored document with `targets` replaced; the rest stays.
        build.targets =
            template::template_targets(&self.seeds, template, &request).map_err(internal)?;
        build.template_id = template.id.clone();
        stamp(&mut build, caller, self.clock.now_seconds());
        self.commit(&mut store, |store| store.replace(build)).await
    }

    /// DELETE `/openapi/build?name=&projectKey=`: idempotent.
    pub async fn delete(&self, caller: Caller<'_>, query: &Query) -> Reply {
        let project = query.get("projectKey").unwrap_or_default();
        let name = query.get("name").unwrap_or_default();
        if !caller.may(project, &[BUILD_DELETE]) {
            return forbidden();
        }
        if name.is_empty() {
            return Reply::error(Code::BadRequest, "empty build name.");
        }
        // No services exist here, so the 6524 "referenced by services" refusal never happens.
        let mut store = self.store.lock().await;
        let in_project = Some(project).filter(|key| !key.is_empty());
        let deleted = self.commit(&mut store, |store| {
            store.delete(name, in_project);
        });
        into_reply(deleted.await)
    }

    /// GET `/openapi/build?projectKey=&pageNum=&pageSize=`.
    /// `extra_total` is an injected fault: a `total` that disagrees with the builds held.
    pub async fn list(&self, caller: Caller<'_>, query: &Query, extra_total: usize) -> Reply {
        into_reply(self.list_steps(caller, query, extra_total).await)
    }

    async fn list_steps(
        &self,
        caller: Caller<'_>,
        query: &Query,
        extra_total: usize,
    ) -> Step<Reply> {
        let project = query.get("projectKey").unwrap_or_default();
        if project.is_empty() {
            return Err(Reply::error(Code::BadRequest, "empty project key."));
        }
        // Zadig binds the query before it checks permission: a bad page number is a 400
        // even for a caller who may not list this project.
        let page_num = page_param(query, "pageNum", 1)?;
        let page_size = page_param(query, "pageSize", 20)?;
        require(caller.may(project, &[BUILD_VIEW, ENV_EDIT_CONFIG]))?;
        let store = self.store.lock().await;
        let builds: Vec<&BuildDoc> = store.in_project(project).collect();
        let page = page_of(&builds, page_num, page_size);
        Ok(Reply::json(ListResponse {
            total: builds.len() + extra_total,
            builds: page.iter().map(|build| render::listed(build)).collect(),
        }))
    }

    /// GET `/openapi/build/:name/detail?projectKey=&serviceName=&serviceModule=`.
    pub async fn detail(&self, caller: Caller<'_>, name: &str, query: &Query) -> Reply {
        let project = query.get("projectKey").unwrap_or_default();
        if project.is_empty() {
            return Reply::error(Code::BadRequest, "empty projectKey.");
        }
        if !caller.may(project, &[BUILD_VIEW]) {
            return forbidden();
        }
        let store = self.store.lock().await;
        let Some(build) = store.find(name, project) else {
            return Reply::error(Code::GetBuild, "mongo: no documents in result");
        };
        let service = ServiceFilter {
            service_name: query.get("serviceName").unwrap_or_default(),
            service_module: query.get("serviceModule").unwrap_or_default(),
        };
        match render::detail(&self.seeds, build, service) {
            Ok(detail) => Reply::json(detail),
            Err(error @ RenderError::ClusterMissing { .. }) => Reply::Internal(error.to_string()),
            Err(error @ RenderError::TemplateMissing { .. }) => {
                Reply::error(Code::GetBuild, error.to_string())
            }
        }
    }

    /// Empties the store (for `POST /_emulator/reset`).
    pub async fn reset(&self) -> Reply {
        let mut store = self.store.lock().await;
        into_reply(self.commit(&mut store, Store::clear).await)
    }

    /// Writes the state file, if any; called with the store still locked so writes stay ordered.
    /// Applies `change`, then writes the state file. When the file cannot be written the
    /// change is undone, so memory never holds what the file lost (a retry then behaves like
    /// the first attempt instead of meeting its own half-done write).
    pub async fn commit(&self, store: &mut Store, change: impl FnOnce(&mut Store)) -> Step<Reply> {
        let Some(path) = &self.state_path else {
            change(store);
            return Ok(Reply::json(SUCCESS));
        };
        let before = store.clone();
        change(store);
        if let Err(error) = store.save(path).await {
            *store = before;
            tracing::error!(error = %error, "emulator state not saved; the change is undone");
            return Err(Reply::Internal(error.to_string()));
        }
        Ok(Reply::json(SUCCESS))
    }
}

/// gin's `form:"…,default=N"` int64 binding: absent → default, empty → 0, not an integer → 400.
fn page_param(query: &Query, name: &str, default: i64) -> Step<i64> {
    match query.get(name) {
        None => Ok(default),
        Some("") => Ok(0),
        Some(text) => text.parse().map_err(|_| bad_body()),
    }
}

/// 1-based pages; a page number or size ≤ 0 means no paging at all.
fn page_of<T>(items: &[T], page_num: i64, page_size: i64) -> &[T] {
    if page_num <= 0 || page_size <= 0 {
        return items;
    }
    let size = usize::try_from(page_size).unwrap_or(usize::MAX);
    let skip = usize::try_from(page_num - 1)
        .unwrap_or(usize::MAX)
        .saturating_mul(size);
    let start = skip.min(items.len());
    let end = start.saturating_add(size).min(items.len());
    &items[start..end]
}

#[cfg(test)]
mod tests {
    use super::page_of;

    #[test]
    fn pages_start_at_one_and_non_positive_values_mean_everything() {
        let items = [1, 2, 3, 4, 5];
        assert_eq!(page_of(&items, 1, 2), [1, 2]);
        assert_eq!(page_of(&items, 3, 2), [5]);
        assert_eq!(page_of(&items, 4, 2), [] as [i32; 0]);
        assert_eq!(page_of(&items, 0, 2), items);
        assert_eq!(page_of(&items, 1, 0), items);
        assert_eq!(page_of(&items, i64::MAX, i64::MAX), [] as [i32; 0]);
    }
}
