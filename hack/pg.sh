#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server for the tests, in a folder
# of its own: listening only on 127.0.0.1 (a free port) with its unix
# socket in the folder, trust authentication, fsync off. As root it runs as
# the postgres user, since initdb refuses root.
#
#   dsn="$(bash hack/pg.sh start DIR)"   # prints the admin DSN
#   bash hack/pg.sh stop DIR             # stops it and removes DIR
#
# hack/test.sh starts one for the whole run and hands it to the tests as
# $BIOGATE_TEST_POSTGRES (see internal/pgtest).
set -euo pipefail

cmd="${1:-}"
dir="${2:-}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: hack/pg.sh start|stop DIR" >&2
  exit 2
fi
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
as=()
if [ "$(id -u)" -eq 0 ]; then as=(runuser -u postgres --); fi

case "$cmd" in
start)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "pg.sh: no PostgreSQL under /usr/lib/postgresql (hack/install-deps.sh installs it)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  if [ "${#as[@]}" -gt 0 ]; then chown postgres: "$dir"; fi
  if ! "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync --no-instructions >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    exit 1
  fi
  for _ in 1 2 3 4 5; do
    port=$((10000 + RANDOM % 20000)) # below the ephemeral range (32768-60999): no outgoing connection takes it while the server is down
    if "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null 2>&1; then
      echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
      exit 0
    fi
  done
  echo "pg.sh: PostgreSQL did not start:" >&2
  tail -n 20 "$dir/log" >&2 || true
  exit 1
  ;;
stop)
  if [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ]; then
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: hack/pg.sh start|stop DIR" >&2
  exit 2
  ;;
esac
