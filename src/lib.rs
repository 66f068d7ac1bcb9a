//! zadig-sync: keep the builds of a Zadig server equal to YAML files in git.
//!
//! The whole program is one pipeline; each stage is a folder, and only the stages marked I/O
//! touch files or the network:
//!
//! ```text
//!                 ┌──────────┐  DesiredSet
//!  builds.d/ ───▶ │  load/   │ ─────────────┐          (every Diagnostic, at file:line:col)
//!                 └──────────┘              ▼
//!                                    ┌────────────┐   Plan    ┌──────────┐  ApplyReport
//!                                    │ reconcile/ │ ────────▶ │  apply/  │ ─────────────┐
//!                                    │  (pure)    │           └──────────┘              │
//!                 ┌──────────┐       └────────────┘                 │ writes            ▼
//!  Zadig API ───▶ │ remote/  │ ─────────────┘ LiveProject           ▼            ┌──────────┐
//!                 └──────────┘ ◀────────────────────────────── remote/           │ report/  │ ─▶ stdout
//!                                                                                │  (pure)  │
//!                                                                                └──────────┘
//! ```
//!
//! | module | owns | I/O |
//! |---|---|---|
//! | [`cli`] | the command line as clap structs; its doc comments are `--help` | no |
//! | [`commands`] | one file per subcommand; settings (flags > env > scope file > defaults), printing (never panicking on a closed pipe), exit codes; the only `anyhow` | yes |
//! | [`load`] | the directory walk, the scope file `zadig-sync.yaml`, YAML with positions, `${env:}`/`${file:}`, the rules: files → `DesiredSet` or every `Diagnostic` | reads files |
//! | [`reconcile`] | the file format and Zadig's wire shapes as types, the canonical model, normalise, the marker and fingerprint, the field diff, the plan | **no** (checked by CI) |
//! | [`remote`] | the typed client for Zadig's build routes: auth, retry, limits, answer size cap, paging, errors, the run's breaker and deadline, the `RequestObserver` hook; fetching the live state | HTTP |
//! | [`apply`] | executing a plan: stale checks, writes, read-back, one outcome per step | HTTP via `remote` |
//! | [`cache`] | `plan`/`apply --cache`: settled details on disk between runs, credential values as keyed digests | reads and writes files |
//! | [`report`] | plans, outcomes and diagnostics as text, JSON and Markdown | **no** (checked by CI) |
//! | [`daemon`] | `apply` for ever: file watch, resync and retries as one trigger stream, drift, the memory of settled details, `/healthz` `/readyz` `/metrics`, the status API and page | yes |
//! | [`emulator`] | Zadig's build API on loopback, with its quirks, for tests and trying | yes |
//! | [`fsio`] | files read and written safely: regular files only, within a cap; atomic writes that never follow a symlink | reads and writes files |
//! | [`git`] | `--git`: a shallow fetch of one ref into a private folder, signed-commit checks, the commit's files written out for the loader | network, writes files |
//! | [`export`] | `export`: Zadig's builds → build files (through `reconcile::export`) and the scope file | HTTP via `remote`, writes files |
//! | [`pull`] | `pull`: changes made in Zadig taken into the build files (through `reconcile::pull`), checked by loading them again, written or shown as a patch | reads and writes files |
//!
//! docs/architecture.md tells the same story at more length, with the safety rules; docs/zadig-api.md
//! records what Zadig's build API really does, which `reconcile` and `remote` rely on.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod apply;
pub mod backoff;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod daemon;
pub mod emulator;
pub mod export;
pub mod fsio;
pub mod git;
pub mod load;
pub mod logs;
pub mod pull;
pub mod reconcile;
pub mod remote;
pub mod report;
pub mod session;
