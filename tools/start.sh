#!/usr/bin/env bash
# Set up the environment (first run only) and open the viewer on the bundled sample study.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup-env.sh
exec .venv/bin/python main.py "${@:-resources/sample_study}"
