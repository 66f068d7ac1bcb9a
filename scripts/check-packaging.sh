#!/usr/bin/env bash
# Checks what ships besides the binary, where no container engine, cluster, systemd or CI
# service runs (docs/deploy.md, docs/ci.md):
#   - the Dockerfile: hadolint, and its build stage rebuilt from exactly the files it copies
#     (scripts/check-dockerfile.py);
#   - every Kubernetes manifest in examples/deploy/ against the Kubernetes API schemas (strict:
#     an unknown field is an error);
#   - every systemd unit in examples/deploy/ with `systemd-analyze verify`, its ExecStart
#     pointed at the binary just built (skipped, saying so, where systemd-analyze is missing);
#   - the CI recipes in examples/ci/: actionlint and the schemas of GitHub's workflows and
#     actions, GitLab's CI schema, and scripts/check-ci-recipes.py.
# The tools come from PyPI, pinned in .ci/packaging-tools.txt, into a virtualenv under target/
# (installed again when that list changes). Needs python3, cargo and shellcheck.
set -euo pipefail
cd "$(dirname "$0")/.."
target="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
tools="$target/ci-tools"
say() { printf 'check-packaging: %s\n' "$*"; }

install_tools() {
  if cmp -s .ci/packaging-tools.txt "$tools/installed.txt"; then
    return
  fi
  say "installing the pinned tools of .ci/packaging-tools.txt into $tools"
  rm -rf "$tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check -r .ci/packaging-tools.txt
  cp .ci/packaging-tools.txt "$tools/installed.txt"
}

# Kubernetes manifests: YAML files, or YAML named `.example` so that `validate --dir examples`
# does not read them as build files.
check_manifests() {
  local manifests=()
  for file in examples/deploy/*; do
    case "$file" in
      *.yaml | *.yml | *.yaml.example | *.yml.example) manifests+=("$file") ;;
    esac
  done
  if [ "${#manifests[@]}" -eq 0 ]; then
    say "no Kubernetes manifest in examples/deploy/" >&2
    return 1
  fi
  "$tools/bin/kubernetes-validate" --strict --quiet "${manifests[@]}"
  say "Kubernetes manifests: ok (${manifests[*]})"
}

# `systemd-analyze verify` warns about unknown keys and exits 0 all the same: any output fails.
check_units() {
  if ! command -v systemd-analyze > /dev/null; then
    say "systemd units: SKIPPED, systemd-analyze is not installed here"
    return
  fi
  # Any build of the binary will do (cargo test's, in .ci/run): verify checks it is executable.
  local binary="$target/debug/zadig-sync" scratch found
  [ -x "$binary" ] || cargo build --locked --quiet
  scratch="$(mktemp -d)"
  found=0
  for unit in examples/deploy/*.service examples/deploy/*.timer examples/deploy/*.socket; do
    [ -e "$unit" ] || continue
    found=1
    sed "s#^\(Exec[A-Za-z]*=[-@!+:]*\)/usr/local/bin/zadig-sync#\1$binary#" "$unit" \
      > "$scratch/$(basename "$unit")"
  done
  if [ "$found" -eq 0 ]; then
    say "no systemd unit in examples/deploy/" >&2
    return 1
  fi
  local report
  report="$(cd "$scratch" && systemd-analyze verify --man=no ./* 2>&1)" || true
  rm -rf "$scratch"
  if [ -n "$report" ]; then
    printf '%s\n' "$report" >&2
    say "systemd units: systemd-analyze verify found the problems above" >&2
    return 1
  fi
  say "systemd units: ok"
}

check_ci_recipes() {
  local github=examples/ci/github
  (cd "$github" && "$tools/bin/actionlint" .github/workflows/*.yml)
  "$tools/bin/check-jsonschema" --builtin-schema vendor.github-workflows \
    "$github"/.github/workflows/*.yml
  "$tools/bin/check-jsonschema" --builtin-schema vendor.github-actions \
    "$github"/.github/actions/*/action.yml
  "$tools/bin/check-jsonschema" --builtin-schema vendor.gitlab-ci examples/ci/gitlab/.gitlab-ci.yml
  "$tools/bin/python" scripts/check-ci-recipes.py
  shellcheck scripts/*.sh
  say "CI recipes: ok"
}

install_tools
"$tools/bin/hadolint" Dockerfile
say "Dockerfile: hadolint ok"
scripts/check-dockerfile.py
check_manifests
check_units
check_ci_recipes
