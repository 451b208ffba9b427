//! Serving a region: the host's work (queue, schedules, decisions, deliveries) and the HTTP API
//! in one process, stopped together by Ctrl-C or SIGTERM.

use std::sync::Arc;

use tokio::sync::watch;
use zemstvo_service::RegionHost;
use zemstvo_web::WebState;

use crate::cli::CliError;

/// The address the API listens on unless told.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Binds the API's address (`127.0.0.1:0` picks a free port).
pub async fn bind(listen: &str) -> Result<tokio::net::TcpListener, CliError> {
    tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        CliError::Input(format!(
            "cannot listen on {listen}: {e}; choose another address with --listen"
        ))
    })
}

/// Serves `host` and the API on `listener` until Ctrl-C or SIGTERM: the host stops taking new
/// runs and finishes the round in flight, the API finishes the requests in flight.
pub async fn serve_region(
    host: Arc<RegionHost>,
    listener: tokio::net::TcpListener,
) -> Result<(), CliError> {
    let address = listener
        .local_addr()
        .map_err(|e| CliError::Input(e.to_string()))?;
    eprintln!(
        "serving {} as {}: API on http://{address}/api/v1 (reference: http://{address}/api/v1/docs); Ctrl-C or SIGTERM stops (claims are released for other hosts)",
        host.store().url(),
        host.settings().host_id
    );
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        eprintln!("stopping: finishing the work in flight");
        let _ = stop.send(true);
    });
    let wait = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stopped| *stopped).await;
    };
    let state = Arc::new(WebState::new(host.clone()));
    let api = tokio::spawn(zemstvo_web::serve(listener, state, wait(stopped.clone())));
    let work = host.serve(wait(stopped));
    work.await.map_err(|e| CliError::Input(e.to_string()))?;
    api.await
        .map_err(|e| CliError::Input(format!("the API task failed: {e}")))?
        .map_err(|e| CliError::Input(format!("the API stopped: {e}")))?;
    Ok(())
}

/// Ctrl-C, or SIGTERM (what service managers send) on Unix.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
