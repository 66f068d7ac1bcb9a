//! What `plan`, `apply` and the daemon share, with no command-line type in sight: the
//! settings of a run resolved once ([`settings`]), the connection to Zadig or to the bundled
//! emulator ([`connection`]), and planning against it ([`plan`]). `commands/` turns flags into
//! these values once; the daemon is handed them. Does I/O.

pub mod connection;
pub mod plan;
pub mod settings;

pub use connection::{ConnectError, Connection, connect};
pub use plan::{
    LivePlan, Loaded, PlanInputs, ScopeError, Scoped, Unreadable, plan_on, scope_desired,
};
pub use settings::{ScopeOptions, ServerOptions, Settings};
