#!/usr/bin/env bash
# Browser prerequisite for the HTML report's test: a headless Chromium from Debian's packages, and
# the variable that points the test at it. Idempotent: installs only when no chromium is on PATH.
#
#   HARNESS_CHROMIUM   the browser the test opens the report with (tests/report_html.rs)
set -euo pipefail

say() { printf '    %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

export_var() {
    export "$1=$2"
    if [ -n "${HARNESS_TEST_ENV:-}" ]; then
        printf 'export %s=%q\n' "$1" "$2" >> "$HARNESS_TEST_ENV"
    fi
}

if ! command -v chromium >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || die "chromium is missing: install it (apt-get install chromium) or run as root"
    say "installing chromium (apt-get, about 100 MB)"
    export DEBIAN_FRONTEND=noninteractive
    log="$(mktemp /var/tmp/harness-chromium-XXXXXX.log)"
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } \
        >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        rm -f "$log"
        die "apt-get install chromium failed"
    fi
    rm -f "$log"
fi
browser="$(command -v chromium)"
# A browser that cannot start headless would fail the test with a less clear message.
"$browser" --headless --disable-gpu --no-sandbox --dump-dom about:blank >/dev/null 2>&1 \
    || die "$browser does not start headless: run it with --headless --no-sandbox to see why"
say "chromium: $("$browser" --version 2>/dev/null || echo "$browser")"
export_var HARNESS_CHROMIUM "$browser"
