#!/usr/bin/env bash
# Installs the Debian 12 packages Partnership Ledger needs (when missing),
# then configures and builds it in ./build. Safe to run again: it only
# installs what is missing and rebuilds what changed.
#
#   tools/setup.sh            install what is missing, then build
#   tools/setup.sh --deps     install what is missing, do not build
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build git openssl
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
  libboost-test1.81-dev libboost-url1.81-dev
  liblmdb-dev lmdb-utils libcereal-dev libssl-dev prometheus-cpp-dev
  # State checkpoints are compressed with zstd (projections/src/checkpoint.h).
  libzstd-dev pkg-config
  # The dashboard's end-to-end test drives Debian's Chromium headless; a CJK
  # font lets it render (and screenshot) the programme's Chinese names.
  chromium fonts-wqy-zenhei
  # xmllint checks the IATI export against the IATI 2.03 schema (docs/iati.md).
  libxml2-utils
  # docs/verification.md's by-hand steps and their test: jq, xxd, and the
  # independent Python verifier's Ed25519.
  jq xxd python3 python3-cryptography
  # tools/sanitize.sh and tools/fuzz.sh build with clang, its sanitizer
  # runtimes and libFuzzer (docs/reliability.md).
  clang libclang-rt-14-dev
  # ledgerctl bench --suite storage runs a private PostgreSQL server (Debian's
  # binaries in /usr/lib/postgresql/15/bin) and SQLite beside the log's store.
  postgresql-15 libpq-dev libsqlite3-dev
)
# The dashboard's packages come from the npm registry (api/dashboard). Node.js
# from Debian unless a node and npm are already there (another packaging of
# Node.js, such as NodeSource's, bundles npm and conflicts with Debian's npm).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages; run this, then try again:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

# The dashboard: npm ci from its lockfile (skipped while node_modules matches
# it), then build.sh copies the browser files into api/dashboard/vendor/.
dashboard=api/dashboard
lock_sum=$(sha256sum "$dashboard/package-lock.json" | cut -d' ' -f1)
if [[ $(cat "$dashboard/node_modules/.pl-lock-sha256" 2>/dev/null) != "$lock_sum" ]]; then
  echo "setup: npm ci in $dashboard"
  (cd "$dashboard" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" >"$dashboard/node_modules/.pl-lock-sha256"
fi
"$dashboard/build.sh" >/dev/null

[[ ${1:-} == --deps ]] && exit 0

build_type=${BUILD_TYPE:-RelWithDebInfo}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
cmake --build build
