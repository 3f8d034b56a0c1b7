#!/usr/bin/env python3
"""Fails when the source files of a Rust crate import each other in a cycle.

Usage: module_cycles.py SRC_DIR

Every `crate::a::b::Name` path (in `use` items, brace groups included, and inline) is
taken as an edge from the file it appears in to the file of the deepest module it names.
A name re-exported by `lib.rs` (`pub use module::{Name, ..}`) is followed to the module
it comes from, so `crate::Error` counts as an edge to `error.rs`. A child module naming
its own ancestor is nesting, not an edge. Test modules (`#[cfg(test)] mod ...`) and
comments are ignored. Prints each cycle and exits 1 when there is one.
"""
import os
import re
import sys


def module_path(rel):
    parts = rel[: -len(".rs")].split(os.sep)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def without_tests_and_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    cut = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", text)
    return text[: cut.start()] if cut else text


def expand(prefix, body):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    body = body.strip()
    if not body.startswith("{"):
        return [prefix + [p for p in body.split("::") if p]]
    inner, depth, item, items = body[1:-1], 0, "", []
    for ch in inner:
        if ch == "," and depth == 0:
            items.append(item)
            item = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        item += ch
    items.append(item)
    out = []
    for it in (i.strip().split(" as ")[0] for i in items):
        if not it or it == "self":
            continue
        head, sep, rest = it.partition("::{")
        if sep:
            out += expand(prefix + head.split("::"), "{" + rest)
        else:
            out.append(prefix + [p for p in it.split("::") if p])
    return out


def referenced_paths(text):
    paths = []
    for m in re.finditer(r"\buse\s+crate::([^;]+);", text, re.S):
        body = " ".join(m.group(1).split())
        head, sep, rest = body.partition("::{")
        paths += expand(head.split("::"), "{" + rest) if sep else expand([], body)
    for m in re.finditer(r"\bcrate::((?:\w+::)*\w+)", text):
        paths.append(m.group(1).split("::"))
    return paths


def main():
    src = os.path.abspath(sys.argv[1])
    sources = {}
    for root, _, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as f:
                    sources[os.path.relpath(path, src)] = without_tests_and_comments(f.read())
    modules = {module_path(rel): rel for rel in sources}

    # Names lib.rs re-exports, and the module each comes from.
    reexports = {}
    root = next((r for r in sources if module_path(r) == ()), None)
    if root:
        for m in re.finditer(r"\bpub\s+use\s+([^;]+);", sources[root], re.S):
            for path in expand([], " ".join(m.group(1).split())):
                if path and path[0] == "crate":
                    path = path[1:]
                if len(path) >= 2:
                    reexports[path[-1]] = tuple(path[:-1])

    def target_of(path):
        if len(path) == 1 and path[0] in reexports:
            path = list(reexports[path[0]]) + path
        for k in range(len(path), 0, -1):
            rel = modules.get(tuple(path[:k]))
            if rel:
                return rel
        return None

    edges = {rel: set() for rel in sources}
    for rel, text in sources.items():
        me = module_path(rel)
        for path in referenced_paths(text):
            target = target_of(path)
            if target is None or target == rel or module_path(target) == ():
                continue
            there = module_path(target)
            if me[: len(there)] == there:  # an ancestor: nesting
                continue
            edges[rel].add(target)

    # Strongly connected components (iterative Tarjan).
    index, low, on_stack, stack, cycles, counter = {}, {}, set(), [], [], 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))

    for component in cycles:
        print(f"import cycle of {len(component)} files: {', '.join(component)}")
    print(f"{len(sources)} files, {sum(map(len, edges.values()))} imports, {len(cycles)} cycles")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
