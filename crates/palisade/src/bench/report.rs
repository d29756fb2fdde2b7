//! The results of a benchmark run, printed as a table for people or as JSON for scripts.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use super::runner::Outcome;

/// Everything a run measured, plus the settings needed to read it.
#[derive(Debug)]
pub struct Report {
    pub endpoint: String,
    pub settings: Value,
    pub server: Option<ServerFacts>,
    pub ceiling: Option<Outcome>,
    pub preload: Option<Duration>,
    pub workloads: Vec<Outcome>,
}

/// What was measured about a server the benchmark started itself.
#[derive(Debug, Clone, Default)]
pub struct ServerFacts {
    /// From spawning the process to the first successful answer.
    pub startup: Duration,
    /// Resident memory right after start-up (empty database, no load).
    pub idle_rss_kib: Option<u64>,
    /// Resident memory after the last workload.
    pub final_rss_kib: Option<u64>,
    /// `taskset -c` CPU list the server ran on.
    pub cpus: Option<String>,
}

fn micros(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e7).round() / 10.0
}

fn outcome_json(outcome: &Outcome, ceiling_rate: Option<f64>) -> Value {
    let rate = outcome.ops_per_sec();
    let per = outcome.workload.items_per_request();
    json!({
        "name": outcome.workload.name(),
        "requests": outcome.ok + outcome.error_count(),
        "ok": outcome.ok,
        "errors": outcome.error_count(),
        "error_kinds": outcome.errors,
        "error_examples": outcome.examples,
        "seconds": outcome.elapsed.as_secs_f64(),
        "ops_per_sec": rate.round(),
        "items_per_request": per,
        "items_per_sec": (rate * per as f64).round(),
        "p50_us": micros(outcome.latency.quantile(0.50)),
        "p99_us": micros(outcome.latency.quantile(0.99)),
        "max_us": micros(outcome.latency.max()),
        "ceiling_fraction": ceiling_rate
            .filter(|c| *c > 0.0)
            .map(|c| (rate / c * 1000.0).round() / 1000.0),
        "server_cpu_us_per_request": outcome
            .server_cpu_us_per_request()
            .map(|us| (us * 10.0).round() / 10.0),
        "server_cpu_busy": outcome
            .server_cpu_busy()
            .map(|b| (b * 1000.0).round() / 1000.0),
    })
}

impl Report {
    fn ceiling_rate(&self) -> Option<f64> {
        self.ceiling.as_ref().map(Outcome::ops_per_sec)
    }

    /// Total failed requests over every workload (and the ceiling run).
    pub fn error_count(&self) -> u64 {
        self.workloads
            .iter()
            .chain(self.ceiling.as_ref())
            .map(Outcome::error_count)
            .sum()
    }

    /// The JSON form (`--json`).
    pub fn to_json(&self) -> Value {
        let ceiling_rate = self.ceiling_rate();
        json!({
            "endpoint": self.endpoint,
            "settings": self.settings,
            "server": self.server.as_ref().map(|s| json!({
                "startup_ms": (s.startup.as_secs_f64() * 1e4).round() / 10.0,
                "idle_rss_kib": s.idle_rss_kib,
                "final_rss_kib": s.final_rss_kib,
                "cpus": s.cpus,
            })),
            "preload_seconds": self.preload.map(|d| d.as_secs_f64()),
            "ceiling": self.ceiling.as_ref().map(|c| outcome_json(c, None)),
            "workloads": self
                .workloads
                .iter()
                .map(|w| outcome_json(w, ceiling_rate))
                .collect::<Vec<_>>(),
            "errors": self.error_count(),
        })
    }

    /// The table for people.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "endpoint: {}", self.endpoint);
        let machine = &self.settings["machine"];
        let _ = writeln!(
            out,
            "machine:  {} CPUs, {}; load average {} before the run",
            machine["cpus"],
            machine["cpu_model"].as_str().unwrap_or("unknown CPU"),
            machine["load_average_1min"]
        );
        if let Some(server) = &self.server {
            let _ = writeln!(
                out,
                "server:   started by the benchmark{}; start-up to first answer {:.1} ms; idle RSS {}; RSS after the run {}",
                server
                    .cpus
                    .as_ref()
                    .map(|c| format!(" on CPU {c}"))
                    .unwrap_or_default(),
                server.startup.as_secs_f64() * 1e3,
                kib(server.idle_rss_kib),
                kib(server.final_rss_kib),
            );
        }
        if let Some(preload) = self.preload {
            let _ = writeln!(out, "preload:  {:.2} s", preload.as_secs_f64());
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<9} {:>9} {:>7} {:>10} {:>10} {:>10} {:>10} {:>8} {:>12} {:>8}",
            "workload",
            "requests",
            "errors",
            "ops/s",
            "p50",
            "p99",
            "max",
            "ceiling",
            "server CPU",
            "busy"
        );
        let ceiling_rate = self.ceiling_rate();
        let rows = self.ceiling.iter().map(|c| ("ceiling", c, None)).chain(
            self.workloads
                .iter()
                .map(|w| (w.workload.name(), w, ceiling_rate)),
        );
        for (name, outcome, ceiling) in rows {
            let rate = outcome.ops_per_sec();
            let fraction = ceiling
                .filter(|c| *c > 0.0)
                .map(|c| format!("{:.0} %", rate / c * 100.0))
                .unwrap_or_else(|| "-".to_owned());
            let cpu = outcome
                .server_cpu_us_per_request()
                .map_or_else(|| "-".to_owned(), |us| format!("{us:.1} µs/op"));
            let busy = outcome
                .server_cpu_busy()
                .map_or_else(|| "-".to_owned(), |b| format!("{:.0} %", b * 100.0));
            let _ = writeln!(
                out,
                "{:<9} {:>9} {:>7} {:>10.0} {:>10} {:>10} {:>10} {:>8} {:>12} {:>8}",
                name,
                outcome.ok + outcome.error_count(),
                outcome.error_count(),
                rate,
                latency(outcome.latency.quantile(0.50)),
                latency(outcome.latency.quantile(0.99)),
                latency(outcome.latency.max()),
                fraction,
                cpu,
                busy,
            );
        }
        for outcome in self.workloads.iter().chain(self.ceiling.as_ref()) {
            for (kind, count) in &outcome.errors {
                let example = outcome.examples.get(kind).map_or("", String::as_str);
                let _ = writeln!(
                    out,
                    "{}: {count} × {kind}{}{example}",
                    outcome.workload.name(),
                    if example.is_empty() { "" } else { ": " },
                );
            }
        }
        let errors = self.error_count();
        if errors > 0 {
            let _ = writeln!(
                out,
                "\nTHIS RUN HAD {errors} FAILED REQUESTS: its numbers are not comparable."
            );
        }
        out
    }
}

fn kib(value: Option<u64>) -> String {
    value.map_or_else(
        || "unknown".to_owned(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

fn latency(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else {
        format!("{:.2} ms", us / 1000.0)
    }
}
