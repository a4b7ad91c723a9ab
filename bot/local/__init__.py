"""`ai-review-bot analyze` on a local repository: git as the source of the diff, a process pool
for the per-file work, and the analysis of one range with the config at its base."""
