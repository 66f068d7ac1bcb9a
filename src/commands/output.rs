//! Everything the binary prints goes through here. `print!` panics when stdout is a closed
//! pipe (`zadig-sync apply | head -n1`), which would end a run after its writes with exit 101
//! and no report; these helpers drop what can no longer be read instead, so the run finishes
//! and exits with the code it earned. Other write errors are dropped as well: output is not
//! worth failing a run that changed Zadig, and its outcome is still in the exit code.

use std::fmt::Display;
use std::io::Write;

/// Writes `text` to stdout and flushes it; a closed stdout is ignored.
pub fn out(text: impl Display) {
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{text}").and_then(|()| stdout.flush());
}

/// [`out`] followed by a newline.
pub fn outln(text: impl Display) {
    out(format_args!("{text}\n"));
}

/// Writes `text` to stderr; a closed stderr is ignored.
pub fn err(text: impl Display) {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{text}").and_then(|()| stderr.flush());
}

/// [`err`] followed by a newline.
pub fn errln(text: impl Display) {
    err(format_args!("{text}\n"));
}
