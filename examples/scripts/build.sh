#!/bin/bash
set -euo pipefail
cd "$REPONAME_0"
make build-"${SERVICE}"
