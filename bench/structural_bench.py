"""What the structural rules cost per file: ast-grep's parse and every rule's tree search.

For each language the rules read, one large file is scanned three ways, each the median of
`--runs` runs in this process (imports and rule loading excluded, measured once):

- `parse`: tree-sitter's parse of the head text alone;
- `new file`: every line added, so every rule whose needle matches runs over the whole tree
  (the worst case: a new large file full of what the rules look for);
- `edit`: one more function (about 10 lines, with its loop and query) added in the middle:
  the head parsed and searched, and the base parsed and searched to tell the new match from the
  old ones (a typical change to a large file).

The files are generated from a seed, so the run needs no clone: a module of functions that each
hold a loop, a query, a log line and some arithmetic, in the language's own syntax, repeated up
to `--lines` lines. `--file PATH` measures a real file instead (its language from its name).

    .venv/bin/python bench/structural_bench.py
    .venv/bin/python bench/structural_bench.py --lines 20000 --runs 9
    .venv/bin/python bench/structural_bench.py --file /path/to/big_module.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from types import MappingProxyType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# One repeated unit per language: a function with a loop, a query, a log line and arithmetic.
UNITS = {
    "python": (
        "shop/service.py",
        "def handler_{n}(users, session):\n"
        "    total = 0\n"
        "    for user in users:\n"
        "        orders = Order.objects.filter(user=user).count()\n"
        '        logger.info("user %s has %d orders", user.id, orders)\n'
        "        total += orders * 2\n"
        "    return total\n\n\n",
    ),
    "typescript": (
        "src/service.ts",
        "export async function handler{n}(ids: string[]) {{\n"
        "  let total = 0;\n"
        "  for (const id of ids) {{\n"
        "    const user = await prisma.user.findUnique({{ where: {{ id }} }});\n"
        '    logger.info("loaded", user?.id);\n'
        "    total += 2;\n"
        "  }}\n"
        "  return total;\n"
        "}}\n\n",
    ),
    "go": (
        "store/service.go",
        "func handler{n}(db *sql.DB, ids []int) int {{\n"
        "\ttotal := 0\n"
        "\tfor _, id := range ids {{\n"
        '\t\tdb.QueryRow("SELECT name FROM users WHERE id = $1", id)\n'
        '\t\tlog.Printf("loaded %d", id)\n'
        "\t\ttotal += 2\n"
        "\t}}\n"
        "\treturn total\n"
        "}}\n\n",
    ),
    "java": (
        "src/main/java/shop/Service.java",
        "  int handler{n}(List<Long> ids) {{\n"
        "    int total = 0;\n"
        "    for (Long id : ids) {{\n"
        "      userRepository.findById(id);\n"
        '      log.info("loaded {{}}", id);\n'
        "      total += 2;\n"
        "    }}\n"
        "    return total;\n"
        "  }}\n\n",
    ),
}


def generated(language: str, lines: int, frame: bool = True) -> tuple[str, str]:
    path, unit = UNITS["typescript" if language == "javascript" else language]
    parts = ["package store\n\n" if language == "go" and frame else ""]
    if language == "java" and frame:
        parts.append("class Service {\n")
    n = 0
    while sum(part.count("\n") for part in parts) < lines:
        parts.append(unit.format(n=n))
        n += 1
    if language == "java" and frame:
        parts.append("}\n")
    return path, "".join(parts)


def median_ms(action: object, runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def measure(path: str, text: str, runs: int) -> tuple[int, float, float, float, int, int]:
    from ast_grep_py import SgRoot

    from bot.engine.builtins import load_builtins
    from bot.engine.files import FileJob
    from bot.engine.patterns.structural import grammar_of, scan_structure

    language = load_builtins().languages.of(path)
    language_id = language.id if language else None
    grammar = grammar_of(path, language_id)
    if grammar is None:
        raise SystemExit(f"{path}: no structural rule reads this language")
    lines = text.split("\n")
    middle = len(lines) // 2
    unit = generated(language_id or "", 1, frame=False)[1].replace("handler0", "added").split("\n")
    start = next(i for i, line in enumerate(lines[middle:], middle) if not line.strip())
    edited = lines[: start + 1] + unit + lines[start + 1 :]
    edited_text = "\n".join(edited)

    def job(head: str, added: range, base: str | None) -> FileJob:
        head_lines = head.split("\n")
        return FileJob(
            path=path,
            language=language_id,
            meter=None,
            base_text=base,
            head_text=head,
            added_lines=frozenset(added),
            added_text=MappingProxyType({n: head_lines[n - 1] for n in added}),
        )

    new_file = job(text, range(1, len(lines) + 1), None)
    edit = job(edited_text, range(start + 2, start + 2 + len(unit)), text)
    found_new = len(scan_structure(new_file, frozenset()).findings)
    found_edit = len(scan_structure(edit, frozenset()).findings)
    parse = median_ms(lambda: SgRoot(text, grammar).root(), runs)
    whole = median_ms(lambda: scan_structure(new_file, frozenset()), runs)
    typical = median_ms(lambda: scan_structure(edit, frozenset()), runs)
    return len(lines), parse, whole, typical, found_new, found_edit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--file", type=Path, help="a real file to measure instead")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    from bot.engine.patterns.structural import builtin_rules

    rules = builtin_rules()
    print(f"import and load {len(rules)} rules: {(time.perf_counter() - start) * 1000:.0f} ms")
    if args.file is not None:
        cases = [(str(args.file), args.file.read_text(encoding="utf-8"))]
    else:
        cases = [generated(language, args.lines) for language in UNITS]
    header = (
        "| file | lines | parse | new file (all lines added) | edit (one function) | findings |"
    )
    print(header)
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for path, text in cases:
        lines, parse, whole, typical, found_new, found_edit = measure(path, text, args.runs)
        per_k = whole / lines * 1000
        print(
            f"| {path} | {lines:,} | {parse:.0f} ms | {whole:.0f} ms ({per_k:.1f} ms per 1,000 "
            f"lines) | {typical:.0f} ms | {found_new:,} / {found_edit} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
