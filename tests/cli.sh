#!/bin/sh
# CLI tests: the hxe command on real files, its output and exit codes.
# usage: cli.sh HXE_BINARY SOURCE_DIR
set -u
HXE=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
n=0

check() { # name, expected exit code, command...
    name=$1; want=$2; shift 2
    n=$((n + 1))
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL $name: exit $got, want $want"; sed 's/^/  | /' "$T/out" "$T/err" | head -20
        fails=$((fails + 1))
    fi
}
expect_out() { # name, text that must appear in the last output
    n=$((n + 1))
    if ! grep -qF -- "$2" "$T/out"; then
        echo "FAIL $1: output lacks '$2'"; sed 's/^/  | /' "$T/out" | head -20
        fails=$((fails + 1))
    fi
}

EX="$SRC/examples/adt_a01.hl7"
printf 'MSH|^~\\&|A|B|C|D|20240101||ADT^A01^ADT_A01|X1|P|2.5.1\rEVN|A01|20240101\rPID|1||1^^^H^MR||DOE^JANE||19800101|Q\rPV1|1|I\r' > "$T/badsex.hl7"
printf 'garbage\n' > "$T/junk.hl7"

# usage and help
check "no args" 2 "$HXE"
check "help" 0 "$HXE" --help
check "hl7 help" 0 "$HXE" hl7 --help
for v in parse get set validate ack; do
    check "$v --help" 0 "$HXE" hl7 "$v" --help
    expect_out "$v --help" "usage: hxe hl7 $v"
done
check "unknown verb" 2 "$HXE" hl7 frobnicate "$EX"
check "missing file" 2 "$HXE" hl7 parse "$T/nope.hl7"
check "get without path" 2 "$HXE" hl7 get "$EX"
check "bad path" 2 "$HXE" hl7 get "$EX" "PID-x"
check "unknown option" 2 "$HXE" hl7 validate --frob "$EX"

# parse
check "parse" 0 "$HXE" hl7 parse "$EX"
expect_out "parse" '"PID-5":{"PID-5.1":"EVERYWOMAN","PID-5.2":"EVE","PID-5.3":"E","PID-5.7":"L"}'
check "parse junk" 1 "$HXE" hl7 parse "$T/junk.hl7"

# get, from a file and from a pipe
check "get" 0 "$HXE" hl7 get "$EX" PID-5.1 PID-3[1].1 MSH-9.2
expect_out "get" "EVERYWOMAN	PATID1234	A01"
check "get stdin" 0 sh -c "cat '$EX' '$EX' | '$HXE' hl7 get - MSH-10"
n=$((n + 1)); [ "$(wc -l < "$T/out")" = 2 ] || { echo "FAIL get stdin: want 2 lines"; fails=$((fails + 1)); }

# set: edits applied, written back; then read back
check "set" 0 sh -c "'$HXE' hl7 set '$EX' 'PID-5.1=O|Brien' --delete NK1 --insert 'PV1=NTE|1||note' > '$T/set.hl7'"
check "set read back" 0 "$HXE" hl7 get "$T/set.hl7" PID-5.1 NTE-3
expect_out "set read back" "O|Brien	note"
n=$((n + 1)); grep -q 'O\\F\\Brien' "$T/set.hl7" || { echo "FAIL set: value not escaped"; fails=$((fails + 1)); }
check "set nothing is byte for byte" 0 sh -c "'$HXE' hl7 set '$EX' > '$T/same.hl7' && cmp '$EX' '$T/same.hl7'"

# validate
check "validate clean" 0 "$HXE" hl7 validate "$EX"
expect_out "validate clean" "valid, 0 errors"
check "validate bad sex" 1 "$HXE" hl7 validate "$T/badsex.hl7"
expect_out "validate bad sex" "PID-8"
expect_out "validate bad sex" "103"
n=$((n + 1)); if grep -q "DOE\|JANE" "$T/out"; then echo "FAIL validate: patient data in the report"; fails=$((fails + 1)); fi
check "validate json" 1 "$HXE" hl7 validate --json "$T/badsex.hl7"
expect_out "validate json" '"code":103,"location":"PID-8'
check "validate junk" 1 "$HXE" hl7 validate "$T/junk.hl7"

# ack
check "ack clean" 0 "$HXE" hl7 ack --control-id A1 "$EX"
expect_out "ack clean" "MSA|AA|MSG00001"
expect_out "ack clean" "MSH|^~\\&|GHH LAB|GOOD HEALTH HOSPITAL|ADT1|GOOD HEALTH HOSPITAL|"
check "ack error" 1 "$HXE" hl7 ack "$T/badsex.hl7"
expect_out "ack error" "MSA|AE|X1"
expect_out "ack error" "ERR||PID^1^8^1|103^Table value not found^HL70357|E|"
check "ack junk" 1 "$HXE" hl7 ack "$T/junk.hl7"
expect_out "ack junk" "MSA|AR|"
check "ack wire format" 0 sh -c "'$HXE' hl7 ack --cr '$EX' | grep -q \"\$(printf 'MSA|AA|MSG00001\r')\""

echo "cli: $n checks, $fails failed"
[ "$fails" = 0 ]
