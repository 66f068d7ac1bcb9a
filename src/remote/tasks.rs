//! Running futures concurrently on the runtime while keeping their results in input order,
//! for the stages that fan out over builds (fetch, apply). Requests in flight are bounded by
//! the client; the caller bounds the tasks alive at once (`ZadigClient::tasks_at_once`).

use std::future::Future;

use tokio::task::JoinSet;
use tracing::warn;

/// Runs every future on the runtime, at most `at_once` (at least one) at a time, creating
/// each one only when it is started, so 5,000 builds never mean 5,000 live tasks each holding
/// a request's state. Returns their outputs in the order given; `None` where a task panicked
/// (a bug), so the caller can turn that slot into an error instead of losing it.
pub async fn join_in_order<F>(
    at_once: usize,
    futures: impl IntoIterator<Item = F>,
) -> Vec<Option<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut pending = futures.into_iter().enumerate();
    let mut tasks = JoinSet::new();
    let mut slots: Vec<Option<F::Output>> = Vec::new();
    loop {
        while tasks.len() < at_once.max(1) {
            let Some((index, future)) = pending.next() else {
                break;
            };
            slots.push(None);
            tasks.spawn(async move { (index, future.await) });
        }
        match tasks.join_next().await {
            Some(Ok((index, value))) => slots[index] = Some(value),
            Some(Err(error)) => warn!(%error, "a concurrent task failed"),
            None => return slots,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    // Paused time: the sleeps only order the tasks, the clock jumps instead of waiting.
    #[tokio::test(start_paused = true)]
    async fn results_keep_the_input_order_whatever_finishes_first() {
        let futures = [30u64, 0, 10].map(|delay| async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            delay
        });
        assert_eq!(
            join_in_order(3, futures).await,
            [Some(30), Some(0), Some(10)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_at_once_tasks_run_at_once_and_all_finish() {
        const AT_ONCE: usize = 16;
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let futures = (0..5 * AT_ONCE).map(|i| {
            let (running, most) = (running.clone(), most.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                i
            }
        });
        let results = join_in_order(AT_ONCE, futures).await;
        let expected: Vec<Option<usize>> = (0..5 * AT_ONCE).map(Some).collect();
        assert_eq!(results, expected);
        assert_eq!(most.load(Ordering::SeqCst), AT_ONCE);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_at_once_still_runs_one_at_a_time() {
        let futures = [10u64, 0].map(|delay| async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            delay
        });
        assert_eq!(join_in_order(0, futures).await, [Some(10), Some(0)]);
    }

    #[tokio::test]
    async fn a_panicking_task_leaves_an_empty_slot() {
        let futures = [false, true].map(|panics| async move {
            assert!(!panics, "boom");
            1
        });
        assert_eq!(join_in_order(2, futures).await, [Some(1), None]);
    }
}
