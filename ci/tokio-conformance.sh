#!/usr/bin/env bash
# Runs tokio's own integration tests against racewright, through the tokio switch.
#
#     ci/tokio-conformance.sh [OUTPUT.md]
#
# The tests are taken, at run time, from the source of the tokio that Cargo.lock pins, in
# the cargo registry (the crate ships them; none is copied into this repository). They are
# built in a scratch crate whose `tokio` is `racewright-tokio` with the `racewright`
# feature on: every `tokio::sync`, `tokio::task`, `tokio::time`, `select!` and `join!`
# they use is racewright's, run on tokio's runtime (outside an exploration), as a user's
# plain `#[tokio::test]`s are.
#
# Each file's tests run in one process, with a time limit; when the limit passes, each
# test that had not finished runs again alone, with a limit of its own
# (TOKIO_CONFORMANCE_SECONDS, default 60): one that still does not finish is reported as
# hung, so a hang never stalls the run. The tests out of scope (below, each with why) are
# skipped. Prints one row per file and writes the table, with the tests that failed, hung
# or are out of scope, to OUTPUT.md (default: target/tokio-conformance.md).
#
# Exits non-zero if a file does not compile, or an in-scope test fails or hangs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/target/tokio-conformance.md}
per_test=${TOKIO_CONFORMANCE_SECONDS:-60}
per_file=${TOKIO_CONFORMANCE_FILE_SECONDS:-300}

files=(sync_mutex sync_mutex_owned sync_rwlock sync_semaphore sync_semaphore_owned sync_notify sync_notify_owned
       sync_oneshot sync_mpsc sync_mpsc_weak sync_watch sync_broadcast sync_barrier sync_once_cell sync_set_once
       task_join_set task_abort task_local task_local_set task_id task_blocking
       time_sleep time_timeout time_interval time_pause
       macros_select macros_join macros_try_join macros_pin)

select_size="the size in bytes of the future tokio's own \`select!\` expands to: the layout of tokio's expansion, neither its API nor what it does (racewright's expansion also keeps the explored choice of the first branch, and where the \`select!\` is for the trace)"

# Tests out of scope: `file::test|why`. Only what tests tokio's internals (its runtime's
# metrics, worker threads or scheduler, the layout of its macros' expansions), io, net, fs,
# process or signal belongs here; never a test that fails because racewright lacks an API
# or behaves otherwise (then racewright is fixed).
out_of_scope=(
    "macros_select::pointer_64_tests::struct_size_1|$select_size"
    "macros_select::pointer_64_tests::struct_size_2|$select_size"
    "macros_select::pointer_64_tests::struct_size_3|$select_size"
)

# Changes made to the copied tests before they are built: `file|from|to|why`, `from` a
# line of the test as it is (a fixed string), replaced whole by `to`. Only where the test
# cannot compile for a reason that is neither tokio's API nor racewright's.
adaptations=(
    "time_interval|    assert_eq!(items, vec![]);|    assert_eq!(items, Vec::<u32>::new());|racewright depends on serde_json, whose \`impl PartialEq<Value> for u32\` leaves \`Vec<u32> == vec![]\` without an element type (any crate with serde_json among its dependencies has the same error)"
)

# The tokio the switch is built against: the one Cargo.lock pins.
tokio_version=$(awk '$0 == "name = \"tokio\"" { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")
registry=${CARGO_HOME:-$HOME/.cargo}/registry/src
find_tokio_src() { ls -d "$registry"/*/tokio-"$tokio_version" 2>/dev/null | head -n 1; }
tokio_src=$(find_tokio_src)
if [ -z "$tokio_src" ]; then
    (cd "$root" && cargo fetch --locked >/dev/null)
    tokio_src=$(find_tokio_src)
fi
if [ -z "$tokio_src" ] || [ ! -d "$tokio_src/tests" ]; then
    echo "error: no source of tokio $tokio_version with its tests under $registry" >&2
    exit 1
fi

# The scratch crate, beside the workspace's build.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
work=$CARGO_TARGET_DIR/tokio-conformance
mkdir -p "$work/tests" "$work/src" "$work/logs"
rm -rf "$work"/tests/* "$work"/logs/*
cp -r "$tokio_src/tests/support" "$work/tests/"
for file in "${files[@]}"; do
    cp "$tokio_src/tests/$file.rs" "$work/tests/"
done
for adaptation in "${adaptations[@]}"; do
    IFS='|' read -r file from to _ <<<"$adaptation"
    if ! grep -qxF -- "$from" "$work/tests/$file.rs"; then
        echo "error: adaptation of $file.rs no longer applies (tokio's test changed): $from" >&2
        exit 1
    fi
    FROM=$from TO=$to awk '$0 == ENVIRON["FROM"] { print ENVIRON["TO"]; next } { print }' \
        "$work/tests/$file.rs" >"$work/tests/$file.rs.new"
    mv "$work/tests/$file.rs.new" "$work/tests/$file.rs"
done
: >"$work/src/lib.rs"
# The workspace's lock, so that what both use resolves to the same versions; cargo adds the
# rest, whose versions are pinned below.
cp "$root/Cargo.lock" "$work/Cargo.lock"
cat >"$work/Cargo.toml" <<TOML
[package]
name = "racewright-tokio-conformance"
version = "0.0.0"
edition = "2021"
publish = false

# tokio's tests are gated on tokio's features: this crate has them, all on.
[features]
default = ["full", "test-util"]
full = ["sync", "time", "macros", "rt", "rt-multi-thread", "io-util", "net", "fs", "process", "signal", "parking_lot"]
sync = []
time = []
macros = []
rt = []
rt-multi-thread = []
io-util = []
net = []
fs = []
process = []
signal = []
parking_lot = []
test-util = []

# What tokio's tests use besides tokio, pinned: the run resolves the same way every time.
[dev-dependencies]
tokio = { package = "racewright-tokio", path = "$root/harness/tokio", features = ["full", "test-util", "racewright"] }
tokio-test = "=0.4.6"
tokio-stream = "=0.1.19"
futures = { version = "=0.3.34", features = ["async-await"] }
rand = "=0.9.5"
rand_core = "=0.9.5"
rand_chacha = "=0.9.0"
getrandom = "=0.3.4"

# The workspace's, so that the dependencies both build are built once.
[profile.dev]
opt-level = 1

[profile.dev.package."*"]
opt-level = 0

[workspace]
TOML

cd "$work"
# Every file at once (the build uses every core), going on past a file that does not compile.
cargo build --tests --keep-going --message-format=json-render-diagnostics \
    >"$work/logs/build.json" 2>"$work/logs/build.log" || true

# `file::test` out of scope, for `file`.
skipped_in() {
    local entry
    for entry in "${out_of_scope[@]}"; do
        case $entry in "$1::"*) entry=${entry%%|*}; echo "${entry#*::}" ;; esac
    done
}

# How many lines of `$1` are not empty.
count() {
    printf '%s\n' "$1" | grep -c . || true
}

# The tests that ended in the log `$2` with outcome `$1` (ok, FAILED, ignored).
ended() {
    sed -nE "s/^test (.+) \\.\\.\\. $1\$/\\1/p" "$2" | sed 's/ - should panic$//' | sort
}

table="| file | compiles | passed | failed | hung | ignored | out of scope |
|---|---|---:|---:|---:|---:|---:|"
failed_list=""
hung_list=""
broken=0
totals=(0 0 0 0 0)
for file in "${files[@]}"; do
    log=$work/logs/$file.log
    # No match (a file that did not compile) is an empty name, not the end of the run.
    exe=$(grep -F "\"name\":\"$file\"" "$work/logs/build.json" | grep -F '"kind":["test"]' |
        sed -nE 's/.*"executable":"([^"]+)".*/\1/p' | tail -n 1 || true)
    mapfile -t skips < <(skipped_in "$file")
    if [ -z "$exe" ]; then
        cargo build --test "$file" >"$log" 2>&1 || true
        first=$(grep -m1 -E '^error' "$log" | cut -c1-100 | tr '|' '/' || true)
        row="| $file | no: $first | | | | | ${#skips[@]} |"
        broken=1
    else
        skip_args=()
        for test in "${skips[@]}"; do
            skip_args+=(--skip "$test")
        done
        # A test's own working directory, as `cargo test` gives it.
        status=0
        timeout -k 10 "$per_file" "$exe" --exact "${skip_args[@]}" >"$log" 2>&1 || status=$?
        passed=$(ended ok "$log")
        failed=$(ended FAILED "$log")
        ignored=$(ended ignored "$log")
        hung=""
        if [ "$status" = 124 ] || [ "$status" = 137 ]; then
            # Each test that had not ended, alone, with its own limit.
            mapfile -t listed < <("$exe" --list --format=terse --exact "${skip_args[@]}" 2>/dev/null |
                sed -nE 's/^(.+): test$/\1/p' | sort)
            unfinished=$(comm -23 <(printf '%s\n' "${listed[@]}") <(printf '%s\n' "$passed" "$failed" "$ignored" | sort))
            for test in $unfinished; do
                alone=$work/logs/$file.$test.log
                timeout -k 10 "$per_test" "$exe" --exact "$test" >"$alone" 2>&1 || true
                if [ -n "$(ended ok "$alone")" ]; then
                    passed=$(printf '%s\n%s' "$passed" "$test")
                elif [ -n "$(ended FAILED "$alone")" ]; then
                    failed=$(printf '%s\n%s' "$failed" "$test")
                else
                    hung=$(printf '%s\n%s' "$hung" "$test")
                fi
            done
        elif ! grep -qE '^test result' "$log"; then
            # The process died (a crash, an abort) before it said anything of a result.
            failed=$(printf '%s\n%s' "$failed" "(the process, which ended with status $status)")
        fi
        n=("$(count "$passed")" "$(count "$failed")" "$(count "$hung")" "$(count "$ignored")" "${#skips[@]}")
        row="| $file | yes | ${n[0]} | ${n[1]} | ${n[2]} | ${n[3]} | ${n[4]} |"
        for i in 0 1 2 3 4; do
            totals[i]=$((totals[i] + n[i]))
        done
        while read -r test; do
            failed_list+="- \`$file::$test\`"$'\n'
        done < <(printf '%s\n' "$failed" | grep . || true)
        while read -r test; do
            hung_list+="- \`$file::$test\`"$'\n'
        done < <(printf '%s\n' "$hung" | grep . || true)
        if [ "${n[1]}" != 0 ] || [ "${n[2]}" != 0 ]; then
            broken=1
        fi
    fi
    echo "$row"
    table+=$'\n'"$row"
done
total="| **all** | | ${totals[0]} | ${totals[1]} | ${totals[2]} | ${totals[3]} | ${totals[4]} |"
echo "$total"
table+=$'\n'"$total"

{
    echo "tokio $tokio_version's tests, ${per_file} s per file, ${per_test} s per test run again alone."
    echo
    printf '%s\n' "$table"
    echo
    echo "Failed:"
    echo
    printf '%s' "${failed_list:-"- none"$'\n'}"
    echo
    echo "Hung (did not finish in ${per_test} s alone):"
    echo
    printf '%s' "${hung_list:-"- none"$'\n'}"
    echo
    echo "Out of scope:"
    echo
    if [ ${#out_of_scope[@]} = 0 ]; then
        echo "- none"
    fi
    for entry in "${out_of_scope[@]}"; do
        echo "- \`${entry%%|*}\`: ${entry#*|}"
    done
    echo
    echo "Adapted before the build:"
    echo
    for adaptation in "${adaptations[@]}"; do
        IFS='|' read -r file from to why <<<"$adaptation"
        echo "- \`$file\`: \`${from#"${from%%[! ]*}"}\` became \`${to#"${to%%[! ]*}"}\`: $why"
    done
} >"$out"
echo "written to $out"
exit "$broken"
