//! The closed loop: N connections, each its own task sending its next request as soon as the
//! previous answer is read, until the run's duration or request count is used up.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::client::{Connection, Endpoint};
use super::histogram::Histogram;
use super::workload::{self, Rng, Shape, Workload};

/// Pause after a failed connection attempt, so a dead endpoint does not make a loop spin.
const RECONNECT_PAUSE: Duration = Duration::from_millis(20);

/// When a run stops.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Unmeasured requests before the measurement starts.
    pub warmup: Duration,
    /// Measured time; `None` when only `requests` bounds the run.
    pub duration: Option<Duration>,
    /// Measured requests over all connections; `None` when only `duration` bounds the run.
    pub requests: Option<u64>,
}

/// What one workload run measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub workload: Workload,
    /// Measured requests that got an answer and passed the checks.
    pub ok: u64,
    /// Measured requests that failed, by kind.
    pub errors: BTreeMap<String, u64>,
    /// One example message per error kind.
    pub examples: BTreeMap<String, String>,
    /// Time from the start of the measurement to the last answer.
    pub elapsed: Duration,
    /// Latencies of the successful requests.
    pub latency: Histogram,
    /// CPU time the server used during the measurement, when the benchmark started the server
    /// (it reads the process's counters; another endpoint's are out of reach).
    pub server_cpu: Option<Duration>,
}

impl Outcome {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Requests (successful or not) per second.
    pub fn ops_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            (self.ok + self.error_count()) as f64 / secs
        } else {
            0.0
        }
    }

    /// Server CPU time per request, in microseconds: how much of a core each request costs,
    /// which other work on the machine disturbs far less than throughput.
    pub fn server_cpu_us_per_request(&self) -> Option<f64> {
        let requests = self.ok + self.error_count();
        self.server_cpu
            .filter(|_| requests > 0)
            .map(|cpu| cpu.as_secs_f64() * 1e6 / requests as f64)
    }

    /// The fraction of one CPU the server kept busy during the measurement.
    pub fn server_cpu_busy(&self) -> Option<f64> {
        let secs = self.elapsed.as_secs_f64();
        self.server_cpu
            .filter(|_| secs > 0.0)
            .map(|cpu| cpu.as_secs_f64() / secs)
    }
}

/// Shared between the connections of one run.
struct Shared {
    /// Measured requests claimed so far (request-count runs).
    claimed: AtomicU64,
    /// Measured requests answered so far (for the progress line).
    answered: AtomicU64,
}

/// Runs `workload` against `endpoint` over `connections` connections. With `server_pid`, the
/// server's CPU time over the measured part is recorded too.
pub async fn run(
    endpoint: &Endpoint,
    shape: &Arc<Shape>,
    workload: Workload,
    connections: usize,
    limits: Limits,
    progress_label: &str,
    server_pid: Option<u32>,
) -> Outcome {
    let shared = Arc::new(Shared {
        claimed: AtomicU64::new(0),
        answered: AtomicU64::new(0),
    });
    let start = Instant::now();
    let measure_from = start + limits.warmup;
    let deadline = limits.duration.map(|d| measure_from + d);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x5EED, |t| t.as_nanos() as u64);

    let mut tasks = Vec::with_capacity(connections);
    for connection in 0..connections {
        let worker = Worker {
            endpoint: endpoint.clone(),
            shape: Arc::clone(shape),
            workload,
            connection: connection as u64,
            shared: Arc::clone(&shared),
            measure_from,
            deadline,
            requests: limits.requests,
            rng: Rng::new(
                seed.wrapping_add(connection as u64)
                    .wrapping_mul(0x2545_F491),
            ),
        };
        tasks.push(tokio::spawn(worker.run()));
    }

    // The server's CPU counter when the measurement starts (after the warm-up).
    let cpu_at_start = server_pid.map(|pid| {
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from.into()).await;
            super::server::process_cpu_time(pid)
        })
    });
    let progress = Progress::new(progress_label, measure_from, limits);
    let mut outcome = Outcome {
        workload,
        ok: 0,
        errors: BTreeMap::new(),
        examples: BTreeMap::new(),
        elapsed: Duration::ZERO,
        latency: Histogram::default(),
        server_cpu: None,
    };
    let mut last_answer = measure_from;
    let mut joined = collect_as_finished(tasks);
    loop {
        tokio::select! {
            next = joined.recv() => {
                let Some(result) = next else { break };
                match result {
                    Ok(part) => {
                        outcome.ok += part.ok;
                        outcome.latency.merge(&part.latency);
                        for (kind, count) in part.errors {
                            *outcome.errors.entry(kind).or_default() += count;
                        }
                        for (kind, message) in part.examples {
                            outcome.examples.entry(kind).or_insert(message);
                        }
                        last_answer = last_answer.max(part.last_answer);
                    }
                    Err(error) => {
                        *outcome.errors.entry("generator task failed".to_owned()).or_default() += 1;
                        outcome.examples.entry("generator task failed".to_owned()).or_insert(error.to_string());
                    }
                }
            }
            () = tokio::time::sleep(Duration::from_millis(200)) => {
                progress.draw(shared.answered.load(Ordering::Relaxed));
            }
        }
    }
    progress.finish();
    outcome.elapsed = last_answer.saturating_duration_since(measure_from);
    if let (Some(pid), Some(start)) = (server_pid, cpu_at_start) {
        let end = super::server::process_cpu_time(pid);
        if let (Ok(Some(start)), Some(end)) = (start.await, end) {
            outcome.server_cpu = Some(end.saturating_sub(start));
        }
    }
    outcome
}

/// Collects the workers' results as they finish.
fn collect_as_finished(
    tasks: Vec<tokio::task::JoinHandle<Part>>,
) -> tokio::sync::mpsc::UnboundedReceiver<Result<Part, tokio::task::JoinError>> {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    for task in tasks {
        let sender = sender.clone();
        tokio::spawn(async move {
            let _ = sender.send(task.await);
        });
    }
    receiver
}

/// One connection's share of a run.
struct Worker {
    endpoint: Endpoint,
    shape: Arc<Shape>,
    workload: Workload,
    connection: u64,
    shared: Arc<Shared>,
    measure_from: Instant,
    deadline: Option<Instant>,
    requests: Option<u64>,
    rng: Rng,
}

/// What one connection measured.
struct Part {
    ok: u64,
    errors: BTreeMap<String, u64>,
    examples: BTreeMap<String, String>,
    latency: Histogram,
    last_answer: Instant,
}

impl Part {
    fn error(&mut self, kind: String, message: String) {
        *self.errors.entry(kind.clone()).or_default() += 1;
        self.examples.entry(kind).or_insert(message);
    }
}

impl Worker {
    /// Whether the next request is measured (`Some(true)`), warm-up (`Some(false)`), or the
    /// run is over (`None`).
    fn next_slot(&self, now: Instant) -> Option<bool> {
        if self.deadline.is_some_and(|d| now >= d) {
            return None;
        }
        if now < self.measure_from {
            return Some(false);
        }
        if let Some(limit) = self.requests
            && self.shared.claimed.fetch_add(1, Ordering::Relaxed) >= limit
        {
            return None;
        }
        Some(true)
    }

    async fn run(mut self) -> Part {
        let mut part = Part {
            ok: 0,
            errors: BTreeMap::new(),
            examples: BTreeMap::new(),
            latency: Histogram::default(),
            last_answer: self.measure_from,
        };
        let mut connection: Option<Connection> = None;
        while let Some(measured) = self.next_slot(Instant::now()) {
            let conn = match connection.as_mut() {
                Some(conn) => conn,
                None => match Connection::open(&self.endpoint).await {
                    Ok(conn) => connection.insert(conn),
                    Err(message) => {
                        if measured {
                            part.error("connection failed".to_owned(), message);
                            self.shared.answered.fetch_add(1, Ordering::Relaxed);
                        }
                        tokio::time::sleep(RECONNECT_PAUSE).await;
                        continue;
                    }
                },
            };
            let (target, body, expect) =
                workload::next_request(&self.shape, self.workload, &mut self.rng, self.connection);
            let sent = Instant::now();
            let result = conn.call(&self.endpoint, target, body).await;
            let answered = Instant::now();
            let failure = match result {
                Ok(answer) if answer.status == 200 => workload::check(expect, &answer.body)
                    .err()
                    .map(|what| ("wrong answer".to_owned(), what.to_owned())),
                Ok(answer) => Some((answer.error_kind(), answer.error_message())),
                Err(message) => {
                    connection = None;
                    Some(("transport error".to_owned(), message))
                }
            };
            if !measured {
                continue;
            }
            self.shared.answered.fetch_add(1, Ordering::Relaxed);
            part.last_answer = answered;
            match failure {
                None => {
                    part.ok += 1;
                    part.latency.record(answered - sent);
                }
                Some((kind, message)) => part.error(kind, message),
            }
        }
        part
    }
}

/// A one-line progress bar on standard error, drawn only when it is a terminal.
struct Progress {
    label: String,
    measure_from: Instant,
    limits: Limits,
    enabled: bool,
}

impl Progress {
    fn new(label: &str, measure_from: Instant, limits: Limits) -> Self {
        Self {
            label: label.to_owned(),
            measure_from,
            limits,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    fn draw(&self, answered: u64) {
        if !self.enabled {
            return;
        }
        const WIDTH: usize = 30;
        let now = Instant::now();
        let line = if now < self.measure_from {
            format!("{:<9} warming up", self.label)
        } else {
            let elapsed = now - self.measure_from;
            let by_time = self
                .limits
                .duration
                .map_or(0.0, |d| elapsed.as_secs_f64() / d.as_secs_f64().max(1e-9));
            let by_count = self
                .limits
                .requests
                .map_or(0.0, |n| answered as f64 / n.max(1) as f64);
            let fraction = by_time.max(by_count).clamp(0.0, 1.0);
            let filled = (fraction * WIDTH as f64).round() as usize;
            let rate = answered as f64 / elapsed.as_secs_f64().max(1e-3);
            format!(
                "{:<9} [{}{}] {:>3.0} %  {:>9.0} ops/s",
                self.label,
                "#".repeat(filled),
                "-".repeat(WIDTH - filled),
                fraction * 100.0,
                rate
            )
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}\x1b[K");
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}
