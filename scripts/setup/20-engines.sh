#!/usr/bin/env bash
# Database engine prerequisites for the end-to-end tests: a Docker engine and local PostgreSQL and
# MariaDB images built from Debian releases (no registry needs to be reachable), plus the variables
# that point the harness at those images. Idempotent: installs, starts and builds only what is missing.
#
#   harness-local/debian:bullseye  PostgreSQL 13, MariaDB 10.5, Redis 6
#   harness-local/debian:trixie    PostgreSQL 17, MariaDB 11.8, Redis 8
#
# Also this machine's redis-server, for the services' local backend (`services = ["redis"]`).
#
# The images have no entrypoint: the harness starts the server itself (image flavour `debian`, see
# docs/engines.md). Set HARNESS_SETUP_RELEASES to build other releases (space separated).
set -euo pipefail

say() { printf '    %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

export_var() {
    export "$1=$2"
    if [ -n "${HARNESS_TEST_ENV:-}" ]; then
        printf 'export %s=%q\n' "$1" "$2" >> "$HARNESS_TEST_ENV"
    fi
}

image_repo="${HARNESS_LOCAL_IMAGE_REPO:-harness-local/debian}"
releases="${HARNESS_SETUP_RELEASES:-bullseye trixie}"
mirror="${HARNESS_DEBIAN_MIRROR:-}"

# 1. Tools.
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ "${#missing[@]}" -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    # A server the package scripts started on the default port would answer the tests' projects
    # in place of the one the harness starts.
    case " ${missing[*]} " in *" redis-server "*)
        (service redis-server stop || redis-cli -p 6379 shutdown nosave) >/dev/null 2>&1 || true ;;
    esac
fi

# 2. A Docker engine that answers.
if docker info >/dev/null 2>&1; then
    say "docker engine: answering"
else
    [ "$(id -u)" -eq 0 ] || die "no Docker engine answers and this is not root: start one (dockerd) first"
    say "docker engine: starting dockerd (log: /var/log/harness-dockerd.log)"
    nohup setsid dockerd >/var/log/harness-dockerd.log 2>&1 < /dev/null &
    for _ in $(seq 1 120); do
        docker info >/dev/null 2>&1 && break
        sleep 0.5
    done
    docker info >/dev/null 2>&1 || die "dockerd did not answer within 60 s; see /var/log/harness-dockerd.log"
    say "docker engine: answering"
fi

# 3. Local images, one per Debian release, built only when missing.
build_image() {
    local release="$1" image="$image_repo:$1" root
    if docker image inspect "$image" >/dev/null 2>&1; then
        if [ "$(docker image inspect -f '{{ index .Config.Labels "dev.harness.redis" }}' "$image" 2>/dev/null)" = "1" ]; then
            say "image $image: present"
            return 0
        fi
        say "image $image: present without redis-server; building it again"
        docker image rm "$image" >/dev/null
    fi
    say "image $image: building from Debian $release (debootstrap, 1-2 minutes)"
    root="$(mktemp -d /var/tmp/harness-image-XXXXXX)"
    # shellcheck disable=SC2064
    trap "rm -rf '$root'" RETURN
    if ! debootstrap --variant=minbase --include=postgresql,mariadb-server,python3,redis-server \
        "$release" "$root" $mirror >"$root.log" 2>&1; then
        tail -n 20 "$root.log" >&2
        rm -f "$root.log"
        die "debootstrap $release failed"
    fi
    rm -f "$root.log"
    # Keep the image small and free of services started by package scripts.
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import \
        --change 'LABEL dev.harness.flavour=debian' \
        --change "LABEL dev.harness.release=$release" \
        --change 'LABEL dev.harness.redis=1' \
        --change 'ENV LANG=C.UTF-8' \
        - "$image" >/dev/null
    say "image $image: built"
}
for release in $releases; do
    build_image "$release"
done

# 4. Point the tests at them.
case " $releases " in *" bullseye "*)
    export_var HARNESS_IMAGE_POSTGRES_13 "$image_repo:bullseye"
    export_var HARNESS_IMAGE_MARIADB_10 "$image_repo:bullseye" ;;
esac
case " $releases " in *" trixie "*)
    export_var HARNESS_IMAGE_POSTGRES_17 "$image_repo:trixie"
    export_var HARNESS_IMAGE_MARIADB_11 "$image_repo:trixie"
    export_var HARNESS_IMAGE_REDIS "$image_repo:trixie" ;;
esac
