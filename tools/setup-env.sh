#!/usr/bin/env bash
# Create ./.venv (Python 3.11) and install GazeX Viewer into it with one extra: `test` (the default: the local
# model libraries and the test tools) or `local` (torch, transformers, peft: a model on this machine).
# torch 2.14.1 / torchvision 0.29.1 are pinned in setup.cfg; pip takes them from this machine's disk.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
EXTRA=${1:-test}
case "$EXTRA" in test|local) ;; *) echo "setup-env.sh: unknown extra '$EXTRA' (test or local)" >&2; exit 2 ;; esac
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.gazex-installed-$EXTRA
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
  # (this machine's pip configuration names local package folders; drop pip's notes about absent ones)
  .venv/bin/python -m pip install -q -e ".[$EXTRA]" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  touch "$stamp"
fi
