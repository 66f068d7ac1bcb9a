//! The exclusive lock on an emulator's state file, so that two processes never serve one
//! state (each would write its own builds over the other's). The lock is an OS file lock
//! (`flock`, through fs4) on `<state>.lock`, released when the process ends however it ends;
//! the file also says who holds it (pid and command line), for the message of whoever waits.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use fs4::{FileExt, TryLockError};

/// How often a waiting process tries the lock again.
const RETRY_EVERY: Duration = Duration::from_millis(100);

/// Held while the state file is in use; dropping it releases the lock.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot open or lock {path}, the lock of the emulator's state")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "the emulator state {state} is in use by {holder}; gave up after {}s. Wait for that \
         run to finish or stop it, then try again",
        waited.as_secs()
    )]
    Busy {
        state: PathBuf,
        holder: String,
        waited: Duration,
    },
}

/// `<state>.lock`, beside the state file.
pub fn lock_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl StateLock {
    /// Takes the lock of `state`, waiting up to `timeout` while another process holds it;
    /// `waiting` is told once who that is. Writes `holder` (who we are) into the lock file.
    pub async fn acquire(
        state: &Path,
        holder: &str,
        timeout: Duration,
        mut waiting: impl FnMut(&str),
    ) -> Result<StateLock, LockError> {
        let path = lock_path(state);
        let io_error = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        let started = tokio::time::Instant::now();
        let mut told = false;
        loop {
            match FileExt::try_lock(&file) {
                Ok(()) => {
                    write_holder(&mut file, holder).map_err(io_error)?;
                    return Ok(StateLock { _file: file });
                }
                Err(TryLockError::Error(source)) => return Err(io_error(source)),
                Err(TryLockError::WouldBlock) => {}
            }
            let other = read_holder(&mut file);
            if started.elapsed() >= timeout {
                return Err(LockError::Busy {
                    state: state.to_path_buf(),
                    holder: other,
                    waited: timeout,
                });
            }
            if !told {
                waiting(&other);
                told = true;
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
    }
}

fn write_holder(file: &mut File, holder: &str) -> io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(format!("{holder}\n").as_bytes())?;
    file.flush()
}

/// Who holds the lock, as its holder wrote it (`another process` if it has not yet).
fn read_holder(file: &mut File) -> String {
    let mut text = String::new();
    let read = file
        .rewind()
        .and_then(|()| file.take(1024).read_to_string(&mut text));
    match read.map(|_| text.trim().to_string()) {
        Ok(holder) if !holder.is_empty() => holder,
        _ => "another process".to_string(),
    }
}

/// `process PID (ARGS…)` for this process, with the value of `--token` hidden (it is the
/// standalone emulator's admin token).
pub fn describe_this_process() -> String {
    describe_process(std::process::id(), std::env::args())
}

fn describe_process(pid: u32, args: impl Iterator<Item = String>) -> String {
    let mut words = Vec::new();
    let mut hide_next = false;
    for arg in args {
        if hide_next {
            words.push("(hidden)".to_string());
            hide_next = false;
        } else if arg == "--token" {
            words.push(arg);
            hide_next = true;
        } else if arg.starts_with("--token=") {
            words.push("--token=(hidden)".to_string());
        } else {
            words.push(arg);
        }
    }
    format!("process {pid} ({})", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_held_lock_names_its_holder_and_is_given_up_after_the_timeout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state.json");
        let first = StateLock::acquire(&state, "process 1 (first)", Duration::ZERO, |_| {})
            .await
            .expect("first lock");
        let mut told = Vec::new();
        let error = StateLock::acquire(&state, "process 2", Duration::from_secs(5), |h| {
            told.push(h.to_string());
        })
        .await
        .expect_err("busy");
        assert_eq!(told, ["process 1 (first)"]);
        assert!(
            error
                .to_string()
                .contains("in use by process 1 (first); gave up after 5s"),
            "{error}"
        );
        drop(first);
        StateLock::acquire(&state, "process 2", Duration::ZERO, |_| {})
            .await
            .expect("free again");
    }

    #[test]
    fn the_token_is_never_written_into_the_lock_file() {
        let args = [
            "zadig-sync",
            "emulator",
            "--token",
            "s3cret",
            "--token=s3cret",
            "--state",
            "s",
        ];
        assert_eq!(
            describe_process(7, args.iter().map(|a| a.to_string())),
            "process 7 (zadig-sync emulator --token (hidden) --token=(hidden) --state s)"
        );
    }
}
