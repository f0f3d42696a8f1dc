#!/usr/bin/env bash
# Python prerequisites: uv (fast, offline virtual environments) and the interpreters the repository's
# matrix names (python:3.10 and python:3.12). Idempotent.
set -euo pipefail

say() { printf '    %s\n' "$*" >&2; }

find_python() {
    local version="$1" root="${PYENV_ROOT:-$HOME/.pyenv}"
    command -v "python$version" >/dev/null 2>&1 && "python$version" -c 'pass' 2>/dev/null && return 0
    compgen -G "$root/versions/$version.*/bin/python$version" >/dev/null && return 0
    command -v uv >/dev/null 2>&1 && UV_PYTHON_DOWNLOADS=never uv python find --system "$version" >/dev/null 2>&1 && return 0
    return 1
}

if ! command -v uv >/dev/null 2>&1; then
    say "installing uv (pip install --user uv)"
    python3 -m pip install --quiet --user uv || python3 -m pip install --quiet --break-system-packages --user uv
    export PATH="$HOME/.local/bin:$PATH"
    echo "export PATH=\"$HOME/.local/bin:\$PATH\"" >> "$HARNESS_TEST_ENV"
fi
say "uv: $(uv --version)"

# The wheel's test installs it with pip into a `python3 -m venv` environment (Debian splits ensurepip
# into python3-venv).
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    [ "$(id -u)" -eq 0 ] || { echo "python3's venv module is missing: apt-get install python3-venv" >&2; exit 1; }
    say "installing python3-venv"
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
fi

for version in 3.10 3.12; do
    if find_python "$version"; then
        say "python $version: found"
    elif command -v pyenv >/dev/null 2>&1; then
        say "python $version: installing with pyenv"
        pyenv install --skip-existing "$version"
    else
        say "python $version: installing with uv"
        uv python install "$version"
    fi
done
