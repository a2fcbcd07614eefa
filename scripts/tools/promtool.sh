#!/usr/bin/env bash
# Installs promtool 3.x into .tools/bin for `npm run verify` (`promtool check rules` and `promtool test rules` over
# the PrometheusRules the stacks render). The clusters run Prometheus 3 (kube-prometheus-stack 88.5.3: v3.14.0);
# Prometheus 2 parses and evaluates differently (range selectors became left-open in 3.0), so only a 3.x promtool
# counts. Debian bookworm's prometheus is 2.42 and trixie's promtool 2.53; Debian sid has promtool 3.5.
#
# How: `apt-get download` against a private sources list, package lists and cache in a temporary directory (the
# system's apt state, sources and dpkg database are never touched), then `dpkg-deb -x`. Trust: the sid index is
# fetched over HTTPS and, when Debian's archive keyring is on the machine (any Debian host, or Ubuntu with the
# debian-archive-keyring package; DEBIAN_ARCHIVE_KEYRING names another), its OpenPGP signature is verified. Without
# a keyring (a stock GitHub ubuntu-24.04 runner) the source is marked [trusted=yes]: the index is then authenticated
# by TLS to deb.debian.org only, which the script says. Either way apt checks the index against the Release file and
# the .deb against the index, and this script checks the .deb's sha256 against the index once more before unpacking.
#
# Pinned: archive, suite (sid), package, architecture (the machine's) and the major version, which is read from the
# installed binary. The exact Debian revision cannot be pinned: the archive only keeps a suite's current version
# (snapshot.debian.org, which keeps old ones, is not reachable here). The installed version is printed.
# Idempotent: an installed promtool 3.x is kept.
set -euo pipefail

major="3"
suite="sid"
mirror="${DEBIAN_MIRROR:-https://deb.debian.org/debian}"
keyring="${DEBIAN_ARCHIVE_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"

root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="${TOOLS_DIR:-$root/.tools}"
bin="$tools/bin/promtool"

# "promtool, version 3.5.3+ds1 (branch: debian/sid, revision: 3.5.3+ds1-6)" -> 3.5.3+ds1
installed_version() {
  "$1" --version 2>/dev/null | sed -n 's/^promtool, version \([^ ]*\).*/\1/p' | head -n 1
}

if [ -x "$bin" ]; then
  have="$(installed_version "$bin")"
  if [ "${have%%.*}" = "$major" ]; then
    echo "promtool $have already installed: $bin"
    exit 0
  fi
  echo "replacing $bin (version '${have:-unknown}', need $major.x)"
fi

for cmd in apt-get apt-cache dpkg-deb dpkg sha256sum; do
  command -v "$cmd" >/dev/null || { echo "promtool.sh needs $cmd (Debian or Ubuntu)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
arch="$(dpkg --print-architecture)"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts" "$work/prefs"

if [ -s "$keyring" ]; then
  trust="signed-by=$keyring"
  echo "verifying the Debian $suite index with $keyring"
elif [ "${mirror#https://}" != "$mirror" ]; then
  trust="trusted=yes"
  echo "no Debian archive keyring at $keyring: the $suite index is authenticated by TLS to $mirror only" >&2
else
  echo "promtool.sh: no Debian archive keyring at $keyring and $mirror is not https: nothing would authenticate the index" >&2
  exit 1
fi
echo "deb [arch=$arch $trust] $mirror $suite main" >"$work/sources.list"

# Running apt as the current user (APT::Sandbox::User) avoids its privilege drop to _apt, which cannot read the
# private temp dir; Dir::State::Status=/dev/null keeps the machine's installed packages out of the resolution.
opts=(
  -o "Dir::Etc::SourceList=$work/sources.list"
  -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::Etc::PreferencesParts=$work/prefs"
  -o "Dir::State::Lists=$work/lists"
  -o "Dir::State::Status=/dev/null"
  -o "Dir::Cache=$work/cache"
  -o "Debug::NoLocking=1"
  -o "Acquire::Languages=none"
  -o "APT::Sandbox::User=$(id -un)"
)
apt-get "${opts[@]}" -qq update

version="$(apt-cache "${opts[@]}" policy promtool | sed -n 's/^ *Candidate: //p')"
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  echo "promtool.sh: Debian $suite has no promtool package for $arch" >&2
  exit 1
fi
if [ "${version%%.*}" != "$major" ]; then
  echo "promtool.sh: Debian $suite has promtool $version; this repository needs $major.x (its rules target Prometheus $major)" >&2
  exit 1
fi
expected_sha256="$(apt-cache "${opts[@]}" show "promtool=$version" | sed -n 's/^SHA256: //p' | head -n 1)"

(cd "$work" && apt-get "${opts[@]}" -qq download "promtool=$version")
deb="$(ls "$work"/promtool_*_"$arch".deb)"
actual_sha256="$(sha256sum "$deb" | cut -d ' ' -f 1)"
if [ -z "$expected_sha256" ] || [ "$actual_sha256" != "$expected_sha256" ]; then
  echo "promtool.sh: $(basename "$deb") sha256 $actual_sha256 does not match the index ($expected_sha256)" >&2
  exit 1
fi
echo "$(basename "$deb") sha256 $actual_sha256 matches the $suite index"

# Unpack beside the final place, then swap: a half-written tree is never left at $tools/promtool.
mkdir -p "$tools/bin"
rm -rf "$tools/promtool.new"
dpkg-deb -x "$deb" "$tools/promtool.new"
rm -rf "$tools/promtool"
mv "$tools/promtool.new" "$tools/promtool"
ln -sfn ../promtool/usr/bin/promtool "$bin"

got="$(installed_version "$bin")"
if [ "${got%%.*}" != "$major" ]; then
  echo "promtool.sh: installed $bin reports version '$got', expected $major.x" >&2
  exit 1
fi
echo "promtool $got (Debian $version) installed: $bin"
