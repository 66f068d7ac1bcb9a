//! Git as the source, end to end: repositories built here with the real `git` (commits,
//! branches, tags, force-pushes, SSH- and OpenPGP-signed commits), served over `file://` and
//! over smart HTTP on loopback (`git http-backend`), read by the real binary: `validate` and
//! `plan` with `--git`, and `daemon --git` with its fetch interval, webhooks and
//! `--git-verify`. Every wait is a bounded poll.

use std::path::Path;

use crate::util::cli::{Emulator, TOKEN, command, failed, succeeded, zadig_sync};
use crate::util::daemon::Daemon;
use crate::util::git::{
    GitHttp, GpgKeys, Repo, SshKey, files_containing, github_signature, hooks_address, post_hook,
};

fn build(name: &str, script: &str) -> String {
    format!(
        "name: {name}\nproject_key: shop\ninfrastructure: vm\nbuild_os: ubuntu 22.04\n\
         script_type: shell\nbuild_script: {script}\n"
    )
}

fn script(emulator: &Emulator, name: &str) -> String {
    emulator.detail("shop", name)["build_script"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn has_build(emulator: &Emulator, name: &str) -> bool {
    emulator.build_names("shop").iter().any(|n| n == name)
}

/// `daemon --git URL` with a private state dir and fast timers, plus `extra`.
fn git_daemon(state: &Path, emulator: &Emulator, url: &str, extra: &[&str]) -> Daemon {
    let state_arg = state.display().to_string();
    let mut args = vec!["--git", url, "--state-dir", &state_arg, "--interval", "1h"];
    args.extend_from_slice(extra);
    Daemon::start(state, emulator, &args, &[])
}

fn metric_total(daemon: &Daemon, prefix: &str) -> f64 {
    (daemon.metrics().lines())
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn validate_and_plan_read_a_branch_a_tag_and_a_commit_over_file_urls() {
    let repo = Repo::new();
    repo.write("builds.d/api.yaml", &build("shop-api", "make v1"));
    let first = repo.commit("v1");
    repo.tag("v1");
    repo.write("builds.d/api.yaml", &build("shop-api", "make v2"));
    git_branch(&repo, "release");
    repo.commit("v2");
    let state = tempfile::tempdir().unwrap();
    let state_arg = state.path().display().to_string();
    let url = repo.file_url();
    let validate = |reference: &[&str]| {
        let mut args = vec!["validate", "--git", &url, "--state-dir", &state_arg];
        args.extend_from_slice(reference);
        command(state.path()).args(&args).output().unwrap()
    };
    let out = succeeded(&validate(&[]));
    assert!(out.contains("1 build in 1 project"), "{out}");

    let emulator = Emulator::start(&[]);
    let plan = |reference: &str| {
        let args = [
            "plan",
            "--git",
            &url,
            "--git-ref",
            reference,
            "--state-dir",
            &state_arg,
        ];
        succeeded(&zadig_sync(state.path(), &emulator, &args))
    };
    assert!(plan("main").contains("make v2"));
    assert!(plan("v1").contains("make v1"), "the tag");
    assert!(plan(&first).contains("make v1"), "the commit");
    assert!(
        plan("release").contains("make v1"),
        "the branch, left at v1"
    );
    let missing = zadig_sync(
        state.path(),
        &emulator,
        &[
            "plan",
            "--git",
            &url,
            "--git-ref",
            "nope",
            "--state-dir",
            &state_arg,
        ],
    );
    assert!(failed(&missing).contains("nope"));
}

fn git_branch(repo: &Repo, name: &str) {
    crate::util::git::git(
        &repo.work(),
        &["push", "-q", "origin", &format!("HEAD:refs/heads/{name}")],
    );
}

#[test]
fn a_push_is_applied_within_one_interval_and_a_force_push_to_an_older_commit_too() {
    let repo = Repo::new();
    repo.write("builds.d/api.yaml", &build("shop-api", "make one"));
    let one = repo.commit("one");
    let emulator = Emulator::start(&[]);
    let state = tempfile::tempdir().unwrap();
    let daemon = git_daemon(
        state.path(),
        &emulator,
        &repo.file_url(),
        &["--git-interval", "1s"],
    );
    daemon.wait("the first commit is applied", || {
        has_build(&emulator, "shop-api")
    });
    let short = &one[..12];
    assert!(
        script(&emulator, "shop-api").ends_with(&format!("rev={short}")),
        "{}",
        script(&emulator, "shop-api")
    );

    repo.write("builds.d/api.yaml", &build("shop-api", "make two"));
    let two = repo.commit("two");
    daemon.wait("the push is applied", || {
        script(&emulator, "shop-api").contains("make two")
    });
    assert!(script(&emulator, "shop-api").ends_with(&format!("rev={}", &two[..12])));
    // A commit that changes no build rewrites nothing, though the marker names an older commit.
    let writes = emulator.write_count();
    repo.write("README.md", "docs only\n");
    let three = repo.commit("docs");
    daemon.wait("the docs commit is in force", || {
        daemon
            .metrics()
            .contains(&format!("zadig_sync_git_revision{{commit=\"{three}\""))
    });
    daemon.wait("a pass read it", || {
        daemon
            .metrics()
            .contains(&format!("commit=\"{three}\",tree="))
    });
    assert_eq!(emulator.write_count(), writes);

    repo.force_push(&one);
    daemon.wait("the older commit is applied", || {
        script(&emulator, "shop-api").contains("make one")
    });
    assert!(
        daemon.logs().contains(&format!("revision=\"{short}\"")),
        "the pass names its commit"
    );
    assert_eq!(daemon.terminate().code(), Some(0));
}

#[test]
fn a_signed_webhook_fetches_at_once_and_a_bad_signature_never_does() {
    const SECRET: &str = "hook-s3cret-7d1e";
    let repo = Repo::new();
    repo.write("builds.d/api.yaml", &build("shop-api", "make one"));
    repo.commit("one");
    let emulator = Emulator::start(&[]);
    let state = tempfile::tempdir().unwrap();
    let secret_file = state.path().join("hook-secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let secret_arg = secret_file.display().to_string();
    let args = [
        "--git-interval",
        "1h",
        "--hooks-listen",
        "127.0.0.1:0",
        "--hook-secret-file",
        &secret_arg,
    ];
    let daemon = git_daemon(state.path(), &emulator, &repo.file_url(), &args);
    daemon.wait("the first commit is applied", || {
        has_build(&emulator, "shop-api")
    });
    let hooks = hooks_address(&daemon.logs()).expect("the hooks address is logged");
    daemon.wait("the fetch loop's first fetch", || {
        metric_total(&daemon, "zadig_sync_git_fetch_total") >= 1.0
    });
    let fetches = metric_total(&daemon, "zadig_sync_git_fetch_total");

    repo.write("builds.d/api.yaml", &build("shop-api", "make two"));
    repo.commit("two");
    let push = r#"{"ref":"refs/heads/main","after":"x"}"#;
    let forged = [
        ("X-Hub-Signature-256", github_signature("guess", push)),
        ("X-GitHub-Event", "push".into()),
    ];
    assert_eq!(post_hook(&hooks, &forged, push), 401);
    assert_eq!(post_hook(&hooks, &[], push), 401);
    let gitlab_wrong = [
        ("X-Gitlab-Token", "guess".to_string()),
        ("X-Gitlab-Event", "Push Hook".into()),
    ];
    assert_eq!(post_hook(&hooks, &gitlab_wrong, push), 401);
    let other = r#"{"ref":"refs/heads/dev"}"#;
    let elsewhere = [
        ("X-Hub-Signature-256", github_signature(SECRET, other)),
        ("X-GitHub-Event", "push".into()),
    ];
    assert_eq!(post_hook(&hooks, &elsewhere, other), 202);
    daemon.wait("every refusal is counted", || {
        daemon.metric(r#"zadig_sync_webhooks_total{result="unauthorized"}"#) == 3.0
            && daemon.metric(r#"zadig_sync_webhooks_total{result="ignored"}"#) == 1.0
    });
    assert!(script(&emulator, "shop-api").contains("make one"));

    let gitlab = [
        ("X-Gitlab-Token", SECRET.to_string()),
        ("X-Gitlab-Event", "Push Hook".into()),
    ];
    assert_eq!(post_hook(&hooks, &gitlab, push), 200);
    daemon.wait("the push is applied", || {
        script(&emulator, "shop-api").contains("make two")
    });
    assert_eq!(
        metric_total(&daemon, "zadig_sync_git_fetch_total"),
        fetches + 1.0,
        "one fetch, for the one valid webhook:\n{}",
        daemon.logs()
    );
    assert!(!daemon.logs().contains(SECRET));
}

#[test]
fn an_unsigned_head_is_refused_with_nothing_written_and_a_signed_one_is_applied() {
    let key = SshKey::new();
    let repo = Repo::new();
    repo.write("builds.d/api.yaml", &build("shop-api", "make one"));
    let unsigned = repo.commit("unsigned");
    let emulator = Emulator::start(&[]);
    let state = tempfile::tempdir().unwrap();
    let verify = format!("ssh:{}", key.allowed_signers().display());
    let args = ["--git-interval", "1s", "--git-verify", &verify];
    let daemon = git_daemon(state.path(), &emulator, &repo.file_url(), &args);
    let refused = format!(r#"zadig_sync_git_refused{{commit="{unsigned}",reason="unsigned"}} 1"#);
    daemon.wait("the unsigned commit is refused", || {
        daemon.metrics().contains(&refused)
    });
    daemon.wait("the refusal is logged", || {
        daemon.logs().contains("commit refused by --git-verify")
    });
    assert_eq!(emulator.write_count(), 0, "{}", daemon.logs());

    let signed = repo.commit_signed_ssh("signed", &key.private());
    daemon.wait("the signed commit is applied", || {
        has_build(&emulator, "shop-api")
    });
    assert!(script(&emulator, "shop-api").contains(&format!("rev={}", &signed[..12])));
    let writes = emulator.write_count();

    repo.write("builds.d/api.yaml", &build("shop-api", "make evil"));
    let evil = repo.commit("unsigned again");
    let refused = format!(r#"zadig_sync_git_refused{{commit="{evil}",reason="unsigned"}} 1"#);
    daemon.wait("the new unsigned commit is refused", || {
        daemon.metrics().contains(&refused)
    });
    // A resync with the last verified commit still in force writes nothing either.
    let passes = daemon.metric(r#"zadig_sync_passes_total{result="success"}"#);
    daemon.wait("a pass after the refusal", || {
        daemon.metric(r#"zadig_sync_passes_total{result="success"}"#) > passes
            || daemon.logs().matches("commit refused").count() >= 2
    });
    assert_eq!(emulator.write_count(), writes, "{}", daemon.logs());
    assert!(script(&emulator, "shop-api").contains("make one"));
}

#[test]
fn openpgp_signed_commits_are_verified_against_a_keyring() {
    let keys = GpgKeys::new();
    let repo = Repo::new();
    repo.write("builds.d/api.yaml", &build("shop-api", "make one"));
    repo.commit_signed_gpg("signed", &keys);
    let state = tempfile::tempdir().unwrap();
    let state_arg = state.path().display().to_string();
    let verify = format!("gpg:{}", keys.keyring().display());
    let url = repo.file_url();
    let validate = || {
        let args = [
            "validate",
            "--git",
            &url,
            "--git-verify",
            &verify,
            "--state-dir",
            &state_arg,
        ];
        command(state.path()).args(args).output().unwrap()
    };
    let out = validate();
    assert!(out.status.success(), "{}", crate::util::cli::describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("signed by OpenPGP key"));

    repo.commit("unsigned");
    let out = failed(&validate());
    assert!(
        out.contains("refused by --git-verify: the commit is not signed"),
        "{out}"
    );
    // An SSH allowed-signers file does not trust an OpenPGP signature.
    repo.commit_signed_gpg("signed again", &keys);
    let ssh = SshKey::new();
    let args = [
        "validate",
        "--git",
        &url,
        "--git-verify",
        &format!("ssh:{}", ssh.allowed_signers().display()),
        "--state-dir",
        &state_arg,
    ];
    let out = failed(&command(state.path()).args(args).output().unwrap());
    assert!(out.contains("expects SSH signatures"), "{out}");
}

#[test]
fn over_http_with_a_token_a_failed_fetch_keeps_the_last_commit_and_no_credential_leaks() {
    const GIT_TOKEN: &str = "glpat-Git-T0ken-5e9a";
    let repo = Repo::new();
    repo.write("builds.d/api.yaml", &build("shop-api", "make one"));
    let one = repo.commit("one");
    let server = GitHttp::serve(repo.root.path(), Some(("oauth2", GIT_TOKEN)));
    let emulator = Emulator::start(&[]);
    let state = tempfile::tempdir().unwrap();
    let token_file = state.path().join("git-token");
    std::fs::write(&token_file, format!("oauth2:{GIT_TOKEN}\n")).unwrap();
    let token_arg = token_file.display().to_string();
    let url = server.url();
    let args = [
        "--git-interval",
        "1s",
        "--git-token-file",
        &token_arg,
        "--log",
        "trace",
    ];
    let daemon = git_daemon(state.path(), &emulator, &url, &args);
    daemon.wait("the first commit is applied", || {
        has_build(&emulator, "shop-api")
    });
    daemon.wait_ready();
    assert!(
        !server.authorizations.lock().unwrap().is_empty(),
        "the token was sent"
    );

    let addr = server.addr.clone();
    drop(server);
    daemon.wait("a fetch fails", || {
        daemon.metric(r#"zadig_sync_git_fetch_total{result="failed"}"#) >= 1.0
    });
    daemon.wait("the failure is logged", || {
        daemon.logs().contains("cannot fetch from git")
    });
    assert_eq!(
        daemon.get("/readyz").0,
        200,
        "the last commit stays in force"
    );
    assert!(
        daemon
            .metrics()
            .contains(&format!("zadig_sync_git_revision{{commit=\"{one}\""))
    );
    assert!(has_build(&emulator, "shop-api"), "nothing undone");

    repo.write("builds.d/api.yaml", &build("shop-api", "make two"));
    repo.commit("two");
    let server = GitHttp::serve_at(&addr, repo.root.path(), Some(("oauth2", GIT_TOKEN)));
    daemon.wait("fetching works again and the push is applied", || {
        script(&emulator, "shop-api").contains("make two")
    });
    daemon.wait("the recovery is logged", || {
        daemon.logs().contains("git can be fetched from again")
    });
    let metrics = daemon.metrics();
    let logs = daemon.logs();
    let plan = zadig_sync(
        state.path(),
        &emulator,
        &[
            "plan",
            "--git",
            &url,
            "--git-token-file",
            &token_arg,
            "--state-dir",
            &state.path().display().to_string(),
            "--log",
            "trace",
        ],
    );
    let plan_out = succeeded(&plan) + &String::from_utf8_lossy(&plan.stderr);
    drop(server);
    assert_eq!(daemon.terminate().code(), Some(0));
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("oauth2:{GIT_TOKEN}"),
    );
    for secret in [GIT_TOKEN, TOKEN, basic.as_str()] {
        assert!(!metrics.contains(secret), "{secret} in the metrics");
        assert!(!plan_out.contains(secret), "{secret} in plan's output");
        for line in logs.lines() {
            assert!(!line.contains(secret), "{secret} in the log line: {line}");
        }
    }
    let leaked: Vec<_> = files_containing(state.path(), GIT_TOKEN)
        .into_iter()
        .filter(|path| path != &token_file)
        .collect();
    assert!(leaked.is_empty(), "the token in files written: {leaked:?}");
    assert!(
        !emulator
            .detail("shop", "shop-api")
            .to_string()
            .contains(GIT_TOKEN)
    );
}

#[test]
fn addresses_with_credentials_and_plain_http_elsewhere_are_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    for (url, expected) in [
        (
            "https://user:s3cr3t-pw@git.example.com/a.git",
            "credentials in the address are refused",
        ),
        ("http://git.example.com/a.git", "--insecure-http"),
    ] {
        let out = failed(
            &command(dir.path())
                .args(["validate", "--git", url])
                .output()
                .unwrap(),
        );
        assert!(out.contains(expected), "{out}");
        assert!(!out.contains("s3cr3t-pw"), "{out}");
    }
    let both = command(dir.path())
        .args(["validate", "--git", "file:///x", "--dir", "y"])
        .output()
        .unwrap();
    assert!(failed(&both).contains("cannot be used with"));
}

/// A git-sync worktree: `builds.d/api.yaml` with `script`, under `folder`.
fn worktree(folder: &Path, script: &str) {
    std::fs::create_dir_all(folder.join("builds.d")).unwrap();
    std::fs::write(folder.join("builds.d/api.yaml"), build("shop-api", script)).unwrap();
}

// The git-sync recipe: --dir lies inside a link git-sync makes only after its first clone.
// The daemon waits for it (saying so) instead of exiting, and follows each swap of the link.
#[test]
fn a_dir_whose_folder_does_not_exist_yet_is_waited_for_and_its_link_followed() {
    let emulator = Emulator::start(&[]);
    let root = tempfile::tempdir().unwrap();
    let args = [
        "--dir",
        "git/repo/builds.d",
        "--interval",
        "1h",
        "--debounce",
        "100ms",
    ];
    let daemon = Daemon::start(root.path(), &emulator, &args, &[]);
    daemon.wait("the wait is said", || {
        daemon.logs().contains("does not exist yet; waiting for it")
    });
    assert_eq!(daemon.get("/healthz").0, 200);

    // git-sync's first clone: a worktree and the `repo` link, made beside and moved in at once.
    let staging = root.path().join("staging");
    worktree(&staging.join("rev1"), "make one");
    std::os::unix::fs::symlink("rev1", staging.join("repo")).unwrap();
    std::fs::rename(&staging, root.path().join("git")).unwrap();
    daemon.wait("the first clone is applied", || {
        has_build(&emulator, "shop-api")
    });

    // The next commit: a new worktree, and the link swapped atomically.
    let git = root.path().join("git");
    worktree(&git.join("rev2"), "make two");
    std::os::unix::fs::symlink("rev2", git.join("repo_tmp")).unwrap();
    std::fs::rename(git.join("repo_tmp"), git.join("repo")).unwrap();
    daemon.wait("the swapped link is followed", || {
        script(&emulator, "shop-api").contains("make two")
    });
}

// SSH goes through the system's `ssh`, as git's does; a stand-in `ssh` on PATH (as git's own
// test suite uses) runs the remote command locally and records how it was called.
#[test]
fn ssh_and_scp_like_addresses_use_the_key_and_trust_only_the_known_hosts_file() {
    let repo = Repo::new();
    repo.write("builds.d/api.yaml", &build("shop-api", "make one"));
    repo.commit("one");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let calls = dir.path().join("ssh-calls");
    // `-G` (asked first, to learn what kind of ssh this is) succeeds; otherwise the options
    // and the host are skipped, and the remote command runs here.
    let fake = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\ncase \" $* \" in *\" -G \"*) exit 0;; esac\n\
         while [ $# -gt 0 ]; do case \"$1\" in -i|-o|-p) shift 2;; -*) shift;; *) break;; esac; done\n\
         shift\nexec sh -c \"$*\"\n",
        calls.display()
    );
    std::fs::write(bin.join("ssh"), fake).unwrap();
    let mut permissions = std::fs::metadata(bin.join("ssh")).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(bin.join("ssh"), permissions).unwrap();
    let key = SshKey::new();
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(&known_hosts, "git.example.invalid ssh-ed25519 AAAA\n").unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let bare = repo.bare().display().to_string();
    for url in [
        format!("ssh://git@git.example.invalid{bare}"),
        format!("git@git.example.invalid:{bare}"),
    ] {
        let state = dir.path().join("state").display().to_string();
        let args = [
            "validate",
            "--git",
            &url,
            "--state-dir",
            &state,
            "--git-ssh-key",
            &key.private().display().to_string(),
            "--git-known-hosts",
            &known_hosts.display().to_string(),
        ];
        let out = command(dir.path())
            .env("PATH", &path)
            .args(args)
            .output()
            .unwrap();
        assert!(succeeded(&out).contains("1 build in 1 project"), "{url}");
    }
    let calls = std::fs::read_to_string(&calls).unwrap();
    assert!(
        calls.contains(&key.private().display().to_string()),
        "{calls}"
    );
    assert!(
        calls.contains(&format!("UserKnownHostsFile={}", known_hosts.display())),
        "{calls}"
    );
    assert!(calls.contains("StrictHostKeyChecking=yes"), "{calls}");
    assert!(calls.contains("git@git.example.invalid"), "{calls}");
    let without_hosts = command(dir.path())
        .args(["validate", "--git", "git@h:r.git", "--git-ssh-key", "k"])
        .output()
        .unwrap();
    assert!(failed(&without_hosts).contains("--git-known-hosts"));
}
