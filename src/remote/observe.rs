//! A hook called once per request attempt sent to Zadig, for metrics: the method, the route
//! pattern (never a build name or a query, so label values stay few) and the status. It sees
//! no header, no body and no token. No I/O of its own.

use std::fmt;
use std::sync::Arc;

/// One attempt as the observer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRecord<'a> {
    pub method: &'a str,
    /// `/openapi/build`, `/openapi/build/:name/detail` or `/openapi/build/:name/template`.
    pub route: &'static str,
    /// The HTTP status, or `None` when no answer came (connection failure, timeout).
    pub status: Option<u16>,
}

/// Called after every attempt, retries included.
#[derive(Clone)]
pub struct RequestObserver(Arc<dyn Fn(&RequestRecord<'_>) + Send + Sync>);

impl RequestObserver {
    pub fn new(observe: impl Fn(&RequestRecord<'_>) + Send + Sync + 'static) -> Self {
        RequestObserver(Arc::new(observe))
    }

    pub fn observe(&self, record: &RequestRecord<'_>) {
        (self.0)(record)
    }
}

impl fmt::Debug for RequestObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestObserver")
    }
}

/// The route pattern of a request, from the path segments that follow `/openapi/build`
/// (each build name is one percent-encoded segment, so counting them is enough).
pub fn route_of(segments_after_base: usize, last_segment: &str) -> &'static str {
    match (segments_after_base, last_segment) {
        (0, _) => "/openapi/build",
        (2, "detail") => "/openapi/build/:name/detail",
        (2, "template") => "/openapi/build/:name/template",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::route_of;

    #[test]
    fn routes_never_carry_a_build_name() {
        assert_eq!(route_of(0, "build"), "/openapi/build");
        assert_eq!(route_of(2, "detail"), "/openapi/build/:name/detail");
        assert_eq!(route_of(2, "template"), "/openapi/build/:name/template");
        assert_eq!(route_of(1, "secret-name"), "other");
    }
}
