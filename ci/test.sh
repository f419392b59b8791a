#!/usr/bin/env bash
# The test command: installs what is missing, then builds and tests ferry in
# three configurations. Every stage runs even if an earlier one failed (except
# that nothing runs without the packages); the last line is the tally.
#
#   deps     ci/install-deps.sh
#   release  Release build with -Werror in build/ci-release; every ctest label; then
#            bench/run --quick (the benchmark at tiny sizes, so it cannot rot); then
#            cpack -G DEB and ci/check_package.sh on the .deb
#   asan     ASan+UBSan build in build/ci-asan; ctest labels unit, mocked, conformance,
#            reliability
#   fuzz     clang-14 libFuzzer build in build/ci-fuzz; each fuzzer runs FUZZ_SECONDS
#            (default 60) on a scratch copy of its fuzz/corpus/<target> seeds
#
# Usage: ci/test.sh [STAGE...]  (default: release asan fuzz; deps always runs first)
# Environment: FUZZ_SECONDS, JOBS (parallel build and test jobs; default: cores).
# Exit status: 0 only if every stage passed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
JOBS=${JOBS:-$(nproc)}
FUZZERS=(frame_decoder_fuzzer session_fuzzer client_fuzzer path_fuzzer upload_fuzzer
  path_resolver_fuzzer)

# Sanitizer reports must fail the run and say where.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
failed_stages=()
# Test counts for the closing line: each stage appends "PASSED FAILED" lines.
tally=$(mktemp)
trap 'rm -f "$tally"' EXIT

# count_ctest LOG: records the counts from ctest's summary line in LOG.
count_ctest() {
  local line
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1 || true)
  [[ -n "$line" ]] || return 0
  local failed_tests total
  failed_tests=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  echo "$((total - failed_tests)) $failed_tests" >>"$tally"
}

# run_stage NAME FUNCTION: runs FUNCTION in a subshell under `set -e` (not in a
# condition, where bash would silently ignore -e), with a banner and its time.
run_stage() {
  local name=$1 body=$2
  printf '\n==== ci: stage %s ====\n' "$name"
  local start=$SECONDS status
  set +e
  # -e again inside: the subshell inherits the +e needed to collect its status.
  (
    set -e
    "$body"
  )
  status=$?
  set -e
  local duration=$((SECONDS - start))
  if ((status == 0)); then
    passed=$((passed + 1))
    printf '==== ci: stage %s passed in %dm%02ds ====\n' "$name" $((duration / 60)) $((duration % 60))
  else
    failed=$((failed + 1))
    failed_stages+=("$name")
    printf '==== ci: stage %s FAILED (exit %d) after %dm%02ds ====\n' "$name" "$status" \
      $((duration / 60)) $((duration % 60))
  fi
}

stage_deps() {
  bash ci/install-deps.sh
}

stage_release() {
  cmake -S . -B build/ci-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DFERRY_WERROR=ON \
    -DFERRY_BUILD_TESTS=ON
  cmake --build build/ci-release -j "$JOBS"
  # --timeout is a hang guard only; tests assert nothing about time.
  local log=build/ci-release/ctest.log status=0
  rm -f build/ci-release/reliability-summary.txt
  ctest --test-dir build/ci-release --output-on-failure -j "$JOBS" --timeout 900 2>&1 |
    tee "$log" || status=$?
  count_ctest "$log"
  print_reliability_summary build/ci-release
  # The benchmark measures time, so it is no test; it runs once at tiny sizes
  # so that it cannot rot (the micro-benchmarks are only built).
  BUILD_DIR=build/ci-release timeout 600 bench/run --quick --json build/ci-release/bench-quick.json ||
    status=$?
  # The .deb, unpacked into a scratch root and checked (file list, programs, man pages).
  rm -f build/ci-release/ferry_*.deb
  (cd build/ci-release && cpack -G DEB) || status=$?
  bash ci/check_package.sh build/ci-release/ferry_0.1.0_amd64.deb || status=$?
  return "$status"
}

# print_reliability_summary BUILD_DIR: the reliability suite's closing line, which
# the test writes to a file because ctest shows a passing test's output to no one.
print_reliability_summary() {
  local summary=$1/reliability-summary.txt
  if [[ -s "$summary" ]]; then
    cat "$summary"
  else
    echo "reliability: no summary (the reliability test did not run to the end)"
  fi
}

stage_asan() {
  cmake -S . -B build/ci-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFERRY_SANITIZE=ON \
    -DFERRY_WERROR=ON -DFERRY_BUILD_TESTS=ON
  cmake --build build/ci-asan -j "$JOBS"
  local log=build/ci-asan/ctest.log status=0
  rm -f build/ci-asan/reliability-summary.txt
  ctest --test-dir build/ci-asan --output-on-failure -j "$JOBS" --timeout 900 \
    -L 'unit|mocked|conformance|reliability' 2>&1 | tee "$log" || status=$?
  count_ctest "$log"
  print_reliability_summary build/ci-asan
  return "$status"
}

stage_fuzz() {
  cmake -S . -B build/ci-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFERRY_FUZZ=ON -DFERRY_BUILD_TESTS=OFF
  cmake --build build/ci-fuzz -j "$JOBS" --target "${FUZZERS[@]}"

  # libFuzzer adds what it finds to the corpus directory it is given: give it a
  # copy, so the repository's corpus changes only when someone commits a seed.
  local work=build/ci-fuzz/work
  rm -rf "$work"
  mkdir -p "$work/artifacts"
  local target crashed=0
  for target in "${FUZZERS[@]}"; do
    cp -r "fuzz/corpus/$target" "$work/$target"
    local log="$work/$target.log"
    printf -- '-- %s: fuzzing for %ss (log: %s)\n' "$target" "$FUZZ_SECONDS" "$log"
    if "build/ci-fuzz/fuzz/$target" -max_total_time="$FUZZ_SECONDS" -timeout=30 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/$target-" "$work/$target" \
        >"$log" 2>&1; then
      local runs per_second
      runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
      per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
      printf -- '-- %s: %s runs, %s/s, no crash\n' "$target" "$runs" "$per_second"
      echo "1 0" >>"$tally"
    else
      crashed=1
      echo "0 1" >>"$tally"
      printf -- '-- %s: FAILED; the end of its log:\n' "$target"
      tail -n 60 "$log"
      printf -- '-- reproduce with: build/ci-fuzz/fuzz/%s %s/artifacts/%s-*\n' \
        "$target" "$work" "$target"
      printf -- '-- then add the input to fuzz/corpus/%s/ with a descriptive name\n' "$target"
    fi
  done
  return "$crashed"
}

stages=("$@")
if ((${#stages[@]} == 0)); then
  stages=(release asan fuzz)
fi
for stage in "${stages[@]}"; do
  case "$stage" in
    release | asan | fuzz) ;;
    *)
      echo "ci: unknown stage '$stage' (stages: release asan fuzz)" >&2
      exit 2
      ;;
  esac
done

run_stage deps stage_deps
if ((failed == 0)); then
  for stage in "${stages[@]}"; do
    run_stage "$stage" "stage_$stage"
  done
fi

printf '\n'
printf 'ci: %d of %d stages passed\n' "$passed" $((passed + failed))
if ((failed > 0)); then
  printf 'ci: failed stages: %s\n' "${failed_stages[*]}"
fi
# The closing line counts tests (every ctest case and every fuzz target); a
# stage that failed before it could count anything counts as one failure.
read -r tests_passed tests_failed < <(awk '{p += $1; f += $2} END {print p + 0, f + 0}' "$tally")
if ((failed > 0 && tests_failed == 0)); then tests_failed=$failed; fi
printf 'ci: %d passed, %d failed\n' "$tests_passed" "$tests_failed"
((failed == 0))
