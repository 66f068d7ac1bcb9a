//! The pure heart of zadig-sync: what a build is (the file format and Zadig's wire shapes),
//! one canonical model that both sides are normalised into, the ownership marker and its
//! fingerprint, the field-level diff, and the plan that decides every step.
//!
//! Nothing here does I/O, reads the clock or the environment: every input is a value passed
//! in, so each stage can be tested exhaustively. CI (`.ci/run`) fails if a file in this folder
//! names tokio, reqwest or `std::fs`. See docs/architecture.md §3 and §4.

pub mod build_id;
pub mod desired;
pub mod diff;
pub mod export;
pub mod live;
pub mod marker;
pub mod model;
pub mod normalize;
pub mod plan;
pub mod pull;
pub mod quantity;
pub mod redact;
pub mod spec;
pub mod unobservable;
pub mod wire;

pub use build_id::BuildId;
