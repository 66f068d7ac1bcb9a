//! The client's secret-keeping tests (`tests/tracing/secrets.rs`), in a test process of their
//! own: tracing's callsite interest cache is global to the process, so another test
//! registering a log site while the capturing subscriber is installed could leave it cached
//! as disabled, and the "something was logged" assertion would fail by chance.

mod secrets;
#[allow(dead_code)]
#[path = "../it/util/client.rs"]
mod support;
