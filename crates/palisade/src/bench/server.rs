//! The servers the benchmark may start itself: a `palisade serve` child process on a fresh data
//! directory (optionally pinned to CPUs with `taskset`), and the in-process ceiling server that
//! answers every request with the same GetItem body.

use std::convert::Infallible;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// How long the child may take to print its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the child may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// The key-encryption key of the servers the benchmark starts (base64 of 32 bytes). It is public:
/// such a server holds benchmark data and the benchmark's own key only, and a fixed key lets a
/// `--server-data-dir` be reused across runs.
const BENCH_MASTER_KEY: &str = "YmVuY2gtb25seS1rZXktbm90LWEtc2VjcmV0LTMyYiE=";

/// Pins the calling thread (and the threads it starts later) to `cpus` (a `taskset -c` list).
pub fn pin_current_thread(cpus: &str) -> Result<(), String> {
    // `/proc/thread-self` links to `<pid>/task/<tid>`: the thread id without unsafe code.
    let link = std::fs::read_link("/proc/thread-self")
        .map_err(|e| format!("cannot find the current thread id: {e}"))?;
    let tid = link
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| "cannot find the current thread id".to_owned())?
        .to_owned();
    let status = Command::new("taskset")
        .args(["-c", "-p", cpus, &tid])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run taskset (is util-linux installed?): {e}"))?;
    if status.status.success() {
        Ok(())
    } else {
        Err(format!(
            "taskset -c -p {cpus} failed: {}",
            String::from_utf8_lossy(&status.stderr).trim()
        ))
    }
}

/// CPU time (user + system, all threads) a process has used so far, from `/proc/<pid>/stat`.
/// The kernel counts it in clock ticks of 10 ms (`USER_HZ` is 100 on every Linux architecture
/// the project runs on), so over a 5 s run of a busy server the resolution is about 0.2 %.
pub fn process_cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_ticks_of_stat(&stat).map(|ticks| Duration::from_millis(ticks * 10))
}

/// utime + stime of a `/proc/<pid>/stat` line (fields 14 and 15; the command name in field 2
/// may contain spaces and parentheses, so fields are counted after its last `)`).
fn cpu_ticks_of_stat(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// Counts the CPUs of a `taskset -c` list such as `0`, `2,3` or `0-3`.
pub fn count_cpus(list: &str) -> Option<usize> {
    let mut total = 0;
    for part in list.split(',').map(str::trim) {
        let (low, high) = part.split_once('-').unwrap_or((part, part));
        let low: usize = low.trim().parse().ok()?;
        let high: usize = high.trim().parse().ok()?;
        total += high.checked_sub(low)? + 1;
    }
    Some(total)
}

/// A `palisade serve` child process, stopped (SIGTERM, then SIGKILL) when dropped.
pub struct ChildServer {
    child: Child,
    pub url: String,
    /// When the process was spawned (start-up time is measured from here).
    pub spawned: Instant,
    data_dir: PathBuf,
    remove_data_dir: bool,
}

impl std::fmt::Debug for ChildServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChildServer")
            .field("pid", &self.child.id())
            .field("url", &self.url)
            .finish()
    }
}

impl ChildServer {
    /// Starts `palisade serve` (this very binary) on a free loopback port and waits for its
    /// listening line. `data_dir` `None` uses a fresh directory under the system's temporary
    /// directory, removed afterwards. The server's administrator gets the key
    /// `access_key_id`/`secret_access_key`, so requests signed with it are allowed everything.
    pub fn start(
        data_dir: Option<&Path>,
        cpus: Option<&str>,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Result<Self, String> {
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find the palisade binary: {e}"))?;
        let (data_dir, remove_data_dir) = match data_dir {
            Some(dir) => (dir.to_path_buf(), false),
            None => (fresh_temp_dir()?, true),
        };
        let log_path = data_dir.join("bench-server.log");
        let log = File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let mut command = match cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.args(["-c", cpus]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        command
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        command
            .env("PALISADE_ADMIN_ACCESS_KEY_ID", access_key_id)
            .env("PALISADE_ADMIN_SECRET_ACCESS_KEY", secret_access_key)
            .env("PALISADE_MASTER_KEY", BENCH_MASTER_KEY);
        if std::env::var_os("RUST_LOG").is_none() {
            // Per-request logging would measure the terminal, not the server.
            command.env("RUST_LOG", "warn");
        }
        let spawned = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let stdout = child.stdout.take();
        let mut server = Self {
            child,
            url: String::new(),
            spawned,
            data_dir,
            remove_data_dir,
        };
        let (sender, receiver) = mpsc::channel();
        if let Some(stdout) = stdout {
            std::thread::spawn(move || {
                // Reads every line so the child never blocks on a full pipe.
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix("palisade listening on ") {
                        let _ = sender.send(url.trim().to_owned());
                    }
                }
            });
        }
        match receiver.recv_timeout(START_TIMEOUT) {
            Ok(url) => {
                server.url = url;
                Ok(server)
            }
            Err(_) => {
                let _ = server.child.kill();
                let _ = server.child.wait();
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                Err(format!(
                    "the server did not start (no listening line within {} s); its log:\n{log}",
                    START_TIMEOUT.as_secs()
                ))
            }
        }
    }

    /// The server's process id (the `taskset` wrapper execs the server, keeping its id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the server process, from `/proc/<pid>/status`, in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Stops the server gracefully and removes its data directory when it was a temporary one.
    pub fn stop(mut self) -> Result<(), String> {
        self.terminate()
    }

    fn terminate(&mut self) -> Result<(), String> {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return self.cleanup();
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        let result = loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break Ok(()),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break Err("the server did not stop after SIGTERM; killed it".to_owned());
                }
            }
        };
        self.cleanup().and(result)
    }

    fn cleanup(&mut self) -> Result<(), String> {
        if self.remove_data_dir && self.data_dir.exists() {
            self.remove_data_dir = false;
            std::fs::remove_dir_all(&self.data_dir)
                .map_err(|e| format!("cannot remove {}: {e}", self.data_dir.display()))?;
        }
        Ok(())
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.terminate();
    }
}

/// A new empty directory under the temporary directory.
fn fresh_temp_dir() -> Result<PathBuf, String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    let dir =
        std::env::temp_dir().join(format!("palisade-bench-{}-{nanos:09}", std::process::id()));
    std::fs::create_dir(&dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}", dir.display()))?;
    Ok(dir)
}

/// The in-process ceiling server, stopped when dropped.
pub struct Ceiling {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Ceiling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ceiling").field("url", &self.url).finish()
    }
}

impl Ceiling {
    /// Starts a minimal HTTP/1.1 server on its own thread (pinned to `cpus` when given) that
    /// reads each request and answers `body` with the DynamoDB content type.
    pub fn start(body: Bytes, cpus: Option<String>) -> Result<Self, String> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(|e| format!("cannot start the ceiling server: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("cannot start the ceiling server: {e}"))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("cannot start the ceiling server: {e}"))?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, started) = mpsc::channel::<Result<(), String>>();
        let thread = std::thread::Builder::new()
            .name("bench-ceiling".to_owned())
            .spawn(move || {
                if let Some(cpus) = &cpus
                    && let Err(message) = pin_current_thread(cpus)
                {
                    let _ = ready.send(Err(message));
                    return;
                }
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready.send(Err(format!("cannot start the ceiling server: {e}")));
                        return;
                    }
                };
                runtime.block_on(serve_fixed(listener, body, stopped, ready));
            })
            .map_err(|e| format!("cannot start the ceiling server: {e}"))?;
        match started.recv() {
            Ok(Ok(())) => Ok(Self {
                url: format!("http://{address}"),
                stop: Some(stop),
                thread: Some(thread),
            }),
            Ok(Err(message)) => Err(message),
            Err(_) => Err("the ceiling server thread ended early".to_owned()),
        }
    }
}

impl Drop for Ceiling {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve_fixed(
    listener: std::net::TcpListener,
    body: Bytes,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
    ready: mpsc::Sender<Result<(), String>>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            let _ = ready.send(Err(format!("cannot start the ceiling server: {e}")));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let body = body.clone();
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let body = body.clone();
                    async move {
                        // Read the request like a real server before answering.
                        let _ = request.into_body().collect().await;
                        let mut response = hyper::Response::new(Full::new(body));
                        response.headers_mut().insert(
                            http::header::CONTENT_TYPE,
                            http::HeaderValue::from_static(super::client::AMZ_JSON),
                        );
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
            _ = &mut stopped => break,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_from_the_stat_line() {
        let line = "4242 (palisade (x) y) S 1 4242 4242 0 -1 4194560 5000 0 0 0 731 129 0 0 20 0 \
                    9 0 100 300000000 2500 18446744073709551615 1 1 0 0 0 0 0 4096 17475 0 0 0 17";
        assert_eq!(cpu_ticks_of_stat(line), Some(860));
        assert_eq!(cpu_ticks_of_stat("garbage"), None);
        let own = process_cpu_time(std::process::id());
        assert!(own.is_some(), "this process's own CPU time is readable");
    }

    #[test]
    fn cpu_lists_are_counted() {
        assert_eq!(count_cpus("0"), Some(1));
        assert_eq!(count_cpus("0,2"), Some(2));
        assert_eq!(count_cpus("0-3,6"), Some(5));
        assert_eq!(count_cpus("x"), None);
        assert_eq!(count_cpus("3-1"), None);
    }
}
