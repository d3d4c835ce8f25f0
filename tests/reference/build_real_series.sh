#!/usr/bin/env bash
# Rebuilds the real monthly series in tests/reference/data/real/ from the Air
# Force event log in ../shared/data with `countshift aggregate` as it stands.
#
# Run from the repository root:
#     bash tests/reference/build_real_series.sh
# The binary is $COUNTSHIFT if set, else target/release/countshift (built with
# `cargo build --release` if missing).  The raw log is pinned by its sha256: the
# compiler revises old rows now and then, so another copy gives other numbers;
# set ALLOW_OTHER_LOG=1 to build from it anyway (then rerun the R script and
# update the provenance in data/real/README.md).  The aggregate account (stderr)
# of each command is written beside its series as NAME.aggregate.txt.  At the
# end the outputs are checked against data/real/SHA256SUMS.
set -euo pipefail

root=$(pwd)
if [[ ! -f "$root/Cargo.toml" || ! -d "$root/tests/reference" ]]; then
  echo "run from the repository root: bash tests/reference/build_real_series.sh" >&2
  exit 2
fi
shared=${SHARED_DATA:-../shared/data}   # relative, so the account names it so
log="$shared/missile_attacks_daily.csv"
catalogue="$shared/missiles_and_uavs.csv"
log_sha=7d594ff66c8cbaf3801d57f42b9f175a70178d890cf369364b2db467b16f01cd
catalogue_sha=d85bdf56bcbf71b04959a44f14cba3675ccce84e1c5d3de26850f7a37120046b
out=tests/reference/data/real

for f in "$log" "$catalogue"; do
  [[ -f "$f" ]] || { echo "missing $f" >&2; exit 2; }
done
check_sha() {
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  if [[ "$got" != "$2" ]]; then
    echo "$1: sha256 $got, expected $2" >&2
    [[ "${ALLOW_OTHER_LOG:-0}" == 1 ]] || exit 1
  fi
}
check_sha "$log" "$log_sha"
check_sha "$catalogue" "$catalogue_sha"

bin=${COUNTSHIFT:-"$root/target/release/countshift"}
if [[ ! -x "$bin" ]]; then
  cargo build --release --quiet
  bin="$root/target/release/countshift"
fi

from=2022-10
to=2026-05
mkdir -p "$out"

# Shahed-136/131 drones: rows labelled exactly `Shahed-136/131`.
"$bin" aggregate "$log" --model 'Shahed-136/131' --from "$from" --to "$to" \
  -o "$out/shahed.csv" 2> "$out/shahed.aggregate.txt"
# cruise missiles, exposure = every row whose catalogue category
# matches `cruise` (all cruise-missile launches, combined labels included).
"$bin" aggregate "$log" --model 'X-101/X-555' --exposure-category 'cruise' \
  --catalogue "$catalogue" --from "$from" --to "$to" \
  -o "$out/x101_share.csv" 2> "$out/x101_share.aggregate.txt"
# Kalibr cruise missiles: rows labelled exactly `Kalibr`.
"$bin" aggregate "$log" --model 'Kalibr' --from "$from" --to "$to" \
  -o "$out/kalibr.csv" 2> "$out/kalibr.aggregate.txt"

for f in shahed x101_share kalibr; do
  cat "$out/$f.aggregate.txt" >&2
done
(cd "$out" && sha256sum -c SHA256SUMS)
