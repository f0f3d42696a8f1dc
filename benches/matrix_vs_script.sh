#!/usr/bin/env bash
# The 16-cell matrix (fresh, partial, roundtrip, stepwise x Python 3.10 and 3.12 x SQLite and a local
# PostgreSQL 15) of the league example, run by `harness run` and by the naive script a team would
# write, side by side on this machine, warm: both are run once untimed first (environments, golden
# files), then timed in turns. Prints both wall times and the ratio harness / script.
#
# The naive script, for each cell in turn: a fresh database (a SQLite file, or `createdb` on one
# shared local PostgreSQL cluster started once), every Alembic command as its own `alembic` process,
# the seed SQL with `psql`/`sqlite3`, then `pg_dump -s` / `.schema` and a `diff` against the golden
# file of the cell.
#
# Usage: benches/matrix_vs_script.sh [rounds]   (needs python3.10, python3.12, PostgreSQL 15's
# binaries, sqlite3, uv or pip; builds the harness in release mode)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
rounds=${1:-3}
cargo build --release --quiet
harness=$repo/target/release/harness
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
work=$(mktemp -d /tmp/harness-bench-XXXXXX)
chmod 755 "$work"
cluster_user=${BENCH_PG_USER:-nobody}
cleanup() {
    runuser -u "$cluster_user" -- "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# The project, the harness configuration and the naive script's inputs.
cp -r examples/league "$work/league"
mkdir -p "$work/scenarios"
cp scenarios/fresh.toml scenarios/partial.toml "$work/scenarios/"
printf 'kind = "roundtrip"\n' > "$work/scenarios/roundtrip.toml"
printf 'kind = "stepwise"\n' > "$work/scenarios/stepwise.toml"
cat > "$work/harness.toml" <<EOF
[project]
tool = "alembic"
path = "league"
requirements = "league/requirements.txt"

[matrix]
databases = ["sqlite", "postgres:15"]
runtimes = ["python:3.10", "python:3.12"]

[runtime]
backend = "local"

[databases."postgres:15"]
backend = "local"
EOF
seed=$(python3 -c 'import tomllib,sys; print(tomllib.load(open(sys.argv[1],"rb"))["steps"][1]["sql"])' "$work/scenarios/partial.toml")

# The naive script's environments and its shared cluster.
for v in 3.10 3.12; do
    py=$(ls -d "$HOME"/.pyenv/versions/"$v".*/bin/python 2>/dev/null | sort -V | tail -1)
    py=${py:-$(command -v "python$v")}
    "$py" -m venv "$work/venv-$v"
    "$work/venv-$v/bin/pip" install -q -r examples/league/requirements.txt psycopg2-binary
done
install -d -o "$cluster_user" "$work/pg"
runuser -u "$cluster_user" -- "$pg_bin/initdb" -D "$work/pg/data" -A trust -U postgres >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
runuser -u "$cluster_user" -- "$pg_bin/pg_ctl" -D "$work/pg/data" -w -l "$work/pg/log" \
    -o "-p $port -k $work/pg -c fsync=off -c listen_addresses=127.0.0.1" start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres

cat > "$work/naive.sh" <<'EOF'
#!/usr/bin/env bash
# One cell after another, as a team's CI script would run them.
set -euo pipefail
work=$1; seed=$2; pg_bin=$3
revisions=$(ls "$work/league/migrations/versions" | sed -n 's/^\([0-9]*\)_.*/\1/p' | sort)
n=0
for scenario in fresh partial roundtrip stepwise; do
  for db in sqlite postgres; do
    for v in 3.10 3.12; do
      n=$((n + 1)); cell="$scenario-$db-$v"; dir="$work/cells/$cell"
      rm -rf "$dir"; mkdir -p "$dir"
      if [ "$db" = sqlite ]; then url="sqlite:///$dir/db.sqlite"
      else name="bench_$n"; "$pg_bin/createdb" "$name"; url="postgresql://postgres@127.0.0.1:$PGPORT/$name"; fi
      ini="$work/league/alembic-$cell.ini"   # beside the original: script_location is %(here)s-relative
      sed "s|^sqlalchemy.url = .*|sqlalchemy.url = $url|" "$work/league/alembic.ini" > "$ini"
      alembic() { (cd "$work/league" && "$work/venv-$v/bin/alembic" -c "$ini" "$@" >"$dir/alembic.log" 2>&1) || { cat "$dir/alembic.log" >&2; return 1; }; }
      sql() { if [ "$db" = sqlite ]; then sqlite3 "$dir/db.sqlite" "$1"; else "$pg_bin/psql" -q -d "$name" -c "$1" >/dev/null; fi; }
      dump() { if [ "$db" = sqlite ]; then sqlite3 "$dir/db.sqlite" .schema; else "$pg_bin/pg_dump" -s "$name" | grep -v '^\\\(un\)\{0,1\}restrict '; fi; }
      check() {
        local golden="$work/golden/$cell-$1.sql"
        if [ -f "$golden" ]; then dump | diff -q "$golden" - >/dev/null; else mkdir -p "$work/golden"; dump > "$golden"; fi
      }
      case $scenario in
        fresh) alembic upgrade head; check head ;;
        partial) alembic upgrade 0003; sql "$seed"; alembic upgrade head; check head ;;
        roundtrip) alembic upgrade head; alembic downgrade base; alembic upgrade head; check head ;;
        stepwise) for r in $revisions; do alembic upgrade "$r"; check "$r"; done ;;
      esac
      if [ "$db" = postgres ]; then "$pg_bin/dropdb" "$name"; fi
    done
  done
done
EOF
chmod +x "$work/naive.sh"

run_harness() { (cd "$work" && "$harness" run --quiet "$@" >/dev/null); }
run_naive() { "$work/naive.sh" "$work" "$seed" "$pg_bin"; }
seconds() { local start end; start=$(date +%s.%N); "$@" || { echo "failed: $*" >&2; return 1; }; end=$(date +%s.%N); echo "$end - $start" | bc; }

# Warm-up: environments, graphs, snapshots and golden files.
run_harness
run_naive
for round in $(seq "$rounds"); do
    h=$(seconds run_harness)
    p=$(seconds run_harness --no-worker)
    s=$(seconds run_naive)
    printf 'round %d: harness %.2f s, harness --no-worker %.2f s, naive script %.2f s, ratio %.2f (--no-worker %.2f)\n' \
        "$round" "$h" "$p" "$s" "$(echo "$h / $s" | bc -l)" "$(echo "$p / $s" | bc -l)"
done
