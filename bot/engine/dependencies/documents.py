"""Reading parsed documents whose shape a pull request controls: JSON and TOML values, XML."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeElementTree


def as_table(value: object) -> dict[str, Any]:
    """`value` if it is a table (a JSON object, a TOML table), else an empty one."""
    return value if isinstance(value, dict) else {}


def as_strings(value: object) -> list[str]:
    """The strings of `value` if it is a list; anything else in it is ignored."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def parse_xml(text: str) -> Element:
    """The root element of an XML manifest.

    Manifests never need a DTD, so any DOCTYPE is refused (defusedxml's DTDForbidden, a
    ValueError) before an entity could be declared, expanded or fetched; malformed XML raises
    ParseError.
    """
    root: Element = SafeElementTree.fromstring(text, forbid_dtd=True)
    return root


def local_name(element: Element) -> str:
    """The tag of `element` without its XML namespace."""
    return element.tag.rpartition("}")[2]


def children(element: Element) -> dict[str, str]:
    """The text of each child of `element`, by local name (the last one wins)."""
    return {local_name(child): (child.text or "").strip() for child in element}
