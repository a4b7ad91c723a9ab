"""`analyze` on a local repository: the git adapter, the base branch's config, the engine."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import CHECKLISTS_DIR, CONFIG_PATH
from bot.config.codeowners import CODEOWNERS_PATHS, MAX_BYTES, CodeOwnersFile
from bot.config.load import load_repo_config
from bot.engine.detect import Detector
from bot.engine.files import needs_text
from bot.engine.pipeline import analyze
from bot.engine.resolve import repo_ruleset
from bot.engine.result import Analysis
from bot.local.git import GitRepo
from bot.local.parallel import FilePool
from bot.local.pull_range import RangeRequest, resolve_range
from bot.render.provenance import ConfigSource, ConfigUsed, Provenance, RangeUsed
from bot.tools import default_tools


def codeowners_at(repo: GitRepo, ref: str) -> CodeOwnersFile | None:
    """The CODEOWNERS file GitHub would use at `ref`: the first of its places that is a file."""
    found = repo.first_file(ref, CODEOWNERS_PATHS)
    if found is None:
        return None
    path, size = found
    if size >= MAX_BYTES:
        return CodeOwnersFile(path, None, f"it is {size:,} bytes; GitHub loads it only under 3 MB")
    text = repo.read_text(ref, path)
    return CodeOwnersFile(path, text, "" if text is not None else "it cannot be read")


@dataclass(frozen=True, slots=True)
class LocalResult:
    analysis: Analysis
    detector: Detector
    provenance: Provenance

    def tool_name(self, tool_id: str) -> str:
        return self.detector.tool_name(tool_id)


@dataclass(frozen=True, slots=True)
class LocalAnalysis:
    repo: GitRepo
    base: str  # the merge-base: where the pull request's diff starts
    head: str
    range: RangeUsed

    @classmethod
    def open(
        cls,
        path: str,
        base: str | None,
        head: str | None,
        *,
        staged: bool = False,
        allow_empty: bool = False,
    ) -> LocalAnalysis:
        """Resolve the pull request's range (bot.local.pull_range): from the merge-base of
        base (default: the default branch) and head, to head. A branch named as the head, or
        by the CI, counts for detection, as a pull request's head branch does."""
        repo = GitRepo(path)
        request = RangeRequest(
            base=base,
            head=None if head in (None, "HEAD") else head,
            staged=staged,
            allow_empty=allow_empty,
        )
        used = resolve_range(repo, request)
        return cls(repo, used.merge_base, used.head_sha, used)

    def _config_used(self, config_source: str | None, at_base: str | None) -> ConfigUsed:
        on_disk = self.repo.path / CONFIG_PATH
        try:
            working = on_disk.read_text(encoding="utf-8") if on_disk.is_file() else None
        except (OSError, UnicodeDecodeError):
            working = None
        if config_source is not None:
            return ConfigUsed(ConfigSource.FILE, config_source)
        differs = working is not None and working != at_base
        source = ConfigSource.DEFAULTS if at_base is None else ConfigSource.BASE
        return ConfigUsed(
            source,
            None if at_base is None else CONFIG_PATH,
            self.range.base_sha,
            working_tree_differs=differs,
        )

    def _checklist_texts(self) -> list[tuple[str, str]]:
        tip = self.range.base_sha
        paths = [p for p in self.repo.list_files(tip, CHECKLISTS_DIR) if p.endswith(".yml")]
        texts = self.repo.read_texts(tip, paths)
        return [(path, texts[path]) for path in sorted(texts)]

    def codeowners(self) -> CodeOwnersFile | None:
        """The base branch's CODEOWNERS, as GitHub finds it (the head's is the author's)."""
        return codeowners_at(self.repo, self.range.base_sha)

    def run(
        self, config_text: bytes | None, config_source: str | None, pool: FilePool | None = None
    ) -> LocalResult:
        """Analyze merge-base..head with the given config, else the config at the base branch's
        tip, as the App reads it from the pull request's base branch."""
        at_base = self.repo.read_text(self.range.base_sha, CONFIG_PATH)
        if config_text is None:
            source = f"{CONFIG_PATH} (at {self.range.base_sha[:10]})"
            config = load_repo_config(at_base, source)
        else:
            source = config_source or CONFIG_PATH
            config = load_repo_config(config_text, source)
        used = self._config_used(
            None if config_text is None else config_source or CONFIG_PATH, at_base
        )
        ruleset = repo_ruleset(config, self._checklist_texts(), self.codeowners(), source)
        snapshot = self.repo.snapshot(
            self.base,
            self.head,
            needs_text=lambda changed: needs_text(changed, ruleset),
            head_branch=self.range.head_branch,
        )
        analysis = analyze(
            snapshot, ruleset, map_files=pool.map if pool else map, tools=default_tools()
        )
        detector = Detector(ruleset.signatures, ruleset.config.detect.labels)
        return LocalResult(analysis, detector, Provenance(self.range, used))
