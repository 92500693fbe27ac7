#!/bin/sh
# Runs every libFuzzer target in BUILD for SECONDS each, starting from the
# committed corpus (plus ../shared/corpus/hl7v2-broken when present).
# New inputs go to a scratch corpus in BUILD; crashes are left in
# BUILD/fuzz-artifacts/ — add each as a regression test in
# fuzz/regressions/<target>/ after fixing it.
set -eu
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$BUILD/fuzz-artifacts"
for bin in "$BUILD"/*_fuzzer; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    work="$BUILD/fuzz-corpus/$name"
    mkdir -p "$work"
    seeds="$ROOT/fuzz/corpus/$name"
    extra=""
    [ -d "$ROOT/../shared/corpus/hl7v2-broken" ] && [ "$name" = hl7v2_fuzzer ] && extra="$ROOT/../shared/corpus/hl7v2-broken $ROOT/../shared/corpus/hl7v2"
    echo "fuzz: $name for ${SECONDS_EACH}s"
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$BUILD/fuzz-artifacts/$name-" -print_final_stats=1 \
        "$work" "$seeds" $extra >"$BUILD/fuzz-$name.log" 2>&1 || true
    grep -E '^(#[0-9]+ +DONE|stat::|SUMMARY|artifact)' "$BUILD/fuzz-$name.log" || true
    if ls "$BUILD/fuzz-artifacts/$name-"* >/dev/null 2>&1 || grep -q 'SUMMARY:' "$BUILD/fuzz-$name.log"; then
        echo "fuzz: $name found crashes: $(ls "$BUILD/fuzz-artifacts/$name-"*)" >&2
        exit 1
    fi
done
echo "fuzz: no crash"
