//! Headless Chromium from the distribution, to test the status page as people see it: after
//! its script ran (`--dump-dom`), and as pictures (`--screenshot`). Each run gets a fresh
//! profile and no network but loopback. Without a Chromium, tests are skipped, except in CI
//! (`CI=true`), where that is a failure: `.ci/run` installs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one page may take before the test fails (the page itself waits a few seconds of
/// virtual time for its requests).
const PATIENCE: Duration = Duration::from_secs(120);

pub struct Browser {
    binary: PathBuf,
}

impl Browser {
    /// `$CHROMIUM`, else the first of Chromium's usual names on `PATH`; `None` (the test is
    /// skipped, with a line saying so) outside CI.
    pub fn find() -> Option<Browser> {
        let named = std::env::var_os("CHROMIUM").map(PathBuf::from);
        let found = named.or_else(|| {
            [
                "chromium",
                "chromium-browser",
                "google-chrome",
                "google-chrome-stable",
            ]
            .into_iter()
            .find_map(on_path)
        });
        match found {
            Some(binary) => Some(Browser { binary }),
            None if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
                panic!(
                    "no Chromium found (set CHROMIUM, or `apt-get install chromium`); CI must run the browser tests"
                )
            }
            None => {
                eprintln!(
                    "skipped: no Chromium on PATH (set CHROMIUM=/path/to/chromium to run it)"
                );
                None
            }
        }
    }

    /// The page's DOM once its script has run.
    pub fn dump_dom(&self, url: &str) -> String {
        let output = self.run(&["--dump-dom".to_string()], url);
        String::from_utf8_lossy(&output).into_owned()
    }

    /// A PNG of the page at `width`×`height`, in `dark` colours or not, written to `path`.
    pub fn screenshot(&self, url: &str, (width, height): (u32, u32), dark: bool, path: &Path) {
        let mut args = vec![
            format!("--window-size={width},{height}"),
            "--hide-scrollbars".to_string(),
            format!("--screenshot={}", path.display()),
        ];
        if dark {
            args.push("--blink-settings=preferredColorScheme=0".to_string());
        }
        self.run(&args, url);
        let png = std::fs::read(path).expect("the screenshot was written");
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
            "a picture of the page"
        );
    }

    fn run(&self, extra: &[String], url: &str) -> Vec<u8> {
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut child = Command::new(&self.binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=5000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Chromium");
        let mut stdout = child.stdout.take().expect("Chromium's stdout");
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut stdout, &mut bytes).map(|_| bytes)
        });
        let deadline = Instant::now() + PATIENCE;
        while child.try_wait().expect("wait for Chromium").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("Chromium took more than {PATIENCE:?} on {url}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        reader
            .join()
            .expect("the reader")
            .expect("Chromium's output")
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
