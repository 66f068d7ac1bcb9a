//! zadig-sync: keep the builds of a Zadig server equal to YAML files in git.
//!
//! A pipeline of stages, each one module:
//! `load`/`validate` (files → desired set) → `remote` (the only HTTP) → `normalize` →
//! `diff` → `plan` → `apply` → `report`. The stages from `normalize` to `plan` are pure.
//! `emulator` serves Zadig's build API on loopback for tests and for trying things out.

pub mod cli;
pub mod commands;
pub mod desired;
pub mod diagnostic;
pub mod emulator;
pub mod files;
pub mod live;
pub mod load;
pub mod plan;
pub mod remote;
pub mod spec;
