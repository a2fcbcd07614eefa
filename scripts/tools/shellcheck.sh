#!/usr/bin/env bash
# Installs ShellCheck 0.10.0 into .tools/bin for `npm run verify` (workflow `run:` scripts are checked with it).
# Debian bookworm ships 0.9, Debian trixie 0.10.0, so the package comes from trixie: `apt-get download` against a
# private sources list, package lists and cache in a temporary directory (the system's apt state, sources and
# dpkg database are never touched, no root needed), then `dpkg-deb -x`. The trixie index is verified with Debian's
# archive keyring; where that keyring is not installed (an Ubuntu GitHub runner), the `debian-archive-keyring`
# package is fetched the same way from the system's own archive first, so the trust chain starts at the OS's
# keyring. Idempotent: an installed 0.10.0 is kept.
set -euo pipefail

version="0.10.0"
debian_version="0.10.0-1" # trixie's; pinned so every machine runs the same checker
suite="trixie"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="${TOOLS_DIR:-$root/.tools}"
bin="$tools/bin/shellcheck"

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qx "version: $version"; then
  echo "shellcheck $version already installed: $bin"
  exit 0
fi

for cmd in apt-get dpkg-deb dpkg; do
  command -v "$cmd" >/dev/null || { echo "shellcheck.sh needs $cmd (Debian or Ubuntu)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
arch="$(dpkg --print-architecture)"

# apt options that keep lists and cache in $1 (a directory under $work), reading sources from $2 (a file) and $3
# (a directory). Running as the current user (APT::Sandbox::User) avoids apt's privilege drop to _apt, which
# cannot read a private temp dir.
apt_private() {
  local dir="$1"
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts" "$dir/prefs"
  printf '%s\n' \
    -o "Dir::Etc::SourceList=$2" \
    -o "Dir::Etc::SourceParts=$3" \
    -o "Dir::Etc::PreferencesParts=$dir/prefs" \
    -o "Dir::State::Lists=$dir/lists" \
    -o "Dir::State::Status=/dev/null" \
    -o "Dir::Cache=$dir/cache" \
    -o "Debug::NoLocking=1" \
    -o "Acquire::Languages=none" \
    -o "APT::Sandbox::User=$(id -un)"
}

# Debian's archive keyring: the installed one, or the debian-archive-keyring package from the system's archive.
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ ! -s "$keyring" ]; then
  echo "Debian archive keyring not installed; fetching the debian-archive-keyring package from the system's archive"
  # The system's own sources (and their keys), but private lists and cache.
  mapfile -t sysopts < <(apt_private "$work/system" /etc/apt/sources.list /etc/apt/sources.list.d)
  # A third-party source that fails to update must not stop this; the download below fails if Ubuntu's did.
  apt-get "${sysopts[@]}" -qq update || echo "apt-get update reported errors; trying the download anyway" >&2
  (cd "$work" && apt-get "${sysopts[@]}" -qq download debian-archive-keyring)
  dpkg-deb -x "$work"/debian-archive-keyring_*.deb "$work/keyring"
  keyring="$work/keyring/usr/share/keyrings/debian-archive-keyring.gpg"
fi

mapfile -t opts < <(apt_private "$work/trixie" "$work/trixie/sources.list" "$work/trixie/parts")
echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main" >"$work/trixie/sources.list"
apt-get "${opts[@]}" -qq update
(cd "$work" && apt-get "${opts[@]}" -qq download "shellcheck=$debian_version")

rm -rf "$tools/shellcheck"
mkdir -p "$tools/bin"
dpkg-deb -x "$work/shellcheck_${debian_version}_${arch}.deb" "$tools/shellcheck"
ln -sfn ../shellcheck/usr/bin/shellcheck "$bin"

if ! "$bin" --version | grep -qx "version: $version"; then
  echo "installed $bin does not report version $version:" >&2
  "$bin" --version >&2 || true
  exit 1
fi
echo "shellcheck $version installed: $bin"
