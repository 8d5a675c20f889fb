#!/usr/bin/env bash
# Fuzzes every libFuzzer target of a -DDNSD_FUZZ=ON build for SECONDS each,
# starting from a copy of its seed corpus (the corpus in the tree is not
# written). Exits non-zero when a target finds a crash, leak or hang.
# The seed is fixed (FUZZ_SEED, default 1) so a CI run repeats a prefix of
# what a longer run with the same seed already went through.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
secs=${2:-30}
src=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
build=$(cd "$build" && pwd)
for bin in "$build"/tests/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus=${name#fuzz_}
	mkdir -p "$work/$corpus"
	cp -r "$src/corpus/$corpus/." "$work/$corpus/"
	echo "== $name: ${secs}s"
	if ! (cd "$work" && "$bin" -seed="${FUZZ_SEED:-1}" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 "$work/$corpus" \
		>"$work/$name.log" 2>&1); then
		tail -40 "$work/$name.log"
		echo "$name: FAILED"
		status=1
	else
		grep -E 'stat::number_of_executed_units|Done' "$work/$name.log" | tail -2
	fi
done
exit $status
