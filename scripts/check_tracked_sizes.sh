#!/usr/bin/env bash
# Fails when a file tracked by git is larger than the limit (1 MB) and not in the allow-list
# below: a core dump, a dataset, a model file or a build output committed by mistake makes
# every clone pay for it forever. CI runs this first (.ci/run).
#
#   scripts/check_tracked_sizes.sh [LIMIT_BYTES]     (default 1000000)
#
# To commit a large file on purpose, add its path (a bash glob) to `allowed` with the reason.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

limit="${1:-1000000}"
if ! [[ "$limit" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/check_tracked_sizes.sh [LIMIT_BYTES]" >&2
  exit 2
fi

# Paths (bash globs) allowed above the limit, each with why. Empty today.
allowed=(
)

is_allowed() {
  local pattern
  for pattern in "${allowed[@]}"; do
    # shellcheck disable=SC2053  # the pattern is a glob on purpose
    [[ "$1" == $pattern ]] && return 0
  done
  return 1
}

# Sizes of the staged blobs (what a clone would get), not of the working-tree files.
paths=() objects=()
while IFS=$'\t' read -r -d '' meta path; do
  read -r mode object _ <<<"$meta"
  [[ "$mode" == 160000 ]] && continue  # a submodule: no blob here
  paths+=("$path")
  objects+=("$object")
done < <(git ls-files -s -z)
mapfile -t sizes < <(printf '%s\n' "${objects[@]}" | git cat-file --batch-check='%(objectsize)')

too_big=()
for i in "${!paths[@]}"; do
  if ((sizes[i] > limit)) && ! is_allowed "${paths[i]}"; then
    too_big+=("${sizes[i]} ${paths[i]}")
  fi
done

if ((${#too_big[@]} > 0)); then
  echo "check_tracked_sizes: tracked files over $limit bytes and not in the allow-list" \
       "(scripts/check_tracked_sizes.sh):" >&2
  printf '  %s\n' "${too_big[@]}" >&2
  echo "remove them (git rm --cached FILE, and a .gitignore entry) or allow them there" >&2
  exit 1
fi
echo "check_tracked_sizes: no tracked file over $limit bytes outside the allow-list"
