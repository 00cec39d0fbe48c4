#!/bin/sh
# Runs benchmarks against an older build and this one, interleaved: old, new, old, new ...
# Each benchmark already prints its ratio to a peer measured in the same run, so the two builds
# are compared by those ratios, measured minutes apart on the same machine.
#
#   bench/compare.sh REV [ROUNDS] [BENCH...]     e.g. bench/compare.sh afe5b78 2 startup modbus mqtt
#
# REV is built once in a git worktree under /tmp (kept between runs, keyed by the commit);
# node_modules is shared with this checkout. Needs `npm run build` here first.
set -eu
rev=${1:?usage: bench/compare.sh REV [ROUNDS] [BENCH...]}
rounds=${2:-2}
shift $(( $# >= 2 ? 2 : 1 ))
benches=${*:-startup modbus mqtt}
here=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$here" rev-parse --short "$rev")
old=/tmp/iothinx-bench-$commit
if [ ! -f "$old/dist/cli/iothinx-sim.cjs" ]; then
  rm -rf "$old"
  git -C "$here" worktree prune
  git -C "$here" worktree add --detach "$old" "$commit" >/dev/null
  ln -s "$here/node_modules" "$old/node_modules"
  (cd "$old" && npm run build --silent)
fi
i=1
while [ "$i" -le "$rounds" ]; do
  for bench in $benches; do
    for side in "old $old" "new $here"; do
      set -- $side
      echo "== round $i, $bench, $1 ($( [ "$1" = old ] && echo "$commit" || git -C "$here" rev-parse --short HEAD))"
      (cd "$2" && node "bench/$bench.mjs")
    done
  done
  i=$((i + 1))
done
