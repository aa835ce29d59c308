#!/usr/bin/env bash
# dashboards_stale: regenerates the dashboards from src/ into a temporary
# directory and byte-compares them with the committed generated/. Fails
# when someone changed src/ without regenerating (`npm run generate`), or
# edited generated/ by hand. Needs dashboards/setup.sh to have run.
#   stale.sh DASHBOARDS_DIR [NODE]
set -euo pipefail
dir=$(cd "${1:?usage: stale.sh DASHBOARDS_DIR [NODE]}" && pwd)
node=${2:-node}

if [ ! -d "$dir/node_modules/@grafana/grafana-foundation-sdk" ] || [ ! -x "$dir/node_modules/.bin/tsc" ]; then
  echo "dashboards_stale: $dir/node_modules is missing; run dashboards/setup.sh (npm ci)" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Compile and run outside the source tree; node resolves the packages
# through the node_modules link, "type": "module" through package.json.
cp "$dir/package.json" "$dir/tsconfig.json" "$work/"
ln -s "$dir/src" "$work/src"
ln -s "$dir/node_modules" "$work/node_modules"
"$node" "$dir/node_modules/typescript/bin/tsc" -p "$work/tsconfig.json" --outDir "$work/build"
"$node" "$work/build/src/main.js" --out "$work/generated"

if ! diff -r -u "$dir/generated" "$work/generated" >"$work/diff"; then
  head -n 60 "$work/diff" >&2
  echo "dashboards_stale: dashboards/generated/ is stale: run 'npm run generate --prefix dashboards' and commit the result" >&2
  exit 1
fi
echo "dashboards_stale: ok ($(find "$work/generated" -name '*.json' | wc -l) dashboards match src/)"
