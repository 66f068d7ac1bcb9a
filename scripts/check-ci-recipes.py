#!/usr/bin/env python3
"""Checks the CI recipes of examples/ci/ beyond their schemas (check-packaging.sh runs those
and actionlint): what no schema says.

- GitLab (examples/ci/gitlab/.gitlab-ci.yml): it parses; each job's stage is declared, each
  `needs:` and `extends:` names a job or template of the file, and each job's `script:` passes
  shellcheck (as POSIX sh: GitLab's alpine and Debian images run it with sh or bash).
- Zadig (examples/ci/zadig/*.yaml.example): it parses, and every key is one of the fields of
  Zadig v4.2's workflow model for its place (a misspelt key is dropped by Zadig's YAML import
  without a word, as build fields are).

Needs PyYAML (kubernetes-validate brings it) and shellcheck. Exit 1 with every problem printed.
"""

import glob
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GITLAB = ROOT / "examples/ci/gitlab/.gitlab-ci.yml"
# GitLab's global keywords: not jobs.
GITLAB_GLOBALS = {"default", "include", "stages", "variables", "workflow", "image", "services",
                  "cache", "before_script", "after_script", "spec"}

# The fields of Zadig's workflow model, by place (yaml tags of WorkflowV4, WorkflowStage, Job,
# FreestyleJobSpec, RuntimeInfo, types.Repository, KeyVal with RuntimeKeyVal's source, Item,
# and JobAdvancedSettings), as far as the example uses places.
ZADIG_KEYS = {
    "workflow": {"name", "display_name", "disabled", "category", "params", "stages", "project",
                 "description", "notify_ctls", "remark_required", "share_storages",
                 "concurrency_limit", "enable_approval_ticket", "approval_ticket_id"},
    "stage": {"id", "name", "parallel", "approval", "manual_exec", "jobs"},
    "job": {"id", "name", "type", "skipped", "spec", "run_policy", "error_policy",
            "execute_policy", "notify_ctls"},
    "freestyle": {"freestyle_type", "source", "job_name", "ref_repos", "repos", "envs", "script",
                  "script_type", "object_storage_upload", "default_services", "services",
                  "origin_job_name", "runtime", "advanced_setting"},
    "runtime": {"infrastructure", "build_os", "image_from", "image_id", "installs", "vm_labels"},
    "install": {"name", "version"},
    "repo": {"source", "repo_owner", "repo_namespace", "repo_name", "remote_name", "branch",
             "merge_branches", "pr", "prs", "tag", "enable_commit", "commit_id",
             "checkout_path", "submodules", "hidden", "use_default", "is_primary", "codehost_id",
             "address", "filter_regexp"},
    "env": {"key", "value", "type", "registry_id", "choice_option", "choice_value", "script",
            "call_function", "function_reference", "file_path", "file_name", "file_id",
            "is_credential", "description", "required", "source"},
    "advanced_setting": {"timeout", "cluster_id", "cluster_source", "res_req", "res_req_spec",
                         "strategy_id", "use_host_docker_daemon", "custom_annotations",
                         "custom_labels", "share_storage_info", "storages", "outputs"},
}


def shellcheck(name, script, problems):
    if isinstance(script, str):
        script = [script]
    result = subprocess.run(["shellcheck", "--shell=sh", "-"], input="\n".join(script),
                            capture_output=True, text=True)
    if result.returncode != 0:
        problems.append(f"{GITLAB.name}: job `{name}`: shellcheck:\n{result.stdout}")


def check_gitlab(problems):
    document = yaml.safe_load(GITLAB.read_text())
    stages = document.get("stages", ["build", "test", "deploy"])
    names = set(document) - GITLAB_GLOBALS
    for name in sorted(names):
        job = document[name]
        if not isinstance(job, dict):
            problems.append(f"{GITLAB.name}: `{name}` is not a job")
            continue
        extends = job.get("extends", [])
        for parent in [extends] if isinstance(extends, str) else extends:
            if parent not in names:
                problems.append(f"{GITLAB.name}: `{name}` extends `{parent}`, not in the file")
        if name.startswith("."):
            continue
        stage = job.get("stage", "test")
        if stage not in stages:
            problems.append(f"{GITLAB.name}: job `{name}`: stage `{stage}` is not in stages:")
        for need in job.get("needs", []):
            needed = need["job"] if isinstance(need, dict) else need
            if needed not in names:
                problems.append(f"{GITLAB.name}: job `{name}` needs `{needed}`, not in the file")
        if "script" not in job:
            problems.append(f"{GITLAB.name}: job `{name}` has no script:")
        else:
            shellcheck(name, job["script"], problems)


def keys(path, place, value, problems):
    if not isinstance(value, dict):
        problems.append(f"{path}: {place} is not a mapping")
        return {}
    for key in sorted(set(value) - ZADIG_KEYS[place]):
        problems.append(f"{path}: `{key}` is not a field of Zadig's {place}")
    return value


def check_zadig(path, problems):
    workflow = keys(path, "workflow", yaml.safe_load(Path(path).read_text()), problems)
    for stage in workflow.get("stages", []):
        for job in keys(path, "stage", stage, problems).get("jobs", []):
            job = keys(path, "job", job, problems)
            if job.get("type") != "freestyle":
                problems.append(f"{path}: job `{job.get('name')}` is not a freestyle job")
                continue
            spec = keys(path, "freestyle", job.get("spec"), problems)
            runtime = keys(path, "runtime", spec.get("runtime", {}), problems)
            for item in runtime.get("installs", []):
                keys(path, "install", item, problems)
            for repo in spec.get("repos", []):
                keys(path, "repo", repo, problems)
            for env in spec.get("envs", []):
                keys(path, "env", env, problems)
            keys(path, "advanced_setting", spec.get("advanced_setting", {}), problems)


def main():
    problems = []
    if shutil.which("shellcheck") is None:
        problems.append("shellcheck is not installed (Debian: apt-get install shellcheck)")
    else:
        check_gitlab(problems)
    recipes = sorted(glob.glob(str(ROOT / "examples/ci/zadig/*.yaml.example")))
    if not recipes:
        problems.append("examples/ci/zadig/ holds no *.yaml.example workflow")
    for recipe in recipes:
        check_zadig(recipe, problems)
    for problem in problems:
        print(f"check-ci-recipes: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check-ci-recipes: ok ({GITLAB.relative_to(ROOT)}, {len(recipes)} Zadig workflow)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
