"""Reading the home page as a person does: the learner's to-do sections and the staff desks (core.todo.desk_html),
each with its items and their button."""

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


def _items(section: Any) -> list[Seen]:
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
    return items


def todo_of(html: str) -> dict[str, list[Seen]] | None:
    """The to-do list's sections by key (``courses``, ``exams``, ``certificates``, ``practice``), each with the
    items shown; None when the page has no to-do list at all."""
    tree = lxml.html.fromstring(html)
    if not tree.xpath("//*[@data-todo]"):
        return None
    return {
        section.get("data-todo-section"): _items(section)
        for section in tree.xpath("//*[@data-todo]//*[@data-todo-section]")
    }


@dataclass(frozen=True)
class Desk:
    title: str
    items: list[Seen]
    empty: str  # the line shown when there is no item
    link: str  # where "all …" goes


def desk_of(html: str, key: str) -> Desk | None:
    """A staff desk on the home page (``proctoring``, ``exam_desk``, ``class_desk``); None when not shown."""
    found = lxml.html.fromstring(html).xpath(f"//*[@data-todo-section='{key}']")
    if not found:
        return None
    section = found[0]
    empty = section.xpath(".//*[@data-todo-empty-section]")
    return Desk(
        title=_text(section.xpath(".//h2")[0]),
        items=_items(section),
        empty=_text(empty[0]) if empty else "",
        link=section.xpath(".//*[contains(@class, 'todo-head')]/a")[0].get("href"),
    )


def says_nothing_to_do(html: str) -> bool:
    return bool(lxml.html.fromstring(html).xpath("//*[@data-todo-empty]"))


def home_todo(client: Any) -> dict[str, list[Seen]] | None:
    response = client.get(HOME)
    assert response.status_code == 200
    return todo_of(response.content.decode())


def home_desk(client: Any, key: str) -> Desk | None:
    """The desk ``key`` on the home page as ``client``'s user sees it; None when it is not there."""
    response = client.get(HOME)
    assert response.status_code == 200
    return desk_of(response.content.decode(), key)
