//! Listing a project's builds: large pages (Zadig has no maximum page size), the first one
//! alone (its `total` says how many follow), then the pages `total` announces all at once
//! (the client bounds how many are in flight), handed to [`PageCollector`] in page order so
//! that its checks (short page, `total`, repeats, the page ceiling) stay exactly as they are.
//! Past the announced pages (a `total` that under-reports), pages are read one by one.

use std::collections::VecDeque;
use std::time::SystemTime;

use super::paging::{Next, PageCollector};
use super::tasks::join_in_order;
use super::{BuildListing, Call, RemoteError, Route, Subject, ZadigClient};
use crate::reconcile::wire::ListResponse;

type Page = Result<(ListResponse, Call), RemoteError>;

impl ZadigClient {
    /// Every build of `project`: pages until a short one, whatever `total` says. Fails with
    /// `Kind::IncompleteList` when the pages disagree with Zadig's `total`, and with
    /// `Kind::ListTooLong` past the pages `total` allows or [`super::paging::MAX_LIST_PAGES`]:
    /// such a list must not drive deletions.
    pub async fn list_builds(&self, project: &str) -> Result<BuildListing, RemoteError> {
        Ok(self.list_builds_dated(project).await?.0)
    }

    /// [`Self::list_builds`], with the `Date` header of the first page's answer: the server's
    /// time when the list was read (a detail is reused only once the build's `update_time` is
    /// old enough next to it; the first page's time is the earliest, so the strictest).
    pub async fn list_builds_dated(
        &self,
        project: &str,
    ) -> Result<(BuildListing, Option<SystemTime>), RemoteError> {
        let mut collector = PageCollector::new(self.page_size);
        let (first, call, date) = self.list_page(project, 1).await?;
        let mut next = collector
            .add(first)
            .map_err(|kind| RemoteError::new(call, kind))?;
        let mut ahead = match next {
            Next::Page(2) => {
                self.read_pages(project, 2..=collector.pages_expected())
                    .await
            }
            _ => VecDeque::new(),
        };
        loop {
            let number = match next {
                Next::Done => return Ok((collector.finish(), date)),
                Next::Page(number) => number,
            };
            let (page, call) = match ahead.pop_front().flatten() {
                Some(page) => page?,
                // Past the pages `total` announced, or a task that failed (a bug): read it here.
                None => {
                    let (page, call, _) = self.list_page(project, number).await?;
                    (page, call)
                }
            };
            next = collector
                .add(page)
                .map_err(|kind| RemoteError::new(call, kind))?;
        }
    }

    /// These pages of `project`'s list, read concurrently, in page order.
    async fn read_pages(
        &self,
        project: &str,
        pages: std::ops::RangeInclusive<u32>,
    ) -> VecDeque<Option<Page>> {
        let reads = pages.map(|number| {
            let (client, project) = (self.clone(), project.to_owned());
            async move {
                let (page, call, _) = client.list_page(&project, number).await?;
                Ok((page, call))
            }
        });
        join_in_order(self.tasks_at_once(), reads)
            .await
            .into_iter()
            .collect()
    }

    /// One page (1-based) of `project`'s list, with its `Date` header.
    async fn list_page(
        &self,
        project: &str,
        number: u32,
    ) -> Result<(ListResponse, Call, Option<SystemTime>), RemoteError> {
        let (number, size) = (number.to_string(), self.page_size.to_string());
        let query = [
            ("projectKey", project),
            ("pageNum", number.as_str()),
            ("pageSize", size.as_str()),
        ];
        let url = self.transport.url(&[], &query);
        let subject = Subject::Project {
            project: project.to_owned(),
        };
        self.read_dated(Route::List, url, subject).await
    }
}
