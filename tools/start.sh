#!/usr/bin/env bash
# Set up the environment (first run only) and open the viewer on the bundled sample study.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup-env.sh local
if [ $# -eq 0 ]; then
  # the bundled sample study, with its hand-written example reading (labelled as such in the report panel)
  set -- resources/sample_study resources/examples/sample_reading.json
fi
exec .venv/bin/python main.py "$@"
