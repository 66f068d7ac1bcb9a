//! Collecting the pages of `GET /openapi/build` into one listing, and refusing a listing that
//! cannot be trusted: Zadig's pages come in Mongo's natural order with no sort, so builds
//! written between two page reads can shift, repeat or vanish (`docs/zadig-api.md` §6). A
//! caller that deletes what is not listed must never act on such a list. Pages are read until
//! a short one, whatever `total` says (a `total` one short at a page boundary would otherwise
//! hide a build), and never more than `total` allows or [`MAX_LIST_PAGES`] (a server whose
//! pages never end is not read for ever). Pure: pages in, verdict out.

use std::collections::HashSet;

use super::error::Kind;
use crate::reconcile::wire::{ListResponse, ListedBuild};

/// The most pages read of one project's list: 100,000 builds at 1,000 a page
/// ([`super::LIST_PAGE_SIZE`]).
pub const MAX_LIST_PAGES: u32 = 100;

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
    page_size: u32,
    page: u32,
    /// `total` of the first page; every later page must agree.
    expected: Option<i64>,
    builds: Vec<ListedBuild>,
    seen: HashSet<String>,
}

impl PageCollector {
    pub fn new(page_size: u32) -> Self {
        PageCollector {
            page_size,
            page: 1,
            expected: None,
            builds: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Adds the page just fetched; says which page to fetch next, or that the list is complete.
    pub fn add(&mut self, page: ListResponse) -> Result<Next, Kind> {
        let expected = *self.expected.get_or_insert(page.total);
        if page.total != expected {
            return Err(self.incomplete());
        }
        if self.pages_needed(expected) > u64::from(MAX_LIST_PAGES) {
            return Err(Kind::ListTooLong {
                pages: MAX_LIST_PAGES,
                total: expected,
            });
        }
        let page_len = page.builds.len();
        for build in page.builds {
            if !self.seen.insert(build.name.clone()) {
                return Err(self.incomplete());
            }
            self.builds.push(build);
        }
        let got = self.got();
        let short_page = page_len < self.page_size as usize;
        match (short_page, got.cmp(&expected)) {
            (true, std::cmp::Ordering::Equal) => Ok(Next::Done),
            (false, std::cmp::Ordering::Less | std::cmp::Ordering::Equal) => {
                self.page += 1;
                Ok(Next::Page(self.page))
            }
            _ => Err(self.incomplete()),
        }
    }

    /// The pages the first page's `total` announces (the last, short or empty, included),
    /// within [`MAX_LIST_PAGES`]: what may be read at once after the first.
    pub fn pages_expected(&self) -> u32 {
        let pages = self.pages_needed(self.expected.unwrap_or(0));
        u32::try_from(pages.min(u64::from(MAX_LIST_PAGES))).unwrap_or(MAX_LIST_PAGES)
    }

    /// Pages a list of `total` builds takes, the last (short, maybe empty) one included.
    fn pages_needed(&self, total: i64) -> u64 {
        let total = u64::try_from(total).unwrap_or(0);
        total / u64::from(self.page_size.max(1)) + 1
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

    fn incomplete(&self) -> Kind {
        Kind::IncompleteList {
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

    fn collect(pages: Vec<ListResponse>) -> Result<BuildListing, Kind> {
        let mut collector = PageCollector::new(2);
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

    fn assert_incomplete(result: Result<BuildListing, Kind>, expected: i64, got: usize) {
        match result {
            Err(Kind::IncompleteList {
                expected: e,
                got: g,
            }) => {
                assert_eq!((e, g), (expected, got));
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
    fn the_pages_announced_by_total_include_the_last_short_or_empty_one() {
        let mut collector = PageCollector::new(2);
        assert!(matches!(
            collector.add(page(5, &["a", "b"])),
            Ok(Next::Page(2))
        ));
        assert_eq!(collector.pages_expected(), 3);
        let mut collector = PageCollector::new(2);
        assert!(matches!(
            collector.add(page(4, &["a", "b"])),
            Ok(Next::Page(2))
        ));
        assert_eq!(collector.pages_expected(), 3);
    }

    #[test]
    fn an_empty_project_is_one_empty_page() {
        let listing = collect(vec![page(0, &[])]).unwrap();
        assert!(listing.builds.is_empty());
    }

    #[test]
    fn exactly_full_pages_read_on_to_an_empty_page() {
        let listing = collect(vec![
            page(4, &["a", "b"]),
            page(4, &["c", "d"]),
            page(4, &[]),
        ])
        .unwrap();
        assert_eq!(listing.builds.len(), 4);
    }

    #[test]
    fn an_under_reported_total_at_a_page_boundary_is_incomplete() {
        // 3 builds, total says 2: the first page is full, so the next one is read.
        assert_incomplete(collect(vec![page(2, &["a", "b"]), page(2, &["c"])]), 2, 3);
    }

    #[test]
    fn a_total_beyond_the_page_ceiling_is_refused_at_once() {
        let mut collector = PageCollector::new(100);
        let names: Vec<String> = (0..100).map(|i| format!("b{i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        match collector.add(page(1_000_000_000, &names)) {
            Err(Kind::ListTooLong { pages, total }) => {
                assert_eq!((pages, total), (MAX_LIST_PAGES, 1_000_000_000));
            }
            other => panic!("expected ListTooLong, got {other:?}"),
        }
    }

    #[test]
    fn pages_that_never_end_stop_once_past_total() {
        let mut collector = PageCollector::new(2);
        let mut pages = 0;
        let result = loop {
            pages += 1;
            let names = [format!("a{pages}"), format!("b{pages}")];
            match collector.add(page(6, &[&names[0], &names[1]])) {
                Ok(Next::Page(_)) => continue,
                other => break other,
            }
        };
        assert!(matches!(result, Err(Kind::IncompleteList { .. })));
        assert_eq!(pages, 4);
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
