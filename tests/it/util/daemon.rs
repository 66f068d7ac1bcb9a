//! The real `zadig-sync daemon` binary as a child process against an emulator: its stderr
//! collected as it comes, its endpoints, polling with a bounded wait, and SIGTERM.

use std::io::Read;
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::cli::{Emulator, TOKEN, command, http};

/// How long a poll may take before the test fails: generous, for a loaded 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A running daemon, killed when dropped (unless it was terminated).
pub struct Daemon {
    child: Child,
    log: Arc<Mutex<String>>,
    /// Where `/healthz`, `/readyz` and `/metrics` are served.
    pub addr: String,
}

impl Daemon {
    /// Starts `daemon --listen 127.0.0.1:0 <args>` in `workdir` against `emulator`, with the
    /// token and `env` in its environment; waits until it serves its endpoints.
    pub fn start(workdir: &Path, emulator: &Emulator, args: &[&str], env: &[(&str, &str)]) -> Self {
        let url = emulator.url();
        let mut env = env.to_vec();
        env.extend([("ZADIG_URL", url.as_str()), ("ZADIG_TOKEN", TOKEN)]);
        Daemon::spawn(workdir, args, &env)
    }

    /// Starts `daemon --listen 127.0.0.1:0 <args>` in `workdir` with only `env` added to a
    /// clean environment (for `--emulator`, no server at all).
    pub fn spawn(workdir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = command(workdir);
        cmd.args(["daemon", "--listen", "127.0.0.1:0"])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn the daemon");
        let log = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().expect("daemon stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n @ 1..) = stderr.read(&mut buffer) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let mut daemon = Daemon {
            child,
            log,
            addr: String::new(),
        };
        let mut addr = None;
        daemon.wait("the daemon serves its endpoints", || {
            addr = listening_address(&daemon.logs());
            addr.is_some()
        });
        daemon.addr = addr.unwrap_or_default();
        daemon
    }

    /// Everything written to stderr so far.
    pub fn logs(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        http(&self.addr, "GET", path, None, None)
    }

    pub fn metrics(&self) -> String {
        let (status, body) = self.get("/metrics");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// The value of one sample of `/metrics` (0 when absent), e.g.
    /// `zadig_sync_passes_total{result="success"}`.
    pub fn metric(&self, sample: &str) -> f64 {
        self.metrics()
            .lines()
            .find_map(|line| line.strip_prefix(sample)?.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// Waits until `/readyz` answers 200.
    pub fn wait_ready(&self) {
        self.wait("the daemon is ready", || self.get("/readyz").0 == 200);
    }

    /// Polls `condition` until it holds; fails the test, with the daemon's logs, after
    /// [`PATIENCE`].
    pub fn wait(&self, what: &str, condition: impl FnMut() -> bool) {
        assert!(
            poll(condition),
            "timed out waiting until {what}; logs:\n{}",
            self.logs()
        );
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn terminate(self) -> ExitStatus {
        self.signal_term();
        self.wait_exit()
    }

    /// Sends SIGTERM twice, the second once the first was acknowledged, and waits for the
    /// exit.
    pub fn terminate_twice(self) -> ExitStatus {
        self.signal_term();
        self.wait("the first SIGTERM is acknowledged", || {
            self.logs().contains("SIGTERM received")
        });
        self.signal_term();
        self.wait_exit()
    }

    fn signal_term(&self) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    }

    fn wait_exit(mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the daemon") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "no exit after SIGTERM:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in the daemon's "serving /healthz…" log line (text or JSON).
fn listening_address(logs: &str) -> Option<String> {
    logged_address(logs, "serving /healthz")
}

/// The loopback address in the first log line that contains `what`.
pub fn logged_address(logs: &str, what: &str) -> Option<String> {
    let line = logs.lines().find(|l| l.contains(what))?;
    let start = line.find("127.0.0.1:")?;
    let digits: String = line[start + 10..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(format!("127.0.0.1:{digits}"))
}

/// Polls `condition` every 50 ms until it holds (true) or [`PATIENCE`] ran out (false).
pub fn poll(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}
