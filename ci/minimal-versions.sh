#!/usr/bin/env bash
# Checks that racewright and racewright-macros build with the lowest version of each
# dependency that the workspace Cargo.toml allows: the minimums written there are honest.
#
#     ci/minimal-versions.sh
#
# Works as a user would: a scratch crate outside the repository depends on a copy of
# racewright by path (this repository's Cargo.lock plays no part, nor do its dev-only
# dependencies); every dependency with a range in [workspace.dependencies] is set to its
# minimum with `cargo update --precise`, then `cargo check` builds racewright and
# racewright-macros. The rest of the graph keeps its newest compatible versions.
# Needs crates.io and python3; a cold check of the dependencies, a few minutes. Not part
# of .ci/run for that reason: run it when you change a minimum.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The tracked files only: no target/, no local state.
mkdir "$work/racewright" "$work/user" "$work/user/src"
git -C "$root" ls-files -z | tar -C "$root" --null -T - -cf - | tar -C "$work/racewright" -xf -
cat > "$work/user/Cargo.toml" <<'TOML'
[package]
name = "minimal-versions-user"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
racewright = { path = "../racewright/harness" }
TOML
touch "$work/user/src/lib.rs"
cd "$work/racewright"

# `name minimum` for each dependency whose requirement is a range (an exact `=` pin or a
# path is left alone); `1.44` means 1.44.0.
minimums="$(python3 - <<'EOF'
import tomllib
with open("Cargo.toml", "rb") as manifest:
    dependencies = tomllib.load(manifest)["workspace"]["dependencies"]
for name, requirement in dependencies.items():
    version = requirement if isinstance(requirement, str) else requirement.get("version")
    if version is None or "path" in (requirement if isinstance(requirement, dict) else {}):
        continue
    if version.startswith("="):
        continue
    parts = version.lstrip("^").split(".")
    print(name, ".".join(parts + ["0"] * (3 - len(parts))))
EOF
)"

cd "$work/user"
cargo generate-lockfile --quiet

# One at a time, in passes: lowering a crate can wait for its dependents to be lowered
# first (tracing-subscriber before tracing), so a refused update is tried again next pass.
pending="$minimums"
while [ -n "$pending" ]; do
    refused=""
    while read -r name minimum; do
        # The version locked now, of the same major line (a crate may be in the graph twice).
        major="${minimum%%.*}"
        [ "$major" = 0 ] && major="0.$(echo "$minimum" | cut -d. -f2)"
        locked="$(cargo metadata --format-version 1 2>/dev/null | python3 -c "
import json, sys
versions = [p['version'] for p in json.load(sys.stdin)['packages'] if p['name'] == '$name']
print(next((v for v in versions if v == '$major' or v.startswith('$major.')), ''))
")"
        if [ -z "$locked" ]; then
            echo "error: $name $major is not in the dependency graph" >&2
            exit 1
        fi
        if cargo update --quiet -p "$name@$locked" --precise "$minimum" 2>"$work/refused.txt"; then
            echo "==> $name $locked -> $minimum"
        else
            refused+="$name $minimum"$'\n'
        fi
    done <<< "$pending"
    refused="${refused%$'\n'}"
    if [ "$refused" = "$pending" ]; then
        echo "error: these minimums cannot all be selected together:" >&2
        echo "$refused" >&2
        cat "$work/refused.txt" >&2
        exit 1
    fi
    pending="$refused"
done

echo "==> cargo check of racewright and racewright-macros, with the minimums"
CARGO_TARGET_DIR="${MINIMAL_VERSIONS_TARGET_DIR:-$work/target}" cargo check
echo "==> the minimums build"
