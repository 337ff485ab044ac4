#!/usr/bin/env bash
# perfplan's whole test suite, runnable on a fresh Debian machine with Go:
#   ./test.sh
# It installs redis-server from apt when it is missing (the cache and limiter
# tests start their own servers on free loopback ports), then runs gofmt,
# go vet, go test -race, the bundled plans under --quick, and validates the
# examples. CI (.ci/run) calls this same script.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v redis-server >/dev/null 2>&1; then
	echo "== installing redis-server (apt)"
	SUDO=""
	if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
# Redis tests fail rather than skip from here on.
export PERFPLAN_REQUIRE_REDIS=1
# Runs here record their history in a temporary database, never in the
# repository's .perfplan/.
PERFPLAN_HISTORY="$(mktemp -d)/history.db"
export PERFPLAN_HISTORY

echo "== gofmt"
unformatted="$(gofmt -l .)"
if [ -n "$unformatted" ]; then
	echo "gofmt needed on:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -timeout 20m ./...

bin="$(mktemp -d)/perfplan"
go build -o "$bin" ./cmd/perfplan

echo "== perfplan fmt -check"
"$bin" fmt -check plans examples

echo "== perfplan run --quick plans/*.hcl"
"$bin" run --quick --out json="$(dirname "$bin")/ci-run.json" plans/*.hcl

echo "== perfplan validate examples/*.hcl"
"$bin" validate examples/*.hcl
