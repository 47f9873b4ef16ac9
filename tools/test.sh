#!/usr/bin/env bash
# Set up the environment (first run only) and run the whole test suite.
# Tests that need dcmtk, dciodvfy or poppler skip with a reason when those are missing,
# except under CI (CI=true), where a missing tool is a failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup-env.sh
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
exec .venv/bin/python -m pytest -ra "$@"
