#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of sessionrig's fuzz targets. The base
# image sets $CC $CXX $CFLAGS $CXXFLAGS (sanitizers and -fsanitize=fuzzer-no-link
# included), $LIB_FUZZING_ENGINE, $SRC and $OUT.
#
# Puts in $OUT, per target: the fuzzer, <target>.dict, <target>.options and
# <target>_seed_corpus.zip (fuzz/corpus/<target>/). The runner image has no
# libcurl, OpenSSL or prometheus-cpp, so the shared libraries a fuzzer needs
# are copied to $OUT/lib and found through an $ORIGIN/lib rpath (DT_RPATH,
# not RUNPATH, so that the copied libraries' own dependencies resolve too).
cd "$SRC/sessionrig"

# The base image's CXXFLAGS end in -stdlib=libc++. The distribution's C++
# libraries the fuzzers link (prometheus-cpp, through sessiond) are built
# against libstdc++, and libc++'s std::string/std::map do not link with them
# (undefined std::__1:: symbols), so build with libstdc++ like them.
# libFuzzer's runtime carries a private libc++ and works with either.
# scripts/cflite-rehearsal passes the flag, as ClusterFuzzLite does.
CXXFLAGS="${CXXFLAGS//-stdlib=libc++/}"

extra=()
if ! grep -Eq '^[[:space:]]*add_subdirectory\([[:space:]]*fuzz[[:space:]]*\)' CMakeLists.txt; then
  extra+=(-DSESSIONRIG_EXTRA_SUBDIRS=fuzz)  # until fuzz/ is always built
fi

# report_fuzzer drives loadgen's HTML report, which inlines uPlot from its
# pinned npm package at build time.
loadgen/report/setup.sh

# $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE come from the base image;
# $ORIGIN is for the linker, not the shell.
# shellcheck disable=SC2153,SC2016
cmake -S . -B build-oss-fuzz -G Ninja \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,--as-needed -Wl,--disable-new-dtags" \
  -DCMAKE_BUILD_RPATH='$ORIGIN/lib' \
  -DSESSIONRIG_FUZZ=ON -DSESSIONRIG_SANITIZE= -DSESSIONRIG_WERROR=OFF \
  -DSESSIONRIG_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  "${extra[@]}"

targets=()
for options in fuzz/*_fuzzer.options; do
  targets+=("$(basename "$options" .options)")
done
cmake --build build-oss-fuzz -j"$(nproc)" --target "${targets[@]}"

mkdir -p "$OUT/lib"
for t in "${targets[@]}"; do
  cp "build-oss-fuzz/fuzz/$t" "$OUT/"
  cp "fuzz/$t.dict" "fuzz/$t.options" "$OUT/"
  rm -f "$OUT/${t}_seed_corpus.zip"
  if compgen -G "fuzz/corpus/$t/*" >/dev/null; then
    zip -q -j "$OUT/${t}_seed_corpus.zip" fuzz/corpus/"$t"/*
  fi
  # Shared libraries beyond glibc and the C++ runtime.
  ldd "$OUT/$t" | awk '/=> \// { print $3 }' |
    grep -v -E '/(libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -n "$lib" "$OUT/lib/" || true; done
done
