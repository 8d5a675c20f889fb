#!/usr/bin/env bash
# Instructions per query of the query path (dnsd_query_parse + dnsd_answer)
# per query type, counted by callgrind: deterministic, unlike wall time on
# a shared machine. Needs valgrind (Debian package valgrind).
#
#   bench/answer_ir.sh BUILD_DIR [bench_answer options...]
#   bench/answer_ir.sh build-release --edns
#
# With LL=SIZE in the environment (e.g. LL=1048576) callgrind also
# simulates the caches, with a last-level cache of SIZE octets (smaller
# than the zone, as a server's share of a busy machine's cache is), and
# a second column gives the last-level misses per query: the memory
# accesses that wall time pays for, counted deterministically too.
set -euo pipefail
build=${1:?usage: answer_ir.sh BUILD_DIR [bench_answer options]}
shift
bin=$build/bench/bench_answer
[ -x "$bin" ] || { echo "answer_ir.sh: no $bin (build target bench_answer)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "answer_ir.sh: needs valgrind" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cache=()
if [ -n "${LL:-}" ]; then
	cache=(--cache-sim=yes --D1=32768,8,64 --I1=32768,8,64 --LL="$LL",16,64)
fi
valgrind --tool=callgrind "${cache[@]}" --callgrind-out-file="$tmp/cg.out" \
	"$bin" --callgrind --queries 10000 "$@" >"$tmp/counts" 2>"$tmp/log" ||
	{ cat "$tmp/log" >&2; exit 1; }
# measure_KIND's inclusive Ir (and DLmr + DLmw) over the number of KIND
# queries it answered
events=Ir
[ -n "${LL:-}" ] && events=Ir,DLmr,DLmw
callgrind_annotate --inclusive=yes --auto=no --threshold=100 \
	--show="$events" "$tmp/cg.out" >"$tmp/ann"
awk -v ll="${LL:-}" '
	FNR == NR { n[tolower($1)] = $2; order[++k] = $1; next }
	match($0, /measure_[a-z]+/) {
		kind = substr($0, RSTART + 8, RLENGTH - 8)
		# the counts come first, each maybe followed by "(x%)"
		split($0, f, " ")
		j = 0
		for (i = 1; i <= length(f) && j < 3; i++) {
			if (f[i] ~ /^\(/ || f[i] ~ /%\)$/)
				continue
			if (f[i] !~ /^[0-9,.]+$/)
				break
			v = f[i]; gsub(",", "", v); c[++j] = v
		}
		ir[kind] = c[1]; miss[kind] = c[2] + c[3]
	}
	END {
		printf "%-9s %8s %12s", "type", "queries", "Ir/query"
		if (ll != "")
			printf " %12s", "LLmiss/query"
		printf "\n"
		for (i = 1; i <= k; i++) {
			kind = tolower(order[i])
			if (!(kind in ir))
				continue
			printf "%-9s %8d %12.0f", order[i], n[kind], ir[kind] / n[kind]
			if (ll != "")
				printf " %12.2f", miss[kind] / n[kind]
			printf "\n"
		}
	}' "$tmp/counts" "$tmp/ann"
