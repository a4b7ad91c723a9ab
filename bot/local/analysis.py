"""`analyze` on a local repository: the git adapter, the base branch's config, the engine."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import CHECKLISTS_DIR, CONFIG_PATH
from bot.config.load import load_repo_config
from bot.engine.detect import Detector
from bot.engine.files import needs_text
from bot.engine.pipeline import analyze
from bot.engine.resolve import repo_ruleset
from bot.engine.result import Analysis
from bot.local.git import GitRepo
from bot.local.parallel import FilePool


@dataclass(frozen=True, slots=True)
class LocalResult:
    analysis: Analysis
    detector: Detector

    def tool_name(self, tool_id: str) -> str:
        return self.detector.tool_name(tool_id)


@dataclass(frozen=True, slots=True)
class LocalAnalysis:
    repo: GitRepo
    base: str
    head: str
    head_branch: str  # the branch `head` named (the default HEAD: the checked-out branch)

    @classmethod
    def open(cls, path: str, base: str | None, head: str) -> LocalAnalysis:
        """Resolve the range; the base defaults to the merge-base with the default branch. A
        branch named as the head counts for detection, as a pull request's head branch does."""
        repo = GitRepo(path)
        head_sha = repo.resolve(head)
        base_sha = repo.resolve(base) if base else repo.merge_base(head_sha, repo.default_branch())
        return cls(repo, base_sha, head_sha, repo.branch_of(head))

    def _checklist_texts(self) -> list[tuple[str, str]]:
        paths = [p for p in self.repo.list_files(self.base, CHECKLISTS_DIR) if p.endswith(".yml")]
        texts = self.repo.read_texts(self.base, paths)
        return [(path, texts[path]) for path in sorted(texts)]

    def run(
        self, config_text: bytes | None, config_source: str | None, pool: FilePool | None = None
    ) -> LocalResult:
        """Analyze base..head with the given config, else the config at the base ref."""
        if config_text is None:
            at_base = self.repo.read_text(self.base, CONFIG_PATH)
            config = load_repo_config(at_base, f"{CONFIG_PATH} (at {self.base[:10]})")
        else:
            config = load_repo_config(config_text, config_source or CONFIG_PATH)
        ruleset = repo_ruleset(config, self._checklist_texts())
        snapshot = self.repo.snapshot(
            self.base,
            self.head,
            needs_text=lambda changed: needs_text(changed, ruleset),
            head_branch=self.head_branch,
        )
        analysis = analyze(snapshot, ruleset, map_files=pool.map if pool else map)
        return LocalResult(analysis, Detector(ruleset.signatures, ruleset.config.detect.labels))
