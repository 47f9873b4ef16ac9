"""Print the house's shape: the figures issue 11 asks for, before and after a re-housing.

    .venv/bin/python tools/architecture_report.py

Modules over 600 lines, import circles between modules (strongly connected components of the module import graph,
imports under ``TYPE_CHECKING`` and inside functions counted too: grimp sees them all), modules loose at the top of
``core`` (not in a concept sub-package), ``Any`` in ui (as a word in code), and the largest file.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "gazex_viewer"
LIMIT = 600
# the modules allowed loose at the top of core: the floor every concept stands on (one-line errors, where the shipped
# resources are, atomic writes); anything else belongs to a concept package
CORE_FLOOR = {"__init__", "errors", "resources", "safe_io"}


def _strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm over the module import graph; only components with two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if not w.startswith("gazex_viewer"):
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for m in sorted(graph.modules):
        if m.startswith("gazex_viewer") and m not in index:
            visit(m)
    return out


def main() -> int:
    files = sorted(PKG.rglob("*.py"))
    sizes = {f.relative_to(ROOT).as_posix(): len(f.read_text(encoding="utf-8").splitlines()) for f in files}
    big = sorted(((n, p) for p, n in sizes.items() if n > LIMIT), reverse=True)
    print(f"modules over {LIMIT} lines: {len(big)}")
    for n, p in big:
        print(f"  {n:5d} {p}")
    graph = grimp.build_graph("gazex_viewer", exclude_type_checking_imports=False)
    # a package's __init__ importing its own submodules is not a circle between concepts
    circles = [c for c in _strongly_connected(graph)]
    print(f"import circles (TYPE_CHECKING and function-level imports counted): {len(circles)}")
    for c in circles:
        print("  " + " <-> ".join(c))
    loose = sorted(p.stem for p in (PKG / "core").glob("*.py") if p.stem not in CORE_FLOOR)
    print(f"loose modules at the top of core (beyond errors, resources, safe_io): {len(loose)}" + (f" ({', '.join(loose)})" if loose else ""))
    any_ui = 0
    for f in (PKG / "ui").rglob("*.py"):
        for line in f.read_text(encoding="utf-8").splitlines():
            code = line.split("#", 1)[0]
            any_ui += len(re.findall(r"\bAny\b", code))
    print(f"Any in ui (uses in code, imports included): {any_ui}")
    n, p = max((n, p) for p, n in sizes.items())
    print(f"largest file: {p} ({n} lines)")
    print(f"modules: {len(files)}, lines: {sum(sizes.values())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
