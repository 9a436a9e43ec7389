#!/usr/bin/env bash
# Places the browser files the dashboard takes from npm packages into
# vendor/ (git-ignored), where ledgerd serves them. Run after `npm ci`
# (tools/setup.sh does both).
set -euo pipefail
cd "$(dirname "$0")"
src=node_modules/echarts/dist/echarts.min.js
if [[ ! -f $src ]]; then
  echo "build.sh: $src is missing; run 'npm ci' in $(pwd) first" >&2
  exit 1
fi
mkdir -p vendor
cp -p "$src" vendor/echarts.min.js
cp -p node_modules/echarts/LICENSE vendor/echarts.LICENSE.txt
echo "dashboard: vendor/echarts.min.js (echarts $(node -p "require('./node_modules/echarts/package.json').version" 2>/dev/null || echo '?'))"
