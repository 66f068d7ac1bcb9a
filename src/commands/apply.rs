//! `zadig-sync apply`.

use super::Exit;
use crate::cli::ApplyArgs;

pub async fn run(_args: ApplyArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`apply` is not implemented yet")
}
