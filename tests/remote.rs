//! Tests of the Zadig client (`zadig_sync::remote`) against loopback mock servers that answer
//! what `docs/zadig-api.md` and `tests/fixtures/zadig/` say Zadig answers. One test binary; the
//! cases live in `tests/remote/`.

#[path = "remote/config.rs"]
mod config;
#[path = "remote/docs_fixtures.rs"]
mod docs_fixtures;
#[path = "remote/errors.rs"]
mod errors;
#[path = "remote/resilience.rs"]
mod resilience;
#[path = "remote/routes.rs"]
mod routes;
#[path = "remote/support.rs"]
mod support;
#[path = "support/tls.rs"]
mod tls;
