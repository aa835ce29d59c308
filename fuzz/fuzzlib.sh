# fuzz/fuzzlib.sh: shell helpers shared by scripts/fuzz-smoke and
# scripts/fuzz-nightly (sourced, not run). Expects the repository root as
# the working directory.

FUZZ_DIR=fuzz

# The fuzz targets: every fuzz/<name>.options file names one.
fuzz_all_targets() {
  local f
  for f in "$FUZZ_DIR"/*_fuzzer.options; do
    [ -e "$f" ] || continue
    basename "$f" .options
  done
}

# Checks a comma-separated --targets value; prints the names one a line.
fuzz_pick_targets() {
  local list="$1" t
  if [ -z "$list" ]; then
    fuzz_all_targets
    return 0
  fi
  IFS=',' read -r -a picked <<< "$list"
  for t in "${picked[@]}"; do
    if [ ! -e "$FUZZ_DIR/$t.options" ]; then
      echo "unknown fuzz target '$t' (known: $(fuzz_all_targets | tr '\n' ' '))" >&2
      return 1
    fi
    echo "$t"
  done
}

# Configures the fuzz preset in BUILD_DIR and builds the given targets.
# Until the top-level CMakeLists.txt adds fuzz/ itself, it is added with
# -DSESSIONRIG_EXTRA_SUBDIRS=fuzz; once it does, that cached value is
# dropped again (adding fuzz/ twice is a CMake error).
fuzz_build() {
  local build_dir="$1"
  shift
  local extra=()
  if grep -Eq '^[[:space:]]*add_subdirectory\([[:space:]]*fuzz[[:space:]]*\)' CMakeLists.txt; then
    extra+=(-USESSIONRIG_EXTRA_SUBDIRS)
  else
    extra+=(-DSESSIONRIG_EXTRA_SUBDIRS=fuzz)
  fi
  cmake --preset fuzz -B "$build_dir" "${extra[@]}" >"$build_dir.configure.log" 2>&1 || {
    cat "$build_dir.configure.log" >&2
    return 1
  }
  cmake --build "$build_dir" -j "$(nproc)" --target "$@"
}

# The libFuzzer flags of fuzz/<target>.options ([libfuzzer] key = value),
# one a line; `dict` is made a path. Flags given in the environment variable
# FUZZ_SKIP_OPTIONS (space separated keys) are left out.
fuzz_option_args() {
  local target="$1" file="$FUZZ_DIR/$1.options"
  [ -f "$file" ] || return 0
  awk -v dir="$FUZZ_DIR" -v skip=" ${FUZZ_SKIP_OPTIONS:-} " '
    /^[[:space:]]*\[libfuzzer\]/ { in_section = 1; next }
    /^[[:space:]]*\[/ { in_section = 0 }
    in_section && /=/ && !/^[[:space:]]*#/ {
      split($0, kv, "=")
      key = kv[1]; value = substr($0, index($0, "=") + 1)
      gsub(/^[ \t]+|[ \t]+$/, "", key); gsub(/^[ \t]+|[ \t]+$/, "", value)
      if (index(skip, " " key " ") > 0) next
      if (key == "dict") value = dir "/" value
      print "-" key "=" value
    }' "$file"
}

# Makes sanitizer reports symbolized: Debian's /usr/bin/llvm-symbolizer is a
# symlink the runtime refuses, so point at a real binary.
fuzz_export_symbolizer() {
  local c
  if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
    for c in llvm-symbolizer-16 /usr/lib/llvm-16/bin/llvm-symbolizer llvm-symbolizer addr2line; do
      if command -v "$c" >/dev/null 2>&1; then
        ASAN_SYMBOLIZER_PATH=$(readlink -f "$(command -v "$c")")
        export ASAN_SYMBOLIZER_PATH
        break
      fi
    done
  fi
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
}

# Parses a libFuzzer log: prints "EXECS EXECS_PER_SEC EDGES" (0 when unknown).
# Plain mode has -print_final_stats lines; fork mode only its status lines
# "#N: cov: C ft: F corp: K exec/s: E ... time: Ts", so the rate is N / T.
# Fork mode's "cov" counts differently from plain mode's; callers that
# report edges use fuzz_corpus_edges instead.
fuzz_log_stats() {
  awk '
    /^stat::number_of_executed_units:/ { execs = $2 }
    /^stat::average_exec_per_sec:/ { eps = $2 }
    /^#[0-9]+/ && / cov: / {
      n = $1; gsub(/[#:]/, "", n); last_n = n
      for (i = 1; i <= NF; i++) {
        if ($i == "cov:") edges = $(i + 1)
        if ($i == "time:") { t = $(i + 1); gsub(/s/, "", t); last_t = t }
      }
    }
    END {
      if (execs == "") execs = last_n + 0
      if (eps == "") eps = (last_t + 0 > 0) ? int((last_n + 0) / last_t) : 0
      printf "%d %d %d\n", execs, eps, edges + 0
    }' "$1"
}

# The de-duplication key of a crash report: the FUZZ_CHECK line if there is
# one, else the SUMMARY line (addresses and pids dropped), then the top 3
# frames outside the sanitizer/libFuzzer/libc runtime (function names only).
fuzz_crash_key() {
  local report="$1" head frames
  head=$(grep -m1 '^FUZZ_CHECK failed:' "$report" | sed -E 's/ at [^ ]+:[0-9]+$//')
  if [ -z "$head" ]; then
    head=$(grep -m1 -E '^SUMMARY: ' "$report" |
      sed -E 's/0x[0-9a-f]+//g; s/\(\/[^)]*\)//g; s/[^ ]+\.(cc|h|cpp|hpp|c):[0-9]+(:[0-9]+)?//g')
  fi
  [ -n "$head" ] || head=$(grep -m1 -E '==[0-9]+==ERROR|ALARM|deadly signal|out-of-memory' "$report" |
    sed -E 's/==[0-9]+==//; s/0x[0-9a-f]+//g')
  frames=$(grep -E '^ +#[0-9]+ 0x[0-9a-f]+ in ' "$report" |
    sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in //; s/ \(BuildId: [0-9a-f]+\)$//; s/ \([^ ()]*\+0x[0-9a-f]+\)$//; s/ [^ ]+:([0-9]+|\?)(:[0-9]+)?( \(discriminator [0-9]+\))?$//' |
    grep -v -E '^(__sanitizer|__asan|__ubsan|__lsan|__interceptor|__GI_|__pthread|__libc|_start|raise|abort|pthread_kill|fuzzer::|std::terminate|__cxa|__gnu_cxx::__verbose|__clang_call_terminate|sessionrig::fuzz::CheckFailed|main$|operator new|operator delete|malloc|calloc|realloc|free$)' |
    head -n 3 | paste -sd '|' -)
  echo "${head:-unknown crash} || ${frames:-no frames}"
}

# Edges (coverage PCs, as libFuzzer's plain-mode "cov") that the files in
# DIR... reach together: merges them into an empty scratch directory
# (-merge=1 runs each input in a child, so a crashing input is survived) and
# reads MERGE-OUTER's "new coverage edges".
fuzz_corpus_edges() {
  local bin="$1" scratch edges
  shift
  scratch=$(mktemp -d)
  mkdir "$scratch/corpus"
  edges=$("$bin" -merge=1 $(FUZZ_SKIP_OPTIONS="dict" fuzz_option_args "$(basename "$bin")") \
    -artifact_prefix="$scratch/" "$scratch/corpus" "$@" 2>&1 |
    awk '/MERGE-OUTER: .* new coverage edges/ { for (i = 1; i <= NF; i++) if ($i == "coverage") c = $(i - 2) } END { print c + 0 }') || true
  rm -rf "$scratch"
  echo "${edges:-0}"
}
