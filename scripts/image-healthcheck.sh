#!/usr/bin/env bash
# The container image's HEALTHCHECK (see the Dockerfile): asks the daemon's /healthz on
# loopback and succeeds on a 200. Written for bash alone (its /dev/tcp), so that the image
# needs no curl or wget. The port is 9464, the image's --listen, unless
# ZADIG_SYNC_HEALTH_PORT says otherwise (set it when you change --listen). Docker's
# --timeout bounds it; tests/it/image.rs runs it against a real daemon.
set -euo pipefail
port="${ZADIG_SYNC_HEALTH_PORT:-9464}"
exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
read -r _protocol status _reason <&3
[ "${status}" = 200 ]
