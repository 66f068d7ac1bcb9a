//! An axum router served on a thread of its own, with its own small runtime: what it answers
//! (probes, scrapes, webhooks) is answered at once even while a pass keeps the daemon's one
//! thread busy (loading thousands of files, planning). Does I/O.

use std::future::Future;

use axum::Router;
use tokio::sync::oneshot;

/// Serves `router` on `listener` on a thread named `thread` until `shutdown` resolves; the
/// receiver resolves when the server has stopped. `what` names the routes in the error line.
pub fn serve_router(
    thread: &str,
    what: &'static str,
    listener: std::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<oneshot::Receiver<std::io::Result<()>>> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (done, stopped) = oneshot::channel();
    std::thread::Builder::new()
        .name(thread.into())
        .spawn(move || {
            let served = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, router)
                    .with_graceful_shutdown(shutdown)
                    .await
            });
            if let Err(error) = &served {
                // What it served fails from now on; this line says why.
                tracing::error!(%error, "{what} stopped");
            }
            let _ = done.send(served);
        })?;
    Ok(stopped)
}
