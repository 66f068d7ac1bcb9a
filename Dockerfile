# syntax=docker/dockerfile:1
# zadig-sync in a small image, as a non-root user; by default the daemon on /builds.d.
#
#   docker build -t zadig-sync \
#     --build-arg ZADIG_SYNC_COMMIT="$(git rev-parse --short=12 HEAD)" \
#     --build-arg ZADIG_SYNC_COMMIT_DATE="$(git log -1 --format=%cd --date=short)" .
#   docker run --rm -v "$PWD/builds.d:/builds.d:ro" -v "$PWD/token:/run/secrets/zadig-token:ro" \
#     -e ZADIG_URL=https://zadig.example.com -e ZADIG_TOKEN_FILE=/run/secrets/zadig-token zadig-sync
#
# No container engine runs where the tests run; .ci/run checks this file with
# scripts/check-dockerfile.sh (the build stage rebuilt from exactly the files it copies) and
# hadolint. See docs/deploy.md.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
# The build's inputs, and nothing else: .dockerignore lets exactly these into the context.
COPY Cargo.toml Cargo.lock build.rs ./
COPY benches ./benches
COPY src ./src
# `--version` names the commit: the context has no .git, so build.rs reads these instead.
ARG ZADIG_SYNC_COMMIT=""
ARG ZADIG_SYNC_COMMIT_DATE=""
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && install -D -m 0755 target/release/zadig-sync /out/zadig-sync

# Debian's slim image: the same glibc the binary was linked against, CA certificates for
# HTTPS to Zadig, ssh for `--git ssh://…` (which zadig-sync runs with its own key and
# known-hosts file), and a shell, so that CI jobs (GitLab's `image:`, a Zadig job) can run in it.
FROM debian:bookworm-slim
# Debian's stable suite only takes security fixes: the newest packages are the ones wanted.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates openssh-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 65532 zadig-sync \
    && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin zadig-sync \
    && install -d -o 65532 -g 65532 -m 0700 /var/lib/zadig-sync
# Where `--git` keeps its shallow repository and checkouts (mount a volume there when the
# root file system is read-only).
ENV ZADIG_SYNC_STATE_DIR=/var/lib/zadig-sync
COPY --from=build /out/zadig-sync /usr/local/bin/zadig-sync
COPY --chmod=0755 scripts/image-healthcheck.sh /usr/local/bin/zadig-sync-healthcheck
USER 65532:65532
EXPOSE 9464
# /healthz of the daemon; commands other than `daemon` are not long-running, and Docker
# ignores a healthcheck of a container that ends first.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/zadig-sync-healthcheck"]
# zadig-sync handles SIGTERM itself (writes in flight finish, then exit 0), as PID 1 too.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/zadig-sync"]
CMD ["daemon", "--dir", "/builds.d", "--listen", "0.0.0.0:9464"]
