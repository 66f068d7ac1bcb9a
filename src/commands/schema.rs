//! `zadig-sync schema`: print the JSON Schema (draft-07) of a build file (`--scope`: of the
//! scope file; `--defaults`: of a defaults file) on stdout, for
//! editors (yaml-language-server) and CI. No I/O besides stdout.

use super::Exit;
use super::output::outln;
use crate::cli::SchemaArgs;
use crate::load::schema::{defaults_schema, file_schema};
use crate::load::scope::scope_schema;

pub fn run(args: &SchemaArgs) -> anyhow::Result<Exit> {
    let schema = if args.scope {
        scope_schema()
    } else if args.defaults {
        defaults_schema()
    } else {
        file_schema()
    };
    outln(serde_json::to_string_pretty(&schema)?);
    Ok(Exit::Success)
}
