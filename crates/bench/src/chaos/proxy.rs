//! A TCP proxy that can cut every connection and refuse new ones for a while, as a network
//! partition or a database failover would. Between the servers and the database it is the
//! "database cut"; with several upstreams (one chosen at random per connection) it can also
//! stand in for a load balancer in front of the instances.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The proxy: `127.0.0.1:{port}` forwards to one of `upstreams` while not cut.
pub struct TcpProxy {
    pub port: u16,
    state: Arc<ProxyState>,
    cut_tx: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

struct ProxyState {
    cut: AtomicBool,
    accepted: AtomicU64,
    refused: AtomicU64,
}

impl TcpProxy {
    /// Listens on a free local port and forwards every connection to one of `upstreams`
    /// (`host:port`), chosen at random.
    pub async fn start(upstreams: Vec<String>) -> std::io::Result<TcpProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(ProxyState {
            cut: AtomicBool::new(false),
            accepted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        });
        // Every cut bumps the generation; live connections end when it changes.
        let (cut_tx, cut_rx) = watch::channel(0u64);
        let task_state = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                if task_state.cut.load(Ordering::SeqCst) {
                    task_state.refused.fetch_add(1, Ordering::Relaxed);
                    drop(inbound);
                    continue;
                }
                task_state.accepted.fetch_add(1, Ordering::Relaxed);
                let _ = inbound.set_nodelay(true);
                let upstream = if upstreams.len() == 1 {
                    upstreams[0].clone()
                } else {
                    upstreams[rand::random_range(0..upstreams.len())].clone()
                };
                let mut cut_rx = cut_rx.clone();
                tokio::spawn(async move {
                    let generation = *cut_rx.borrow_and_update();
                    let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let _ = outbound.set_nodelay(true);
                    tokio::select! {
                        _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = async {
                            while cut_rx.changed().await.is_ok() {
                                if *cut_rx.borrow() != generation {
                                    break;
                                }
                            }
                        } => {}
                    }
                    // Dropping both ends closes them: the client sees its connection die.
                });
            }
        });
        Ok(TcpProxy {
            port,
            state,
            cut_tx,
            task,
        })
    }

    /// Closes every live connection and refuses new ones until [`TcpProxy::restore`].
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::SeqCst);
        self.cut_tx.send_modify(|generation| *generation += 1);
    }

    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }

    /// Connections forwarded and refused so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.state.accepted.load(Ordering::Relaxed),
            self.state.refused.load(Ordering::Relaxed),
        )
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
