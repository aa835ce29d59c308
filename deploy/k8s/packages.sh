#!/usr/bin/env bash
# deploy/k8s/packages.sh: the Debian 12 packages of the container image, in
# two groups, installed by the Dockerfile's RUN lines AND by scripts/setup on
# every CI machine, so CI exercises exactly what the image build runs (a
# renamed or vanished package fails CI, not the first `docker build`).
#
#   deploy/k8s/packages.sh [--clean] [--list] GROUP...
#
# Groups:
#   build    compilers and -dev packages to build loadgen, sessiond and
#            sessionctl (the `release` CMake preset; cmake configures the
#            whole tree, so the test libraries are needed too)
#   runtime  the shared libraries those three binaries load, plus CA
#            certificates for https:// targets (tests/k8s/dockerfile_check.sh
#            checks this list against `ldd` of the real binaries)
#
# Installs only what is missing; runs `apt-get update` only then.
# --clean: afterwards remove apt's package lists and archives (image layers).
# --list:  print the packages of the groups, one a line, and install nothing.
set -euo pipefail

build=(
  g++ cmake ninja-build pkg-config ca-certificates
  libcurl4-openssl-dev nlohmann-json3-dev
  libboost1.74-dev libssl-dev prometheus-cpp-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
# Node.js and npm install the HTML report's pinned uPlot, which the build
# inlines (loadgen/report/setup.sh). Machines that ship NodeSource's nodejs
# (which bundles npm) must not get Debian's npm on top of it.
command -v node >/dev/null 2>&1 || build+=(nodejs)
command -v npm >/dev/null 2>&1 || build+=(npm)
# shellcheck disable=SC2034  # read through `declare -n group` below
runtime=(
  ca-certificates
  libcurl4 libssl3 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0
  libstdc++6 libgcc-s1
)

clean=0
list=0
groups=()
while [ $# -gt 0 ]; do
  case "$1" in
    --clean) clean=1; shift ;;
    --list) list=1; shift ;;
    build|runtime) groups+=("$1"); shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "deploy/k8s/packages.sh: unknown group or flag '$1' (groups: build runtime)" >&2; exit 1 ;;
  esac
done
[ ${#groups[@]} -gt 0 ] || { echo "deploy/k8s/packages.sh: name a group: build, runtime" >&2; exit 1; }

packages=()
for g in "${groups[@]}"; do
  declare -n group="$g"
  packages+=("${group[@]}")
  unset -n group
done
if [ "$list" -eq 1 ]; then
  printf '%s\n' "${packages[@]}" | awk '!seen[$0]++'
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "packages.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$clean" -eq 1 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get clean
  $sudo rm -rf /var/lib/apt/lists/*
fi
