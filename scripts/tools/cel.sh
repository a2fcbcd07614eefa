#!/usr/bin/env bash
# Installs a CEL evaluator into .tools for `npm run verify`: @marcbachmann/cel-js 8.0.0 (MIT, no dependencies), whose
# `cel-evaluate '<expression>' '<context JSON>'` prints the result as JSON. The verify suite evaluates the platform's
# ValidatingAdmissionPolicy rules with it (Kubernetes itself runs cel-go, which cannot be installed here). The
# tarball comes from `npm pack` (no dependency is added to package.json) and is checked against the sha512 below.
set -euo pipefail

package="@marcbachmann/cel-js"
version="8.0.0"
# `npm view @marcbachmann/cel-js@8.0.0 dist.integrity`
integrity="sha512-oaTrAziGr3zDLFiMt/yLU3nZuRMawyWQB5X1a0I7s9eGy3JYzX9l8ZXXHyMd64nzbeVFZTewuUShwsZQdK6UCA=="

root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=scripts/tools/lib/npm-pack.sh
source "$root/scripts/tools/lib/npm-pack.sh"
tools="${TOOLS_DIR:-$root/.tools}"
dir="$tools/cel-js"
bin="$tools/bin/cel-evaluate"

if [ -f "$dir/package/package.json" ] && [ "$(node -p "require('$dir/package/package.json').version")" = "$version" ] && [ -e "$bin" ]; then
  echo "cel-js $version already installed: $bin"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$(npm_pack_verified cel.sh "$package@$version" "$integrity" "$work")"
rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" "$tools/bin"
tar -xzf "$tarball" -C "$dir.tmp"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
ln -sfn "$dir/package/bin/cel-evaluate.js" "$bin"
# Boolean results only: its JSON printer needs JSON.rawJSON for integers, which Node 20 lacks.
[ "$(node "$bin" '1 + 2 == 3')" = "true" ] || { echo "cel.sh: $bin does not evaluate 1 + 2 == 3" >&2; exit 1; }
echo "cel-js $version installed: $bin"
