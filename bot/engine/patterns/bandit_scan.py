"""Bandit (PyCQA) over the head version of a Python file, keeping what the change added.

Bandit's per-node visitor costs ~0.2 ms per line, so a mostly unchanged file is not handed to it
whole: the module- and class-level statements that no added line touches are blanked first
(line numbers stay as they are), keeping every import so that bandit still resolves aliases
such as `from subprocess import call as run`. A finding outside the kept statements could not
touch an added line anyway. Should the trimmed text fail to parse, bandit gets the whole file.
"""

from __future__ import annotations

import ast
import io
import logging
import re
import tempfile
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.config.levels import Severity
from bot.engine.patterns.placeholders import looks_like_a_name, looks_like_placeholder
from bot.engine.patterns.quiet import quiet_bandit_formatters
from bot.engine.result import Location, Skipped

quiet_bandit_formatters()

from bandit.core.config import BanditConfig  # noqa: E402  (after the filter above)
from bandit.core.manager import BanditManager  # noqa: E402

# Bandit logs warnings (about `# nosec` comments, for one) as any library does; without a
# handler of its own they would reach stderr through logging's last resort whenever the
# application has configured no logging, as in a CLI run. An application that configures
# logging still receives them.
logging.getLogger("bandit").addHandler(logging.NullHandler())

# Bandit tests whose meaning is one of our stable rule ids; any other test reports as itself.
RULE_BY_TEST: Mapping[str, str] = MappingProxyType(
    {
        "B608": "sql-string",
        "B307": "eval-exec",
        "B102": "eval-exec",
        "B602": "shell-injection",
        "B604": "shell-injection",
        "B605": "shell-injection",
        "B609": "shell-injection",
        "B501": "tls-verify-off",
        "B502": "tls-verify-off",
        "B503": "tls-verify-off",
        "B504": "tls-verify-off",
        "B323": "tls-verify-off",
        "B113": "http-no-timeout",
        "B110": "silent-except",
        "B112": "silent-except",
        "B105": "hardcoded-secret",
        "B106": "hardcoded-secret",
        "B107": "hardcoded-secret",
        "B301": "unsafe-deserialization",
        "B302": "unsafe-deserialization",
        "B506": "unsafe-deserialization",
        "B614": "unsafe-deserialization",
        "B615": "unsafe-deserialization",
        "B303": "weak-crypto",
        "B304": "weak-crypto",
        "B305": "weak-crypto",
        "B324": "weak-crypto",
        "B311": "weak-crypto",
        "B201": "debug-enabled",
    }
)

# What to do, appended to bandit's own text for the tests mapped onto our ids.
ADVICE: Mapping[str, str] = MappingProxyType(
    {
        "sql-string": "pass values as query parameters instead of formatting them into SQL",
        "eval-exec": "parse the input (ast.literal_eval, json) instead of executing it",
        "shell-injection": "pass an argument list without a shell (shell=False)",
        "tls-verify-off": "keep certificate checks and TLS 1.2+ on; trust a private CA by bundle",
        "http-no-timeout": "pass a timeout so a slow server cannot hang the caller",
        "silent-except": "log or handle the error, or catch only what is expected",
        "unsafe-deserialization": "load untrusted data safely (json, yaml.safe_load, weights_only)",
        "weak-crypto": "use a strong algorithm (SHA-256, AES-GCM, bcrypt/argon2, secrets module)",
        "debug-enabled": "turn debug mode off outside local development",
    }
)

# Bandit quotes the password it found in these messages, so they get our own text instead.
CREDENTIAL_MESSAGE = (
    "Hardcoded password or token: load it from the environment or a secret store (and rotate "
    "it if it was ever a real one)"
)

# Left out of every run. As noise on pull requests: B101 flags each `assert` (every test file),
# B404 each `import subprocess`, B603/B607 each subprocess call without a shell. For speed: B613
# (bidirectional control characters) reads every line of the file; our `bidi-control` line rule
# looks for the same characters in added lines of every language.
EXCLUDED_TESTS = ("B101", "B404", "B603", "B607", "B613")

# B311 (the `random` module) matters only where the value is a secret; elsewhere it is jitter,
# sampling or shuffling, so it is kept only when its line names a secret-like thing.
_SECURITY_CONTEXT = re.compile(
    r"token|secret|passw|pwd|nonce|salt|otp|api_?key|session|csrf|auth", re.IGNORECASE
)
# Weak hashes (B303, B324: md5 and sha1 without usedforsecurity=False) are mostly checksums,
# cache keys and legacy defaults; one counts toward the level only when its line names a
# secret-like thing, else it is shown low and not counted (docs/rules.md has the sample).
_HASH_TESTS = frozenset({"B303", "B324"})
# Shown, not counted: their measured precision is too low to gate on (docs/rules.md). B105-B107
# flag any string assigned to a name like `token` or `password`: on real history every one was a
# test value, a name or an empty default; credentials with a shape are detect-secrets' to find.
NOT_COUNTED_TESTS = frozenset({"B105", "B106", "B107", "B110", "B112"})
# PEP 263 coding declarations: the text bandit reads is written as UTF-8, so any such line goes.
_CODING_COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=]")

# Tests on function definitions: bandit gives them the whole function's line range, but what
# they flag (argument defaults) is in the signature, so that is what must touch an added line.
_SIGNATURE_TESTS = frozenset({"B107", "B503"})
# Tests on a string: bandit gives them the line range of the string's parent, so a password in
# a dict literal spans the whole dict, and any key added to the dict would touch it. The line
# of the string itself (or of the keyword, for B106) is what must be added.
_OWN_LINE_TESTS = frozenset({"B105", "B106"})
# Bandit's password tests quote the value they found; we read it back to leave placeholders out.
_QUOTED_VALUE = re.compile(r": '(.*)'\Z", re.DOTALL)
# B113 wants `requests.<verb>(...)`, but bandit matches any call under the `requests` name, such
# as the status-code lookup `requests.codes.get("TOO_EARLY")`.
_CALL_NAME = re.compile(r"[\w.]+(?=\s*\()")
# A flagged statement spanning more lines than this (a whole dict literal) is fingerprinted by
# its own first line only.
_MAX_FINGERPRINT_LINES = 10

# Severities bandit gives below what the id means here: SQL built from strings is the
# headline risk of AI-written code and is `high` in every language's line rule, where bandit
# rates B608 `medium`.
SEVERITY_FLOOR: Mapping[str, Severity] = MappingProxyType({"sql-string": Severity.HIGH})

_SEVERITY = MappingProxyType(
    {"LOW": Severity.LOW, "MEDIUM": Severity.MEDIUM, "HIGH": Severity.HIGH}
)
_BLOCKS_WITH_IMPORTS = (ast.If, ast.Try, ast.TryStar, ast.With)
_NOT_RUN = "bandit could not parse it; line rules and secret detectors still ran"


@dataclass(frozen=True, slots=True)
class BanditScan:
    findings: tuple[Location, ...] = ()
    skipped: Skipped | None = None


@cache
def _bandit_config() -> BanditConfig:
    # The costly part of bandit (~0.3 s: importing its plugins) happens once per process on
    # import; a manager per file then costs ~0.1 ms and carries no state between files.
    return BanditConfig()


def _new_manager() -> Any:
    return BanditManager(_bandit_config(), "file", profile={"exclude": list(EXCLUDED_TESTS)})


def scan_python(
    path: str, head_text: str, added_lines: frozenset[int], disabled: frozenset[str]
) -> BanditScan:
    """Bandit's findings on `added_lines` of the head text; `disabled` ids are casefolded."""
    if not added_lines:
        return BanditScan()
    text = _encodable(head_text)
    lines = list(io.StringIO(text, newline=""))
    whole = _render(lines, [True] * (len(lines) + 1), {})
    source = whole
    tree: ast.Module | str | None = None
    if len(added_lines) * 2 < len(lines):
        # Mostly unchanged: blanking the untouched statements saves most of bandit's time.
        tree = _parse(text)
        if isinstance(tree, str):
            return BanditScan(skipped=Skipped(path, tree))
        source = _trim(tree, lines, sorted(added_lines))
    issues, failure = _run_bandit(source)
    if failure is not None and source != whole:
        issues, failure = _run_bandit(whole)
    if failure is not None:
        problem = _parse(text)
        reason = problem if isinstance(problem, str) else f"bandit could not scan it ({failure})"
        return BanditScan(skipped=Skipped(path, reason))
    signatures: Mapping[int, range] = {}
    if any(issue.test_id in _SIGNATURE_TESTS for issue in issues):
        tree = tree or _parse(text)
        signatures = _signatures(tree) if isinstance(tree, ast.Module) else {}
    findings: list[Location] = []
    for issue in issues:
        span: Iterable[int] = set(issue.linerange or ()) | {issue.lineno}
        if issue.test_id in _SIGNATURE_TESTS:
            span = signatures.get(issue.lineno, (issue.lineno,))
        elif issue.test_id in _OWN_LINE_TESTS:
            span = (issue.lineno,)
        finding = _finding(
            path, issue, span, lines=lines, added_lines=added_lines, disabled=disabled
        )
        if finding is not None:
            findings.append(finding)
    return BanditScan(findings=tuple(findings))


def _parse(text: str) -> ast.Module | str:
    """The module's syntax tree, or why Python cannot parse it (said as a skip reason)."""
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        where = f" at line {exc.lineno}" if exc.lineno else ""
        return f"python syntax error{where}: {_NOT_RUN}"
    except ValueError:  # NUL bytes in the source
        return f"not valid python source: {_NOT_RUN}"
    except RecursionError:
        return f"nested too deeply to parse: {_NOT_RUN}"


def _encodable(text: str) -> str:
    """`text` as it can be written to UTF-8: lone surrogates become `?`, one for one."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _run_bandit(source: str) -> tuple[list[Any], str | None]:
    """Bandit's issues on `source`, or the reason bandit skipped it."""
    manager = _new_manager()
    # Bandit's manager reads its targets from disk, so the text goes to a private temporary
    # folder that is gone when the scan ends; nothing in the repository is read or written.
    with tempfile.TemporaryDirectory(prefix="ai-review-bandit-") as folder:
        target = Path(folder) / "head.py"
        target.write_bytes(source.encode("utf-8"))
        manager.discover_files([str(target)])
        manager.run_tests()
    skipped = manager.get_skipped()
    if skipped:
        return [], str(skipped[0][1])
    return list(manager.get_issue_list()), None


def _finding(
    path: str,
    issue: Any,
    span: Iterable[int],
    *,
    lines: Sequence[str],
    added_lines: frozenset[int],
    disabled: frozenset[str],
) -> Location | None:
    """The finding to report for a bandit issue covering the lines `span`, if any."""
    test_id: str = issue.test_id
    rule = RULE_BY_TEST.get(test_id, test_id)
    if test_id.casefold() in disabled or rule.casefold() in disabled:
        return None
    touched = sorted(added_lines.intersection(span))
    if not touched:
        return None
    line = issue.lineno if issue.lineno in added_lines else touched[0]
    if test_id == "B311" and not _SECURITY_CONTEXT.search(_line(lines, issue.lineno)):
        return None
    if rule == "hardcoded-secret" and _stand_in(issue.text):
        return None
    if test_id == "B113" and not _module_call(lines, issue):
        return None
    if rule == "hardcoded-secret":
        message = CREDENTIAL_MESSAGE
    elif rule in ADVICE:
        message = f"{issue.text.strip().rstrip('.')}: {ADVICE[rule]}"
    else:
        message = issue.text.strip()
    cwe = issue.cwe.id if issue.cwe is not None else 0
    severity = max(
        _SEVERITY.get(issue.severity, Severity.MEDIUM),
        SEVERITY_FLOOR.get(rule, Severity.LOW),
        key=lambda level: level.rank,
    )
    counted = test_id not in NOT_COUNTED_TESTS
    if test_id in _HASH_TESTS and not _SECURITY_CONTEXT.search(_statement(lines, issue, span)):
        severity, counted = Severity.LOW, False
    return Location(
        path=path,
        line=line,
        message=message,
        rule=rule,
        severity=severity,
        source=f"bandit {test_id}",
        cwe=cwe or None,
        counted=counted,
        fingerprint=_statement(lines, issue, span),
    )


def _line(lines: Sequence[str], number: int) -> str:
    return lines[number - 1] if 0 < number <= len(lines) else ""


def _stand_in(text: str) -> bool:
    """Whether a password test's quoted value is no secret: empty, None, a placeholder, or a
    name (`token_type = "Bearer"`)."""
    quoted = _QUOTED_VALUE.search(text)
    if quoted is None:
        return False
    value = quoted.group(1)
    return looks_like_placeholder(value) or looks_like_a_name(value)


def _module_call(lines: Sequence[str], issue: Any) -> bool:
    """Whether the call B113 flagged is `requests.<verb>(...)` itself, not a lookup such as
    `requests.codes.get(...)` under the same name."""
    raw = _line(lines, issue.lineno).encode("utf-8", "surrogatepass")
    start = max(0, issue.col_offset or 0)  # the AST counts UTF-8 bytes
    called = _CALL_NAME.match(raw[start:].decode("utf-8", "replace"))
    return called is None or called.group(0).count(".") <= 1


def _statement(lines: Sequence[str], issue: Any, span: Iterable[int]) -> str:
    """The lines bandit flagged, as one text (its first line alone past a few lines)."""
    numbers = sorted(span)
    if not numbers or numbers[-1] - numbers[0] >= _MAX_FINGERPRINT_LINES:
        numbers = [issue.lineno]
    return "".join(_line(lines, number) for number in range(numbers[0], numbers[-1] + 1))


# --- trimming -------------------------------------------------------------------------------


def _trim(tree: ast.Module, lines: list[str], added: list[int]) -> str:
    """The source with every statement that cannot hold a finding on an added line blanked."""
    keep = [False] * (len(lines) + 2)
    placeholders: dict[int, str] = {}
    _select(tree.body, lines, added, keep, placeholders, top_level=True)
    return _render(lines, keep, placeholders)


def _render(lines: list[str], keep: Sequence[bool], placeholders: Mapping[int, str]) -> str:
    """`lines` with those not kept left empty, so every kept line keeps its number."""
    out: list[str] = []
    for number, line in enumerate(lines, start=1):
        if number in placeholders:
            out.append(placeholders[number])
        elif keep[number] and not (number <= 2 and _CODING_COOKIE.match(line)):
            out.append(line)
        else:
            out.append("\n")
    return "".join(out)


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])


def _touches(first: int, last: int, added: list[int]) -> bool:
    index = bisect_left(added, first)
    return index < len(added) and added[index] <= last


def _mark(keep: list[bool], first: int, last: int) -> None:
    keep[first : last + 1] = [True] * (last - first + 1)


def _select(
    body: list[ast.stmt],
    lines: list[str],
    added: list[int],
    keep: list[bool],
    placeholders: dict[int, str],
    *,
    top_level: bool,
) -> bool:
    """Mark the statements of `body` to keep; whether any was kept."""
    kept = False
    for stmt in body:
        first, last = _first_line(stmt), stmt.end_lineno or stmt.lineno
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            _mark(keep, first, last)
            kept = True
        elif not _touches(first, last, added):
            if top_level and isinstance(stmt, _BLOCKS_WITH_IMPORTS) and _has_import(stmt):
                _mark(keep, first, last)
                kept = True
        elif isinstance(stmt, ast.ClassDef) and _first_line(stmt.body[0]) > stmt.lineno:
            body_first = _first_line(stmt.body[0])
            _mark(keep, first, body_first - 1)
            if not _select(stmt.body, lines, added, keep, placeholders, top_level=False):
                line = lines[body_first - 1]
                indent = line[: len(line) - len(line.lstrip())]
                placeholders[body_first] = f"{indent}pass\n"
            kept = True
        else:
            _mark(keep, first, last)
            kept = True
    return kept


def _signatures(tree: ast.Module) -> dict[int, range]:
    """The lines of each function's signature (decorators to the colon), by its `def` line."""
    spans: dict[int, range] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body_first = _first_line(node.body[0])
            last = body_first - 1 if body_first > node.lineno else node.lineno
            spans[node.lineno] = range(_first_line(node), last + 1)
    return spans


def _has_import(stmt: ast.stmt) -> bool:
    return any(isinstance(node, ast.Import | ast.ImportFrom) for node in ast.walk(stmt))
