"""Where `analyze` writes its report: stdout in the chosen format, and the files CI reads
(a SARIF file for code scanning; in GitHub Actions the job summary and the step outputs)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bot.config.levels import Level
from bot.local.analysis import LocalResult
from bot.render.provenance import provenance_lines, provenance_markdown


@dataclass(frozen=True, slots=True)
class Outputs:
    output_format: str  # text, markdown, json, sarif, github
    colour: bool
    fail_on: Level | None
    version: str
    sarif_file: str | None = None


def write_report(
    result: LocalResult, outputs: Outputs, stdout: TextIO, env: Mapping[str, str]
) -> None:
    """Print the report; write the SARIF file when asked, and in the github format the job
    summary ($GITHUB_STEP_SUMMARY) and step outputs ($GITHUB_OUTPUT) when the runner sets
    them. Raises OSError naming a file that cannot be written."""
    stdout.write(render(result, outputs.output_format, outputs))
    if outputs.sarif_file:
        Path(outputs.sarif_file).write_text(_sarif_text(result, outputs), encoding="utf-8")
    if outputs.output_format == "github":
        from bot.render.github_annotations import step_outputs

        _append(env.get("GITHUB_STEP_SUMMARY"), markdown_report(result))
        _append(env.get("GITHUB_OUTPUT"), step_outputs(result.analysis))


def render(result: LocalResult, output_format: str, outputs: Outputs) -> str:
    analysis, provenance = result.analysis, result.provenance
    if output_format == "json":
        report: dict[str, Any] = {**analysis.to_json(), **provenance.to_json()}
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if output_format == "markdown":
        return markdown_report(result)
    if output_format == "sarif":
        return _sarif_text(result, outputs)
    text = _text_report(result, colour=outputs.colour and output_format == "text")
    if output_format == "github":
        from bot.render.github_annotations import render_annotations

        return render_annotations(analysis, provenance, text, outputs.fail_on, result.tool_name)
    return text + "\n" + "\n".join(provenance_lines(provenance)) + "\n"


def markdown_report(result: LocalResult) -> str:
    """The comment the App would post, closed by the range and the config it was made from."""
    from bot.render.markdown import render_comment

    comment = render_comment(result.analysis, result.tool_name)
    return comment + provenance_markdown(result.provenance)


def _text_report(result: LocalResult, colour: bool) -> str:
    from bot.render.text import render_text

    return render_text(result.analysis, colour, result.tool_name)


def _sarif_text(result: LocalResult, outputs: Outputs) -> str:
    from bot.render.sarif import render_sarif

    log = render_sarif(result.analysis, result.provenance, outputs.version, result.tool_name)
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(text)
