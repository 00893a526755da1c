#!/usr/bin/env bash
# Set up everything satview needs on a fresh Debian machine, then run one job.
#
#   bash packaging/bootstrap.sh demo    set up, open the app on the built-in demo scene
#   bash packaging/bootstrap.sh test    set up, run the test suite
#   bash packaging/bootstrap.sh bench   set up, run the benchmark (writes docs/PERFORMANCE.md)
#   bash packaging/bootstrap.sh setup   set up only
#
# Set-up = Debian packages Qt needs (when run as root and they are missing), a virtual
# environment in .venv, and satview installed into it (editable) with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

job="${1:-setup}"
PY="${PYTHON:-python3}"

# Qt offscreen platform libraries (see the GUI testing notes); xvfb for real-window screenshots.
APT_PACKAGES=(libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core
              xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
              libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0)
[ "$job" = "bench" ] && APT_PACKAGES+=(gdal-bin)

install_apt() {
    command -v apt-get >/dev/null 2>&1 || return 0
    local missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "satview: please install: sudo apt-get install ${missing[*]}" >&2
        return 0
    fi
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python() {
    if [ ! -x .venv/bin/python ]; then
        "$PY" -m venv .venv
    fi
    local stamp=.venv/.satview-installed
    local want
    want="$(sha1sum pyproject.toml | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        .venv/bin/python -m pip install -q --upgrade pip
        .venv/bin/python -m pip install -q -e ".[test]"
        echo "$want" > "$stamp"
    fi
}

install_apt
install_python

case "$job" in
    setup)
        echo "satview is installed in .venv (run .venv/bin/satview --help)"
        ;;
    demo)
        if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
            exec .venv/bin/satview
        fi
        echo "no display: running the app on a virtual screen and saving satview-demo.png"
        xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/satview --screenshot satview-demo.png
        echo "wrote $(pwd)/satview-demo.png"
        ;;
    bench)
        .venv/bin/python bench/run.py
        ;;
    test)
        export QT_QPA_PLATFORM=offscreen
        .venv/bin/python -m pytest -q -n auto --dist loadfile
        ;;
    *)
        echo "usage: bash packaging/bootstrap.sh [setup|demo|test|bench]" >&2
        exit 2
        ;;
esac
