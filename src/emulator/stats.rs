//! Counts of answered requests by method, route and status, served at `GET /_emulator/stats`
//! so tests and benchmarks can see what a client really sent. No I/O.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

/// Requests answered so far; the stats and reset routes are not counted.
#[derive(Debug, Default)]
pub struct Stats {
    counts: Mutex<BTreeMap<(String, String, u16), u64>>,
}

#[derive(Debug, Serialize)]
pub struct StatsReport {
    pub requests: Vec<RouteCount>,
    pub total: u64,
}

#[derive(Debug, Serialize)]
pub struct RouteCount {
    pub method: String,
    /// The route pattern (`/openapi/build/:name/detail`), or `unmatched` for unknown paths.
    pub route: String,
    pub status: u16,
    pub count: u64,
}

impl Stats {
    pub fn record(&self, method: &str, route: &str, status: u16) {
        // A panic elsewhere while holding the lock leaves the counts usable.
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        *counts
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
    }

    pub fn report(&self) -> StatsReport {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let requests: Vec<RouteCount> = counts
            .iter()
            .map(|((method, route, status), count)| RouteCount {
                method: method.clone(),
                route: route.clone(),
                status: *status,
                count: *count,
            })
            .collect();
        let total = requests.iter().map(|entry| entry.count).sum();
        StatsReport { requests, total }
    }

    pub fn clear(&self) {
        self.counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_method_route_and_status() {
        let stats = Stats::default();
        stats.record("GET", "/openapi/build", 200);
        stats.record("GET", "/openapi/build", 200);
        stats.record("GET", "/openapi/build", 403);
        let report = stats.report();
        assert_eq!(report.total, 3);
        assert_eq!(report.requests.len(), 2);
        assert_eq!(report.requests[0].count, 2);
        stats.clear();
        assert_eq!(stats.report().total, 0);
    }
}
