#!/usr/bin/env bash
# Differential test of the zone-file parser: dnsd-checkzone --print against
# BIND's named-compilezone and ldns-read-zone on the zones in
# tests/data/zones, compared record by record in canonical wire form (the
# comparison lives in zone_differential.py, next to this file).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

checkzone=$DNSD_BUILD/src/tools/dnsd-checkzone
need "$checkzone" named-compilezone ldns-read-zone "$PY"
# not exec: lib.sh's exit trap removes its temp dir
"$PY" "$DNSD_SRC/tests/system/zone_differential.py" \
	"$checkzone" "$DNSD_SRC/tests/data/zones"
