//! `zadig-sync schema`.

use super::Exit;

pub fn run() -> anyhow::Result<Exit> {
    anyhow::bail!("`schema` is not implemented yet")
}
