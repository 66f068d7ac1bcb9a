//! The command line: clap-derive structs, whose doc comments are the `--help` text, and the
//! values flags choose among ([`choices`]). Nothing below `commands/` sees these types. No I/O.
//!
//! Command names, flags and environment variables here are a contract with users' scripts:
//! add, never rename.

pub mod choices;
pub mod git;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::remote::config::parse_size;
pub use choices::{
    ColorArg, DriftArg, EditionArg, LogFormatArg, OutputArg, StateArg, StatusOutputArg,
    ValidateOutputArg,
};
pub use git::{GitArgs, GitDaemonArgs};

/// `--version`: the package version, and the git commit and date it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("ZADIG_SYNC_BUILD_COMMIT"),
    ")"
);

/// `--log`'s default: zadig-sync's own warnings only (the daemon raises it to `info`).
pub const DEFAULT_LOG: &str = "zadig_sync=warn";

/// Keep Zadig builds equal to YAML files in git: validate, plan, apply, daemon.
#[derive(Debug, Parser)]
#[command(
    name = "zadig-sync",
    version = VERSION,
    about,
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log filter for stderr (tracing's env-filter syntax), e.g. `zadig_sync=debug`, or
    /// `debug` to include the libraries'. An invalid filter is refused.
    #[arg(
        long,
        global = true,
        help_heading = "Logging",
        env = "ZADIG_SYNC_LOG",
        default_value = DEFAULT_LOG
    )]
    pub log: String,

    /// Write logs to stderr as JSON lines instead of text.
    #[arg(long, global = true, help_heading = "Logging")]
    pub log_json: bool,

    /// Colour the text output: `auto` (on a terminal, unless `NO_COLOR` is set; `CLICOLOR_FORCE`
    /// forces it), `always` or `never`.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        help_heading = "Output"
    )]
    pub color: ColorArg,
}

// Parsed once per process: the size of its largest variant (the daemon's flags) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the build files offline: parse, validate, report every problem at file:line:column.
    ///
    /// Needs no server and no secrets: an unresolved `${env:…}` or `${file:…}` is a warning here.
    /// Exit 0 when valid, 1 when any error was found.
    Validate(ValidateArgs),
    /// Print a JSON Schema (draft-07) of a build file (or, with --scope, of the scope file
    /// `zadig-sync.yaml`; with --defaults, of a defaults file `_defaults.yaml`), for editor
    /// completion.
    Schema(SchemaArgs),
    /// Dry run: compare the files with Zadig field by field and print what would change.
    ///
    /// Exit 0 when the plan can be applied (with --detailed-exitcode: 0 only when Zadig matches
    /// the files, 2 changes), 1 on error or when a step is refused.
    Plan(PlanArgs),
    /// Make Zadig match the files: create, update and (with --prune) delete builds.
    ///
    /// Exit 0 when every step was done, 1 when any step failed, was refused or could not be
    /// verified, when a project could not be read, or on error.
    Apply(ApplyArgs),
    /// Keep Zadig equal to the files for ever: watch the folder, resync on a timer, correct drift.
    ///
    /// Each pass is `apply` with all its safety rules. Serves `/healthz`, `/readyz`,
    /// `/metrics`, the status page (`/`) and the status API on `--listen`. Stops on SIGTERM
    /// or Ctrl-C (exit 0) once writes in flight end; a second signal stops at once (exit 130
    /// after Ctrl-C, 143 after SIGTERM). Logs at `zadig_sync=info` unless --log or
    /// ZADIG_SYNC_LOG says otherwise.
    Daemon(DaemonArgs),
    /// Print a plan saved by `plan --out`, without applying it.
    ///
    /// Exit 0 when the plan was printed, 1 when the file is not a saved plan of this version.
    Show(ShowPlanArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell) on stdout.
    ///
    /// For example `zadig-sync completions bash > ~/.local/share/bash-completion/completions/zadig-sync`.
    Completions(CompletionsArgs),
    /// Serve Zadig's build API on loopback, with its quirks, for tests and for trying things out.
    Emulator(EmulatorArgs),
    /// Ask a running daemon how each build stands: a table (PROJECT, BUILD, STATE, SINCE,
    /// MESSAGE) and a summary.
    ///
    /// Exit 0 when every build shown is in sync, 2 when one is pending or drifted, 1 when one
    /// is failing, refused or held, when the daemon's last pass could not read Zadig or the
    /// files, or when the daemon cannot be reached.
    Status(StatusArgs),
    /// Write the builds a project already has in Zadig as build files, to adopt them.
    ///
    /// One file per build under OUT/<project>/<build>.yaml; fields Zadig does not return are
    /// inferred and commented; credentials become `${env:…}` references. The projects are added
    /// to the scope file OUT/zadig-sync.yaml (created if missing). Exit 1 when any build or
    /// project could not be exported (the others are), or a file exists (see --overwrite).
    Export(ExportArgs),
    /// Take changes made in Zadig's UI back into the build files, editing them in place.
    ///
    /// For each build `plan` shows changed in Zadig while its file did not change (drift), the
    /// file is edited to say what Zadig has, with the smallest edit: comments, order, quoting
    /// and other documents stay. What cannot be pulled (a value from `${env:}` or `${file:}`, a
    /// credential, a value inherited from a defaults file) is said per field and left as it
    /// is. Builds no file describes are left to `export`. Exit 0 when everything that differed
    /// was pulled, 2 when something was left (listed), 1 on error.
    Pull(PullArgs),
}

/// The folder of build files when neither `--dir` nor `ZADIG_SYNC_DIR` names one.
pub const DEFAULT_DIR: &str = "builds.d";

/// Where the build files are.
#[derive(Debug, Clone, Args)]
pub struct DirArgs {
    /// Folder of build files (`*.yaml`, `*.yml`, searched recursively).
    #[arg(long, env = "ZADIG_SYNC_DIR", default_value = DEFAULT_DIR)]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema of the scope file, `zadig-sync.yaml`, instead of a build file's.
    #[arg(long, conflicts_with = "defaults")]
    pub scope: bool,
    /// The schema of a defaults file, `_defaults.yaml` (every field optional), instead of a
    /// build file's.
    #[arg(long)]
    pub defaults: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub dir: DirArgs,
    /// How to print diagnostics: `text`, `json` (one versioned document), `markdown`, `github`
    /// (workflow commands: annotations on a pull request's lines) or `gitlab` (a Code Quality
    /// report, for `artifacts:reports:codequality`).
    #[arg(long, value_enum, default_value = "text")]
    pub output: ValidateOutputArg,
    /// With --git: allow a plain http:// address that is not loopback.
    #[arg(long, requires = "git")]
    pub insecure_http: bool,
    #[command(flatten)]
    pub git: GitArgs,
}

/// How to reach Zadig. The token is never a flag value: it would show in `ps`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Connection")]
pub struct ServerArgs {
    /// Zadig's address, e.g. `https://zadig.example.com` (else `url:` in zadig-sync.yaml).
    #[arg(long, env = "ZADIG_URL")]
    pub url: Option<String>,
    /// File holding the API token. Without it: `ZADIG_TOKEN`, else the file named by
    /// `ZADIG_TOKEN_FILE`.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Extra CA certificates (PEM) to trust besides the system roots, for a private CA.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// Allow sending the token over plain http:// to a host that is not loopback.
    #[arg(long)]
    pub insecure_http: bool,
    /// Requests per second to Zadig at most (0 = no limit) [default: `rate_limit:` in
    /// zadig-sync.yaml, else 50].
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// Requests that may go before --rate-limit paces them, so a one-shot run over a few
    /// hundred builds goes at full --concurrency (which still bounds the requests in flight)
    /// [default: 1500].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub burst: Option<u32>,
    /// Requests in flight to Zadig at most [default: `concurrency:` in zadig-sync.yaml, else 16].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: Option<u32>,
    /// Time allowed for one request, e.g. `30s`.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub request_timeout: std::time::Duration,
    /// Largest answer read from Zadig, e.g. `8MiB` (bytes, or with KiB, MiB, GiB); a larger
    /// answer fails its request.
    #[arg(long, default_value = "8MiB", value_parser = parse_size)]
    pub max_body_size: u64,
    /// Time allowed for the whole run, e.g. `10m`; past it nothing more is sent (`0s`: no limit).
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    pub deadline: std::time::Duration,
    /// Use the bundled emulator, started in-process with its state in
    /// `.zadig-sync/emulator-state.json` under the working directory, instead of a Zadig server.
    #[arg(long)]
    pub emulator: bool,
}

/// Which projects a run manages and what it may delete.
#[derive(Debug, Clone, Args)]
pub struct ScopeArgs {
    /// Restrict this run to this project (repeatable): files of other projects are neither
    /// planned nor applied. A project with no file left may be named, to prune it.
    #[arg(
        long = "project",
        value_name = "PROJECT",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub projects: Vec<String>,
    /// Delete managed builds written by zadig-sync that no file describes any more
    /// (also `prune: true` in zadig-sync.yaml).
    #[arg(long)]
    pub prune: bool,
    /// Refuse all deletions when more than this many would be made [default: `max_deletes:`
    /// in zadig-sync.yaml, else 5].
    #[arg(long)]
    pub max_deletes: Option<usize>,
}

/// `--cache`: where `plan` and `apply` keep settled details between runs.
#[derive(Debug, Clone, Args)]
pub struct CacheArgs {
    /// Keep the details of builds that did not change in this folder between runs, so that a
    /// run reads one list per project and only the builds edited since (docs/cache.md).
    /// Entries are authenticated with a key derived from the API token; credential values are
    /// stored as keyed digests only [default: the user's cache folder,
    /// `$XDG_CACHE_HOME/zadig-sync` or `~/.cache/zadig-sync`; with --emulator,
    /// `.zadig-sync/cache`].
    #[arg(long, env = "ZADIG_SYNC_CACHE", value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Keep nothing between runs: read every build's detail.
    #[arg(long)]
    pub no_cache: bool,
}

/// How a plan is shown.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Output")]
pub struct ShowArgs {
    /// Output format: `text` for people, `json` (one versioned document, see
    /// docs/plan-output.md) for scripts, `markdown` for a pull-request comment.
    #[arg(long, value_enum, default_value = "text")]
    pub output: OutputArg,
    /// List the builds in Zadig that no file describes (kept), instead of only counting them.
    #[arg(long)]
    pub show_kept: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub dir: DirArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Exit 0 only when Zadig matches the files, 2 when there are changes, 1 on error or
    /// when a step is refused.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Save the plan to this file, for `apply --plan` (not when the plan has errors).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub cache: CacheArgs,
    // Flattened last: each starts a help heading of its own, which later flags would join.
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub show: ShowArgs,
    #[command(flatten)]
    pub git: GitArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub dir: DirArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Do not ask for confirmation. Needed without a terminal (unless --plan FILE is given).
    #[arg(long)]
    pub yes: bool,
    /// Execute a plan saved by `plan --out` (refused whole if the files, the scope file or
    /// --max-deletes would not plan it now). The saved plan records whether it was made with
    /// --prune and which projects, so it takes no --prune or --project.
    #[arg(long, conflicts_with_all = ["prune", "projects"])]
    pub plan: Option<PathBuf>,
    #[command(flatten)]
    pub cache: CacheArgs,
    // Flattened last: each starts a help heading of its own, which later flags would join.
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub show: ShowArgs,
}

#[derive(Debug, Args)]
pub struct DaemonArgs {
    #[command(flatten)]
    pub dir: DirArgs,
    // The daemon's own flags first, under their heading; the groups below start their own.
    #[command(flatten)]
    pub daemon: DaemonOwnArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub git: GitArgs,
    #[command(flatten)]
    pub git_daemon: GitDaemonArgs,
}

/// What only the daemon takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Daemon")]
pub struct DaemonOwnArgs {
    /// Resync with Zadig this often even when no file changed (catches edits made in Zadig);
    /// from 1s to 7 days.
    #[arg(long, default_value = "5m", value_parser = parse_interval)]
    pub interval: Duration,
    /// Wait until the folder has been quiet this long before a pass (a checkout writes many
    /// files); from 10ms to 1m. A folder that never goes quiet is read at least every 20
    /// quiet periods.
    #[arg(long, default_value = "500ms", value_parser = parse_debounce)]
    pub debounce: Duration,
    /// Read every build's detail again this often; between, settled details are remembered;
    /// from 1m to 30 days.
    #[arg(long, default_value = "1h", value_parser = parse_full_resync)]
    pub full_resync: Duration,
    /// Address for `/healthz`, `/readyz`, `/metrics`, the status page and API (any address: no
    /// secret is served, and nothing there can change anything).
    #[arg(long, default_value = "127.0.0.1:9464")]
    pub listen: SocketAddr,
    /// A build changed (or deleted) in Zadig while its file did not: write the file's version
    /// back (`correct`), or only log and count it (`report`).
    #[arg(long, value_enum, default_value = "correct")]
    pub drift: DriftArg,
    /// Log lines as text, or as JSON objects for log collectors. The daemon logs at
    /// `zadig_sync=info` unless --log or ZADIG_SYNC_LOG says otherwise.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormatArg,
    /// Notification sinks from this YAML file (`notify:` as in zadig-sync.yaml; values may be
    /// written in it directly), besides those of the scope file. Read once, at start.
    #[arg(long, value_name = "FILE", env = "ZADIG_SYNC_NOTIFY_CONFIG")]
    pub notify_config: Option<PathBuf>,
    /// The status page's address as people reach it (e.g. behind an ingress), linked from
    /// every notification.
    #[arg(
        long,
        value_name = "URL",
        env = "ZADIG_SYNC_EXTERNAL_URL",
        value_parser = parse_http_url
    )]
    pub external_url: Option<url::Url>,
}

/// An http(s) URL without credentials.
fn parse_http_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|error| error.to_string())?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err("must be an http:// or https:// URL without a user or password".into());
    }
    Ok(url)
}

/// The daemon `status` asks when `--daemon` is not given (the daemon's default `--listen`).
pub const DEFAULT_DAEMON: &str = "http://127.0.0.1:9464";

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The daemon's address (its `--listen`, or how it is reached).
    #[arg(
        long,
        value_name = "URL",
        env = "ZADIG_SYNC_DAEMON",
        default_value = DEFAULT_DAEMON,
        value_parser = parse_http_url
    )]
    pub daemon: url::Url,
    /// Only this project's builds (repeatable).
    #[arg(
        long = "project",
        value_name = "PROJECT",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub projects: Vec<String>,
    /// Only builds in this state (repeatable).
    #[arg(long = "state", value_name = "STATE", value_enum)]
    pub states: Vec<StateArg>,
    /// `text`: a table and a summary; `json`: the daemon's status document (docs/status.md).
    #[arg(long, value_enum, default_value = "text")]
    pub output: StatusOutputArg,
}

/// A duration flag between `min` and `max`, written like `500ms`, `30s`, `5m`, `1h`.
fn parse_bounded(text: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|error| error.to_string())?;
    if duration < min || duration > max {
        return Err(format!(
            "must be from {} to {}",
            humantime::format_duration(min),
            humantime::format_duration(max)
        ));
    }
    Ok(duration)
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 3600);

fn parse_interval(text: &str) -> Result<Duration, String> {
    parse_bounded(text, SECOND, 7 * DAY)
}

fn parse_debounce(text: &str) -> Result<Duration, String> {
    parse_bounded(text, Duration::from_millis(10), MINUTE)
}

fn parse_full_resync(text: &str) -> Result<Duration, String> {
    parse_bounded(text, MINUTE, 30 * DAY)
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Export this project's builds (repeatable; at least one).
    #[arg(long = "project", value_name = "PROJECT", required = true)]
    pub projects: Vec<String>,
    /// Write the files under this folder instead of the build folder (--dir).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub dir: DirArgs,
    /// Replace files that exist (without it, a build whose file exists is skipped).
    #[arg(long)]
    pub overwrite: bool,
    /// Write each build script to scripts/<build>.sh beside the YAML, named by
    /// `build_script_file`, instead of inline.
    #[arg(long)]
    pub script_files: bool,
    /// Write the values all of a project's custom builds share once, in OUT/<project>/_defaults.yaml,
    /// and leave them out of the build files (only when no other file in that folder would
    /// inherit them).
    #[arg(long)]
    pub defaults: bool,
    /// The alias to write as `codehost_name` for repos on code hosts of this type (Zadig
    /// returns only the type), e.g. `--codehost gitlab=my-gitlab` (repeatable).
    #[arg(long = "codehost", value_name = "TYPE=ALIAS", value_parser = parse_codehost)]
    pub codehosts: Vec<(String, String)>,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// `TYPE=ALIAS`, both non-empty.
fn parse_codehost(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((kind, alias)) if !kind.trim().is_empty() && !alias.trim().is_empty() => {
            Ok((kind.trim().to_string(), alias.trim().to_string()))
        }
        _ => Err(format!(
            "expected TYPE=ALIAS (a code host type such as gitlab, and its alias in Zadig), \
             got `{text}`"
        )),
    }
}

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on, loopback only (`127.0.0.1:PORT`, `[::1]:PORT`, `localhost:PORT`):
    /// its state holds credentials in plain text. Port 0 picks a free one. The address is
    /// printed on stdout.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The API token clients must send (`Authorization: Bearer <token>`); not empty.
    #[arg(
        long,
        env = "ZADIG_EMULATOR_TOKEN",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub token: String,
    /// Keep builds in this JSON file, so they survive a restart (written atomically).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Seeds (images, code hosts, clusters, templates) from this JSON file instead of the defaults.
    #[arg(long)]
    pub seed: Option<PathBuf>,
    /// Delay added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency: u64,
    /// Share of requests (0.0–1.0) answered with 500, 502 or 503.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Share of requests (0.0–1.0) answered with 429 and `Retry-After`.
    #[arg(long, default_value_t = 0.0)]
    pub throttle_rate: f64,
    /// Which Zadig to play: `enterprise` serves the template routes, `oss` refuses them as a
    /// server without a licence does.
    #[arg(long, value_enum, default_value = "enterprise")]
    pub edition: EditionArg,
}

#[derive(Debug, Args)]
pub struct ShowPlanArgs {
    /// A plan saved by `zadig-sync plan --out FILE`.
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: PathBuf,
    #[command(flatten)]
    pub show: ShowArgs,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub dir: DirArgs,
    /// Only builds of this project (repeatable).
    #[arg(
        long = "project",
        value_name = "PROJECT",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub projects: Vec<String>,
    /// Only this build (repeatable). A build whose cause zadig-sync cannot know (a template
    /// build, one not adopted yet) or whose file changed since it was applied is pulled only
    /// when named here.
    #[arg(
        long = "build",
        value_name = "NAME",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub builds: Vec<String>,
    /// Write nothing: print a unified diff of every file pull would change (`git apply`
    /// takes it, paths relative to the repository's root); the summary goes to stderr.
    #[arg(long)]
    pub patch: bool,
    /// A value the build inherits from a defaults file (`_defaults.yaml`) is written into the
    /// build file, overriding the default, instead of being left to edit there.
    #[arg(long)]
    pub override_defaults: bool,
    /// How to print what was pulled.
    #[arg(long, value_enum, default_value = "text")]
    pub output: choices::PullOutputArg,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub server: ServerArgs,
}
