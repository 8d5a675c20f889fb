#!/usr/bin/env bash
# Instructions per query of the query path (dnsd_query_parse + dnsd_answer)
# per query type, counted by callgrind: deterministic, unlike wall time on
# a shared machine. Needs valgrind (Debian package valgrind).
#
#   bench/answer_ir.sh BUILD_DIR [bench_answer options...]
#   bench/answer_ir.sh build-release --edns
set -euo pipefail
build=${1:?usage: answer_ir.sh BUILD_DIR [bench_answer options]}
shift
bin=$build/bench/bench_answer
[ -x "$bin" ] || { echo "answer_ir.sh: no $bin (build target bench_answer)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "answer_ir.sh: needs valgrind" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
	"$bin" --callgrind --queries 10000 "$@" >"$tmp/counts" 2>"$tmp/log" ||
	{ cat "$tmp/log" >&2; exit 1; }
callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$tmp/cg.out" >"$tmp/ann"
# measure_KIND's inclusive Ir over the number of KIND queries it answered
awk '
	FNR == NR { n[tolower($1)] = $2; order[++k] = $1; next }
	match($0, /measure_[a-z]+/) {
		kind = substr($0, RSTART + 8, RLENGTH - 8)
		ir = $1; gsub(",", "", ir); cost[kind] = ir
	}
	END {
		printf "%-9s %8s %12s\n", "type", "queries", "Ir/query"
		for (i = 1; i <= k; i++) {
			kind = tolower(order[i])
			if (kind in cost)
				printf "%-9s %8d %12.0f\n", order[i], n[kind], cost[kind] / n[kind]
		}
	}' "$tmp/counts" "$tmp/ann"
