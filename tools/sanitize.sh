#!/usr/bin/env bash
# The whole CTest suite once more under AddressSanitizer + UndefinedBehaviorSanitizer
# (leak checking on), and the suites that run threads under ThreadSanitizer.
# docs/reliability.md, "Sanitizers".
#
#   tools/sanitize.sh            both
#   tools/sanitize.sh --asan     ASan + UBSan only (build-asan)
#   tools/sanitize.sh --tsan     TSan only (build-tsan)
#
# Both builds use clang (RelWithDebInfo, Ninja), in build-asan and build-tsan
# (or $PL_ASAN_BUILD, $PL_TSAN_BUILD). The ASan build is configured with
# -DPL_FUZZ=ON, the fuzz targets' configuration, so `tools/fuzz.sh --build
# build-asan` reuses it. Any sanitizer report fails the test that caused it,
# and this script.
set -euo pipefail
cd "$(dirname "$0")/.."

asan=1 tsan=1
case ${1:-} in
  --asan) tsan=0 ;;
  --tsan) asan=0 ;;
  "") ;;
  *) echo "usage: tools/sanitize.sh [--asan|--tsan]" >&2; exit 2 ;;
esac

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
configure() {  # configure DIR [cmake args...]
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    "${launcher[@]}" "$@" >/dev/null
}

# The browser test drives Chromium against ledgerd; under the sanitizers only
# ledgerd is instrumented, which server_test and remote_cli_test already run
# end to end, and Chromium's own start-up dominates a test with a fixed
# 120-second budget. It runs in the normal suite (tools/test.sh).
exclude='^dashboard_test$'

asan_build=${PL_ASAN_BUILD:-build-asan}
tsan_build=${PL_TSAN_BUILD:-build-tsan}

if ((asan)); then
  configure "$asan_build" -DPL_FUZZ=ON
  cmake --build "$asan_build"
  supp=$asan_build/lsan.supp
  # Leak suppressions: third-party code only, each with its reason.
  cat >"$supp" <<'SUPP'
SUPP
  echo "sanitize: ASan + UBSan, every test but $exclude"
  (cd "$asan_build" &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
      LSAN_OPTIONS=suppressions=$PWD/lsan.supp:print_suppressions=0 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure --timeout 900 -E "$exclude")
fi

if ((tsan)); then
  # Every suite whose code runs threads: the writer, hub and server threads,
  # the Programme's replay thread, whole-log verification on every core.
  suites=(crypto_test ledger_test programme_test protocol_test server_test remote_cli_test
          cli_test rebuild_test demo_test preverify_test shared_by_id_test)
  configure "$tsan_build" -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread
  cmake --build "$tsan_build" --target "${suites[@]}" ledgerd ledgerctl
  regex="^($(IFS='|'; echo "${suites[*]}"))\$"
  echo "sanitize: TSan, $regex"
  (cd "$tsan_build" &&
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
      ctest --output-on-failure --timeout 900 -R "$regex")
fi
echo "sanitize: clean"
