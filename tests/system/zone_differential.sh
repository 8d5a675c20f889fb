#!/usr/bin/env bash
# Differential test of the zone-file parser: dnsd-checkzone --print against
# BIND's named-compilezone and ldns-read-zone on the zones in
# tests/data/zones, compared record by record in canonical wire form (the
# comparison lives in zone_differential.py, next to this file).
set -euo pipefail
: "${DNSD_BUILD:?DNSD_BUILD must name the build directory}"
: "${DNSD_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"

checkzone=$DNSD_BUILD/src/tools/dnsd-checkzone
for tool in "$checkzone" named-compilezone ldns-read-zone /usr/bin/python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "missing $tool"
		echo "0 passed, 1 failed"
		exit 1
	fi
done
exec /usr/bin/python3 "$DNSD_SRC/tests/system/zone_differential.py" \
	"$checkzone" "$DNSD_SRC/tests/data/zones"
