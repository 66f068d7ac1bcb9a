#!/usr/bin/env python3
"""Checks the Dockerfile without a container engine (none runs where the tests run).

1. The build context: every file a COPY takes from the context is let in by .dockerignore
   (an allowlist: `*`, then one `!path` per input), and .dockerignore lets in nothing else.
2. The build stage (`FROM … AS build`) is rebuilt from exactly the files it copies: they are
   copied, as Docker would, into a scratch folder outside any git checkout, and
   `cargo build --locked --offline` runs there with the commit passed the way the Dockerfile's
   build arguments pass it; the binary's `--version` must name that commit and date.
3. What later stages copy from the build stage is a path the build stage's RUN writes.
4. The Rust image is at least the `rust-version` of Cargo.toml.

Debug profile (the image builds --release): what is checked is that the inputs suffice, and a
debug build of them is twice as fast. Its target folder is target/dockerfile-check, kept
between runs. Exit 0 when all holds; otherwise every problem is printed and the exit is 1.
Run from anywhere: `scripts/check-dockerfile.py`.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMIT = "0123456789ab"
DATE = "2026-01-02"


def instructions(text):
    """(instruction, arguments) per instruction, continuation lines joined, comments dropped."""
    result, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = (pending + stripped).strip()
        pending = ""
        keyword, _, rest = whole.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def stages(parsed):
    """[(name or None, [instructions])] per FROM."""
    result = []
    for keyword, rest in parsed:
        if keyword == "FROM":
            match = re.search(r"\s+AS\s+(\S+)\s*$", rest, re.IGNORECASE)
            result.append((match.group(1) if match else None, []))
        elif result:
            result[-1][1].append((keyword, rest))
    return result


def copy_parts(rest, problems):
    """(flags, sources, destination) of a COPY; JSON form and globs are refused."""
    if rest.startswith("["):
        problems.append(f"COPY {rest}: the JSON form is not checked here; write it plainly")
        return {}, [], ""
    words = rest.split()
    flags = {}
    while words and words[0].startswith("--"):
        name, _, value = words.pop(0)[2:].partition("=")
        flags[name] = value
    if len(words) < 2:
        problems.append(f"COPY {rest}: needs a source and a destination")
        return flags, [], ""
    sources = words[:-1]
    for source in sources:
        if any(c in source for c in "*?["):
            problems.append(f"COPY {rest}: globs are not checked here; name each path")
    return flags, sources, words[-1]


def check_context(all_stages, problems):
    """Step 1: COPY sources from the context and the .dockerignore allowlist are the same set."""
    copied = set()
    for _, body in all_stages:
        for keyword, rest in body:
            if keyword == "ADD":
                problems.append(f"ADD {rest}: use COPY, which this check understands")
            if keyword != "COPY":
                continue
            flags, sources, _ = copy_parts(rest, problems)
            if "from" not in flags:
                copied.update(source.rstrip("/") for source in sources)
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    if not lines or lines[0] != "*":
        problems.append(".dockerignore must start with `*` and let the inputs in with `!path`")
    allowed = {line[1:].rstrip("/") for line in lines[1:] if line.startswith("!")}
    others = [line for line in lines[1:] if not line.startswith("!")]
    problems.extend(f".dockerignore: `{line}` after `*` excludes nothing new" for line in others)
    for source in sorted(copied - allowed):
        problems.append(f"COPY {source}: .dockerignore keeps it out of the context")
    for source in sorted(allowed - copied):
        problems.append(f".dockerignore lets in `{source}`, which no COPY uses")
    for source in sorted(copied):
        if not (ROOT / source).exists():
            problems.append(f"COPY {source}: no such file in the repository")


def replay_copies(body, scratch, problems):
    """Copies the build stage's context files into `scratch` as its WORKDIR, as Docker would."""
    workdir = "/"
    for keyword, rest in body:
        if keyword == "WORKDIR":
            workdir = rest
        if keyword != "COPY":
            continue
        flags, sources, destination = copy_parts(rest, problems)
        if "from" in flags or not sources:
            continue
        if destination.startswith("/"):
            if not destination.startswith(workdir):
                problems.append(f"COPY {rest}: outside WORKDIR {workdir}, not replayed")
                continue
            destination = "./" + destination[len(workdir) :].lstrip("/")
        target = scratch / destination
        into_folder = destination.endswith("/") or len(sources) > 1
        for source in sources:
            path = ROOT / source
            if path.is_dir():
                shutil.copytree(path, target, dirs_exist_ok=True)
            elif into_folder:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / path.name)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)


def check_arguments(body, problems):
    """build.rs reads the commit from these; the Dockerfile must declare them."""
    declared = {rest.split("=")[0].strip() for keyword, rest in body if keyword == "ARG"}
    for name in ("ZADIG_SYNC_COMMIT", "ZADIG_SYNC_COMMIT_DATE"):
        if name not in declared:
            problems.append(f"the build stage declares no `ARG {name}` for --version")


def build(scratch, problems):
    """Step 2's cargo build; returns the binary, or None."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "dockerfile-check"
    env = dict(os.environ, CARGO_TARGET_DIR=str(target), ZADIG_SYNC_COMMIT=COMMIT)
    env["ZADIG_SYNC_COMMIT_DATE"] = DATE
    # Like the image's context, the scratch folder is in no git checkout.
    env["GIT_CEILING_DIRECTORIES"] = str(scratch.parent)
    command = ["cargo", "build", "--locked", "--offline"]
    print(f"check-dockerfile: {' '.join(command)} in {scratch}", flush=True)
    if subprocess.run(command, cwd=scratch, env=env).returncode != 0:
        problems.append("the build stage's files do not build (cargo's errors above)")
        return None
    return target / "debug" / "zadig-sync"


def check_version(binary, problems):
    output = subprocess.run([binary, "--version"], capture_output=True, text=True)
    expected = f"(commit {COMMIT}, {DATE})"
    if expected not in output.stdout:
        problems.append(f"--version says {output.stdout.strip()!r}, not {expected!r}")


def check_from_build(all_stages, build_body, problems):
    """Step 3: `COPY --from=build X` names a path written by the build stage's RUN."""
    run_text = " ".join(rest for keyword, rest in build_body if keyword == "RUN")
    for name, body in all_stages:
        for keyword, rest in body:
            if keyword != "COPY":
                continue
            flags, sources, _ = copy_parts(rest, problems)
            if flags.get("from") == "build":
                problems.extend(
                    f"COPY --from=build {source}: the build stage's RUN never writes it"
                    for source in sources
                    if source not in run_text
                )


def check_rust_version(parsed, problems):
    """Step 4."""
    declared = re.search(r'^rust-version\s*=\s*"([^"]+)"', (ROOT / "Cargo.toml").read_text(), re.M)
    image = next(
        (rest.split("=", 1)[1] for keyword, rest in parsed
         if keyword == "ARG" and rest.startswith("RUST_VERSION=")),
        None,
    )
    if not declared or not image:
        problems.append("Cargo.toml's rust-version or the Dockerfile's ARG RUST_VERSION is missing")
        return
    as_tuple = lambda v: tuple(int(p) for p in v.split("."))
    if as_tuple(image) < as_tuple(declared.group(1)):
        problems.append(f"RUST_VERSION={image} is older than rust-version {declared.group(1)}")


def main():
    parsed = instructions((ROOT / "Dockerfile").read_text())
    all_stages = stages(parsed)
    problems = []
    build_body = next((body for name, body in all_stages if name == "build"), None)
    if build_body is None:
        print("check-dockerfile: no `FROM … AS build` stage", file=sys.stderr)
        return 1
    check_context(all_stages, problems)
    check_arguments(build_body, problems)
    check_from_build(all_stages, build_body, problems)
    check_rust_version(parsed, problems)
    with tempfile.TemporaryDirectory(prefix="zadig-sync-dockerfile-") as folder:
        scratch = Path(folder) / "src"
        scratch.mkdir()
        replay_copies(build_body, scratch, problems)
        if not problems:
            binary = build(scratch, problems)
            if binary:
                check_version(binary, problems)
    for problem in problems:
        print(f"check-dockerfile: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("check-dockerfile: ok (the build stage builds from exactly the files it copies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
