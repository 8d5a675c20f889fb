#!/usr/bin/env bash
# The long fuzz campaign of tests/fuzz/README.md: each libFuzzer target of
# a -DDNSD_FUZZ=ON build in turn, one process at a time under nice -n 19,
# for RUNS executions, from a copy of its seed corpus in WORK (the corpus
# in the tree is not written). A target that is run again keeps growing
# its corpus in WORK.
#   tests/fuzz/campaign.sh BUILD_DIR RUNS WORK [NAME...]
# NAME is a target without fuzz_ (msg, config, ...); default all of them.
# FUZZ_DEADLINE (anything `date -d` reads) stops the target running then,
# with its final stats, and skips those after it. Per target WORK holds
# NAME.log, the corpus NAME/, crash-*/leak-*/timeout-* artifacts under
# NAME-artifacts/ and the binary that ran; WORK/summary is one line per
# target: name, executions, exec/s, cov, ft, corp (the units/size of
# libFuzzer's corpus), files (in WORK/NAME), result.
set -uo pipefail
build=${1:?usage: campaign.sh BUILD_DIR RUNS WORK [NAME...]}
runs=${2:?usage: campaign.sh BUILD_DIR RUNS WORK [NAME...]}
work=${3:?usage: campaign.sh BUILD_DIR RUNS WORK [NAME...]}
shift 3
src=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
mkdir -p "$work"
work=$(cd "$work" && pwd)
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for bin in "$build"/tests/fuzz_*; do
		[ -x "$bin" ] && names+=("${bin##*/fuzz_}")
	done
fi
deadline=
[ -n "${FUZZ_DEADLINE:-}" ] && deadline=$(date -d "$FUZZ_DEADLINE" +%s)
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for name in "${names[@]}"; do
	bin=$build/tests/fuzz_$name
	if [ ! -x "$bin" ]; then
		echo "$name: no $bin" >&2
		status=1
		continue
	fi
	limit=()
	if [ -n "$deadline" ]; then
		left=$((deadline - $(date +%s)))
		if [ "$left" -le 0 ]; then
			echo "$name: skipped, deadline passed" | tee -a "$work/summary"
			continue
		fi
		limit=(-max_total_time="$left")
	fi
	# a copy, so a rebuild while this runs does not change what runs
	cp "$bin" "$work/fuzz_$name"
	if [ ! -d "$work/$name" ]; then
		mkdir -p "$work/$name"
		cp -r "$src/corpus/$name/." "$work/$name/"
	fi
	mkdir -p "$work/$name-artifacts"
	echo "== fuzz_$name: $runs runs, $(date -u +%FT%TZ)"
	(cd "$work" && nice -n 19 "$work/fuzz_$name" -seed="${FUZZ_SEED:-1}" \
		-runs="$runs" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/$name-artifacts/" \
		"$work/$name" >"$work/$name.log" 2>&1)
	rc=$?
	log=$work/$name.log
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
	files=$(find "$work/$name" -type f | wc -l)
	result=ok
	[ "$rc" -eq 0 ] || { result="FAILED rc=$rc"; status=1; }
	echo "$name execs=${execs:-?} exec/s=${rate:-?} cov=${cov:-?}" \
		"ft=${ft:-?} corp=${corp:-?} files=$files $result $(date -u +%FT%TZ)" |
		tee -a "$work/summary"
done
exit $status
