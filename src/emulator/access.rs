//! Who is calling and what they may do: the gateway's token check (`Authorization:
//! <word> <token>` with exactly two space-separated parts, or `?token=`, which wins) and
//! the handlers' per-project permission rules of `docs/zadig-api.md` §1. No I/O.

use super::seeds::{SeedUser, Seeds};

pub const BUILD_VIEW: &str = "Build.View";
pub const BUILD_CREATE: &str = "Build.Create";
pub const BUILD_DELETE: &str = "Build.Delete";
pub const ENV_EDIT_CONFIG: &str = "Env.EditConfig";
/// In a seed user's permission list: project admin, allowed everything in that project.
pub const PROJECT_ADMIN: &str = "admin";

/// The system admin's display name, what `update_by` shows for the admin token.
const ADMIN_NAME: &str = "admin";

/// An authenticated caller.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// The emulator's `--token`: a system admin, who bypasses every permission check.
    Admin,
    /// A seed user, limited to the permissions listed per project.
    User(&'a SeedUser),
}

impl Caller<'_> {
    /// The JWT `name` claim: what Zadig writes into `update_by`.
    pub fn name(&self) -> &str {
        match self {
            Caller::Admin => ADMIN_NAME,
            Caller::User(user) => &user.name,
        }
    }

    /// Whether the caller is project admin or holds any of `permissions` in `project`.
    /// A project the user has no role in (including one that does not exist) allows nothing.
    pub fn may(&self, project: &str, permissions: &[&str]) -> bool {
        match self {
            Caller::Admin => true,
            Caller::User(user) => user.projects.get(project).is_some_and(|held| {
                held.iter().any(|permission| {
                    permission == PROJECT_ADMIN || permissions.contains(&permission.as_str())
                })
            }),
        }
    }
}

/// The gateway's check; `None` is a 401.
pub fn authenticate<'a>(
    admin_token: &str,
    seeds: &'a Seeds,
    query_token: Option<&str>,
    authorization: Option<&str>,
) -> Option<Caller<'a>> {
    let token = match query_token.filter(|token| !token.is_empty()) {
        Some(token) => token,
        None => token_of_header(authorization?)?,
    };
    if token == admin_token {
        return Some(Caller::Admin);
    }
    seeds.user_by_token(token).map(Caller::User)
}

/// The scheme word is never checked, but the value must split into exactly two parts.
fn token_of_header(value: &str) -> Option<&str> {
    let mut parts = value.split(' ');
    let (_scheme, token) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || token.is_empty() {
        return None;
    }
    Some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::seeds::LIMITED_TOKEN;

    #[test]
    fn the_header_needs_exactly_two_parts_and_ignores_the_scheme_word() {
        let seeds = Seeds::default();
        let check = |header: &str| authenticate("T", &seeds, None, Some(header)).is_some();
        assert!(check("Bearer T"));
        assert!(check("X-API-KEY T"));
        assert!(!check("T"));
        assert!(!check("Bearer  T"));
        assert!(!check("Bearer T extra"));
        assert!(!check("Bearer wrong"));
    }

    #[test]
    fn the_query_token_wins_over_the_header() {
        let seeds = Seeds::default();
        assert!(authenticate("T", &seeds, Some("T"), Some("Bearer wrong")).is_some());
        assert!(authenticate("T", &seeds, Some("wrong"), Some("Bearer T")).is_none());
    }

    #[test]
    fn a_limited_user_may_only_what_its_project_grants() {
        let seeds = Seeds::default();
        let header = format!("Bearer {LIMITED_TOKEN}");
        let caller = authenticate("T", &seeds, None, Some(&header)).unwrap();
        assert_eq!(caller.name(), "dev");
        assert!(caller.may("yaml", &[BUILD_VIEW]));
        assert!(!caller.may("yaml", &[BUILD_CREATE]));
        assert!(!caller.may("other", &[BUILD_VIEW]));
    }
}
