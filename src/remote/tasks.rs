//! Running futures concurrently on the runtime while keeping their results in input order,
//! for the stages that fan out over builds (fetch, apply). Concurrency against Zadig is
//! bounded by the client, not here.

use std::future::Future;

use tokio::task::JoinSet;
use tracing::warn;

/// Spawns every future and returns their outputs in the order given; `None` where a task
/// panicked (a bug), so the caller can turn that slot into an error instead of losing it.
pub async fn join_in_order<F>(futures: impl IntoIterator<Item = F>) -> Vec<Option<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let mut tasks = JoinSet::new();
    let mut count = 0;
    for (index, future) in futures.into_iter().enumerate() {
        tasks.spawn(async move { (index, future.await) });
        count += 1;
    }
    let mut slots: Vec<Option<F::Output>> = (0..count).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, value)) => slots[index] = Some(value),
            Err(error) => warn!(%error, "a concurrent task failed"),
        }
    }
    slots
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
        assert_eq!(join_in_order(futures).await, [Some(30), Some(0), Some(10)]);
    }

    #[tokio::test]
    async fn a_panicking_task_leaves_an_empty_slot() {
        let futures = [false, true].map(|panics| async move {
            assert!(!panics, "boom");
            1
        });
        assert_eq!(join_in_order(futures).await, [Some(1), None]);
    }
}
