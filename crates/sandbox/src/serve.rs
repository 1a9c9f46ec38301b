//! Starting a simulator's HTTP server: one worker on the current runtime, signals left to
//! the host (a test or the `elife` process) that owns it.

use std::net::TcpListener;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};

/// Serves `routes` with `state` on `listener`; the handle stops it.
pub(crate) fn spawn<T: Send + Sync + 'static>(
    listener: TcpListener,
    state: web::Data<T>,
    routes: fn(&mut web::ServiceConfig),
) -> std::io::Result<ServerHandle> {
    let server = HttpServer::new(move || App::new().app_data(state.clone()).configure(routes))
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(handle)
}
