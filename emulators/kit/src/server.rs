//! Serving a router on a local port, from async code or from plain threads
//! (the host and most tests are synchronous).

use std::net::SocketAddr;

use axum::Router;
use tokio::sync::oneshot;

/// A running emulator. Dropping it stops the server.
pub struct Running {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// "http://127.0.0.1:PORT", no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Binds `127.0.0.1:port` (0 picks a free port) and serves `router` on a
/// runtime of its own in a background thread, until the handle is dropped.
pub fn spawn(router: Router, port: u16) -> anyhow::Result<Running> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
        .map_err(|e| anyhow::anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new().name(format!("emulator-{}", addr.port())).spawn(move || {
        runtime.block_on(async move {
            // Not graceful: a client's idle keep-alive connection must not
            // keep a test waiting for the server to stop.
            tokio::select! {
                served = axum::serve(listener, router.into_make_service()) => {
                    if let Err(e) = served {
                        tracing::error!("emulator on {addr} stopped: {e}");
                    }
                }
                _ = stopped => {}
            }
        });
        runtime.shutdown_background();
    })?;
    Ok(Running { addr, stop: Some(stop), thread: Some(thread) })
}
