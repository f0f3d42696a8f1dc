#!/usr/bin/env bash
# The Action's run step, in the working directory: `harness run` with the JSON, JUnit and Markdown
# reports in INPUT_REPORTS and INPUT_ARGS after them; its exit code is the step's and goes to
# $GITHUB_OUTPUT as exit-code.
set -uo pipefail
reports="${INPUT_REPORTS:-harness-reports}"
mkdir -p "$reports"
read -r -a extra <<<"${INPUT_ARGS:-}"
harness run \
    --report "json=$reports/report.json" \
    --report "junit=$reports/junit.xml" \
    --report "markdown=$reports/summary.md" \
    "${extra[@]}"
code=$?
if [ -n "${GITHUB_OUTPUT:-}" ]; then
    echo "exit-code=$code" >> "$GITHUB_OUTPUT"
fi
exit "$code"
