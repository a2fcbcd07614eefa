#!/usr/bin/env bash
# `npm run tools`: installs the third-party checkers `npm run verify` runs (promtool, helm, shellcheck, ...) into
# .tools/bin (git-ignored). Each tool has its own script beside this one (scripts/tools/<tool>.sh); every one is
# idempotent, installs from the Debian archive or the npm registry only, and changes nothing outside .tools/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export TOOLS_DIR="$root/.tools"
mkdir -p "$TOOLS_DIR/bin"
for script in "$root"/scripts/tools/*.sh; do
  [ "$(basename "$script")" = "install.sh" ] && continue
  bash "$script"
done
