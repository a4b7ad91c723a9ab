"""The repo config: where it lives, its typed model, loading and resolving it."""

# Where a repository keeps its review config and extra checklists, read at the base branch.
CONFIG_PATH = ".github/ai-review.yml"
CHECKLISTS_DIR = ".github/ai-review/checklists"
