#!/usr/bin/env bash
# install.sh installs the pinned npm packages from package-lock.json and
# builds dist/trino-parse.cjs, the bundled Trino/Hive grammar checker that
# backends/athena's tests run. Needs node and npm.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
node build.mjs
echo "trino-parse: built $(pwd)/dist/trino-parse.cjs"
