#!/bin/bash
# Submits a sharded drone-audit scan to Slurm: the scan array (scan.sbatch, one task per shard)
# and the merge job (merge.sbatch) that depends on it; or, after a task failed, resubmits
# exactly the shards `merge` names as missing, and a new merge.
#
#   deploy/slurm/submit.sh FLEET PARTS N          the array 0..N-1, then the merge (afterok)
#   deploy/slurm/submit.sh retry FLEET PARTS N    the missing shards' tasks, then the merge
#
# Prints `scan JOBID` and `merge JOBID` (sbatch --parsable ids) on standard output. Parts go to
# PARTS/part-K-of-N.json, logs to PARTS/logs/ (scan-ARRAYJOB_TASK.out, merge-JOB.out), the
# reports to PARTS/report.*.
#
# Environment: DRONE_AUDIT (the binary, default drone-audit on PATH), FAIL_ON, FORMATS (see
# merge.sbatch), SBATCH_ARGS (more sbatch options for both jobs, e.g. --partition=audit),
# ALLOW_PARTIAL=1 (the merge runs `afterany` and merges with --allow-partial: a report marked
# partial even when a task failed, instead of no report until the retry).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() {
  echo "usage: $0 [retry] FLEET PARTS N" >&2
  exit 2
}
mode=submit
if [ "${1:-}" = retry ]; then
  mode=retry
  shift
fi
[ "$#" = 3 ] || usage
fleet="$1"
parts="$(mkdir -p "$2" && cd "$2" && pwd)"
shards="$3"
case "$shards" in '' | *[!0-9]* | 0) usage ;; esac
binary="${DRONE_AUDIT:-drone-audit}"
read -r -a extra <<<"${SBATCH_ARGS:-}"
mkdir -p "$parts/logs"
export FLEET="$fleet" PARTS="$parts" SHARDS="$shards" DRONE_AUDIT="$binary"

# The 0-based array indices of the shards to scan.
if [ "$mode" = submit ]; then
  indices="0-$((shards - 1))"
else
  shopt -s nullglob
  present=("$parts"/part-*-of-"$shards".json)
  if [ "${#present[@]}" = 0 ]; then
    indices="0-$((shards - 1))"
  else
    # merge checks the parts (version, inputs, rules, policy, duplicates) and names the missing
    # shards: "shards missing from the set of N: 3/N, 7/N".
    set +e
    refusal=$("$binary" merge "${present[@]}" --quiet --fail-on none --format json --output /dev/null 2>&1 >/dev/null)
    code=$?
    set -e
    missing=$(printf '%s\n' "$refusal" | sed -n "s|.*shards missing from the set of $shards: \([0-9/, ]*\).*|\1|p" | head -n 1 | sed 's/ *$//')
    if [ -z "$missing" ]; then
      if [ "$code" = 2 ]; then
        echo "submit.sh: the parts in $parts cannot be merged, and no shard is missing:" >&2
        printf '%s\n' "$refusal" >&2
        exit 2
      fi
      echo "submit.sh: every shard of $shards is in $parts: nothing to retry" >&2
      exit 0
    fi
    indices=$(printf '%s\n' "$missing" | tr ',' '\n' | sed -n 's|^ *\([0-9]*\)/.*|\1|p' \
      | while read -r shard; do echo $((shard - 1)); done | paste -sd, -)
    echo "submit.sh: merge names shards $missing as missing: resubmitting array indices $indices" >&2
  fi
fi

scan=$(sbatch --parsable "${extra[@]}" --array="$indices" --export=ALL \
  --output="$parts/logs/scan-%A_%a.out" "$here/scan.sbatch")
scan="${scan%%;*}"
dependency="afterok:$scan"
if [ "${ALLOW_PARTIAL:-0}" = 1 ]; then
  dependency="afterany:$scan"
fi
merge=$(sbatch --parsable "${extra[@]}" --dependency="$dependency" --export=ALL \
  --output="$parts/logs/merge-%j.out" "$here/merge.sbatch")
merge="${merge%%;*}"
echo "scan $scan"
echo "merge $merge"
