"""GitHub's OpenAPI description of its REST API, and checking one exchange against it.

A request is checked by openapi-core: its path and method must be an operation GitHub
describes; path, query and header parameters must fit their schemas; a JSON body must validate
against the operation's request schema (OpenAPI 3.0: `nullable` and `readOnly` honoured). A
query parameter the operation does not declare is a mismatch too (OpenAPI allows extra ones and
GitHub ignores them, so a misspelt `per_page` would go unnoticed).

An answer must have a status the operation describes, with a JSON body valid for its schema.
Answers are checked by openapi-schema-validator (the OAS 3.0 dialect of jsonschema, which
openapi-core itself uses) with one compiled validator per operation and status, kept for the
session: openapi-core resolves every `$ref` anew on each value, which costs seconds on a page
of 100 files. Every endpoint can answer 401, 403 (rate limits, missing permissions) and other
errors that its description omits; an error status the operation does not list is checked
against GitHub's generic error body (`basic-error`).

Looking paths up is the other costly part of openapi-core on GitHub's 800 paths, so `PathIndex`
replaces its path finder with one compiled lookup per description.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import validators  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError, best_match  # type: ignore[import-untyped]
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.templating.datatypes import TemplateResult
from openapi_core.templating.paths.datatypes import Path as SpecPath
from openapi_core.templating.paths.finders import APICallPathFinder
from openapi_core.testing import MockRequest
from openapi_schema_validator import OAS30ReadValidator
from referencing import Registry
from referencing.jsonschema import DRAFT4

Validator = Any
"""A compiled jsonschema validator (openapi-schema-validator's OAS 3.0 read validator)."""


def _null_allowed(keyword: Any) -> Any:
    """`keyword`, except that null passes where the schema object says `nullable: true`.

    GitHub's description puts `nullable: true` beside `oneOf`, `anyOf`, `allOf` and `enum` (a
    commit's `author` without an account, a check run's `conclusion`), and its API answers null
    there. OpenAPI 3.0.3's clarification gives `nullable` effect only beside `type`, which
    openapi-schema-validator follows; GitHub's reading is that null is allowed, and so it is here.
    """

    def check(
        validator: Validator, value: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        if instance is None and schema.get("nullable") is True:
            return
        yield from keyword(validator, value, instance, schema)

    return check


AnswerValidator = validators.extend(
    OAS30ReadValidator,
    {
        name: _null_allowed(OAS30ReadValidator.VALIDATORS[name])
        for name in ("enum", "oneOf", "anyOf", "allOf")
    },
)

SPEC_URI = "urn:github:rest-api-description"
API_ROOT = "https://api.github.com"
"""Every description is served from here, so a request is matched on its API path alone."""
_VARIABLE = re.compile(r"\{([^{}]+)\}")
_JSON = re.compile(r"^application/(?:[\w.+-]+\+)?json\b")


@dataclass(frozen=True, slots=True)
class Match:
    template: str
    variables: dict[str, str]


class PathIndex:
    """Path templates compiled once, grouped by their number of segments.

    A `{variable}` matches one path segment, or several for a parameter GitHub marks
    `x-multi-segment` (a ref in /commits/{ref}, a file path in /contents/{path}).
    """

    def __init__(self, paths: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
        self._fixed: dict[int, list[tuple[re.Pattern[str], str]]] = defaultdict(list)
        self._multi: list[tuple[re.Pattern[str], str]] = []
        self._multi_templates: set[str] = set()
        for template, item in paths.items():
            multi = _multi_segment_names(item, parameters)
            entry = (_compile(template, multi), template)
            if multi:
                self._multi.append(entry)
                self._multi_templates.add(template)
            else:
                self._fixed[template.count("/")].append(entry)

    def match(self, path: str) -> list[Match]:
        """The templates `path` fits, most concrete first: without a multi-segment variable
        before with one, then the most literal text (/commits/{ref}/check-runs before
        /commits/{ref}, /pulls/comments before /pulls/{pull_number})."""
        candidates = [*self._fixed.get(path.count("/"), ()), *self._multi]
        found = [
            Match(template, dict(zip(_VARIABLE.findall(template), matched.groups(), strict=True)))
            for pattern, template in candidates
            if (matched := pattern.fullmatch(path)) is not None
        ]
        return sorted(found, key=lambda m: (m.template in self._multi_templates, -_literal(m)))

    def finder(self) -> type[APICallPathFinder]:
        """An openapi-core path finder class that looks paths up here."""

        class IndexedPathFinder(APICallPathFinder):
            paths_iterator = _IndexedPaths(self)

        return IndexedPathFinder


class _IndexedPaths:
    """openapi-core's paths iterator protocol over a PathIndex."""

    def __init__(self, index: PathIndex) -> None:
        self._index = index

    def __call__(
        self, name: str, spec: SchemaPath, base_url: str | None = None
    ) -> Iterator[SpecPath]:
        for match in self._index.match(urlsplit(name).path):
            result = TemplateResult(match.template, match.variables)
            yield SpecPath(spec / "paths" / match.template, result)


def _literal(match: Match) -> int:
    """How much of the template is literal text rather than variables."""
    return len(_VARIABLE.sub("", match.template))


def _multi_segment_names(item: Mapping[str, Any], parameters: Mapping[str, Any]) -> set[str]:
    declared = [*item.get("parameters", [])]
    for method, operation in item.items():
        if method != "parameters" and isinstance(operation, dict):
            declared.extend(operation.get("parameters", []))
    names = set()
    for parameter in declared:
        resolved = _resolve(parameter, parameters)
        if resolved.get("in") == "path" and resolved.get("x-multi-segment"):
            names.add(str(resolved["name"]))
    return names


def _resolve(parameter: Mapping[str, Any], parameters: Mapping[str, Any]) -> Mapping[str, Any]:
    reference = parameter.get("$ref")
    if isinstance(reference, str):
        found: Mapping[str, Any] = parameters[reference.rpartition("/")[2]]
        return found
    return parameter


def _compile(template: str, multi_segment: set[str]) -> re.Pattern[str]:
    pattern, position = "", 0
    for variable in _VARIABLE.finditer(template):
        pattern += re.escape(template[position : variable.start()])
        pattern += "(.+)" if variable.group(1) in multi_segment else "([^/]+)"
        position = variable.end()
    return re.compile(pattern + re.escape(template[position:]))


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request to the API and, once answered, its answer."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    status: int | None = None
    response_headers: Mapping[str, str] | None = None
    response_body: bytes = b""
    from_bot: bool = False
    """Sent by the bot (counted apart in the session's figures)."""

    def request(self) -> MockRequest:
        return MockRequest(
            API_ROOT,
            self.method,
            self.path,
            args=dict(self.query),
            headers=dict(self.headers),
            data=self.body or None,
            content_type=_header(self.headers, "content-type") or "application/json",
        )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


@dataclass(frozen=True, slots=True)
class Verdict:
    operation: str | None
    """GitHub's operationId (`checks/create`), None when no operation has this path and method."""
    problems: tuple[str, ...]


class RestDescription:
    """One OpenAPI description of GitHub's REST API, loaded once and asked many times."""

    def __init__(self, raw: dict[str, Any], source: str) -> None:
        self.source = source
        self.version = str(raw["info"]["version"])
        raw = {**raw, "servers": [{"url": API_ROOT}]}
        components = raw["components"]
        self._paths: Mapping[str, Any] = raw["paths"]
        self._parameters: Mapping[str, Any] = components["parameters"]
        self._index = PathIndex(self._paths, self._parameters)
        config = Config(spec_validator_cls=None, path_finder_cls=self._index.finder())
        self._api = OpenAPI.from_dict(raw, config=config)
        self._responses: Mapping[str, Any] = components["responses"]
        self._registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT4.create_resource(raw)
        )
        self._error = self._validator("components", "schemas", "basic-error")
        self._header_parameters = any(
            _resolve(parameter, self._parameters).get("in") in ("header", "cookie")
            for item in self._paths.values()
            for operation in (item, *(o for o in item.values() if isinstance(o, dict)))
            for parameter in operation.get("parameters", [])
        )
        """Whether any operation takes header parameters (GitHub's take none): only then can a
        request's headers change its verdict."""
        self._verdicts: dict[tuple[Any, ...], Verdict] = {}
        self.seconds = 0.0
        """Time spent checking, over the whole test session."""
        self.requests: Counter[str] = Counter()
        """operationId -> requests checked, over the whole test session."""
        self.bot_requests: Counter[str] = Counter()
        """The same, of the requests the bot sent."""
        self.responses: Counter[str] = Counter()

    def operation(self, method: str, path: str) -> str | None:
        """GitHub's operationId for this method and path, if it describes one."""
        found = self._operation(method, path)
        return None if found is None else str(found[1]["operationId"])

    def check_request(self, exchange: Exchange) -> Verdict:
        started = time.perf_counter()
        try:
            return self._check_request(exchange)
        finally:
            self.seconds += time.perf_counter() - started

    def check_response(self, exchange: Exchange) -> Verdict:
        """The answer to a request that `check_request` found valid."""
        started = time.perf_counter()
        try:
            return self._check_response(exchange)
        finally:
            self.seconds += time.perf_counter() - started

    def _check_request(self, exchange: Exchange) -> Verdict:
        operation = self.operation(exchange.method, exchange.path)
        if operation is None:
            problem = f"{exchange.method} {exchange.path}: GitHub describes no such operation"
            return Verdict(None, (problem,))
        self.requests[operation] += 1
        if exchange.from_bot:
            self.bot_requests[operation] += 1
        # The same request again (GET /app, a pull request's files) has the same verdict, and
        # openapi-core takes milliseconds per parameter: its verdicts are kept by request.
        key = (
            exchange.method,
            exchange.path,
            tuple(sorted(exchange.query.items())),
            _header(exchange.headers, "content-type"),
            exchange.body,
            tuple(sorted(exchange.headers.items())) if self._header_parameters else (),
        )
        if key not in self._verdicts:
            self._verdicts[key] = Verdict(operation, self._request_problems(exchange, operation))
        return self._verdicts[key]

    def _request_problems(self, exchange: Exchange, operation: str) -> tuple[str, ...]:
        problems = [_describe(error) for error in self._api.iter_request_errors(exchange.request())]
        declared = self._query_names(exchange.method, exchange.path)
        problems += [
            f"query parameter {name!r} is not one GitHub describes for {operation}"
            for name in sorted(exchange.query)
            if name not in declared
        ]
        return tuple(problems)

    def _check_response(self, exchange: Exchange) -> Verdict:
        found = self._operation(exchange.method, exchange.path)
        if found is None or exchange.status is None:
            return Verdict(None, ())
        template, operation = found
        operation_id = str(operation["operationId"])
        self.responses[operation_id] += 1
        content_type = _header(exchange.response_headers or {}, "content-type") or ""
        if exchange.status in (204, 304) or not _JSON.match(content_type):
            # Diffs, patches and raw files: GitHub's description gives them no schema.
            return Verdict(operation_id, ())
        try:
            body = json.loads(exchange.response_body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return Verdict(operation_id, (f"{exchange.status}: the body is not JSON",))
        validator = self._response_validator(exchange.method.lower(), template, exchange.status)
        if validator is None:
            if exchange.status < 400:
                problem = f"GitHub describes no {exchange.status} answer for {operation_id}"
                return Verdict(operation_id, (problem,))
            validator = self._error
        return Verdict(operation_id, tuple(_schema_problems(validator, body)))

    def _operation(self, method: str, path: str) -> tuple[str, Mapping[str, Any]] | None:
        for match in self._index.match(path):
            operation = self._paths[match.template].get(method.lower())
            if operation is not None:
                return match.template, operation
        return None

    @functools.cache  # noqa: B019 - one per description, kept for the session
    def _response_validator(self, method: str, template: str, status: int) -> Validator | None:
        """A compiled validator of the JSON body GitHub describes for this answer, or None."""
        responses = self._paths[template][method]["responses"]
        key = str(status) if str(status) in responses else "default"
        if key not in responses:
            return None
        pointer: tuple[str, ...] = ("paths", template, method, "responses", key)
        response = responses[key]
        reference = response.get("$ref")
        if isinstance(reference, str):
            pointer = tuple(reference.removeprefix("#/").split("/"))
            response = self._responses[pointer[-1]]
        media = next((m for m in response.get("content", {}) if _JSON.match(m)), None)
        if media is None:
            return None
        return self._validator(*pointer, "content", media, "schema")

    def _validator(self, *pointer: str) -> Validator:
        escaped = "/".join(p.replace("~", "~0").replace("/", "~1") for p in pointer)
        return AnswerValidator({"$ref": f"{SPEC_URI}#/{escaped}"}, registry=self._registry)

    def _query_names(self, method: str, path: str) -> set[str]:
        for match in self._index.match(path):
            item = self._paths[match.template]
            operation = item.get(method.lower())
            if operation is not None:
                declared = [*item.get("parameters", []), *operation.get("parameters", [])]
                resolved = (_resolve(p, self._parameters) for p in declared)
                return {str(p["name"]) for p in resolved if p.get("in") == "query"}
        return set()


def _schema_problems(validator: Validator, body: Any) -> list[str]:
    """Each error where it is; for `anyOf`/`oneOf`, the alternative that came closest."""
    problems = []
    for error in sorted(validator.iter_errors(body), key=lambda e: e.json_path):
        closest = best_match(error.context) if error.context else error
        problems.append(f"{closest.json_path}: {_shorten(closest.message)}")
    return problems


def _describe(error: BaseException) -> str:
    """openapi-core's message; for a schema mismatch, each JSON Schema error and where it is."""
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None:
        chain.append(cause)
        cause = cause.__cause__
    details = [
        f"{getattr(e, 'json_path', '$')}: {_shorten(str(getattr(e, 'message', e)))}"
        for link in chain
        for e in getattr(link, "schema_errors", None) or ()
    ]
    if details:
        return f"{error}".split(":", 1)[0] + ": " + "; ".join(details)
    return "; ".join(dict.fromkeys(_shorten(str(link)) for link in chain))


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


LOADED: dict[Path, RestDescription] = {}
"""The descriptions loaded in this test session, by file."""


def load(path: Path) -> RestDescription:
    """The description in `path`, loaded once per test session."""
    if path not in LOADED:
        started = time.perf_counter()
        description = RestDescription(json.loads(path.read_text(encoding="utf-8")), path.name)
        description.seconds += time.perf_counter() - started
        LOADED[path] = description
    return LOADED[path]
