"""The `ai-review-bot` command line.

Exit codes (CONTRACT.md): 0 success; 1 a finding the user asked to fail on, or an invalid
config; 2 a usage error or an input that cannot be read, said in one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from bot.config.levels import Level

if TYPE_CHECKING:
    from bot.local.parallel import FilePool

from bot.config import CONFIG_PATH

EXIT_OK, EXIT_FINDING, EXIT_USAGE = 0, 1, 2


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
    analyze.add_argument("--base", help="base ref (default: merge-base with the default branch)")
    analyze.add_argument(
        "--head",
        default="HEAD",
        help="head ref (default: HEAD); a branch's name counts for detection, as a pull "
        "request's head branch does",
    )
    analyze.add_argument(
        "--config", help=f"config file (default: {CONFIG_PATH} at the base ref, else built-ins)"
    )
    analyze.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text", dest="output_format"
    )
    analyze.add_argument(
        "--fail-on",
        choices=[level.value for level in Level],
        help="exit 1 when the risk level is at least this",
    )

    check = commands.add_parser("check-config", help="validate a repo config file")
    check.add_argument("file", nargs="?", default=CONFIG_PATH)

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
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("ai-review-bot")
        except PackageNotFoundError:  # run from a checkout that was never installed
            found = "unknown (not installed)"
        print(f"{parser.prog} {found}")
        raise SystemExit(EXIT_OK)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, got {text!r}")
    return int(text)


def _read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def _check_config(file: str) -> int:
    from bot.config.issues import ConfigError
    from bot.config.load import load_repo_config

    try:
        load_repo_config(_read_file(file), file)
    except ConfigError as exc:
        print(exc.render(), file=sys.stdout)
        print(f"{file}: {len(exc.issues)} error(s); the config is rejected whole.")
        return EXIT_FINDING
    print(f"{file}: valid")
    return EXIT_OK


def _schema() -> int:
    from bot.config.schema import config_schema

    print(json.dumps(config_schema(), indent=2))
    return EXIT_OK


def _analyze(args: argparse.Namespace) -> int:
    import bot.local.analysis  # noqa: F401  (workers forked below inherit these modules)
    from bot.local.parallel import FilePool

    # Workers import the analyzers while this process reads git and the config.
    with FilePool() as pool:
        return _analyze_with(args, pool)


def _analyze_with(args: argparse.Namespace, pool: FilePool) -> int:
    from bot.config.issues import ConfigError
    from bot.local.analysis import LocalAnalysis
    from bot.local.git import GitError

    try:
        local = LocalAnalysis.open(args.repo, base=args.base, head=args.head)
        config_text = _read_file(args.config) if args.config else None
        result = local.run(config_text=config_text, config_source=args.config, pool=pool)
    except GitError as exc:
        raise UsageError(str(exc)) from None
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        print("the config is invalid: nothing was analyzed", file=sys.stderr)
        return EXIT_FINDING

    if args.output_format == "json":
        print(json.dumps(result.analysis.to_json(), indent=2, ensure_ascii=False))
    elif args.output_format == "markdown":
        from bot.render.markdown import render_comment

        print(render_comment(result.analysis, result.tool_name), end="")
    else:
        from bot.render.text import render_text

        print(render_text(result.analysis, sys.stdout.isatty(), result.tool_name), end="")
    if args.fail_on and result.analysis.risk.level >= Level(args.fail_on):
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
            return _check_config(args.file)
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
