#!/usr/bin/env bash
# The pure stages (src/reconcile/, src/report/) take values and return values: no async
# runtime, no HTTP, no file system, no clock, no environment. This fails when one of their
# files names any of those, so the line between pure stages and I/O cannot erode unseen.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='\btokio\b|\breqwest\b|std::fs\b|\bfs::|std::env\b|std::net\b|std::process\b|SystemTime|Instant::now|std::io::(stdin|stdout|stderr)|\bprintln!|\beprintln!|\bprint!|\beprint!'
# Comments may name what the code must not use; code may not.
found=$(grep -rnE "$pattern" src/reconcile src/report --include='*.rs' | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true)
if [ -n "$found" ]; then
  echo "$found"
  echo "error: the pure modules above (src/reconcile/, src/report/) must not do I/O, read the clock or the environment" >&2
  exit 1
fi
echo "pure modules: ok (src/reconcile/, src/report/ name no I/O)"
