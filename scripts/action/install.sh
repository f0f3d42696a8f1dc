#!/usr/bin/env bash
# The Action's install step: the `harness` binary into a virtual environment under $RUNNER_TEMP
# (from INPUT_WHEEL, else from source with INPUT_FROM_SOURCE=true, else migration-harness from the
# package index, at INPUT_VERSION when set), its folder appended to $GITHUB_PATH.
set -euo pipefail
venv="${RUNNER_TEMP:?RUNNER_TEMP is not set}/harness-venv"
python="$(command -v python3 || command -v python)"
"$python" -m venv "$venv"
if [ -n "${INPUT_WHEEL:-}" ]; then
    "$venv/bin/python" -m pip install --quiet "$INPUT_WHEEL"
elif [ "${INPUT_FROM_SOURCE:-false}" = "true" ]; then
    root="${ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}"
    cargo build --release --locked --manifest-path "$root/Cargo.toml"
    wheel="$("$python" "$root/scripts/build-wheel.py" --binary "$root/target/release/harness" --out "$RUNNER_TEMP/wheels")"
    "$venv/bin/python" -m pip install --quiet "$wheel"
elif [ -n "${INPUT_VERSION:-}" ]; then
    "$venv/bin/python" -m pip install --quiet "migration-harness==$INPUT_VERSION"
else
    "$venv/bin/python" -m pip install --quiet migration-harness
fi
"$venv/bin/harness" --version
echo "$venv/bin" >> "${GITHUB_PATH:?GITHUB_PATH is not set}"
