#!/usr/bin/env bash
# Build the one-folder PyInstaller bundle in dist/satview and smoke-test it with --selftest.
#
#   bash packaging/build_bundle.sh          (uses .venv; installs pyinstaller into it when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"

if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
    "$PY" -m pip install --quiet pyinstaller
fi
"$PY" packaging/make_icons.py >/dev/null
"$PY" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/satview.spec
echo "bundle: dist/satview ($(du -sh dist/satview | cut -f1))"
QT_QPA_PLATFORM=offscreen dist/satview/satview --selftest
