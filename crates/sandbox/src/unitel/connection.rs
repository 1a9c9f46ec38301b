//! A handle on the raw socket of each connection, so the simulator can drop a
//! connection mid-request without answering (the "apply then drop" fault).

use std::any::Any;
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

use actix_web::dev::Extensions;

#[derive(Clone)]
pub struct ConnectionKiller(Arc<TcpStream>);

impl ConnectionKiller {
    /// Shuts the socket down both ways: the client sees the connection closed
    /// before any answer arrives.
    pub fn kill(&self) {
        if let Err(error) = self.0.shutdown(Shutdown::Both) {
            tracing::debug!(%error, "unitel sandbox: socket already gone");
        }
    }
}

/// `HttpServer::on_connect` callback: keeps a duplicate of the socket in the
/// connection's data.
pub fn remember_socket(connection: &dyn Any, data: &mut Extensions) {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
            match stream.as_fd().try_clone_to_owned() {
                Ok(fd) => {
                    data.insert(ConnectionKiller(Arc::new(TcpStream::from(fd))));
                }
                Err(error) => tracing::warn!(%error, "unitel sandbox: cannot duplicate socket"),
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (connection, data);
    }
}
