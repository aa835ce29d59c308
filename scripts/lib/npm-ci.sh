# shellcheck shell=bash
# npm_ci DIR: installs DIR's npm packages, the exact versions of its
# package-lock.json, into DIR/node_modules. Idempotent: does nothing when
# node_modules was installed from the same lock file (the lock is copied to
# node_modules/.sessionrig-lock after a successful `npm ci`). Needs node and
# npm (Debian: nodejs, npm); scripts/setup installs them.
npm_ci() {
  local dir=$1
  local name=${dir#"$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null || echo "")/"}
  command -v npm >/dev/null 2>&1 || { echo "$name/setup.sh: npm is not installed (apt-get install nodejs npm)" >&2; return 1; }
  local stamp=$dir/node_modules/.sessionrig-lock
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
    return 0
  fi
  echo "$name/setup.sh: npm ci"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$dir/package-lock.json" "$stamp"
}
