//! Collecting the pages of `GET /openapi/build` into one listing, and refusing a listing that
//! cannot be trusted: Zadig's pages come in Mongo's natural order with no sort, so builds
//! written between two page reads can shift, repeat or vanish (`docs/zadig-api.md` §6). A
//! caller that deletes what is not listed must never act on such a list. Pure: pages in,
//! verdict out.

use std::collections::HashSet;

use super::error::RemoteError;
use crate::reconcile::wire::{ListResponse, ListedBuild};

/// All builds of one project, as listed; `builds.len() == total` always holds.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildListing {
    pub builds: Vec<ListedBuild>,
    /// Zadig's count of the project's builds.
    pub total: i64,
}

/// What the accumulator wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Fetch this (1-based) page.
    Page(u32),
    Done,
}

/// Takes the pages one by one and checks them against `total`.
#[derive(Debug)]
pub struct PageCollector {
    project: String,
    page_size: u32,
    page: u32,
    /// `total` of the first page; every later page must agree.
    expected: Option<i64>,
    builds: Vec<ListedBuild>,
    seen: HashSet<String>,
}

impl PageCollector {
    pub fn new(project: &str, page_size: u32) -> Self {
        PageCollector {
            project: project.to_owned(),
            page_size,
            page: 1,
            expected: None,
            builds: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Adds the page just fetched; says which page to fetch next, or that the list is complete.
    pub fn add(&mut self, page: ListResponse) -> Result<Next, RemoteError> {
        let expected = *self.expected.get_or_insert(page.total);
        if page.total != expected {
            return Err(self.incomplete());
        }
        let page_len = page.builds.len();
        for build in page.builds {
            if !self.seen.insert(build.name.clone()) {
                return Err(self.incomplete());
            }
            self.builds.push(build);
        }
        let got = self.got();
        if got == expected {
            return Ok(Next::Done);
        }
        let short_page = page_len < self.page_size as usize;
        if got > expected || short_page {
            return Err(self.incomplete());
        }
        self.page += 1;
        Ok(Next::Page(self.page))
    }

    /// The complete listing; only after `add` said `Done`.
    pub fn finish(self) -> BuildListing {
        BuildListing {
            total: self.expected.unwrap_or(0),
            builds: self.builds,
        }
    }

    fn got(&self) -> i64 {
        i64::try_from(self.builds.len()).unwrap_or(i64::MAX)
    }

    fn incomplete(&self) -> RemoteError {
        RemoteError::IncompleteList {
            project: self.project.clone(),
            expected: self.expected.unwrap_or(0),
            got: self.builds.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(total: i64, names: &[&str]) -> ListResponse {
        let builds = names
            .iter()
            .map(|name| ListedBuild {
                name: (*name).to_owned(),
                project_key: "yaml".to_owned(),
                ..ListedBuild::default()
            })
            .collect();
        ListResponse { total, builds }
    }

    fn collect(pages: Vec<ListResponse>) -> Result<BuildListing, RemoteError> {
        let mut collector = PageCollector::new("yaml", 2);
        let mut expected_page = 1;
        for page in pages {
            match collector.add(page)? {
                Next::Done => return Ok(collector.finish()),
                Next::Page(next) => {
                    assert_eq!(next, expected_page + 1);
                    expected_page = next;
                }
            }
        }
        panic!("the collector asked for more pages than the test has");
    }

    fn assert_incomplete(result: Result<BuildListing, RemoteError>, expected: i64, got: usize) {
        match result {
            Err(RemoteError::IncompleteList {
                project,
                expected: e,
                got: g,
            }) => {
                assert_eq!((project.as_str(), e, g), ("yaml", expected, got));
            }
            other => panic!("expected IncompleteList, got {other:?}"),
        }
    }

    #[test]
    fn pages_until_total_is_reached() {
        let listing = collect(vec![page(3, &["a", "b"]), page(3, &["c"])]).unwrap();
        let names: Vec<_> = listing.builds.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(listing.total, 3);
    }

    #[test]
    fn an_empty_project_is_one_empty_page() {
        let listing = collect(vec![page(0, &[])]).unwrap();
        assert!(listing.builds.is_empty());
    }

    #[test]
    fn exactly_full_pages_stop_at_total() {
        let listing = collect(vec![page(4, &["a", "b"]), page(4, &["c", "d"])]).unwrap();
        assert_eq!(listing.builds.len(), 4);
    }

    #[test]
    fn a_short_page_before_total_is_incomplete() {
        assert_incomplete(collect(vec![page(5, &["a", "b"]), page(5, &["c"])]), 5, 3);
        assert_incomplete(collect(vec![page(3, &["a", "b"]), page(3, &[])]), 3, 2);
    }

    #[test]
    fn a_repeated_build_is_incomplete() {
        assert_incomplete(collect(vec![page(3, &["a", "b"]), page(3, &["b"])]), 3, 2);
    }

    #[test]
    fn a_total_that_changes_between_pages_is_incomplete() {
        assert_incomplete(collect(vec![page(3, &["a", "b"]), page(4, &["c"])]), 3, 2);
    }

    #[test]
    fn more_builds_than_total_is_incomplete() {
        assert_incomplete(collect(vec![page(1, &["a", "b"])]), 1, 2);
    }
}
