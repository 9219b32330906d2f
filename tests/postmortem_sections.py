"""Reading a rendered post-mortem document by its sections, for the unit and end-to-end tests
of the document."""

from __future__ import annotations

# The `## ` headings of a post-mortem, in the order a review is read (the title block is "").
SECTIONS = [
    "",
    "Summary",
    "Impact window",
    "Severity history",
    "Roles and handovers",
    "Tickets",
    "Escalations",
    "Customer communication",
    "Incident timeline",
    "Root cause",
    "Contributing factors",
    "Recommendations",
    "Follow-ups",
    "Review log",
]


def sections(document: str) -> dict[str, list[str]]:
    """The document's lines under each `## ` heading (the title block under ""), blank lines
    at either end dropped."""
    found: dict[str, list[str]] = {"": []}
    current = ""
    for line in document.splitlines():
        if line.startswith("## "):
            current = line[3:]
            found[current] = []
        else:
            found[current].append(line)
    return {name: _trimmed(lines) for name, lines in found.items()}


def _trimmed(lines: list[str]) -> list[str]:
    text = "\n".join(lines).strip("\n")
    return text.split("\n") if text else []
