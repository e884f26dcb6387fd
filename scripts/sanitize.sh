#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer (gcc) into build/asan/
# (swapped into build/Release for the run only, the normal build restored on exit), then runs the native-facing tests (core,
# prepared, lifecycle incl. the boundary tests) and the fuzz smoke run with it, in a private
# network namespace. Fails on any sanitizer report in the package's frames (nftjs::, native/,
# libnftnl, libmnl, nftables.node) or on a test failure.
#   NFTJS_FUZZ_RUNS (default 150 here) sizes the fuzz part.
# Leak checking stays with scripts/valgrind.sh: node itself does not free at exit, so LSan here
# would only report node's own allocations (detect_leaks=0).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [ "${NFTJS_PRIVATE_NETNS:-}" != "1" ]; then
  # An earlier run interrupted while the sanitized addon was swapped in: put the normal one back.
  if [ -f build/asan-saved/nftables.node ]; then cp build/asan-saved/nftables.node build/Release/nftables.node; rm -f build/asan-saved/nftables.node; fi
  [ -n "${NFTJS_SKIP_SETUP:-}" ] || bash scripts/setup.sh
  stage=build/asan
  rm -rf "$stage"
  mkdir -p "$stage"
  cp binding.gyp package.json "$stage/"
  ln -s "$root/native" "$stage/native"
  san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
  (cd "$stage" && CFLAGS="$san" CXXFLAGS="$san" LDFLAGS="-fsanitize=address,undefined" \
    node "$root/node_modules/node-gyp/bin/node-gyp.js" rebuild --nodedir="$(npm config get nodedir 2>/dev/null || true)" >build.log 2>&1) || { tail -30 "$stage/build.log"; echo "sanitizer build failed"; exit 1; }
  # The package loads its addon only from its own build/Release (NFTABLES_PREBUILD is not
  # honoured, see lib/native.ts): swap the sanitized build in for the run and put the normal
  # one back on every exit (a copy is kept in build/asan-saved/ if the swap is ever interrupted;
  # the next run restores it first).
  saved=build/asan-saved/nftables.node
  mkdir -p build/asan-saved
  cp build/Release/nftables.node "$saved"
  restore() { cp "$saved" build/Release/nftables.node && rm -f "$saved"; }
  trap restore EXIT
  cp "$stage/build/Release/nftables.node" build/Release/nftables.node
  if [ "$(id -u)" = "0" ]; then flags=(-n); else flags=(-r -n); fi
  unshare "${flags[@]}" env NFTJS_PRIVATE_NETNS=1 bash "$0" "$@"
  exit $?
fi
if [ -r /proc/1/ns/net ] && [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
  echo "Refusing to run in the host network namespace" >&2
  exit 1
fi
ip link set lo up
logs=$(mktemp -d)
asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
# build/Release now holds the sanitized addon (swapped in above, for the package and the
# workers the tests start); checked below so that a silent fallback cannot pass.
cmp -s build/Release/nftables.node build/asan/build/Release/nftables.node || { echo "sanitize: build/Release is not the sanitized addon"; exit 1; }
export LD_PRELOAD="$asan $ubsan"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:log_path=$logs/asan:allow_user_segv_handler=1:detect_odr_violation=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
node -e "
  const b = require('node-gyp-build')(process.cwd());
  const maps = require('fs').readFileSync('/proc/self/maps', 'utf8');
  if (!maps.includes('libasan')) { console.error('not running under ASan'); process.exit(1); }
  console.log('sanitize: loaded the sanitized addon (abi ' + b.abiVersion + ')');
"
status=0
node node_modules/mocha/bin/mocha.js --no-config --require tsx/cjs --extension ts --timeout 300000 --exit \
  --reporter test/helpers/reporter.js test/kernel/core.test.ts test/kernel/blocklist-pipeline.test.ts test/kernel/prepared.test.ts test/unit/packed.test.ts test/kernel/rules-bulk.test.ts test/lifecycle/*.test.ts || status=$?
if [ "$status" -eq 0 ]; then
  NFTJS_FUZZ_RUNS=${NFTJS_FUZZ_RUNS:-150} NFTJS_SKIP_SETUP=1 bash scripts/fuzz.sh || status=$?
fi
# Reports from any process of the run (node, its workers' threads, nft children).
bad=""
for f in "$logs"/*; do
  [ -e "$f" ] || continue
  if grep -qE "nftjs::|/native/|libnftnl|libmnl|nftables\.node" "$f"; then bad+="$f "; fi
done
if [ -n "$bad" ]; then
  for f in $bad; do echo "=== $f"; head -60 "$f"; done
  echo "sanitize: reports in the package's frames (logs in $logs)"
  exit 1
fi
other=$(ls "$logs" | wc -l)
[ "$other" -eq 0 ] || echo "sanitize: $other report(s) outside the package's frames (logs in $logs)"
if [ "$status" -ne 0 ]; then echo "sanitize: tests failed under ASan/UBSan (status $status)"; exit "$status"; fi
echo "sanitize: ASan+UBSan clean in nftjs/libnftnl/libmnl frames"
