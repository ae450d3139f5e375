#!/usr/bin/env bash
# Checks the workspace's `rust-version` (1.85, the first with edition 2024) as far as a
# machine with only a newer toolchain can:
# - every crate racewright and racewright-macros build with (their normal and build
#   dependencies, as locked) declares a `rust-version` no newer than ours, or none;
# - clippy's `incompatible_msrv` lint (on by default; .ci/run denies warnings) refuses a
#   standard-library API newer than our `rust-version`.
# What neither catches is a language feature newer than 1.85 (let chains, 1.88): only a
# build with rustc 1.85 would. Run from anywhere; needs python3; takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked | python3 -c '
import json, sys

def version(text):
    parts = [int(part) for part in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))

metadata = json.load(sys.stdin)
packages = {package["id"]: package for package in metadata["packages"]}
ours = next(p for p in packages.values() if p["name"] == "racewright")
msrv = ours["rust_version"]
nodes = {node["id"]: node for node in metadata["resolve"]["nodes"]}

# The graph racewright builds with: normal and build dependencies, not dev ones.
seen, stack = set(), [ours["id"]]
while stack:
    current = stack.pop()
    if current in seen:
        continue
    seen.add(current)
    for dependency in nodes[current]["deps"]:
        if any(kind["kind"] in (None, "build") for kind in dependency["dep_kinds"]):
            stack.append(dependency["pkg"])

newer = []
for id in sorted(seen):
    package = packages[id]
    needs = package.get("rust_version")
    if needs and version(needs) > version(msrv):
        newer.append(package["name"] + " " + package["version"] + " needs rust " + needs)
if newer:
    print("error: racewright declares rust-version " + msrv + ", but it builds with:", *newer, sep="\n  ")
    sys.exit(1)
print("the", len(seen), "crates racewright builds with accept rust", msrv)
'
