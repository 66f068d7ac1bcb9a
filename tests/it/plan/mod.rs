//! The pure stages of `zadig-sync plan` (normalise, marker, diff, planner, report), driven by
//! the golden fixtures of `tests/fixtures/zadig/`, and one property through the bundled emulator
//! on loopback.

mod fields;
mod fixtures;
mod generated;
mod ownership;
mod planner;
mod properties;
mod report;
mod roundtrip;
mod secrets;
mod unobservable;
