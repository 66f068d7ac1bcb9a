//! `zadig-sync plan`.

use super::Exit;
use crate::cli::PlanArgs;

pub async fn run(_args: PlanArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`plan` is not implemented yet")
}
