"""The `ai-review-bot` command line.

Exit codes (CONTRACT.md): 0 success; 1 a finding the user asked to fail on, or an invalid
config; 2 a usage error or an input that cannot be read, said in one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from bot.config.levels import Level

if TYPE_CHECKING:
    from bot.local.parallel import FilePool

from bot.config import CHECKLISTS_DIR, CONFIG_PATH

EXIT_OK, EXIT_FINDING, EXIT_USAGE = 0, 1, 2
OUTPUT_FORMATS = ("text", "markdown", "json", "sarif", "github")


class UsageError(Exception):
    """Bad arguments or unreadable input: one line on stderr, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ai-review-bot",
        description="Architect-led review for AI-assisted pull requests.",
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    analyze = commands.add_parser(
        "analyze", help="analyze a local git range exactly as the App analyzes a pull request"
    )
    analyze.add_argument("--repo", default=".", help="the git repository (default: .)")
    analyze.add_argument(
        "--base",
        help="the branch the change goes into; the change starts at its merge-base with head, "
        "as a pull request's diff does (default: $GITHUB_BASE_REF or "
        "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME in CI, else origin/HEAD, main, master)",
    )
    analyze.add_argument(
        "--head",
        help="head ref (default: HEAD); a branch's name counts for detection, as a pull "
        "request's head branch does ($GITHUB_HEAD_REF or $CI_MERGE_REQUEST_SOURCE_BRANCH_NAME "
        "when the head is a commit)",
    )
    analyze.add_argument(
        "--staged",
        action="store_true",
        help="analyze what `git commit` would record now: the index on top of HEAD",
    )
    analyze.add_argument(
        "--allow-empty",
        action="store_true",
        help="report an empty change instead of exiting 2",
    )
    analyze.add_argument(
        "--config",
        help=f"config file (default: {CONFIG_PATH} at the base branch, else built-ins)",
    )
    analyze.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        default="text",
        dest="output_format",
        help="text (a terminal), markdown (the App's comment), json, sarif (code scanning), "
        "github (workflow annotations and the job summary)",
    )
    analyze.add_argument(
        "--sarif-file",
        metavar="FILE",
        help="also write the SARIF report to FILE, whatever --format prints",
    )
    analyze.add_argument(
        "--fail-on",
        choices=[level.value for level in Level],
        help="exit 1 when the risk level is at least this",
    )

    check = commands.add_parser(
        "check-config",
        help="validate a repo config file, the checklist files beside it, and what its "
        "CODEOWNERS owners resolve to",
    )
    check.add_argument("file", nargs="?", default=CONFIG_PATH)
    check.add_argument(
        "--repo",
        default=".",
        help=f"the checkout whose {CHECKLISTS_DIR}/*.yml and CODEOWNERS are read (default: .)",
    )

    commands.add_parser("schema", help="print the JSON Schema of the repo config")

    preview = commands.add_parser(
        "preview",
        help="show what the App would post on a pull request, with a local config (reads only)",
    )
    preview.add_argument(
        "pull_request",
        metavar="PR",
        help="https://github.com/OWNER/REPO/pull/N (or a GitHub Enterprise URL), or OWNER/REPO#N",
    )
    preview.add_argument(
        "--config", help=f"config file (default: {CONFIG_PATH} on the pull request's base branch)"
    )
    preview.add_argument(
        "--diff-config",
        metavar="OTHER",
        help="compare with this config: what changes for the pull request",
    )
    preview.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text", dest="output_format"
    )

    serve = commands.add_parser("serve", help="run the GitHub App webhook server")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")  # noqa: S104
    serve.add_argument("--port", type=int, help="port (default: $PORT, else 3000)")

    worker = commands.add_parser(
        "worker", help="run queued jobs from Redis (REDIS_URL); run as many as you need"
    )
    worker.add_argument(
        "--concurrency", type=_positive, default=4, help="pull requests at once (default: 4)"
    )
    worker.add_argument(
        "--port", type=int, help="serve /healthz, /readyz and /metrics on this port"
    )
    worker.add_argument(
        "--lock-seconds",
        type=_positive,
        default=30,
        help="how long a pull request whose worker died waits for another (default: 30)",
    )
    worker.add_argument(
        "--shutdown-seconds",
        type=_positive,
        default=25,
        help="on SIGTERM, time jobs in flight get to finish before they are handed back "
        "(default: 25)",
    )

    register = commands.add_parser(
        "register",
        help="register the GitHub App from app.yml (GitHub's manifest flow) and write its "
        "settings to an env file",
    )
    register.add_argument(
        "--org", help="the organization to own the App (default: your personal account)"
    )
    register.add_argument(
        "--url",
        required=True,
        help="https:// address where the server will run; GitHub sends webhooks to URL/webhook",
    )
    register.add_argument(
        "--github-url",
        default="https://github.com",
        help="GitHub's address (GitHub Enterprise Server: https://HOST; the API is then "
        "HOST/api/v3 unless GITHUB_API_URL says otherwise)",
    )
    register.add_argument(
        "--output", default="ai-review.env", help="env file to write (default: ai-review.env)"
    )
    register.add_argument("--force", action="store_true", help="replace --output if it exists")
    register.add_argument(
        "--port", type=int, default=0, help="local port GitHub sends you back to (default: any)"
    )
    register.add_argument(
        "--timeout",
        type=_positive,
        default=900,
        help="seconds to wait for GitHub to send you back (default: 900)",
    )
    register.add_argument("--no-browser", action="store_true", help="only print the page's address")
    return parser


class _VersionAction(argparse.Action):
    """`--version`, looked up only when asked for (reading package metadata costs start-up)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help=str(kwargs.get("help", "")))

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        print(f"{parser.prog} {package_version()}")
        raise SystemExit(EXIT_OK)


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ai-review-bot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def use_colour(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Colour on a terminal; NO_COLOR (no-color.org) turns it off, FORCE_COLOR on, in
    CPython's order: NO_COLOR wins. TERM=dumb is no colour either."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    return env.get("TERM") != "dumb" and stream.isatty()


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {text!r}")
    return int(text)


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _check_config(file: str, repo: str) -> int:
    from bot.local.check import check

    report = check(_read_file(file), file, Path(repo))
    for error in report.errors:
        print(error.render())
    if not report.valid:
        count = sum(len(error.issues) for error in report.errors)
        sources = list(dict.fromkeys(error.source for error in report.errors))
        where = f"{file}:" if sources == [file] else f"in {', '.join(sources)}:"
        print(f"{where} {count} error(s); the config is rejected whole.")
        return EXIT_FINDING
    print(f"{file}: valid")
    for line in report.explained:
        print(line)
    for warning in report.warnings:
        print(f"warning: {warning}")
    return EXIT_OK


def _schema() -> int:
    from bot.config.schema import config_schema

    print(json.dumps(config_schema(), indent=2))
    return EXIT_OK


def _analyze(args: argparse.Namespace) -> int:
    import bot.local.analysis  # noqa: F401  (workers forked below inherit these modules)
    from bot.local.parallel import FilePool
    from bot.local.progress import ProgressLine

    progress = ProgressLine(sys.stderr) if sys.stderr.isatty() else None
    # Workers import the analyzers while this process reads git and the config.
    with FilePool(progress=progress) as pool:
        try:
            return _analyze_with(args, pool)
        finally:
            if progress is not None:
                progress.clear()


def _analyze_with(args: argparse.Namespace, pool: FilePool) -> int:
    from bot.config.issues import ConfigError
    from bot.local.analysis import LocalAnalysis
    from bot.local.git import GitError

    try:
        local = LocalAnalysis.open(
            args.repo,
            base=args.base,
            head=args.head,
            staged=args.staged,
            allow_empty=args.allow_empty,
        )
        config_text = _read_file(args.config) if args.config else None
        result = local.run(config_text=config_text, config_source=args.config, pool=pool)
    except GitError as exc:
        raise UsageError(str(exc)) from None
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        print("the config is invalid: nothing was analyzed", file=sys.stderr)
        return EXIT_FINDING

    from bot.local.report import Outputs, write_report

    fail_on = Level(args.fail_on) if args.fail_on else None
    outputs = Outputs(
        output_format=args.output_format,
        colour=use_colour(sys.stdout),
        fail_on=fail_on,
        version=package_version(),
        sarif_file=args.sarif_file,
    )
    try:
        write_report(result, outputs, sys.stdout, os.environ)
    except OSError as exc:
        raise UsageError(
            f"cannot write {exc.filename or 'the report'}: {exc.strerror or exc}"
        ) from None
    if fail_on is not None and result.analysis.risk.level >= fail_on:
        return EXIT_FINDING
    return EXIT_OK


def _preview(args: argparse.Namespace) -> int:
    from bot.preview import PreviewError, run_preview

    try:
        return run_preview(
            args.pull_request,
            config=args.config,
            diff_config=args.diff_config,
            output_format=args.output_format,
            write=sys.stdout.write,
        )
    except PreviewError as exc:
        raise UsageError(str(exc)) from None


def _require_app_extra() -> None:
    """`serve` and `worker` need the server stack, which `pip install ai-review-bot` leaves out."""
    import importlib.util

    missing = [
        module
        for module in ("aiohttp", "gidgethub", "arq", "redis", "prometheus_client", "jwt")
        if importlib.util.find_spec(module) is None
    ]
    if missing:
        raise UsageError(
            f"the App's server needs {', '.join(missing)}: install the app extra, "
            "pip install 'ai-review-bot[app]' (or requirements/app.txt)"
        )


def _serve(args: argparse.Namespace) -> int:
    _require_app_extra()
    from bot import logs
    from bot.app.server import StartError, run_server
    from bot.queue.sqlite_database import DatabaseError
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    from redis.exceptions import RedisError

    logs.configure()
    try:
        run_server(settings, args.host, args.port or settings.port)
    except (StartError, DatabaseError) as exc:
        raise UsageError(str(exc)) from None
    except (RedisError, OSError) as exc:  # Redis not answering, a database that cannot open
        raise UsageError(f"cannot start the server: {exc}") from None
    return EXIT_OK


def _worker(args: argparse.Namespace) -> int:
    _require_app_extra()
    import asyncio

    from bot import logs
    from bot.app.worker import WorkerOptions, run_worker
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings(worker=True)
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    logs.configure()
    options = WorkerOptions(
        concurrency=args.concurrency,
        lock_seconds=float(args.lock_seconds),
        shutdown_seconds=args.shutdown_seconds,
        port=args.port,
    )
    from redis.exceptions import RedisError

    try:
        asyncio.run(run_worker(settings, options))
    except (RedisError, OSError) as exc:
        raise UsageError(f"cannot reach Redis at REDIS_URL: {exc}") from None
    return EXIT_OK


def _register(args: argparse.Namespace) -> int:
    _require_app_extra()
    from bot.app.register import RegisterError, run

    try:
        return run(args)
    except RegisterError as exc:
        raise UsageError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "check-config":
            return _check_config(args.file, args.repo)
        if args.command == "preview":
            return _preview(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "worker":
            return _worker(args)
        if args.command == "register":
            return _register(args)
        return _schema()
    except UsageError as exc:
        print(f"ai-review-bot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
