//! The one place every attempt of every request to Zadig passes, for whoever counts them (the
//! daemon's `/metrics`, tests): [`RequestObserver`], set on [`ClientConfig`](super::ClientConfig),
//! is told the route, method, status (or that no answer came) and elapsed time of each
//! attempt, retries included. Never a URL, a body or a header: nothing secret can reach it.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};

/// Which of Zadig's six build routes a request is for (`docs/zadig-api.md` §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    List,
    Detail,
    Create,
    Update,
    UpdateTemplate,
    Delete,
}

impl Route {
    /// A stable label, e.g. for a metric.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::List => "list",
            Route::Detail => "detail",
            Route::Create => "create",
            Route::Update => "update",
            Route::UpdateTemplate => "update_template",
            Route::Delete => "delete",
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attempt, as an observer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub route: Route,
    pub method: Method,
    /// `None` when no answer came (connection failure, timeout, body over the limit).
    pub status: Option<StatusCode>,
    /// 1 for the first attempt of a request.
    pub attempt: u32,
    pub elapsed: Duration,
}

/// Told about every attempt. Called on the task that sent the request: keep it quick.
pub trait RequestObserver: Send + Sync + fmt::Debug {
    fn observe(&self, observation: &Observation);
}
