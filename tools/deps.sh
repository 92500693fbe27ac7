#!/bin/sh
# Installs the Debian packages hxe needs to build, test and fuzz.
# Idempotent and non-interactive: it asks dpkg what is missing and installs
# only that, so a second run does nothing. Needs root (or sudo) only when
# something is missing.
set -eu

PKGS="build-essential cmake pkg-config python3 libcmocka-dev clang libclang-rt-14-dev
      libuv1-dev libssl-dev libsqlite3-dev libcurl4-openssl-dev libyaml-dev
      liblua5.4-dev libjansson-dev libhttp-parser-dev openssl"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
