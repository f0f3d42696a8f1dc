#!/usr/bin/env bash
# Runtime container prerequisites: local images standing in for the official `python:X-slim` images
# (no registry needs to be reachable), plus the variables that point the harness at them.
# Idempotent: builds only what is missing.
#
#   harness-local/bookworm:base   Debian 12 (minbase) with the libraries a CPython build links against
#   harness-local/python:3.10     that base plus the interpreter of $PYENV_ROOT/versions/3.10.*
#   harness-local/python:3.12     that base plus the interpreter of $PYENV_ROOT/versions/3.12.*
#
# The interpreters are the pyenv builds of this machine (Debian 12 builds link against bookworm's
# libraries), copied under /usr/local as in the official images. Needs a Docker engine and
# debootstrap (scripts/setup/20-engines.sh). Set HARNESS_RUNTIME_VERSIONS to build other versions.
set -euo pipefail

say() { printf '    %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

export_var() {
    export "$1=$2"
    if [ -n "${HARNESS_TEST_ENV:-}" ]; then
        printf 'export %s=%q\n' "$1" "$2" >> "$HARNESS_TEST_ENV"
    fi
}

repo="${HARNESS_LOCAL_RUNTIME_REPO:-harness-local/python}"
base="${HARNESS_LOCAL_RUNTIME_BASE:-harness-local/bookworm:base}"
versions="${HARNESS_RUNTIME_VERSIONS:-3.10 3.12}"
mirror="${HARNESS_DEBIAN_MIRROR:-}"
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"

docker info >/dev/null 2>&1 || die "no Docker engine answers: run scripts/setup/20-engines.sh first"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing: apt-get install debootstrap"

# 1. The base: bookworm with the shared libraries of a CPython build and the CA certificates.
if docker image inspect "$base" >/dev/null 2>&1; then
    say "image $base: present"
else
    say "image $base: building from Debian bookworm (debootstrap, 1-2 minutes)"
    root="$(mktemp -d /var/tmp/harness-runtime-base-XXXXXX)"
    # shellcheck disable=SC2064
    trap "rm -rf '$root' '$root.log'" EXIT
    libraries=ca-certificates,libssl3,libsqlite3-0,libffi8,libbz2-1.0,liblzma5,libreadline8
    libraries="$libraries,libncursesw6,libuuid1,zlib1g,libexpat1,libgdbm6,libnsl2"
    # shellcheck disable=SC2086
    if ! debootstrap --variant=minbase --include="$libraries" bookworm "$root" $mirror \
        >"$root.log" 2>&1; then
        tail -n 20 "$root.log" >&2
        die "debootstrap bookworm failed"
    fi
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import \
        --change 'ENV LANG=C.UTF-8' \
        --change 'LABEL dev.harness.release=bookworm' \
        - "$base" >/dev/null
    rm -rf "$root" "$root.log"
    trap - EXIT
    say "image $base: built"
fi

# 2. One image per Python version, from the newest matching pyenv build.
build_python() {
    local version="$1" image="$repo:$1" source context
    if docker image inspect "$image" >/dev/null 2>&1; then
        say "image $image: present"
        return 0
    fi
    source="$(find "$pyenv_root/versions" -maxdepth 1 -name "$version.*" 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$source" ] && [ -x "$source/bin/python$version" ] \
        || die "no Python $version build in $pyenv_root/versions: pyenv install $version"
    say "image $image: building from $source"
    context="$(mktemp -d /var/tmp/harness-runtime-XXXXXX)"
    # shellcheck disable=SC2064
    trap "rm -rf '$context'" RETURN
    mkdir -p "$context/python"
    # The interpreter and its standard library; not its test suite, nor this machine's packages.
    tar -C "$source" --exclude="./lib/python$version/test" \
        --exclude="./lib/python$version/site-packages" -c . | tar -C "$context/python" -x
    mkdir -p "$context/python/lib/python$version/site-packages"
    cat > "$context/Dockerfile" <<EOF
FROM $base
COPY python/ /usr/local/
RUN ldconfig && /usr/local/bin/python$version -m ensurepip --default-pip >/dev/null \
    && /usr/local/bin/python$version -c 'import ssl, sqlite3, venv, ctypes'
ENV PYTHONDONTWRITEBYTECODE=1
LABEL dev.harness.runtime="python:$version"
CMD ["python$version"]
EOF
    docker build --quiet --tag "$image" "$context" >"$context.log" 2>&1 \
        || { cat "$context.log" >&2; rm -f "$context.log"; die "docker build of $image failed"; }
    rm -f "$context.log"
    say "image $image: built ($(docker run --rm "$image" python --version))"
}
for version in $versions; do
    build_python "$version"
    export_var "HARNESS_RUNTIME_IMAGE_PYTHON_${version//./_}" "$repo:$version"
done

# 3. Behind a TLS-intercepting proxy, runtime containers need this machine's CA bundle to install
#    packages: hand it over when pip here is configured with one (PIP_CERT or `cert` in pip.conf).
bundle="${PIP_CERT:-}"
if [ -z "$bundle" ]; then
    for conf in /etc/pip.conf "$HOME/.config/pip/pip.conf" "$HOME/.pip/pip.conf"; do
        [ -f "$conf" ] || continue
        found="$(sed -n 's/^[[:space:]]*cert[[:space:]]*=[[:space:]]*//p' "$conf" | tail -n 1)"
        [ -n "$found" ] && bundle="$found"
    done
fi
if [ -n "$bundle" ] && [ -f "$bundle" ]; then
    say "runtime containers: CA bundle $bundle"
    export_var HARNESS_RUNTIME_CA_BUNDLE "$bundle"
fi
