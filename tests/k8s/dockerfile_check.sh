#!/usr/bin/env bash
# tests/k8s/dockerfile_check.sh: the check list of deploy/k8s/Dockerfile
# (hadolint is not packaged in Debian 12; these are the rules that matter
# here, each with the hadolint rule it stands for where there is one).
#
#   tests/k8s/dockerfile_check.sh LOADGEN SESSIOND SESSIONCTL
#
# The binaries are this build's (ctest passes them), used to check that the
# image's runtime package group holds every shared library they load.
#  1. multi-stage: a named build stage, a final stage that copies from it;
#  2. every base image pinned: a Debian point release (debian:12.11-slim) or
#     a digest, never latest or a moving tag (DL3006, DL3007), the same in
#     every stage;
#  3. the final stage runs as a numeric non-root USER (DL3002), set after
#     its last RUN;
#  4. nothing fetched but packages: no curl, wget, git clone, ADD (DL3020,
#     DL4001), no pip/npm installs;
#  5. packages only through deploy/k8s/packages.sh (no apt-get install in
#     the Dockerfile; DL3008/DL3009/DL3015 are that script's business:
#     --no-install-recommends, pinned by the Debian release) and always with
#     --clean, which removes /var/lib/apt/lists;
#  6. each stage sets SHELL with -o pipefail (DL4006);
#  7. the packages.sh groups the Dockerfile names are the ones scripts/setup
#     installs on CI, and are installed here: CI runs the same RUN lines;
#  8. the runtime group provides every shared library of loadgen, sessiond
#     and sessionctl (owner package in the group, a dependency of it, or
#     part of every Debian base image);
#  9. the build's targets and binary paths are this tree's;
# 10. the source COPY comes after the package RUN (layer cache), and
#     Dockerfile.dockerignore keeps build trees, outputs, node_modules and
#     .git out of the context.
# Exit status: 0 all hold; 1 otherwise (each failure printed).
set -euo pipefail
cd "$(dirname "$0")/../.."

[ $# -eq 3 ] || { echo "usage: tests/k8s/dockerfile_check.sh LOADGEN SESSIOND SESSIONCTL" >&2; exit 1; }
binaries=("$@")
dockerfile=deploy/k8s/Dockerfile
packages=deploy/k8s/packages.sh
failures=0
fail() {
  echo "FAIL $dockerfile: $*"
  failures=$((failures + 1))
}
pass() {
  echo "ok   $*"
}

# Instructions, one a line, continuations joined, comments dropped.
instructions=$(sed -e 's/^[[:space:]]*#.*$//' "$dockerfile" | awk '
  /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, ""); line = line $0 " "; next }
  { line = line $0; if (line ~ /[^[:space:]]/) print line; line = "" }')
froms=$(grep -E '^FROM ' <<<"$instructions" || true)
stages=$(wc -l <<<"$froms")

# 1
if [ "$stages" -ge 2 ] && head -n 1 <<<"$froms" | grep -qE ' AS [a-z]+$' &&
  awk '/^FROM /{ s++ } s == n && /^COPY --from=/' n="$stages" <<<"$instructions" | grep -q .; then
  pass "1 multi-stage ($stages stages; the final one copies from the build stage)"
else
  fail "1 needs a named build stage and a final stage that COPY --from= it"
fi

# 2
bases=$(awk '{ print $2 }' <<<"$froms" | sort -u)
pinned=1
while read -r base; do
  if [[ "$base" =~ @sha256:[0-9a-f]{64}$ ]]; then continue; fi
  if ! [[ "$base" =~ ^debian:[0-9]+\.[0-9]+(-slim)?$ ]]; then
    fail "2 base image '$base' is not pinned to a Debian point release (debian:12.11-slim) or a digest"
    pinned=0
  fi
done <<<"$bases"
if [ "$(wc -l <<<"$bases")" -ne 1 ]; then
  fail "2 the stages use different base images: $(tr '\n' ' ' <<<"$bases")"
  pinned=0
fi
[ "$pinned" -eq 0 ] || pass "2 base image pinned: $bases"

# 3
final=$(awk '/^FROM /{ s++ } s == n' n="$stages" <<<"$instructions")
user=$(grep -E '^USER ' <<<"$final" | tail -n 1 | awk '{ print $2 }')
uid=${user%%:*}
last_run=$(grep -nE '^RUN ' <<<"$final" | tail -n 1 | cut -d: -f1)
user_line=$(grep -nE '^USER ' <<<"$final" | tail -n 1 | cut -d: -f1)
if [[ "$uid" =~ ^[0-9]+$ ]] && [ "$uid" -ne 0 ] && [ "${user_line:-0}" -gt "${last_run:-0}" ]; then
  pass "3 final stage runs as USER $user (numeric, non-root, after the last RUN)"
else
  fail "3 the final stage must end with a numeric non-root USER after its last RUN (found '${user:-none}')"
fi

# 4
if grep -nE '(^ADD )|\b(curl|wget|git clone|pip3? install|npm (install|ci))\b' <<<"$instructions"; then
  fail "4 fetches something other than Debian packages (lines above)"
else
  pass "4 no curl, wget, git clone, ADD, pip or npm"
fi

# 5
runs=$(grep -E '^RUN ' <<<"$instructions")
if grep -qE 'apt-get|apt |dpkg -i' <<<"$runs"; then
  fail "5 installs packages directly; use deploy/k8s/packages.sh"
fi
package_runs=$(grep -E 'packages\.sh' <<<"$runs" || true)
if [ -z "$package_runs" ] || grep -vqE 'packages\.sh --clean ' <<<"$package_runs"; then
  fail "5 every packages.sh RUN must pass --clean"
elif ! grep -qE 'rm -rf /var/lib/apt/lists/\*' "$packages"; then
  fail "5 $packages --clean does not remove /var/lib/apt/lists"
else
  pass "5 packages only through packages.sh --clean (apt lists removed)"
fi

# 6
shells=$(awk '/^FROM /{ s++; has[s] = 0 } /^SHELL \[.*"-o", *"pipefail"/ { has[s] = 1 }
  END { for (i = 1; i <= s; i++) if (!has[i]) print i }' <<<"$instructions")
if [ -z "$shells" ]; then
  pass "6 every stage sets SHELL with -o pipefail"
else
  fail "6 stage(s) $(tr '\n' ' ' <<<"$shells")do not set SHELL [..., \"-o\", \"pipefail\", ...]"
fi

# 7
groups=$(grep -oE 'packages\.sh --clean [a-z ]+' <<<"$runs" | sed -E 's/.*--clean //' | tr ' ' '\n' | sed '/^$/d' | sort -u)
setup_groups=$(grep -oE 'deploy/k8s/packages\.sh [a-z ]+' scripts/setup | sed -E 's/^deploy\/k8s\/packages\.sh //' |
  tr ' ' '\n' | sed '/^$/d' | sort -u)
missing_in_setup=$(comm -23 <(echo "$groups") <(echo "$setup_groups"))
if [ -n "$missing_in_setup" ]; then
  fail "7 scripts/setup does not run packages.sh for group(s) $(tr '\n' ' ' <<<"$missing_in_setup")(CI would not exercise them)"
else
  not_installed=()
  while read -r g; do
    while read -r p; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || not_installed+=("$p")
    done < <("$packages" --list "$g")
  done <<<"$groups"
  if [ ${#not_installed[@]} -gt 0 ]; then
    fail "7 packages of the image not installed here (scripts/setup runs packages.sh): ${not_installed[*]}"
  else
    pass "7 groups $(tr '\n' ' ' <<<"$groups")are run by scripts/setup and installed"
  fi
fi

# 8
runtime=$("$packages" --list runtime)
mapfile -t runtime_list <<<"$runtime"
# Everything the runtime group pulls in (Depends, recursively).
closure=$( (echo "$runtime"; apt-cache depends --recurse --installed --no-recommends --no-suggests \
  --no-conflicts --no-breaks --no-replaces --no-enhances "${runtime_list[@]}" 2>/dev/null |
  sed -nE 's/^ *(Pre)?Depends: <?([^ >]+)>?$/\2/p; s/^([a-z0-9][^ ]*)$/\1/p') | sed 's/:amd64$//' | sort -u)
uncovered=()
while read -r lib; do
  [ -n "$lib" ] || continue
  owner=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true)
  owner=${owner%%:*}
  if [ -z "$owner" ]; then
    uncovered+=("$lib(no package)")
    continue
  fi
  grep -qxF "$owner" <<<"$closure" && continue
  priority=$(dpkg-query -W -f='${Priority}' "$owner" 2>/dev/null || true)
  [ "$priority" = required ] && continue
  uncovered+=("$lib($owner)")
# The sanitizer runtimes are left out: ctest runs this check with the asan
# and tsan presets' binaries too, the image uses the release preset's.
done < <(for b in "${binaries[@]}"; do ldd "$b" | awk '/=> \// { print $3 }'; done |
  grep -v -E '/lib(asan|ubsan|tsan|lsan)\.so' | sort -u)
if [ ${#uncovered[@]} -gt 0 ]; then
  fail "8 the runtime group does not provide: ${uncovered[*]}"
else
  pass "8 the runtime group provides every shared library of $(for b in "${binaries[@]}"; do basename "$b"; done | tr '\n' ' ')"
fi

# 9
build_run=$(grep -E 'cmake --build' <<<"$runs" || true)
targets_ok=1
for b in "${binaries[@]}"; do
  name=$(basename "$b")
  rel="$(basename "$(dirname "$b")")/$name"
  grep -qE -- "--target [a-z ]*\b$name\b" <<<"$build_run" || { fail "9 the build does not make $name"; targets_ok=0; }
  grep -qF "build/release/$rel" <<<"$build_run" || { fail "9 the build does not copy build/release/$rel"; targets_ok=0; }
done
if ! grep -qE 'cmake --preset release' <<<"$runs" || ! grep -q '"name": "release"' CMakePresets.json; then
  fail "9 the build must configure the release preset of CMakePresets.json"
  targets_ok=0
fi
[ "$targets_ok" -eq 0 ] || pass "9 builds and copies loadgen, sessiond, sessionctl from the release preset"

# 10
first=$(awk '/^FROM /{ s++ } s == 1' <<<"$instructions")
pkg_line=$(grep -nE '^RUN .*packages\.sh' <<<"$first" | head -n 1 | cut -d: -f1)
src_line=$(grep -nE '^COPY \. ' <<<"$first" | head -n 1 | cut -d: -f1)
ignore="$dockerfile.dockerignore"
ignore_ok=1
for p in .git build out '**/node_modules'; do
  grep -qxF "$p" "$ignore" 2>/dev/null || ignore_ok=0
done
if [ -n "$pkg_line" ] && [ -n "$src_line" ] && [ "$pkg_line" -lt "$src_line" ] && [ "$ignore_ok" -eq 1 ]; then
  pass "10 packages before sources; $ignore excludes .git build out node_modules"
else
  fail "10 the package RUN must precede COPY . and $ignore must exclude .git, build, out, **/node_modules"
fi

if [ "$failures" -gt 0 ]; then
  echo "dockerfile_check: $failures rule(s) broken"
  exit 1
fi
echo "dockerfile_check: all 10 rules hold"
