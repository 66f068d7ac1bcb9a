//! `zadig-sync schema`: print the JSON Schema (draft-07) of a build file on stdout, for
//! editors (yaml-language-server) and CI. No I/O besides stdout.

use super::Exit;
use super::output::outln;
use crate::load::schema::file_schema;

pub fn run() -> anyhow::Result<Exit> {
    outln(serde_json::to_string_pretty(&file_schema())?);
    Ok(Exit::Success)
}
