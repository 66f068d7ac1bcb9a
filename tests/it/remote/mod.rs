//! Tests of the Zadig client (`zadig_sync::remote`) against loopback mock servers that answer
//! what `docs/zadig-api.md` and `tests/fixtures/zadig/` say Zadig answers. Part of the integration binary; the
//! cases live in `tests/it/remote/`.

mod config;
mod docs_fixtures;
mod errors;
mod hostile;
mod resilience;
mod routes;
