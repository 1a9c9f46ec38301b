#!/usr/bin/env bash
# The ops console in a real browser: playwright-core (from the npm registry, pinned in
# e2e/package-lock.json) driving Debian's chromium, headless; Playwright never downloads a
# browser. Installs what is missing, builds the server (cheap when already built) and runs
# e2e/run.sh. Screenshots of every page: target/console-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

# Chromium, and a CJK font so the screenshots show the Chinese labels.
packages=()
[[ -x /usr/bin/chromium ]] || packages+=(chromium)
[[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || packages+=(fonts-wqy-microhei)
if ((${#packages[@]})); then
    echo "== installing ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # The package lists may already know them; update only when the install needs it.
    if ! apt-get install -y --no-install-recommends "${packages[@]}"; then
        apt-get update
        apt-get install -y --no-install-recommends "${packages[@]}"
    fi
fi

echo "== npm ci (e2e/)"
(cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)

echo "== cargo build -p elife-server"
cargo build -p elife-server

echo "== browser tests of the console"
status=0
bash e2e/run.sh || status=$?
echo "== console screenshots: $(pwd)/target/console-screenshots/ (server logs: target/console-e2e/)"
exit "$status"
