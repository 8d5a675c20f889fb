#!/usr/bin/env bash
# Folds what a campaign (campaign.sh) found into the seed corpora of the
# tree: for each target, the inputs of WORK/NAME that reach an edge the
# seeds do not (libFuzzer -merge=1 on edge coverage only, -use_counters=0,
# so the corpus stays small enough for a fast ctest replay). Seeds are
# never removed.
#   tests/fuzz/merge.sh BUILD_DIR WORK [NAME...]
set -euo pipefail
build=${1:?usage: merge.sh BUILD_DIR WORK [NAME...]}
work=${2:?usage: merge.sh BUILD_DIR WORK [NAME...]}
shift 2
src=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
work=$(cd "$work" && pwd)
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for bin in "$build"/tests/fuzz_*; do
		[ -x "$bin" ] && names+=("${bin##*/fuzz_}")
	done
fi
for name in "${names[@]}"; do
	[ -d "$work/$name" ] || continue
	before=$(find "$src/corpus/$name" -type f | wc -l)
	(cd "$work" && nice -n 19 "$build/tests/fuzz_$name" -merge=1 \
		-use_counters=0 -timeout=10 -rss_limit_mb=2048 \
		"$src/corpus/$name" "$work/$name" >"$work/$name-merge.log" 2>&1)
	after=$(find "$src/corpus/$name" -type f | wc -l)
	echo "$name: $before -> $after files," \
		"$(du -sb "$src/corpus/$name" | cut -f1) bytes;" \
		"$(grep -o '[0-9]* new coverage edges' "$work/$name-merge.log" | tail -1)"
done
