#!/usr/bin/env bash
# Runs every test: format, lint and type-check, then unit and integration tests
# against a real Kafka, schema registry and Postgres (see test/global-setup.ts for
# how they are provided). Installs what it needs first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install.sh
npm run --silent check
npx jest --ci "$@"
