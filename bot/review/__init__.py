"""The review of one pull request's head, pure: the comment commands and what they may change,
and the composition of what the bot posts from what was gathered. The App and `preview` both
drive it; neither writes the order of a review again."""
