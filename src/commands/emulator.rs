//! `zadig-sync emulator`.

use super::Exit;
use crate::cli::EmulatorArgs;

pub async fn run(_args: EmulatorArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`emulator` is not implemented yet")
}
