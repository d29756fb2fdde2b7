//! `palisade bench`: a closed-loop load generator for any DynamoDB-compatible endpoint.
//!
//! Every request is signed with SigV4 and sent on one of N keep-alive HTTP/1.1 connections, each
//! its own task sending its next request as soon as the previous answer is read. Without
//! `--endpoint` the benchmark starts `palisade serve` itself (on a fresh data directory, pinned
//! with `taskset` when asked) and also measures its start-up time and memory. With `--ceiling`
//! it first measures a minimal in-process server that answers every request with the same
//! GetItem body: what the generator and the HTTP stack can do on this machine, against which
//! every workload is reported as a fraction. See docs/performance.md.

mod client;
mod histogram;
mod report;
mod runner;
mod server;
mod setup;
mod workload;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use palisade_sigv4::Credentials;
use serde_json::json;

use client::Endpoint;
use report::{Report, ServerFacts};
use runner::Limits;
use server::{Ceiling, ChildServer};
use workload::{Shape, Workload};

/// Options of `palisade bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Endpoint to measure, `http://host:port`. Without it the benchmark starts `palisade serve`
    /// on a free loopback port and a temporary data directory.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Comma-separated workloads: get, put, query, mixed, cond, batch, transact, or all.
    #[arg(long, default_value = "all")]
    pub workloads: String,
    /// Concurrent keep-alive connections (closed loop: one request in flight on each).
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Measured time per workload (`10s`, `500ms`, `2m`); 10 s unless `--requests` is given.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Measured requests per workload (over all connections); with `--duration`, whichever
    /// ends first.
    #[arg(long)]
    pub requests: Option<u64>,
    /// Unmeasured warm-up per workload; 1 s in duration runs, none in request-count runs.
    #[arg(long, value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// Items preloaded (keys `item-0` ...) for get, mixed and cond.
    #[arg(long, default_value_t = 10_000)]
    pub items: u64,
    /// Table the benchmark creates (or reuses when it exists).
    #[arg(long, default_value = "palisade-bench")]
    pub table: String,
    /// Keep the table after the run (it is deleted when the benchmark created it).
    #[arg(long)]
    pub keep_table: bool,
    /// Skip the preload: the table already holds the items of an earlier run (`--keep-table`).
    /// For profiling a server, whose counters then see the workload only.
    #[arg(long)]
    pub no_preload: bool,
    /// Access key id to sign with (a server the benchmark starts gets it as its administrator's
    /// key: 16 to 128 letters and digits).
    #[arg(
        long,
        env = "AWS_ACCESS_KEY_ID",
        default_value = "AKIDPALISADEBENCH001"
    )]
    pub access_key: String,
    /// Secret access key to sign with.
    #[arg(
        long,
        env = "AWS_SECRET_ACCESS_KEY",
        default_value = "palisade-bench-secret-access-key-000000",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub secret_key: String,
    /// Session token of temporary credentials (ignored for a server the benchmark starts).
    #[arg(long, env = "AWS_SESSION_TOKEN", hide_env_values = true)]
    pub session_token: Option<String>,
    /// Region to sign for.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
    /// Print the results as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// Also measure the ceiling: an in-process server answering every request with the same
    /// small GetItem body.
    #[arg(long)]
    pub ceiling: bool,
    /// CPUs (`taskset -c` list) for the server the benchmark starts and for the ceiling server.
    #[arg(long)]
    pub server_cpu: Option<String>,
    /// CPUs (`taskset -c` list) for the load generator's threads.
    #[arg(long)]
    pub client_cpu: Option<String>,
    /// Load generator threads; defaults to the number of `--client-cpu` CPUs, else all CPUs.
    #[arg(long)]
    pub client_threads: Option<usize>,
    /// Data directory of the server the benchmark starts (default: a temporary directory,
    /// removed afterwards). For benchmark data only: the server is started with a fixed,
    /// public key-encryption key.
    #[arg(long)]
    pub server_data_dir: Option<PathBuf>,
}

/// Parses `10s`, `250ms`, `2m`, `1.5s` or a bare number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 10s, 500ms or 2m"))?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1e3,
        "m" | "min" => number * 60.0,
        _ => return Err(format!("{text:?}: use the units ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

/// Table names DynamoDB accepts (checked here because the name goes into hand-written JSON).
fn valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Runs the benchmark and returns the process exit status (failure when a request failed).
pub fn run(args: BenchArgs) -> ExitCode {
    match run_inner(args) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("palisade bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: BenchArgs) -> Result<u64, String> {
    let workloads = Workload::parse_list(&args.workloads)?;
    if args.connections == 0 {
        return Err("--connections must be at least 1".to_owned());
    }
    if args.items == 0 {
        return Err("--items must be at least 1".to_owned());
    }
    if !valid_table_name(&args.table) {
        return Err(format!(
            "{:?} is not a valid table name (3 to 255 of a-z, A-Z, 0-9, _ - .)",
            args.table
        ));
    }
    if args.endpoint.is_some() && (args.server_cpu.is_some() || args.server_data_dir.is_some()) {
        return Err(
            "--server-cpu and --server-data-dir apply to the server the benchmark starts; drop \
             them or --endpoint"
                .to_owned(),
        );
    }
    let limits = Limits {
        warmup: args.warmup.unwrap_or(if args.requests.is_some() {
            Duration::ZERO
        } else {
            Duration::from_secs(1)
        }),
        duration: match (args.duration, args.requests) {
            (None, None) => Some(Duration::from_secs(10)),
            (duration, _) => duration,
        },
        requests: args.requests,
    };
    let credentials = Credentials {
        access_key_id: args.access_key.clone(),
        secret_access_key: args.secret_key.clone(),
        // A server the benchmark starts knows the key as its administrator's long-term key.
        session_token: args
            .session_token
            .clone()
            .filter(|_| args.endpoint.is_some()),
    };
    let shape = Arc::new(Shape::new(
        args.table.clone(),
        args.items,
        args.connections as u64,
    ));

    let threads = args
        .client_threads
        .or_else(|| args.client_cpu.as_deref().and_then(server::count_cpus))
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1)
        .max(1);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(threads).enable_all();
    if let Some(cpus) = args.client_cpu.clone() {
        // Checked once on a throwaway thread (the main thread stays unpinned, so the server it
        // starts does not inherit the pinning), so a bad list is an error, not a silent no-op.
        let check = cpus.clone();
        std::thread::spawn(move || server::pin_current_thread(&check))
            .join()
            .map_err(|_| "cannot check --client-cpu".to_owned())??;
        builder.on_thread_start(move || {
            let _ = server::pin_current_thread(&cpus);
        });
    }
    let runtime = builder
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;

    let ceiling = if args.ceiling {
        Some(Ceiling::start(
            ceiling_body(&shape),
            args.server_cpu.clone(),
        )?)
    } else {
        None
    };
    let child = match &args.endpoint {
        Some(_) => None,
        None => Some(ChildServer::start(
            args.server_data_dir.as_deref(),
            args.server_cpu.as_deref(),
            &args.access_key,
            &args.secret_key,
        )?),
    };
    let url = match (&args.endpoint, &child) {
        (Some(url), _) => url.clone(),
        (None, Some(child)) => child.url.clone(),
        (None, None) => return Err("no endpoint to measure".to_owned()),
    };
    let endpoint = Endpoint::parse(&url, credentials.clone(), args.region.clone())?;
    let settings = json!({
        "workloads": workloads.iter().map(|w| w.name()).collect::<Vec<_>>(),
        "connections": args.connections,
        "duration_seconds": limits.duration.map(|d| d.as_secs_f64()),
        "requests": limits.requests,
        "warmup_seconds": limits.warmup.as_secs_f64(),
        "items": args.items,
        "table": args.table,
        "client_cpus": args.client_cpu,
        "client_threads": threads,
        "machine": machine_facts(),
    });

    let report = runtime.block_on(async {
        let mut report = Report {
            endpoint: url.clone(),
            settings,
            server: None,
            ceiling: None,
            preload: None,
            workloads: Vec::new(),
        };
        if let Some(child) = &child {
            setup::wait_for_first_answer(&endpoint, Duration::from_secs(30)).await?;
            let startup = child.spawned.elapsed();
            tokio::time::sleep(Duration::from_millis(200)).await;
            report.server = Some(ServerFacts {
                startup,
                idle_rss_kib: child.rss_kib(),
                final_rss_kib: None,
                cpus: args.server_cpu.clone(),
            });
        }
        if let Some(ceiling) = &ceiling {
            let ceiling_endpoint =
                Endpoint::parse(&ceiling.url, credentials.clone(), args.region.clone())?;
            report.ceiling = Some(
                runner::run(
                    &ceiling_endpoint,
                    &shape,
                    Workload::Get,
                    args.connections,
                    limits,
                    "ceiling",
                    None,
                )
                .await,
            );
        }
        note(&format!("creating table {} at {url}", args.table));
        let created = setup::create_table(&endpoint, &args.table).await?;
        if !args.no_preload {
            note(&format!(
                "preloading {} items",
                args.items + workload::QUERY_ITEMS as u64
            ));
            report.preload = Some(setup::preload(&endpoint, &shape, args.connections).await?);
        }
        for &workload in &workloads {
            let outcome = runner::run(
                &endpoint,
                &shape,
                workload,
                args.connections,
                limits,
                workload.name(),
                child.as_ref().map(ChildServer::pid),
            )
            .await;
            report.workloads.push(outcome);
        }
        if let (Some(facts), Some(child)) = (report.server.as_mut(), &child) {
            facts.final_rss_kib = child.rss_kib();
        }
        if created
            && !args.keep_table
            && let Err(message) = setup::delete_table(&endpoint, &args.table).await
        {
            note(&format!("warning: {message}"));
        }
        Ok::<Report, String>(report)
    })?;
    drop(ceiling);
    if let Some(child) = child
        && let Err(message) = child.stop()
    {
        note(&format!("warning: {message}"));
    }

    let mut stdout = std::io::stdout().lock();
    let printed = if args.json {
        writeln!(stdout, "{:#}", report.to_json())
    } else {
        write!(stdout, "{}", report.to_table())
    };
    printed
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write the results: {e}"))?;
    Ok(report.error_count())
}

/// A GetItem answer the size of a real one of this benchmark: what the ceiling server sends.
fn ceiling_body(shape: &Shape) -> Bytes {
    Bytes::from(
        json!({"Item": {
            "pk": {"S": "item-0"},
            "sk": {"S": "0"},
            "payload": {"S": shape.payload},
        }})
        .to_string(),
    )
}

/// What the numbers depend on: CPU count and model, and how busy the machine was before the run
/// (the load average of other work skews every figure).
fn machine_facts() -> serde_json::Value {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        });
    let load = std::fs::read_to_string("/proc/loadavg").ok().and_then(|l| {
        l.split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
    });
    json!({ "cpus": cpus, "cpu_model": model, "load_average_1min": load })
}

/// A progress note on standard error (the results go to standard output).
fn note(message: &str) {
    eprintln!("palisade bench: {message}");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("3h").is_err());
    }

    #[test]
    fn table_names_are_checked() {
        assert!(valid_table_name("palisade-bench"));
        assert!(!valid_table_name("ab"));
        assert!(!valid_table_name("a\"b\"c"));
    }
}
