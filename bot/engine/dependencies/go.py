"""Go: go.mod requirements and replacements."""

from __future__ import annotations

from bot.engine.dependencies.model import Entry


def parse_go_mod(text: str) -> list[Entry]:
    """The require and replace directives of a go.mod, blocks included."""
    entries = []
    block: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("//", 1)[0].strip()
        if not line:
            continue
        if block is not None:
            if line == ")":
                block = None
                continue
            directive, rest = block, line
        else:
            directive, _, rest = line.partition(" ")
            rest = rest.strip()
            if rest == "(":
                block = directive
                continue
        # go.mod pins every requirement: versions are exact, or pseudo-versions of a commit.
        if directive == "require":
            parts = rest.split()
            if len(parts) >= 2:
                module = parts[0].strip('"')
                entries.append(Entry(module, parts[1], line=number))
        elif directive == "replace" and "=>" in rest:
            old, _, new = rest.partition("=>")
            old_parts = old.split()
            if old_parts:
                module = old_parts[0].strip('"')
                spec = " ".join([*old_parts[1:], "=>", *new.split()])
                entries.append(Entry(module, spec, line=number, key=f"replace {module}"))
    return entries
