"""GitHub's published descriptions of its API and webhooks, and checks against them.

The npm packages that carry them are pinned in package.json here (docs/conformance.md).
"""
