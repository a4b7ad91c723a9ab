"""Per-file complexity, base against head: what the `complexity` risk signal is made of.

Python is measured with radon (cyclomatic complexity per function, maintainability index per
file), every other language with a meter with lizard. A function is reported only when the
change touched it (an added line falls within it) and it is either new and more complex than
`settings.function` allows, or it grew by at least `settings.increase`.
"""

from __future__ import annotations

import ast
import importlib
import warnings
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from radon.complexity import cc_visit_ast
from radon.metrics import h_visit_ast, mi_compute
from radon.raw import analyze
from radon.visitors import Class, ComplexityVisitor

from bot.config.risk import ComplexityConfig
from bot.engine.files import FileJob, FunctionChange
from bot.engine.result import Skipped


@dataclass(frozen=True, slots=True)
class ComplexityScan:
    """What complexity analysis found in one file, or why it could not measure it."""

    functions: tuple[FunctionChange, ...] = ()
    # Python only: MI(base) - MI(head), when it is at least `settings.maintainability_drop`.
    maintainability_drop: float | None = None
    skipped: Skipped | None = None


@dataclass(frozen=True, slots=True)
class _Function:
    """One function as a meter saw it, in one version of a file."""

    key: str  # matches the function across versions (lizard: with its parameters)
    name: str  # what a reviewer reads
    line: int  # where the definition starts (`def`, `func`, …)
    first_line: int  # with its decorators
    last_line: int
    complexity: int


def measure(job: FileJob, settings: ComplexityConfig) -> ComplexityScan:
    """Measure one changed file, base against head.

    Functions come back ordered by line. A file that cannot be measured comes back with
    `skipped` set and nothing else; a base that does not parse counts every head function
    as new and gives no maintainability drop.
    """
    if job.language is None:
        return _skip(job, "unknown language")
    if job.meter is None:
        return _skip(job, f"no complexity meter for {job.language}")
    if job.head_text is None:
        return _skip(job, job.no_text_reason)
    if job.head_text == job.base_text:  # a rename or a mode change: nothing to compare
        return ComplexityScan()
    if job.meter == "radon":
        return _measure_python(job, job.head_text, settings)
    if job.meter == "lizard":
        return _measure_with_lizard(job, job.language, job.head_text, settings)
    raise ValueError(f"unknown complexity meter {job.meter!r} for {job.language}")


def _skip(job: FileJob, reason: str) -> ComplexityScan:
    return ComplexityScan(skipped=Skipped(job.path, reason))


# --- comparing versions ---------------------------------------------------------------------


def _flagged(
    job: FileJob,
    head: Sequence[_Function],
    base: Sequence[_Function],
    settings: ComplexityConfig,
) -> tuple[FunctionChange, ...]:
    touched = set(_touched_functions(head, job.added_lines))
    changes: list[FunctionChange] = []
    for function, before in zip(head, _base_versions(head, base), strict=True):
        if function not in touched:
            continue
        if before is None:
            # `function` is the complexity a new function may reach, so reaching it is fine.
            if function.complexity <= settings.function:
                continue
        elif function.complexity - before.complexity < settings.increase:
            continue
        changes.append(
            FunctionChange(
                path=job.path,
                name=function.name,
                line=function.line,
                complexity=function.complexity,
                base_complexity=None if before is None else before.complexity,
                last_line=function.last_line,
            )
        )
    changes.sort(key=lambda change: (change.line, change.name))
    return tuple(changes)


def _touched_functions(
    functions: Sequence[_Function], added_lines: frozenset[int]
) -> list[_Function]:
    """The functions an added line falls within (decorators included)."""
    added = sorted(added_lines)
    touched: list[_Function] = []
    for function in functions:
        index = bisect_left(added, function.first_line)
        if index < len(added) and added[index] <= function.last_line:
            touched.append(function)
    return touched


def _base_versions(head: Sequence[_Function], base: Sequence[_Function]) -> list[_Function | None]:
    """For each head function (in line order), its base version, or None when it is new.

    Functions pair up by key, in order of appearance when a key repeats (a property's getter
    and setter, overloads). A function whose key changed (its parameters, for lizard) still
    pairs with the base function of the same name when that name is unique on both sides.
    """
    base_by_key: defaultdict[str, list[int]] = defaultdict(list)
    for index, function in enumerate(base):
        base_by_key[function.key].append(index)
    occurrences: Counter[str] = Counter()
    paired: list[int | None] = []
    for function in head:
        same_key = base_by_key.get(function.key, [])
        seen = occurrences[function.key]
        occurrences[function.key] += 1
        paired.append(same_key[seen] if seen < len(same_key) else None)

    taken = {index for index in paired if index is not None}
    head_names = Counter(function.name for function in head)
    base_by_name: defaultdict[str, list[int]] = defaultdict(list)
    for index, function in enumerate(base):
        base_by_name[function.name].append(index)
    for position, function in enumerate(head):
        candidates = base_by_name.get(function.name, [])
        if (
            paired[position] is None
            and head_names[function.name] == 1
            and len(candidates) == 1
            and candidates[0] not in taken
        ):
            paired[position] = candidates[0]
            taken.add(candidates[0])
    return [None if index is None else base[index] for index in paired]


# --- Python, with radon ---------------------------------------------------------------------


class _Unparsable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _PythonModule:
    """One version of a Python file, parsed once and visited once by radon."""

    text: str
    tree: ast.Module
    # radon's whole-module visit: per-function complexity, and the total the MI needs.
    visit: ComplexityVisitor
    functions: list[_Function]


def _measure_python(job: FileJob, head_text: str, settings: ComplexityConfig) -> ComplexityScan:
    try:
        head = _read_python(head_text)
    except _Unparsable as exc:
        return _skip(job, exc.reason)
    base = _read_base(job.base_text)
    return ComplexityScan(
        functions=_flagged(job, head.functions, base.functions if base else [], settings),
        maintainability_drop=None if base is None else _maintainability_drop(base, head, settings),
    )


def _read_base(text: str | None) -> _PythonModule | None:
    """The base version; None when the file is new or radon cannot read its base, so that
    every function of the head counts as new."""
    if text is None:
        return None
    try:
        return _read_python(text)
    except _Unparsable:
        return None


def _read_python(text: str) -> _PythonModule:
    try:
        tree = _parse_python(text)
        visit = ComplexityVisitor.from_ast(tree)
        functions = _python_functions(tree, _block_complexities(visit))
    except RecursionError:
        raise _Unparsable("too deeply nested to measure") from None
    return _PythonModule(text=text, tree=tree, visit=visit, functions=functions)


def _parse_python(text: str) -> ast.Module:
    # The code under review is not ours: its warnings (invalid escapes…) are not ours to print,
    # nor to turn into errors when warnings are errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(text)
        except SyntaxError as exc:
            if exc.lineno is None:
                raise _Unparsable(f"syntax error: {exc.msg}") from None
            raise _Unparsable(f"syntax error at line {exc.lineno}") from None


def _block_complexities(visit: ComplexityVisitor) -> dict[tuple[int, int], int]:
    """The complexity radon found for each function, by where its definition starts."""
    found: dict[tuple[int, int], int] = {}
    pending = [*visit.functions, *visit.classes]
    while pending:
        block = pending.pop()
        if isinstance(block, Class):
            pending.extend([*block.methods, *block.inner_classes])
        else:
            found[block.lineno, block.col_offset] = block.complexity
            pending.extend(block.closures)
    return found


def _python_functions(
    tree: ast.Module, complexities: dict[tuple[int, int], int]
) -> list[_Function]:
    """Every function and method of the module, keyed by qualified name, in line order."""
    found: list[tuple[int, int, _Function]] = []
    pending: list[tuple[ast.AST, str]] = [(tree, "")]
    while pending:
        node, scope = pending.pop()
        for child in _child_statements(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                qualified = scope + child.name
                complexity = complexities.get((child.lineno, child.col_offset))
                if complexity is None:
                    # radon's module visit skips the methods of a class defined in a function.
                    complexity = cc_visit_ast(child)[0].complexity
                decorator_lines = [decorator.lineno for decorator in child.decorator_list]
                function = _Function(
                    key=qualified,
                    name=qualified,
                    line=child.lineno,
                    first_line=min([child.lineno, *decorator_lines]),
                    last_line=child.end_lineno or child.lineno,
                    complexity=complexity,
                )
                found.append((child.lineno, child.col_offset, function))
                pending.append((child, qualified + "."))
            elif isinstance(child, ast.ClassDef):
                pending.append((child, scope + child.name + "."))
            else:
                pending.append((child, scope))
    found.sort(key=lambda entry: (entry[0], entry[1]))
    return [function for _, _, function in found]


def _child_statements(node: ast.AST) -> Iterator[ast.AST]:
    """The statements directly inside `node`'s blocks: only statements can define functions."""
    for block in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(node, block, ()):
            if isinstance(child, ast.ExceptHandler | ast.match_case):
                yield from child.body
            else:
                yield child


def _maintainability_drop(
    base: _PythonModule, head: _PythonModule, settings: ComplexityConfig
) -> float | None:
    base_index = _maintainability_index(base)
    head_index = _maintainability_index(head)
    if base_index is None or head_index is None:
        return None
    drop = base_index - head_index
    if drop <= 0 or drop < settings.maintainability_drop:
        return None
    return drop


# radon's line counter tokenizes a statement again for every further line it spans, so its time
# grows with the square of each statement's length: a 2,000-line data literal takes a minute.
# Past this sum of squared statement lengths (about a second of counting), MI is not computed.
_MI_LINE_COUNT_BUDGET = 50_000


def _maintainability_index(module: _PythonModule) -> float | None:
    """radon's `mi_visit(text, multi=True)`, from the tree and visit already made; None when
    counting the lines would take too long or radon cannot count them."""
    if _line_count_cost(module.tree) > _MI_LINE_COUNT_BUDGET:
        return None
    try:
        lines = analyze(module.text)
        volume = h_visit_ast(module.tree).total.volume
    except (SyntaxError, RecursionError):
        # radon's line counter rejects some sources the parser accepts, and its Halstead visit
        # recurses once per nested expression.
        return None
    # multi=True: docstrings and other multi-line strings count as comment lines.
    comment_lines = lines.comments + lines.multi
    comments = comment_lines / lines.sloc * 100 if lines.sloc else 0
    return float(mi_compute(volume, module.visit.total_complexity, lines.lloc, comments))


def _line_count_cost(tree: ast.Module) -> int:
    """The sum of the squared line spans of multi-line statements (of their header, for a
    compound statement): what radon's line counter costs beyond one pass."""
    cost = 0
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        for statement in _child_statements(node):
            span = _header_span(statement)
            if span > 1:
                cost += span * span
            pending.append(statement)
    return cost


def _header_span(statement: ast.AST) -> int:
    """Lines from a statement's start to its end, or to its block for a compound statement."""
    start: int = getattr(statement, "lineno", 0)
    end: int = getattr(statement, "end_lineno", None) or start
    block = getattr(statement, "body", None) or getattr(statement, "cases", None)
    if isinstance(block, list) and block:
        first = block[0].pattern if isinstance(block[0], ast.match_case) else block[0]
        end = first.lineno - 1
    return max(1, end - start + 1)


# --- other languages, with lizard -----------------------------------------------------------


def _measure_with_lizard(
    job: FileJob, language: str, head_text: str, settings: ComplexityConfig
) -> ComplexityScan:
    filename = _lizard_filename(job.path, language)
    try:
        head = _lizard_functions(filename, head_text)
    except _Unparsable as exc:
        return _skip(job, exc.reason)
    if not _touched_functions(head, job.added_lines):
        return ComplexityScan()
    base: list[_Function] = []
    if job.base_text is not None:
        try:
            base = _lizard_functions(filename, job.base_text)
        except _Unparsable:
            # As for Python: a base that cannot be read makes every function of the head new.
            base = []
    return ComplexityScan(functions=_flagged(job, head, base, settings))


def _lizard_functions(filename: str, text: str) -> list[_Function]:
    try:
        info = _lizard().analyze_file.analyze_source_code(filename, text)
    except IndexError:
        # lizard's readers index past their state stacks on some malformed code; lizard's own
        # command line reports that as a file it failed to parse.
        raise _Unparsable("lizard could not parse this file") from None
    functions = [
        _Function(
            key=function.long_name,
            name=function.name,
            line=function.start_line,
            first_line=function.start_line,
            last_line=function.end_line,
            complexity=function.cyclomatic_complexity,
        )
        for function in info.function_list
    ]
    functions.sort(key=lambda function: (function.line, function.key))
    return functions


@cache
def _lizard() -> ModuleType:
    # Importing lizard loads every language reader it has (and pygments): about 0.1 s that a
    # Python-only change should not pay.
    return importlib.import_module("lizard")


def _lizard_filename(path: str, language: str) -> str:
    """The file name lizard should see: lizard picks its reader by extension, and knows fewer
    extensions than we do (`.mts`, `.rake`); those get the extension of our language's reader."""
    extension = _lizard_extension(language)
    if extension is None or _lizard().get_reader_for(path) is not None:
        return path
    return f"{path}.{extension}"


@cache
def _lizard_extension(language: str) -> str | None:
    for reader in _lizard().languages():
        if language in reader.language_names:
            extension: str = reader.ext[0]
            return extension
    return None
