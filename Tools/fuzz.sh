#!/usr/bin/env bash
# Builds the libFuzzer executables of Tools/Fuzz and runs the fuzz targets (docs/reliability.md).
#
#   Tools/fuzz.sh smoke                  each target for FUZZ_SMOKE_TIME seconds (default 30): part of `make test`
#   Tools/fuzz.sh long                   each target for FUZZ_TIME seconds (default 600): `make fuzz`
#   Tools/fuzz.sh build                  only build
#   Tools/fuzz.sh run TARGET [ARGS...]   one target with libFuzzer's own arguments, e.g. a reproducer file:
#                                        Tools/fuzz.sh run frame-decoder .build-fuzz/artifacts/frame-decoder-crash-…
#
# FUZZ_TARGETS picks targets (default: all four). FUZZ_SANITIZERS=fuzzer,address adds AddressSanitizer (its own
# build folder, slower). The corpus each run grows is kept in .build-fuzz/corpus/TARGET; the inputs libFuzzer
# starts from are the seeds the executables write (PARLEY_FUZZ_SEED_DIR), Tools/Fuzz/seeds/TARGET,
# Tools/Fuzz/regressions/TARGET and, for the flow loader, ../shared/corpus/flows. A crash, a finding (abort) or a
# timeout fails the run and prints the reproducer's path; fix the bug, then copy the file into
# Tools/Fuzz/regressions/TARGET so FuzzRegressionTests keeps it fixed.
set -euo pipefail
# Crashes go to libFuzzer (which saves the input), not to the Swift runtime's backtracer.
export SWIFT_BACKTRACE=enable=no
cd "$(dirname "$0")/.."

MODE=${1:-smoke}
shift || true
ALL_TARGETS="frame-decoder event-codec flow-loader http-request"
TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}
SANITIZERS=${FUZZ_SANITIZERS:-fuzzer}
SCRATCH=.build-fuzz
[ "$SANITIZERS" = fuzzer ] || SCRATCH=.build-fuzz-${SANITIZERS//,/-}
BIN=$SCRATCH/debug

build() {
    echo "== building the fuzz targets (-sanitize=$SANITIZERS) into $SCRATCH"
    local start=$SECONDS
    local flags=()
    for sanitizer in ${SANITIZERS//,/ }; do flags+=(--sanitize="$sanitizer"); done
    # Without debug info: a seventh less compile time and smaller links; a reproducer gets its line numbers from
    # FuzzRegressionTests in the ordinary debug build.
    swift build --package-path Tools/Fuzz --scratch-path "$SCRATCH" "${flags[@]}" -Xswiftc -gnone -Xcc -g0
    echo "== built in $((SECONDS - start)) s"
}

# run_target TARGET SECONDS: fuzzes TARGET for SECONDS; returns libFuzzer's status.
run_target() {
    local target=$1 seconds=$2
    local corpus=$SCRATCH/corpus/$target seeds=$SCRATCH/seeds/$target artifacts=$SCRATCH/artifacts
    mkdir -p "$corpus" "$seeds" "$artifacts"
    local dirs=("$corpus" "$seeds")
    for extra in "Tools/Fuzz/seeds/$target" "Tools/Fuzz/regressions/$target"; do
        [ -d "$extra" ] && dirs+=("$extra")
    done
    if [ "$target" = flow-loader ] && [ -d ../shared/corpus/flows ]; then dirs+=(../shared/corpus/flows); fi
    local args=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=4096 -max_len=16384 -print_final_stats=1
        -artifact_prefix="$artifacts/$target-")
    [ -f "Tools/Fuzz/$target.dict" ] && args+=(-dict="Tools/Fuzz/$target.dict")
    local log=$SCRATCH/logs/$target.log
    mkdir -p "$SCRATCH/logs"
    echo "== fuzzing $target for $seconds s (log: $log)"
    local status=0
    PARLEY_FUZZ_SEED_DIR=$seeds PARLEY_FUZZ_TMPDIR=$TMP "$BIN/fuzz-$target" "${args[@]}" "${dirs[@]}" \
        >"$log" 2>&1 || status=$?
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" |
        sed 's/^/   /' || true
    if [ "$status" != 0 ]; then
        echo "!! $target failed (libFuzzer exit $status); the end of its log:"
        tail -n 40 "$log" | sed 's/^/   /'
        local unit
        unit=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | sed 's/Test unit written to //' || true)
        if [ -n "$unit" ]; then
            echo "!! reproducer: $unit"
            echo "!! replay it:  Tools/fuzz.sh run $target $unit"
            echo "!! once fixed: cp $unit Tools/Fuzz/regressions/$target/"
        fi
    fi
    return "$status"
}

TMP=$(mktemp -d "${PARLEY_FUZZ_TMPDIR:-/dev/shm}/parley-fuzz.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$TMP"' EXIT

case "$MODE" in
build)
    build
    ;;
smoke | long)
    if [ "$MODE" = smoke ]; then seconds=${FUZZ_SMOKE_TIME:-30}; else seconds=${FUZZ_TIME:-600}; fi
    build
    # Targets run FUZZ_JOBS at a time (default: one per core); each prints its summary when it ends.
    jobs_max=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
    mkdir -p "$SCRATCH/logs"
    for target in $TARGETS; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
        rm -f "$SCRATCH/logs/$target.status"
        (
            status=0
            run_target "$target" "$seconds" || status=$?
            echo "$status" >"$SCRATCH/logs/$target.status"
        ) >"$SCRATCH/logs/$target.summary" 2>&1 &
    done
    wait
    passed=0 failed=0
    for target in $TARGETS; do
        cat "$SCRATCH/logs/$target.summary"
        if [ "$(cat "$SCRATCH/logs/$target.status" 2>/dev/null)" = 0 ]; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
        fi
    done
    echo "fuzz: $passed passed, $failed failed"
    [ "$failed" = 0 ]
    ;;
run)
    target=${1:?usage: Tools/fuzz.sh run TARGET [libFuzzer arguments]}
    shift
    [ -x "$BIN/fuzz-$target" ] || build
    PARLEY_FUZZ_TMPDIR=$TMP "$BIN/fuzz-$target" "$@"
    ;;
*)
    echo "usage: Tools/fuzz.sh smoke|long|build|run TARGET [ARGS...]" >&2
    exit 2
    ;;
esac
