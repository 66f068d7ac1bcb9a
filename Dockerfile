# zadig-sync: a small, non-root image with the static binary.
#   docker build -t zadig-sync .
#   docker run --rm -v "$PWD/builds.d:/builds.d:ro" -e ZADIG_URL=… -e ZADIG_TOKEN_FILE=/run/secrets/zadig-token \
#     zadig-sync daemon --dir /builds.d --listen 0.0.0.0:9464
# (Not built in CI here; see docs/daemon.md, "What was tested".)

FROM rust:1-alpine AS build
# aws-lc-sys (rustls' crypto) builds C code with cmake.
RUN apk add --no-cache musl-dev build-base cmake perl clang
WORKDIR /src
# Dependencies first, so that a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY src ./src
RUN touch src/main.rs src/lib.rs && cargo build --release --locked \
    && strip target/release/zadig-sync \
    && mkdir -p /state

# distroless/static: CA certificates and /etc/passwd, no shell; "nonroot" is UID 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/target/release/zadig-sync /usr/local/bin/zadig-sync
# Where `--git` keeps its shallow repository and checkouts (mount a volume there when the
# root file system is read-only).
COPY --from=build --chown=65532:65532 /state /var/lib/zadig-sync
ENV ZADIG_SYNC_STATE_DIR=/var/lib/zadig-sync
USER 65532:65532
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/zadig-sync"]
CMD ["daemon", "--dir", "/builds.d", "--listen", "0.0.0.0:9464"]
