//! The typed client for Zadig's build routes: the only module that talks HTTP to Zadig.

pub mod wire;
