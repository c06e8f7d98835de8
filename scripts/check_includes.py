#!/usr/bin/env python3
"""Fails when a source includes a floor of the library above its own (docs/architecture.md).

Each folder of include/nnzero/ and src/ is a module; the root files are "core". A module may
include itself and the modules listed for it below, nothing else. tools/, examples/, tests/,
bench/ and fuzz/ sit on top and may include anything.

    scripts/check_includes.py          # from the repository root; exit 1 on a violation
"""
import pathlib
import re
import sys

ALLOWED = {
    "core": set(),
    "io": {"core"},
    "kernels": {"core"},
    "functions": {"core", "kernels"},
    "layers": {"core", "kernels", "functions"},
    "fast": {"core", "kernels", "layers"},
    "model": {"core", "io", "kernels", "functions", "layers", "fast"},
    "data": {"core", "io"},
    "net": {"core", "io"},
    "words": {"core", "io", "kernels", "data"},
    "train": {"core", "io", "kernels", "functions", "layers", "model", "data", "words"},
    "plot": {"core", "io", "kernels", "functions", "layers", "model", "data", "words", "train"},
    "book": {"core", "io", "kernels", "functions", "layers", "model", "data", "words", "train",
             "plot"},
    "serve": {"core", "io", "kernels", "functions", "layers", "model"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"nnzero/([^"]+)"', re.M)


def module_of(relative):
    """'model/spec.h' -> 'model'; 'tensor.h' -> 'core'."""
    parts = pathlib.PurePosixPath(relative).parts
    return parts[0] if len(parts) > 1 else "core"


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    errors = []
    for base in (root / "include" / "nnzero", root / "src"):
        for path in sorted(base.rglob("*")):
            if path.suffix not in (".h", ".cpp"):
                continue
            module = module_of(path.relative_to(base).as_posix())
            if module not in ALLOWED:
                errors.append(f"{path.relative_to(root)}: module '{module}' has no floor "
                              "(add it to scripts/check_includes.py and docs/architecture.md)")
                continue
            for target in INCLUDE.findall(path.read_text()):
                dep = module_of(target)
                if dep != module and dep not in ALLOWED[module]:
                    errors.append(f"{path.relative_to(root)}: {module}/ includes "
                                  f"nnzero/{target} ({dep}/), which is not below it")
    for e in errors:
        print(f"check_includes: {e}", file=sys.stderr)
    if errors:
        return 1
    print("check_includes: every #include goes down the floors", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
