# shellcheck shell=bash
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
# dropped again (adding fuzz/ twice is a CMake error). Extra CMake
# arguments (another compiler, other flags) come from the array
# FUZZ_CMAKE_EXTRA when the caller sets it.
fuzz_build() {
  local build_dir="$1"
  shift
  local extra=("${FUZZ_CMAKE_EXTRA[@]}")
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
  local file="$FUZZ_DIR/$1.options"
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
  local bin="$1" scratch edges options
  shift
  scratch=$(mktemp -d)
  mkdir "$scratch/corpus"
  mapfile -t options < <(FUZZ_SKIP_OPTIONS="dict" fuzz_option_args "$(basename "$bin")")
  edges=$("$bin" -merge=1 "${options[@]}" \
    -artifact_prefix="$scratch/" "$scratch/corpus" "$@" 2>&1 |
    awk '/MERGE-OUTER: .* new coverage edges/ { for (i = 1; i <= NF; i++) if ($i == "coverage") c = $(i - 2) } END { print c + 0 }') || true
  rm -rf "$scratch"
  echo "${edges:-0}"
}

# Builds the given targets for AFL++ in BUILD_DIR, in AFL++'s "native
# PCGUARD" instrumentation mode: clang-16 with -fsanitize-coverage=
# trace-pc-guard on all code (libraries too) and the fuzz preset's
# address,undefined, linked with Debian's afl++ runtime (afl-compiler-rt.o:
# fork server, shared-memory coverage map) and its libFuzzer-compatible
# driver (libAFLDriver.a: main() calling LLVMFuzzerTestOneInput in
# persistent mode). Not afl-clang-fast++: Debian 12's afl++ 4.04c drives
# clang-14, which cannot compile this C++20 (lambdas capturing structured
# bindings), and its LLVM-14 passes do not load into clang-16.
# AFL_PATH overrides where the runtime is (default /usr/lib/afl).
fuzz_build_afl() {
  local build_dir="$1"
  shift
  local afl_lib="${AFL_PATH:-/usr/lib/afl}" f
  for f in libAFLDriver.a afl-compiler-rt.o; do
    [ -f "$afl_lib/$f" ] || { echo "fuzz_build_afl: $afl_lib/$f is missing (apt-get install afl++)" >&2; return 1; }
  done
  local FUZZ_CMAKE_EXTRA=(-DCMAKE_C_FLAGS=-fsanitize-coverage=trace-pc-guard
    -DCMAKE_CXX_FLAGS=-fsanitize-coverage=trace-pc-guard
    "-DSESSIONRIG_FUZZ_ENGINE=$afl_lib/libAFLDriver.a $afl_lib/afl-compiler-rt.o")
  fuzz_build "$build_dir" "$@"
}

# Copies FILE... into DIR named by their sha1 (as libFuzzer names corpus
# files and artifacts), with PREFIX before the sha1.
fuzz_copy_by_sha1() {
  local dir="$1" prefix="$2" sha file
  shift 2
  [ $# -gt 0 ] || return 0
  mkdir -p "$dir"
  printf '%s\0' "$@" | xargs -0 sha1sum | while read -r sha file; do
    cp "$file" "$dir/$prefix$sha"
  done
}

# Runs AFL++ on BIN (an afl build of TARGET) for SECONDS with JOBS afl-fuzz
# instances (one -M, the others -S, one output folder) from
# fuzz/corpus/TARGET, with the target's .options as -t (timeout), -G
# (max_len) and -x (dict). Then, in WORK, as fuzz-nightly's libFuzzer run
# leaves them: the queue as WORK/corpus/<sha1>, crashes/ as
# WORK/artifacts/crash-<sha1>, hangs/ as WORK/artifacts/timeout-<sha1>.
# afl-fuzz's own output stays in WORK/afl (logs WORK/afl-<i>.log).
fuzz_run_afl() {
  local bin="$1" t="$2" seconds="$3" jobs="$4" work="$5"
  local out="$work/afl" seeds="$FUZZ_DIR/corpus/$t" opt key value j rc
  local args=(-V "$seconds") pids=()
  mkdir -p "$out" "$work/corpus" "$work/artifacts"
  if ! compgen -G "$seeds/*" >/dev/null; then
    seeds="$work/afl-seeds"  # afl-fuzz needs one input to start from
    mkdir -p "$seeds"
    printf '\n' >"$seeds/empty"
  fi
  while read -r opt; do
    key=${opt%%=*}
    value=${opt#*=}
    case "$key" in
      -timeout) args+=(-t "$((value * 1000))") ;;
      -max_len) args+=(-G "$value") ;;
      -dict) args+=(-x "$value") ;;
    esac
  done < <(fuzz_option_args "$t")
  for ((j = 0; j < jobs; ++j)); do
    local role=(-S "s$j")
    [ "$j" -eq 0 ] && role=(-M main)
    # afl-fuzz sets the sanitizer options it needs (abort_on_error,
    # symbolize=0) when they are unset; ours are for the replays.
    env -u ASAN_OPTIONS -u UBSAN_OPTIONS AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
      AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CRASHES=1 \
      timeout --kill-after=60 $((seconds + 900)) \
      afl-fuzz -i "$seeds" -o "$out" "${args[@]}" "${role[@]}" -- "$bin" >"$work/afl-$j.log" 2>&1 &
    pids+=($!)
  done
  for ((j = 0; j < jobs; ++j)); do
    rc=0
    wait "${pids[j]}" || rc=$?
    if [ "$rc" -ne 0 ]; then
      echo "fuzz-nightly: $t: afl-fuzz instance $j exited with $rc (see $work/afl-$j.log):"
      tail -n 15 "$work/afl-$j.log" | sed 's/\x1b\[[0-9;]*m//g'
    fi
  done
  local files=()
  mapfile -d '' files < <(find "$out" -path '*/queue/id:*' -type f -print0)
  fuzz_copy_by_sha1 "$work/corpus" "" "${files[@]}"
  mapfile -d '' files < <(find "$out" -path '*/crashes/id:*' -type f -print0)
  fuzz_copy_by_sha1 "$work/artifacts" "crash-" "${files[@]}"
  mapfile -d '' files < <(find "$out" -path '*/hangs/id:*' -type f -print0)
  fuzz_copy_by_sha1 "$work/artifacts" "timeout-" "${files[@]}"
}

# Sums afl-fuzz's fuzzer_stats of every instance under DIR: prints
# "EXECS EXECS_PER_SEC" (0 0 when there are none).
fuzz_afl_stats() {
  cat "$1"/*/fuzzer_stats 2>/dev/null | awk -F: '
    { gsub(/[ \t]/, "", $1); gsub(/[ \t]/, "", $2) }
    $1 == "execs_done" { execs += $2 }
    $1 == "execs_per_sec" { eps += $2 }
    END { printf "%d %d\n", execs, eps }'
}

# Clang source-based coverage of the corpora: builds the targets in
# BUILD_DIR with -fprofile-instr-generate -fcoverage-mapping (no
# sanitizers), replays fuzz/corpus/<target> through each (-runs=0: every
# input once, no fuzzing), merges the profiles with llvm-profdata-16 and
# writes to OUT: html/ (llvm-cov-16 show), report.txt (llvm-cov report),
# per-file.tsv and per-file.md (line coverage per product source file).
# Returns 0, 1 if a corpus input crashed in the replay (the report covers
# what ran), 2 on build or tool failure. llvm-cov warns that "N functions
# have mismatched data": the harnesses' functions of one name
# (LLVMFuzzerTestOneInput, ...) differ between the binaries whose profiles
# are merged; they are outside the report (fuzz/ is left out).
fuzz_coverage_report() {
  local build_dir="$1" out="$2" t
  shift 2
  local targets=("$@")
  local flags="-fprofile-instr-generate -fcoverage-mapping -fsanitize=fuzzer-no-link"
  local FUZZ_CMAKE_EXTRA=(-DSESSIONRIG_SANITIZE= "-DCMAKE_C_FLAGS=$flags" "-DCMAKE_CXX_FLAGS=$flags")
  echo "=== fuzz-nightly --coverage: building ${targets[*]} ($build_dir)"
  fuzz_build "$build_dir" "${targets[@]}" || return 2
  rm -rf "$out"
  mkdir -p "$out/profraw" "$out/profdata" "$out/logs"
  local crashed=() objects=() rc opts
  for t in "${targets[@]}"; do
    local bin="$build_dir/fuzz/$t"
    mapfile -t opts < <(FUZZ_SKIP_OPTIONS="dict" fuzz_option_args "$t")
    echo "=== fuzz-nightly --coverage: replaying $(find "$FUZZ_DIR/corpus/$t" -maxdepth 1 -type f | wc -l) inputs of $t"
    rc=0
    LLVM_PROFILE_FILE="$out/profraw/$t.%p.profraw" timeout --kill-after=60 3600 \
      "$bin" "${opts[@]}" -runs=0 "$FUZZ_DIR/corpus/$t" >"$out/logs/$t.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
      echo "fuzz-nightly --coverage: $t: the replay exited with $rc (see $out/logs/$t.log)"
      crashed+=("$t")
    fi
    compgen -G "$out/profraw/$t.*.profraw" >/dev/null ||
      { echo "fuzz-nightly --coverage: $t wrote no profile" >&2; return 2; }
    llvm-profdata-16 merge -sparse "$out"/profraw/"$t".*.profraw -o "$out/profdata/$t.profdata" || return 2
    if [ ${#objects[@]} -eq 0 ]; then objects+=("$bin"); else objects+=(-object "$bin"); fi
  done
  llvm-profdata-16 merge -sparse "$out"/profdata/*.profdata -o "$out/all.profdata" || return 2
  local root
  root="$(pwd)/"
  # Product code only: not the harnesses, tests, build trees or system headers.
  local ignore='(^/usr/|/fuzz/|/build[^/]*/|/tests?/|_test\.cc$)'
  local cov=(-instr-profile="$out/all.profdata" -ignore-filename-regex="$ignore")
  llvm-cov-16 show -format=html -output-dir="$out/html" -show-line-counts-or-regions \
    -project-title="sessionrig fuzz corpora (${targets[*]})" "${cov[@]}" "${objects[@]}" || return 2
  llvm-cov-16 report "${cov[@]}" "${objects[@]}" >"$out/report.txt" || return 2
  llvm-cov-16 export -summary-only "${cov[@]}" "${objects[@]}" >"$out/export.json" || return 2
  python3 - "$out" "$root" <<'PY' || return 2
import json, sys
out, root = sys.argv[1], sys.argv[2]
with open(f"{out}/export.json") as f:
    data = json.load(f)["data"][0]
rows = []
for entry in data["files"]:
    name = entry["filename"]
    name = name[len(root):] if name.startswith(root) else name
    lines = entry["summary"]["lines"]
    funcs = entry["summary"]["functions"]
    rows.append((name, lines["count"], lines["covered"], lines["percent"], funcs["count"], funcs["covered"]))
rows.sort()
with open(f"{out}/per-file.tsv", "w") as f:
    f.write("file\tlines\tlines_covered\tline_percent\tfunctions\tfunctions_covered\n")
    for r in rows:
        f.write(f"{r[0]}\t{r[1]}\t{r[2]}\t{r[3]:.1f}\t{r[4]}\t{r[5]}\n")
total = data["totals"]["lines"]
with open(f"{out}/per-file.md", "w") as f:
    f.write("| file | lines | covered | line coverage |\n|---|---:|---:|---:|\n")
    for r in rows:
        f.write(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f}% |\n")
    f.write(f"| **total** | {total['count']} | {total['covered']} | {total['percent']:.1f}% |\n")
print(f"{'file':52} {'lines':>7} {'covered':>8} {'line %':>7}")
for r in rows:
    print(f"{r[0]:52} {r[1]:>7} {r[2]:>8} {r[3]:>6.1f}%")
print(f"{'total':52} {total['count']:>7} {total['covered']:>8} {total['percent']:>6.1f}%")
PY
  echo "fuzz-nightly --coverage: wrote $out/html/index.html, $out/report.txt, $out/per-file.tsv, $out/per-file.md"
  if [ ${#crashed[@]} -gt 0 ]; then
    echo "fuzz-nightly --coverage: a corpus input crashed the replay of: ${crashed[*]}"
    return 1
  fi
  return 0
}
