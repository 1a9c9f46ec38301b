//! The report: one Markdown section per engine and mode, (re)written in
//! `docs/reliability.md` between markers, under an introduction kept as it is.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::database::Engine;
use crate::machine;

use super::audit::Audit;
use super::options::Sizes;
use super::wechat::Channel;

/// What was run, for the report.
pub struct Run {
    pub engine: Engine,
    pub channel: Channel,
    pub short: bool,
    pub command: String,
    pub started_at: chrono::DateTime<chrono::Local>,
    pub sizes: Sizes,
    pub seed: u64,
    /// Orders (of all phases) that buy a points package.
    pub points_orders: usize,
    pub kills: usize,
    pub kill_every_secs: u64,
    pub db_cut: Option<Duration>,
    pub drain_bound: Duration,
    pub unitel_mode: String,
    /// How WeChat pays and notifies on this channel.
    pub wechat_mode: String,
    pub callback_routing: String,
    pub server_env: Vec<(String, String)>,
    pub burst_secs: f64,
    pub instances_alive: (usize, usize),
    pub timeline: Vec<(Duration, String)>,
    pub gave_up: Vec<String>,
    pub duration: Duration,
}

/// The introduction written when the file does not exist yet.
const INTRO: &str = "# Reliability: the torture test\n\
\n\
`elife-chaos` (crate `crates/bench`) proves the rules of money under fire, against real\n\
processes and a real database:\n\
\n\
- nothing is delivered twice for one order (at most one top-up per order in Unitel's ledger);\n\
- a paid order is never lost (every payment WeChat took is recorded as paid);\n\
- a payment landing on a closed order is never dropped (it is recorded and flagged for a refund);\n\
- a top-up recorded `success` was delivered; one recorded `failed` or refunded was not.\n\
\n\
It starts N `elife` server processes (default 3) on one fresh database (PostgreSQL or\n\
MariaDB; SQLite with one process), the WeChat Pay and Unitel simulators as a separate\n\
process (`elife sandbox`, so that their ledgers, the truth the audit compares against,\n\
survive every crash), and a TCP proxy of its own between the servers and the database.\n\
`--channel v3` runs the same test on WeChat Pay API v3 direct (`PAY_CHANNEL=v3`): the v3\n\
simulator runs inside `elife-chaos` (it outlives every server crash too), the servers use\n\
its sandbox merchant, and their `notify_url` is a TCP balancer in front of them.\n\
Then:\n\
\n\
- **workload**: orders for voice cards, data packages and postpaid bills, and (10%,\n\
  `--points-percent`) for points packages, one customer (openid) and number each, created\n\
  at random instances; WeChat pays them and delivers each notification 1–3 times to\n\
  random instances, one in five delayed so that later ones overtake it, and retries for\n\
  ~40 s until answered `errcode 0`; a few orders (one points order among them) are left\n\
  unpaid until the server closes them (`ORDER_EXPIRE_MINUTES=2`; the simulator's clock is\n\
  moved past WeChat's 5-minute close rule) and then paid anyway (`late`);\n\
- **Unitel**: 10% of money calls answer with a fault drawn from a fixed seed: slow (3 s),\n\
  applied then the connection dropped, 502 after applying, a definite failure, pending and\n\
  confirmed after two checks;\n\
- **faults**: a random instance is SIGKILLed every few seconds and restarted; the database\n\
  is cut (live connections closed, new ones refused) for 20 s a third into the main phase;\n\
  a burst phase pays orders as fast as the simulator goes while an instance is killed.\n\
\n\
The audit compares WeChat's ledger, Unitel's ledger, the orders table and the points orders'\n\
pay orders; and checks the points ledger: points and bonus credited exactly once per paid\n\
points order, nothing for one closed or paid late, every balance the sum of its ledger and\n\
never negative. Must-be-zero counts (marked ok/FAIL) and the drain time (from the end of\n\
the last fault until no paid order is `pending` or uncredited and every payment WeChat\n\
took is recorded) decide the exit code; the other rows are figures. Orders left `unknown`\n\
(a top-up whose outcome cannot be known, e.g. applied then dropped) are allowed: they are\n\
never re-sent automatically and are listed with why, for a person to resolve.\n\
\n\
## How to run\n\
\n\
```sh\n\
cargo build --release -p elife-server -p elife-bench\n\
target/release/elife-chaos --database-url postgres://postgres@127.0.0.1:5432\n\
target/release/elife-chaos --database-url mysql://root@127.0.0.1:3306\n\
# the CI version (~300 orders, one kill, one 6 s database cut), debug build:\n\
cargo build -p elife-server -p elife-bench && target/debug/elife-chaos --short \\\n\
  --database-url postgres://postgres@127.0.0.1:5432\n\
# the same on WeChat Pay API v3 direct:\n\
target/debug/elife-chaos --short --channel v3 --database-url postgres://postgres@127.0.0.1:5432\n\
```\n\
\n\
Options: `--channel cloud|v3 --instances 3 --orders 2000 --points-percent 10 --seed 7\n\
--kill-every-secs 5 --db-cut-secs 20 --drain-bound-secs 60 --report docs/reliability.md\n\
--work-dir target/chaos --keep --server-env NAME=VALUE`. Each process logs to a file in the\n\
work directory. The exit code is 0 when every check passed, 1 when one failed, 2 when the\n\
run itself could not be done.\n\
Each run rewrites its own section below (per engine, mode and channel).\n";

/// The section's key: engine and mode, then the channel unless it is Cloud Hosting (whose
/// sections predate the channels and keep their keys).
pub fn key(run: &Run) -> String {
    let key = format!(
        "{} {}",
        run.engine.name(),
        if run.short { "short" } else { "full" }
    );
    match run.channel {
        Channel::Cloud => key,
        Channel::V3 => format!("{key} {}", run.channel.name()),
    }
}

pub fn section(run: &Run, audit: &Audit) -> String {
    let mut out = String::new();
    let verdict = if audit.passed() { "PASSED" } else { "FAILED" };
    let _ = writeln!(
        out,
        "## {} — {} run, {}: {verdict}\n",
        run.engine.name(),
        if run.short { "short (CI)" } else { "full" },
        run.channel.title()
    );
    let _ = writeln!(out, "- command: `{}`", run.command);
    let _ = writeln!(
        out,
        "- date: {}; machine: {} cores; build: {}; took {:.0} s",
        run.started_at.format("%Y-%m-%d %H:%M %Z"),
        machine::cores(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        run.duration.as_secs_f64()
    );
    let sizes = run.sizes;
    let _ = writeln!(
        out,
        "- {} instance(s); {} orders: {} main, {} burst, {} paid after close ({} of all these points packages, the rest top-ups); seed {}",
        sizes.instances,
        sizes.main + sizes.burst + sizes.late,
        sizes.main,
        sizes.burst,
        sizes.late,
        run.points_orders,
        run.seed
    );
    let _ = writeln!(
        out,
        "- faults: {} SIGKILL(s){}; database cut: {}; burst paid in {:.2} s; instances healthy at the end: {}/{}",
        run.kills,
        if sizes.kills_in_main {
            format!(
                " (one every {} s in the main phase, one in the burst)",
                run.kill_every_secs
            )
        } else {
            " (in the burst)".to_owned()
        },
        match run.db_cut {
            Some(cut) => format!("{} s", cut.as_secs()),
            None => "not applicable (SQLite)".to_owned(),
        },
        run.burst_secs,
        run.instances_alive.0,
        run.instances_alive.1
    );
    let _ = writeln!(
        out,
        "- WeChat (`--channel {}`): {}",
        run.channel.name(),
        run.wechat_mode
    );
    let _ = writeln!(out, "- Unitel: {}", run.unitel_mode);
    let _ = writeln!(out, "- callbacks: {}", run.callback_routing);
    let _ = writeln!(
        out,
        "- server environment: {}; drain bound {} s",
        run.server_env
            .iter()
            .map(|(name, value)| format!("`{name}={value}`"))
            .collect::<Vec<_>>()
            .join(" "),
        run.drain_bound.as_secs()
    );
    out.push('\n');
    out.push_str(&audit.markdown());
    if !run.gave_up.is_empty() {
        out.push_str("\nOrders the customer gave up on (first 10):\n\n");
        for line in &run.gave_up {
            let _ = writeln!(out, "- {}", line.replace('\n', " "));
        }
    }
    out.push_str("\n<details><summary>Timeline</summary>\n\n");
    for (at, what) in &run.timeline {
        let _ = writeln!(out, "- {:.1} s: {what}", at.as_secs_f64());
    }
    out.push_str("\n</details>\n");
    out
}

/// Replaces the section of `key` in `path` (or appends it); creates the file with the
/// introduction when missing.
pub fn write(path: &Path, key: &str, section: &str) -> std::io::Result<()> {
    let begin = format!("<!-- elife-chaos: {key} -->");
    let end = format!("<!-- /elife-chaos: {key} -->");
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => INTRO.to_owned(),
        Err(error) => return Err(error),
    };
    let block = format!("{begin}\n{section}{end}\n");
    let text = match (existing.find(&begin), existing.find(&end)) {
        (Some(start), Some(stop)) if stop > start => {
            let after = &existing[stop + end.len()..];
            format!(
                "{}{block}{}",
                &existing[..start],
                after.strip_prefix('\n').unwrap_or(after)
            )
        }
        _ => {
            let separator = if existing.ends_with("\n\n") { "" } else { "\n" };
            format!("{existing}{separator}{block}")
        }
    };
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}
