#!/usr/bin/env bash
# Browser tests of the ops console against the real server in sandbox mode.
#
# Builds nothing: expects target/debug/elife (`cargo build -p elife-server`), Debian's
# chromium and e2e/node_modules (`npm ci`). Makes a fresh SQLite database, creates three
# admin accounts with the CLI, starts the server on a free port with the simulators, buys
# orders through the public API (seed.mjs), runs the browser test (console.test.mjs), then
# stops the server. Screenshots land in target/console-screenshots/, the server's logs in
# target/console-e2e/.
#
# Environment: ELIFE_BIN (default target/debug/elife), CHROMIUM (default /usr/bin/chromium),
# E2E_KEEP=1 keeps the temporary directory (database, fixture).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
BIN="${ELIFE_BIN:-$ROOT/target/debug/elife}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
SHOTS="$ROOT/target/console-screenshots"
LOGS="$ROOT/target/console-e2e"

[[ -x "$BIN" ]] || { echo "e2e: $BIN is missing: cargo build -p elife-server" >&2; exit 2; }
[[ -x "$CHROMIUM" ]] || { echo "e2e: $CHROMIUM is missing: apt-get install -y chromium" >&2; exit 2; }
[[ -d "$HERE/node_modules/playwright-core" ]] || { echo "e2e: run npm ci in $HERE first" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/elife-e2e.XXXXXX")"
mkdir -p "$WORK/tmp" "$SHOTS" "$LOGS"
rm -f "$SHOTS"/*.png
SERVER_PID=""

cleanup() {
    local status=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    cp -f "$WORK"/server.log "$WORK"/server.err "$LOGS"/ 2>/dev/null || true
    if [[ "${E2E_KEEP:-}" == 1 ]]; then
        echo "e2e: kept $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server and the CLI run in the temporary directory so that no .env of a developer's
# is read, with every setting that matters given here.
export ELIFE_ENV=development
export DATABASE_URL="sqlite://$WORK/elife.db?mode=rwc"
export HOST=127.0.0.1
export LOG_DIR=
export LOG_LEVEL=info
export SANDBOX=on
export PAY_CHANNEL=cloud
export ADMIN_TOKEN=
export AUTO_REFUND=false
export RECHARGE_INTERVAL_SECONDS=1
# Sandbox passwords, used only by this run.
export E2E_SUPER_USER=e2e-super E2E_SUPER_PASSWORD='super e2e password 1'
export E2E_OPERATOR_USER=e2e-operator E2E_OPERATOR_PASSWORD='operator e2e password 2'
export E2E_VIEWER_USER=e2e-viewer E2E_VIEWER_PASSWORD='viewer e2e password 3'

cd "$WORK"
"$BIN" migrate up >/dev/null
create_admin() { # username role password
    ELIFE_ADMIN_PASSWORD="$3" "$BIN" admin create --username "$1" --role "$2" >/dev/null
}
create_admin "$E2E_SUPER_USER" super_admin "$E2E_SUPER_PASSWORD"
create_admin "$E2E_OPERATOR_USER" operator "$E2E_OPERATOR_PASSWORD"
create_admin "$E2E_VIEWER_USER" viewer "$E2E_VIEWER_PASSWORD"

PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
export PORT
"$BIN" serve >"$WORK/server.log" 2>"$WORK/server.err" &
SERVER_PID=$!

export E2E_API="http://127.0.0.1:$PORT"
export E2E_SERVER_STDERR="$WORK/server.err"
export E2E_FIXTURE="$WORK/fixture.json"
export E2E_SCREENSHOTS="$SHOTS"
# Playwright puts the browser's fresh profile (--user-data-dir) under the temporary directory.
export TMPDIR="$WORK/tmp"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

started=$SECONDS
if ! node "$HERE/seed.mjs"; then
    echo "e2e: seeding failed; the server said:" >&2
    tail -n 40 "$WORK/server.err" >&2 || true
    exit 1
fi
echo "e2e: server on $E2E_API seeded in $((SECONDS - started)) s"

cd "$HERE"
status=0
node --test --test-reporter=spec console.test.mjs || status=$?
echo "e2e: screenshots in $SHOTS ($(ls "$SHOTS"/*.png 2>/dev/null | wc -l) files), server logs in $LOGS"
exit "$status"
