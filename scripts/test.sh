#!/usr/bin/env bash
# Runs every test: format, lint and type-check, then unit and integration tests
# against a real Kafka, schema registry and Postgres (see test/global-setup.ts for
# how they are provided), then the chaos run's CI variant on its own 3-broker
# cluster (jest.chaos.config.js). Installs what it needs first. Arguments go to
# the first jest pass (a path runs only that); with arguments the chaos pass is left out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install.sh
npm run --silent check
npx jest --ci "$@"
if [ $# -eq 0 ]; then
  npx jest --ci -c jest.chaos.config.js
fi
