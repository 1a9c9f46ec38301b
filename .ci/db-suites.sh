#!/usr/bin/env bash
# Runs the persistence suite (crates/persistence/tests) against each database:
#   1. SQLite (a fresh temp file per test, the default),
#   2. MariaDB/MySQL   ($ELIFE_TEST_MYSQL_URL,    default mysql://root@127.0.0.1:3306/elife),
#   3. PostgreSQL      ($ELIFE_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/elife).
# Each test creates its own database `elife_test_<random>` on the server and drops it.
# A server that is down is started if this machine has it installed; if it is still
# unreachable the script fails when CI=true and skips that backend otherwise.
# DB_SUITES="sqlite mysql postgres" selects backends (default: all three).
set -euo pipefail
cd "$(dirname "$0")/.."

MYSQL_URL="${ELIFE_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/elife}"
POSTGRES_URL="${ELIFE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/elife}"
SUITES="${DB_SUITES:-sqlite mysql postgres}"
WAIT_SECONDS="${DB_WAIT_SECONDS:-30}"

# host and port of a URL like scheme://user@host:port/db
host_of() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; echo "${rest%%:*}"; }
port_of() {
    local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"
    if [[ "$rest" == *:* ]]; then echo "${rest##*:}"; else echo "$2"; fi
}

reachable() { # host port
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_for() { # host port
    local i
    for ((i = 0; i < WAIT_SECONDS; i++)); do
        reachable "$1" "$2" && return 0
        sleep 1
    done
    return 1
}

start_postgres() {
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        local version
        for version in $(ls /etc/postgresql); do
            pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        done
    fi
}

start_mariadb() {
    if [ -x /usr/sbin/mariadbd ] && command -v start-stop-daemon >/dev/null; then
        start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
    fi
}

# Ensures the server of $2 is up; returns 1 (skip) if it is not and CI is not set.
ensure_server() { # name url default_port start_function
    local name="$1" url="$2" host port
    host="$(host_of "$url")"
    port="$(port_of "$url" "$3")"
    if reachable "$host" "$port"; then return 0; fi
    echo "-- $name not reachable on $host:$port; trying to start it"
    "$4"
    if wait_for "$host" "$port"; then return 0; fi
    if [ "${CI:-}" = "true" ]; then
        echo "!! $name is unreachable on $host:$port and CI=true: failing" >&2
        exit 1
    fi
    echo "!! $name is unreachable on $host:$port: skipping its suite (set CI=true to fail instead)" >&2
    return 1
}

RAN=()
SKIPPED=()
run_suite() { # label url
    echo "== persistence suite on $1"
    ELIFE_TEST_DATABASE_URL="$2" cargo test -p elife-persistence --test suite
    ELIFE_TEST_DATABASE_URL="$2" cargo test -p elife-persistence --test monitoring_queries
    RAN+=("$1")
}

for suite in $SUITES; do
    case "$suite" in
        sqlite) run_suite "SQLite" "" ;;
        mysql | mariadb)
            if ensure_server "MariaDB" "$MYSQL_URL" 3306 start_mariadb; then
                run_suite "MariaDB" "$MYSQL_URL"
            else
                SKIPPED+=("MariaDB")
            fi
            ;;
        postgres | postgresql)
            if ensure_server "PostgreSQL" "$POSTGRES_URL" 5432 start_postgres; then
                run_suite "PostgreSQL" "$POSTGRES_URL"
            else
                SKIPPED+=("PostgreSQL")
            fi
            ;;
        *) echo "unknown suite $suite (expected sqlite, mysql, postgres)" >&2; exit 2 ;;
    esac
done
echo "== persistence suites passed on: ${RAN[*]:-none}"
if [ "${#SKIPPED[@]}" -gt 0 ]; then
    echo "== skipped (server unreachable): ${SKIPPED[*]}"
fi
