#!/usr/bin/env bash
# Runs tokio's own integration tests against racewright, through the tokio switch.
#
#     ci/tokio-conformance.sh [OUTPUT.md]
#
# The tests are taken, at run time, from the tokio crate's source in the cargo registry
# (the crate ships them; none is copied into this repository). They are built in a scratch
# crate whose `tokio` is `racewright-tokio` with the `racewright` feature on: every
# `tokio::sync`, `tokio::task`, `tokio::time`, `select!` and `join!` they use is
# racewright's, run on tokio's runtime (outside an exploration), as a user's plain
# `#[tokio::test]`s are. Prints one row per file (compiles, passed, failed) and writes the
# table to OUTPUT.md (default: target/tokio-conformance.md).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/target/tokio-conformance.md}
registry=${CARGO_HOME:-$HOME/.cargo}/registry/src
tokio_src=$(ls -d "$registry"/*/tokio-1.* 2>/dev/null | sort -V | tail -n 1)
if [ -z "$tokio_src" ] || [ ! -d "$tokio_src/tests" ]; then
    echo "error: no tokio source with its tests under $registry; run 'cargo fetch' in $root first" >&2
    exit 1
fi
work=${CARGO_TARGET_DIR:-$root/target}/tokio-conformance
files=(sync_mutex sync_mutex_owned sync_rwlock sync_semaphore sync_semaphore_owned sync_notify sync_notify_owned
       sync_oneshot sync_mpsc sync_mpsc_weak sync_watch sync_broadcast sync_barrier sync_once_cell sync_set_once
       task_join_set task_abort task_local task_local_set task_id task_blocking
       time_sleep time_timeout time_interval time_pause
       macros_select macros_join macros_try_join macros_pin)

mkdir -p "$work/tests" "$work/src"
rm -f "$work"/tests/*.rs
cp -r "$tokio_src/tests/support" "$work/tests/"
for file in "${files[@]}"; do
    cp "$tokio_src/tests/$file.rs" "$work/tests/"
done
: > "$work/src/lib.rs"
cat > "$work/Cargo.toml" <<TOML
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

[dev-dependencies]
tokio = { package = "racewright-tokio", path = "$root/harness/tokio", features = ["full", "test-util", "racewright"] }
tokio-test = "0.4"
tokio-stream = "0.1"
futures = { version = "0.3", features = ["async-await"] }
futures-test = "0.3"
async-stream = "0.3"
rand = "0.9"

[workspace]
TOML

table="| file | compiles | passed | failed | ignored |
|---|---|---:|---:|---:|"
cd "$work"
for file in "${files[@]}"; do
    log="$work/$file.log"
    if ! cargo test --quiet --no-run --test "$file" >"$log" 2>&1; then
        first=$(grep -m1 -E '^error' "$log" | cut -c1-100 | tr '|' '/' || true)
        row="| $file | no: $first | 0 | 0 | 0 |"
    else
        # A test that hangs (tokio's coop budget missing, say) must not hang the table.
        timeout "${TOKIO_CONFORMANCE_SECONDS:-120}" cargo test --quiet --test "$file" --no-fail-fast >>"$log" 2>&1 \
            && status=0 || status=$?
        result=$(grep -E '^test result' "$log" | tail -n 1 || true)
        passed=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$result")
        failed=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$result")
        ignored=$(sed -nE 's/.* ([0-9]+) ignored.*/\1/p' <<<"$result")
        if [ "$status" = 124 ]; then
            hung=$(grep -oE 'test [a-z0-9_]+ has been running' "$log" | sed -E 's/test ([a-z0-9_]+) .*/\1/' | tr '\n' ' ' || true)
            row="| $file | yes, but hung: $hung| ? | ? | ? |"
        else
            row="| $file | yes | ${passed:-?} | ${failed:-?} | ${ignored:-?} |"
        fi
    fi
    echo "$row"
    table="$table
$row"
done
printf '%s\n' "$table" > "$out"
echo "written to $out"
