#!/usr/bin/env python3
"""Fails when a package in the lockfile needs a newer Rust than the workspace declares.

Reads `cargo metadata` (the resolved graph of the committed Cargo.lock) and compares
every package's `rust-version` with the workspace's own, so the declared MSRV stays
true for the lockfile that ships.
"""
import json
import subprocess
import sys


def version(text):
    parts = [int(p) for p in (text or "0").split(".")]
    return tuple((parts + [0, 0, 0])[:3])


def main():
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    members = set(meta["workspace_members"])
    declared = max(
        version(p.get("rust_version")) for p in meta["packages"] if p["id"] in members
    )
    too_new = [
        (p["name"], p["version"], p["rust_version"])
        for p in meta["packages"]
        if p.get("rust_version") and version(p["rust_version"]) > declared
    ]
    for name, ver, needs in too_new:
        print(f"{name} {ver} needs Rust {needs}, newer than rust-version {'.'.join(map(str, declared))}")
    print(f"rust-version {'.'.join(map(str, declared))}: {len(meta['packages'])} packages checked")
    return 1 if too_new else 0


if __name__ == "__main__":
    sys.exit(main())
