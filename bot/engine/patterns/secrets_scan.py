"""Secrets in added lines of any file, found by detect-secrets' regex plugins.

Only the plugins that recognise a credential by its shape are used (AWS, GitHub, Stripe, private
keys, ...). The entropy plugins and the keyword plugin are left out: on diffs they mostly flag
hashes, ids and test fixtures. Plugins are called through `analyze_string`, which is pure regex
work: `analyze_line` would consult detect-secrets' process-wide settings and may verify a
secret over the network.

detect-secrets runs its patterns with Python's `re`, some of them with look-around, and calling
~20 plugins on every line is far too slow for large diffs. So every plugin's patterns also go,
look-around removed, into one RE2 set: removing a look-around only widens what a pattern
matches, so a line the set does not match cannot hold a secret for that plugin, and only the
plugins the set names run on the line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from detect_secrets.filters.allowlist import is_line_allowlisted
from detect_secrets.filters.heuristic import (
    is_lock_file,
    is_not_alphanumeric_string,
    is_potential_uuid,
    is_prefixed_with_dollar_sign,
    is_sequential_string,
    is_templated_secret,
)
from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.cloudant import CloudantDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.ibm_cloud_iam import IbmCloudIamDetector
from detect_secrets.plugins.ibm_cos_hmac import IbmCosHmacDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.softlayer import SoftlayerDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector
from detect_secrets.util.code_snippet import CodeSnippet

from bot.config.levels import Severity
from bot.config.regex import Matcher, RegexError, compile_pattern
from bot.engine.carried import MIN_FINGERPRINT, normalize
from bot.engine.patterns.placeholders import basic_auth_placeholders, looks_like_placeholder
from bot.engine.patterns.regex_set import PatternSet
from bot.engine.result import Location

RULE_ID = "hardcoded-secret"
DISABLE_ALL = "secrets"
CWE_HARDCODED_CREDENTIALS = 798

# IPPublicDetector is left out too: a public IP address is not a credential.
DETECTORS: tuple[type[RegexBasedDetector], ...] = (
    ArtifactoryDetector,
    AWSKeyDetector,
    AzureStorageKeyDetector,
    BasicAuthDetector,
    CloudantDetector,
    DiscordBotTokenDetector,
    GitHubTokenDetector,
    GitLabTokenDetector,
    IbmCloudIamDetector,
    IbmCosHmacDetector,
    JwtTokenDetector,
    MailchimpDetector,
    NpmDetector,
    OpenAIDetector,
    PrivateKeyDetector,
    PypiTokenDetector,
    SendGridDetector,
    SlackDetector,
    SoftlayerDetector,
    SquareOAuthDetector,
    StripeDetector,
    TelegramBotTokenDetector,
    TwilioKeyDetector,
)

# detect-secrets' default heuristics for a value that only looks like a secret: `<password>`,
# `${TOKEN}`, `{key}`, `$VAR`, UUIDs, runs such as `ABCDEF...`, and values with no letter or
# digit. Ours (placeholders.py: documented examples, words, runs inside a token's shape) then
# read the whole match, since some plugins yield only a captured part (`ghp` of a token).
_PLACEHOLDER_FILTERS: tuple[Callable[[str], bool], ...] = (
    is_templated_secret,
    is_prefixed_with_dollar_sign,
    is_potential_uuid,
    is_sequential_string,
    is_not_alphanumeric_string,
)

# Past this length a line is judged by RE2 alone: detect-secrets' own patterns use Python's
# backtracking engine, whose time on a crafted long line is not bounded.
MAX_CONFIRMED_LINE = 4096

# `(?=`, `(?!`, `(?<=`, `(?<!`: the openings of look-around groups, which RE2 does not have.
_LOOKAROUND = re.compile(r"\(\?<?[=!]")
_RE2_FLAGS = ((re.IGNORECASE, "i"), (re.DOTALL, "s"), (re.MULTILINE, "m"))
_LONG_REPEAT = re.compile(r"(?<!\\)\{(\d+),\d{4,}\}")


@dataclass(frozen=True, slots=True)
class _Detector:
    name: str
    plugin: RegexBasedDetector
    message: str
    outside_production_message: str


@dataclass(frozen=True, slots=True)
class _Scanner:
    detectors: tuple[_Detector, ...]
    # Every denylist pattern of every detector: the RE2 set of them, each one's own RE2 matcher
    # (None where RE2 cannot express it), and the detector it belongs to.
    patterns: PatternSet
    matchers: tuple[Matcher | None, ...]
    detector_of_pattern: tuple[int, ...]

    def detectors_on(self, line: str) -> list[tuple[_Detector, str]]:
        """The detectors that find a secret on this line, each with the first value it found."""
        if len(line) > MAX_CONFIRMED_LINE:
            return self._by_re2_alone(line)
        if line.isascii():
            patterns = self.patterns.candidates(line)
            if not patterns:
                return []
            candidates: Sequence[int] = sorted({self.detector_of_pattern[i] for i in patterns})
        else:
            # RE2's \w, \d and \s are ASCII-only where Python's are Unicode: no shortcut here.
            candidates = range(len(self.detectors))
        found: list[tuple[_Detector, str]] = []
        for index in candidates:
            detector = self.detectors[index]
            if not any(map(_real_secret, detector.plugin.analyze_string(line))):
                continue
            if detector.name == "BasicAuthDetector" and basic_auth_placeholders(line):
                continue
            matches = (
                m.group(0) for regex in detector.plugin.denylist for m in regex.finditer(line)
            )
            value = next((m for m in matches if not looks_like_placeholder(m)), None)
            if value is not None:
                found.append((detector, value))
        return found

    def _by_re2_alone(self, line: str) -> list[tuple[_Detector, str]]:
        found: dict[int, str] = {}
        for i in self.patterns.candidates(line):
            matcher = self.matchers[i]
            match = matcher.search(line) if matcher is not None else None
            value = line[match.start() : match.end()] if match is not None else None
            if value is not None and not looks_like_placeholder(value):
                found.setdefault(self.detector_of_pattern[i], value)
        return [(self.detectors[index], value) for index, value in sorted(found.items())]


def _real_secret(value: str) -> bool:
    """False for values detect-secrets' own heuristics take for placeholders or sequences."""
    return not any(looks_fake(value) for looks_fake in _PLACEHOLDER_FILTERS)


def _without_lookaround(pattern: str) -> str:
    """`pattern` with every look-around group removed (so matching a superset of it)."""
    out: list[str] = []
    index = 0
    while (found := _LOOKAROUND.search(pattern, index)) is not None:
        start = found.start()
        if _escaped(pattern, start):
            out.append(pattern[index : found.end()])
            index = found.end()
            continue
        out.append(pattern[index:start])
        index = _group_end(pattern, found.end())
    out.append(pattern[index:])
    return "".join(out)


def _escaped(pattern: str, position: int) -> bool:
    backslashes = 0
    while position - backslashes - 1 >= 0 and pattern[position - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _group_end(pattern: str, index: int) -> int:
    """The index just past the `)` closing the group whose body starts at `index`."""
    depth = 1
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    return index


def _as_re2(compiled: re.Pattern[str]) -> str | None:
    """An RE2 pattern matching at least what `compiled` matches on ASCII text, or None."""
    # RE2 refuses repetition counts over 1000; dropping the upper bound only widens the match.
    pattern = _LONG_REPEAT.sub(r"{\1,}", _without_lookaround(compiled.pattern))
    if compiled.flags & re.VERBOSE and re.search(r"[\s#]", pattern):
        return None
    flags = "".join(letter for flag, letter in _RE2_FLAGS if compiled.flags & flag)
    return f"(?{flags}){pattern}" if flags else pattern


def _message(secret_type: str) -> str:
    return (
        f"Possible {secret_type} in added code: remove it, rotate it, and load it from the "
        "environment or a secret store"
    )


def _outside_production_message(secret_type: str) -> str:
    return (
        f"Possible {secret_type} in a test, doc or example: if it is a real one, revoke it; "
        "else make the value an obvious fake (EXAMPLE, xxxx, a run like 1234567890)"
    )


def _re2_matcher(pattern: str | None) -> Matcher | None:
    if pattern is None:
        return None
    try:
        return compile_pattern(pattern, ignore_case=False)
    except RegexError:
        return None


@cache
def _scanner() -> _Scanner:
    detectors: list[_Detector] = []
    patterns: list[str | None] = []
    detector_of_pattern: list[int] = []
    for index, plugin_class in enumerate(DETECTORS):
        plugin = plugin_class()
        detectors.append(
            _Detector(
                plugin_class.__name__,
                plugin,
                _message(plugin.secret_type),
                _outside_production_message(plugin.secret_type),
            )
        )
        for compiled in plugin.denylist:
            patterns.append(_as_re2(compiled))
            detector_of_pattern.append(index)
    return _Scanner(
        tuple(detectors),
        PatternSet(patterns, case_sensitive=True),
        tuple(_re2_matcher(pattern) for pattern in patterns),
        tuple(detector_of_pattern),
    )


def scan_secrets(
    path: str,
    lines: Sequence[tuple[int, str]],
    previous_line: Callable[[int], str],
    disabled: frozenset[str],
    *,
    production: bool = True,
) -> list[Location]:
    """One finding per (line, detector) for secrets in added lines, without the secret itself.

    `disabled` (casefolded) may hold `secrets` or `hardcoded-secret` (every detector) or a
    detector's class name (`awskeydetector`). As detect-secrets does, lock files are left out,
    and so is a line carrying its allowlist pragma or following a `pragma: allowlist nextline
    secret` line, and a value its heuristics or ours take for a placeholder. Outside production
    code (`production` False: tests, docs, examples) a finding is low and not counted, with a
    message for that place.
    """
    if DISABLE_ALL in disabled or RULE_ID in disabled or is_lock_file(path):
        return []
    scanner = _scanner()
    findings: list[Location] = []
    for number, text in lines:
        found = [(d, v) for d, v in scanner.detectors_on(text) if d.name.casefold() not in disabled]
        if not found:
            continue
        context = CodeSnippet([previous_line(number), text], start_line=number - 1, target_index=1)
        if is_line_allowlisted(path, text, context):
            continue
        findings.extend(
            Location(
                path=path,
                line=number,
                message=detector.message if production else detector.outside_production_message,
                rule=RULE_ID,
                severity=Severity.HIGH if production else Severity.LOW,
                source=f"detect-secrets {detector.name}",
                cwe=CWE_HARDCODED_CREDENTIALS,
                counted=production,
                # The value, when long enough to be recognised elsewhere; else its whole line.
                fingerprint=value if len(normalize(value)) >= MIN_FINGERPRINT else text,
            )
            for detector, value in found
        )
    return findings
