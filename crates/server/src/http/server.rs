//! The HTTP server: actix-web's application on actix-server, over connections whose
//! bodiless error answers get the envelope (see [`super::connection`]).
//!
//! `HttpServer` offers no way to wrap the connection, so this is what it does for a plain
//! HTTP/1 listener, with our wrapper in between.

use std::fmt;
use std::net::TcpListener;

use actix_http::body::MessageBody;
use actix_http::{HttpService, Protocol, Request, Response};
use actix_server::Server;
use actix_service::{
    IntoServiceFactory, Service, ServiceFactory, ServiceFactoryExt, fn_service, map_config,
};
use actix_web::dev::AppConfig;
use tokio::net::TcpStream;

use super::connection::EnvelopedErrors;

/// Seconds in-flight requests get to finish once the server is told to stop.
const SHUTDOWN_TIMEOUT_SECONDS: u64 = 30;

/// Serves `app` on `listener` with `workers` threads; signals are left to the caller.
pub fn serve<F, I, S, B>(listener: TcpListener, workers: usize, app: F) -> std::io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let address = listener.local_addr()?;
    Ok(Server::build()
        .workers(workers)
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECONDS)
        // Signals are ours: top-ups must stop claiming the moment one arrives.
        .disable_signals()
        .listen("elife-http", listener, move || {
            let factory = app()
                .into_factory()
                .map_err(|error| error.into().error_response());
            let http = HttpService::build()
                .local_addr(address)
                .finish(map_config(factory, |_| AppConfig::default()));
            fn_service(|io: TcpStream| async move {
                let peer = io.peer_addr().ok();
                // Small answers go out at once rather than waiting for Nagle.
                let _ = io.set_nodelay(true);
                Ok((EnvelopedErrors::new(io), Protocol::Http1, peer))
            })
            .and_then(http)
        })?
        .run())
}
