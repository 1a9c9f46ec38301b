//! What the machine and its processes use, read from `/proc`: cores, CPU time, memory.

use std::time::Duration;

/// Clock ticks per second of `/proc` CPU times (100 when the system does not say).
fn clock_ticks_per_second() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|ticks| u64::try_from(ticks).ok())
        .filter(|ticks| *ticks > 0)
        .unwrap_or(100)
}

fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::from_millis(ticks * 1000 / clock_ticks_per_second())
}

pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZero::get)
        .unwrap_or(1)
}

/// The rest of the first line of `/proc/<file>` that starts with `prefix`.
fn proc_line(file: &str, prefix: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{file}")).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix(prefix))
        .map(str::to_owned)
}

pub fn cpu_model() -> String {
    proc_line("cpuinfo", "model name")
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

pub fn memory_total() -> String {
    proc_line("meminfo", "MemTotal:")
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kib| format!("{:.1} GiB RAM", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_default()
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Busy and total CPU time of the whole machine, from `/proc/stat`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MachineCpu {
    pub busy: Duration,
    pub total: Duration,
}

impl MachineCpu {
    pub fn read() -> Option<MachineCpu> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let line = stat.lines().find(|line| line.starts_with("cpu "))?;
        let ticks: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|field| field.parse().ok())
            .collect();
        let total: u64 = ticks.iter().take(8).sum();
        // idle and iowait are not busy.
        let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
        Some(MachineCpu {
            busy: ticks_to_duration(total - idle),
            total: ticks_to_duration(total),
        })
    }

    pub fn since(&self, before: &MachineCpu) -> MachineCpu {
        MachineCpu {
            busy: self.busy.saturating_sub(before.busy),
            total: self.total.saturating_sub(before.total),
        }
    }
}

/// What a process has used, read from `/proc/<pid>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessUsage {
    /// Peak resident set (`VmHWM`), KiB.
    pub peak_rss_kib: u64,
    /// Current resident set (`VmRSS`), KiB.
    pub rss_kib: u64,
    /// User + system CPU time.
    pub cpu: Duration,
}

impl ProcessUsage {
    pub fn of(pid: u32) -> Option<ProcessUsage> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<u64>().ok())
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which may hold spaces, so split after ')').
        let after_name = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(ProcessUsage {
            peak_rss_kib: field("VmHWM:")?,
            rss_kib: field("VmRSS:")?,
            cpu: ticks_to_duration(ticks),
        })
    }

    /// This process (the load generator).
    pub fn own() -> ProcessUsage {
        ProcessUsage::of(std::process::id()).unwrap_or_default()
    }
}
