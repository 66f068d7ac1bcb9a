//! `zadig-sync validate`.

use super::Exit;
use crate::cli::ValidateArgs;

pub async fn run(_args: ValidateArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("`validate` is not implemented yet")
}
