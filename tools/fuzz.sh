#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan, -DPL_FUZZ=ON)
# and runs each over its seed corpus for a while. docs/reliability.md,
# "Hostile input: fuzzing".
#
#   tools/fuzz.sh                       every target, $PL_FUZZ_SECONDS (default 30) s each
#   tools/fuzz.sh --seconds 3600        soak: an hour each
#   tools/fuzz.sh --target protocol_fuzz --seconds 600
#   tools/fuzz.sh --build build-asan    reuse the ASan build of tools/sanitize.sh
#
# Exits non-zero if a target crashes, leaks, trips UBSan or breaks one of its
# properties; the input that did it is saved in <build>/fuzz/<target>/artifacts/
# and printed. New inputs found go to <build>/fuzz/<target>/corpus/, never to
# the committed seeds in tests/fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${PL_FUZZ_SECONDS:-30}
build=build-fuzz
targets=()
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --target) targets+=("$2"); shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "usage: tools/fuzz.sh [--seconds N] [--target NAME]... [--build DIR]" >&2; exit 2 ;;
  esac
done
all=(decision_fuzz canonical_json_fuzz envelope_fuzz merkle_proof_fuzz protocol_fuzz)
((${#targets[@]})) || targets=("${all[@]}")

if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
    clang++ -x c++ -fsanitize=fuzzer,address,undefined -o /dev/null - 2>/dev/null; then
  echo "fuzz: clang++ with libFuzzer is needed (Debian: clang libclang-rt-14-dev; tools/setup.sh installs them)" >&2
  exit 1
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DPL_FUZZ=ON "${launcher[@]}" >/dev/null
cmake --build "$build" --target "${targets[@]}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for t in "${targets[@]}"; do
  work=$build/fuzz/$t
  mkdir -p "$work/corpus" "$work/artifacts"
  echo "fuzz: $t for ${seconds}s"
  # The first corpus directory receives what the run finds; the seeds are read only.
  if "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
      "$work/corpus" "tests/fuzz/corpus/$t" >"$work/log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$work/log" | tail -2 | sed 's/^/  /'
  else
    failed+=("$t")
    tail -n 60 "$work/log"
    echo "fuzz: $t FAILED; the input:" "$work"/artifacts/* >&2
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets clean"
