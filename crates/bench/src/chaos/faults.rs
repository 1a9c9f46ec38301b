//! The fault schedule: instances SIGKILLed and restarted, the database cut.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::task::JoinHandle;

use crate::cluster::ServerProcess;

use super::proxy::TcpProxy;
use super::timeline::Timeline;

pub type Servers = Arc<Vec<tokio::sync::Mutex<ServerProcess>>>;

/// How long an instance may take to answer `/health` after a (re)start.
pub const START_LIMIT: Duration = Duration::from_secs(120);

async fn kill_and_restart(servers: &Servers, index: usize, timeline: &Timeline, why: &str) {
    let mut server = servers[index].lock().await;
    server.kill().await;
    timeline.note(format!("SIGKILL instance {index} ({why})"));
    match server.start(START_LIMIT).await {
        Ok(took) => timeline.note(format!(
            "instance {index} restarted, healthy after {:.1} s",
            took.as_secs_f64()
        )),
        Err(error) => timeline.note(format!("instance {index} did not come back: {error}")),
    }
    timeline.fault_ended();
}

/// Kills a random instance every `every` until `stop` is set; answers the kills made.
pub fn spawn_periodic_kills(
    servers: &Servers,
    timeline: &Timeline,
    stop: &Arc<AtomicBool>,
    every: Duration,
    seed: u64,
) -> JoinHandle<usize> {
    let (servers, timeline, stop) = (servers.clone(), timeline.clone(), stop.clone());
    let mut kill_rng = StdRng::seed_from_u64(seed);
    tokio::spawn(async move {
        let mut kills = 0;
        loop {
            tokio::time::sleep(every).await;
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let index = kill_rng.random_range(0..servers.len());
            kill_and_restart(&servers, index, &timeline, "main phase").await;
            kills += 1;
        }
        kills
    })
}

/// Kills instance `index` once `progress` reaches `at` (the burst's halfway point).
pub fn spawn_kill_at(
    servers: &Servers,
    timeline: &Timeline,
    progress: &Arc<AtomicUsize>,
    at: usize,
    index: usize,
) -> JoinHandle<()> {
    let (servers, timeline, progress) = (servers.clone(), timeline.clone(), progress.clone());
    tokio::spawn(async move {
        while progress.load(Ordering::SeqCst) < at {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        kill_and_restart(&servers, index, &timeline, "burst").await;
    })
}

/// Once `progress` reaches `at`, cuts the database for `cut` (live connections closed, new
/// ones refused), then restores it.
pub async fn cut_database_at(
    proxy: &TcpProxy,
    progress: &AtomicUsize,
    at: usize,
    cut: Duration,
    timeline: &Timeline,
) {
    while progress.load(Ordering::SeqCst) < at {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    timeline.note(format!(
        "database cut for {} s (live connections closed, new ones refused)",
        cut.as_secs()
    ));
    proxy.cut();
    tokio::time::sleep(cut).await;
    proxy.restore();
    let (accepted, refused) = proxy.counts();
    timeline.note(format!(
        "database restored ({accepted} connections forwarded, {refused} refused so far)"
    ));
    timeline.fault_ended();
}
