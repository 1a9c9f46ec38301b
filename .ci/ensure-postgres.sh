#!/usr/bin/env bash
# Starts this machine's PostgreSQL if it is installed and not answering on 127.0.0.1:5432.
set -euo pipefail
reachable() { (exec 3<>"/dev/tcp/127.0.0.1/5432") 2>/dev/null; }
reachable && exit 0
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    for version in $(ls /etc/postgresql); do
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
fi
for _ in $(seq 1 30); do
    reachable && exit 0
    sleep 1
done
echo "!! PostgreSQL is not reachable on 127.0.0.1:5432" >&2
exit 1
