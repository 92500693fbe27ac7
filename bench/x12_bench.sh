#!/bin/sh
# x12_bench.sh BUILD_DIR RESULTS INFO — the X12 5010 benchmark behind
# `make bench` (bench/run.sh runs it after the HL7 parse benchmark;
# BENCH_ONLY=x12 runs it alone).
#
# Writes the corpus (bench/gen_x12_corpus.py: 837P and 835 interchanges,
# BENCH_X12_MB, default 100 MB) into BUILD_DIR/bench/ unless it is there
# and its summary into INFO; runs BUILD_DIR/x12_bench (hxe at three
# depths: tokenize, loop parse, validation through SNIP 5), then each peer
# on the same file, one after the other:
#   node-x12, x12-parser, @stedi/x12-tools   bench/peers/x12_*.js (npm,
#                 pinned in bench/peers/package-lock.json)
#   X12::Parser   bench/peers/x12_parser.pl (Debian's libx12-parser-perl)
# Appends one JSON line per hxe depth and per peer to RESULTS; a tool that
# cannot run gets {"tool", "error"} with the reason, and the run goes on.
# bench/report_x12.py makes the table. Exits 1 when hxe did not run.
#
# Knobs (environment): BENCH_X12_MB (100), BENCH_X12_TOOLS ("hxe node-x12
# x12-parser @stedi/x12-tools X12::Parser"); BENCH_MIN_SECONDS (2),
# BENCH_MAX_SECONDS (20) per depth and per peer; hxe runs at least
# BENCH_MIN_PASSES (3) timed passes per depth, the peers at least one.
set -eu

cd "$(dirname "$0")/.."
BUILD=${1:?usage: x12_bench.sh BUILD_DIR RESULTS INFO}
RESULTS=${2:?usage: x12_bench.sh BUILD_DIR RESULTS INFO}
INFO=${3:?usage: x12_bench.sh BUILD_DIR RESULTS INFO}
MB=${BENCH_X12_MB:-100}
TOOLS=${BENCH_X12_TOOLS:-"hxe node-x12 x12-parser @stedi/x12-tools X12::Parser"}
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

# ---- the corpus ----
CORPUS=$OUT/x12_corpus_${MB}mb.x12
CINFO=$OUT/x12_corpus_${MB}mb.txt
if [ ! -s "$CORPUS" ] || [ ! -s "$CINFO" ] || newer bench/gen_x12_corpus.py "$CORPUS"; then
    say "writing the X12 corpus ($MB MB) to $CORPUS"
    "$PY" bench/gen_x12_corpus.py --mb "$MB" --out "$CORPUS.tmp" 2>"$CINFO"
    mv "$CORPUS.tmp" "$CORPUS"
fi
cp "$CINFO" "$INFO"

# error TOOL REASON: the record of a tool that did not run
error() {
    "$PY" -c 'import json, sys; print(json.dumps({"tool": sys.argv[1], "error": sys.argv[2]}))' \
        "$1" "$2" >>"$RESULTS"
}

# run TOOL COMMAND...: appends the tool's JSON lines, or an error record.
run() {
    tool=$1
    shift
    say "running $tool on the X12 corpus"
    log=$OUT/x12_$(printf "%s" "$tool" | tr -c "A-Za-z0-9\n" "_")
    if "$@" >"$log.out" 2>"$log.err" && grep -q '^{.*}$' "$log.out"; then
        grep '^{.*}$' "$log.out" >>"$RESULTS"
        return 0
    fi
    # the reason: the exception line (Node prints the source before it),
    # else the first line that says error, else the last line
    why=$(grep -m 1 -E '^[A-Za-z:]*(Error|Exception)\b' "$log.err" | cut -c 1-160 || true)
    [ -n "$why" ] || why=$(grep -m 1 -i -E 'error|cannot|can.t|not found' "$log.err" | cut -c 1-160 || true)
    [ -n "$why" ] || why=$(tail -n 1 "$log.err" | cut -c 1-160)
    [ -n "$why" ] || why="no result printed"
    error "$tool" "$why (log: $log.err)"
    return 1
}

# has_node_peer PACKAGE: the npm package is installed in bench/peers
has_node_peer() {
    command -v node >/dev/null 2>&1 && [ -f "$PEERS/node_modules/$1/package.json" ]
}

HXE_OK=1
for tool in $TOOLS; do
    case $tool in
    hxe)
        if [ -x "$BUILD/x12_bench" ]; then
            run hxe "$BUILD/x12_bench" "$CORPUS" || HXE_OK=0
        else
            HXE_OK=0
            error hxe "$BUILD/x12_bench is not built"
        fi ;;
    node-x12 | x12-parser | @stedi/x12-tools)
        case $tool in
        node-x12) script=x12_node_x12.js ;;
        x12-parser) script=x12_x12_parser.js ;;
        *) script=x12_stedi.js ;;
        esac
        if has_node_peer "$tool"; then
            run "$tool" env BENCH_MIN_PASSES=1 node "$PEERS/$script" "$CORPUS" || true
        else
            error "$tool" "not installed (npm ci in $PEERS failed or Node.js is missing; see $OUT/npm.log)"
        fi ;;
    X12::Parser)
        if perl -MX12::Parser -e 1 2>/dev/null; then
            run X12::Parser env BENCH_MIN_PASSES=1 perl "$PEERS/x12_parser.pl" "$CORPUS" || true
        else
            error X12::Parser "not installed (Debian package libx12-parser-perl; see $OUT/apt.log)"
        fi ;;
    *)
        error "$tool" "unknown tool in BENCH_X12_TOOLS" ;;
    esac
done
[ "$HXE_OK" = 1 ]
