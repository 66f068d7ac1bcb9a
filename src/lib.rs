//! zadig-sync: keep the builds of a Zadig server equal to YAML files in git.
//!
//! A pipeline of stages, each one module:
//! `load` (files → desired set, with every diagnostic) → `fetch` via `remote` (the only HTTP)
//! → `normalize` → `diff` → `planner` → `apply` → `report`. The stages from `normalize` to
//! `planner` are pure. `emulator` serves Zadig's build API on loopback for tests and trying.

pub mod apply;
pub mod cli;
pub mod commands;
pub mod desired;
pub mod diagnostic;
pub mod diff;
pub mod emulator;
pub mod fetch;
pub mod files;
pub mod live;
pub mod load;
pub mod marker;
pub mod model;
pub mod normalize;
pub mod outcome;
pub mod plan;
pub mod planner;
pub mod redact;
pub mod remote;
pub mod report;
pub mod spec;
pub mod tasks;
pub mod unobservable;
