"""Reading the learner's home as a person does: the to-do sections and, in each, the items with their button."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lxml.html

HOME = "/"


@dataclass(frozen=True)
class Seen:
    title: str
    badge: str
    lines: list[str]
    action: str  # the button's text
    href: str  # where the one tap goes
    percent: int | None


def _text(node: Any) -> str:
    return " ".join(node.text_content().split())


def todo_of(html: str) -> dict[str, list[Seen]] | None:
    """The to-do list's sections by key (``courses``, ``exams``, ``certificates``, ``practice``), each with the
    items shown; None when the page has no to-do list at all."""
    tree = lxml.html.fromstring(html)
    if not tree.xpath("//*[@data-todo]"):
        return None
    sections: dict[str, list[Seen]] = {}
    for section in tree.xpath("//*[@data-todo-section]"):
        items = []
        for item in section.xpath(".//*[@data-todo-item]"):
            badge = item.xpath(".//*[@data-badge]")
            percent = item.xpath(".//*[@data-percent]")
            action = item.xpath(".//*[@data-todo-action]")[0]
            items.append(
                Seen(
                    title=_text(item.xpath(".//h3")[0]),
                    badge=_text(badge[0]) if badge else "",
                    lines=[_text(line) for line in item.xpath(".//*[contains(@class, 'todo-line')]")],
                    action=_text(action),
                    href=action.get("href"),
                    percent=int(_text(percent[0]).rstrip("%")) if percent else None,
                )
            )
        sections[section.get("data-todo-section")] = items
    return sections


def says_nothing_to_do(html: str) -> bool:
    return bool(lxml.html.fromstring(html).xpath("//*[@data-todo-empty]"))


def home_todo(client: Any) -> dict[str, list[Seen]] | None:
    response = client.get(HOME)
    assert response.status_code == 200
    return todo_of(response.content.decode())
