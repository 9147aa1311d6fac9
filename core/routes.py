"""Routes declared next to their views.

An app's URL module used to repeat one list of ``path(route, module.view, name=...)`` lines per
app, far from the views they name. Instead each app keeps its tables in ``<app>/routes.py``
(``pages = Routes()``; ``endpoints = Routes()`` for ``/api/v1/``), a view declares its own route
right above its other decorators::

    @pages.route("lessons/<id:pk>/", name="lesson_player")
    @login_required
    def lesson_player(request, pk): ...

    @endpoints.route("lessons/<id:pk>/start/", name="lesson-start")
    class LessonStartView(APIView): ...   # as_view() is called here

and the app's ``urls.py`` imports its view modules (importing them is what registers the routes)
and hands ``pages.urlpatterns`` to Django. Routes keep the order in which they were declared:
module by module in the order ``urls.py`` imports them, then top to bottom.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.urls import URLPattern, path

View = TypeVar("View", bound=Callable[..., Any])


class Routes:
    """One app's URL patterns, in declaration order."""

    def __init__(self) -> None:
        self._routes: dict[str, tuple[str, Callable[..., Any]]] = {}

    def route(self, route: str, *, name: str) -> Callable[[View], View]:
        """Register the decorated view (a function, or a class-based view) at ``route`` as ``name``."""

        def register(view: View) -> View:
            if name in self._routes:
                raise ValueError(f"route name {name!r} is declared twice")
            self._routes[name] = (route, view.as_view() if isinstance(view, type) else view)  # type: ignore[attr-defined]
            return view

        return register

    @property
    def urlpatterns(self) -> list[URLPattern]:
        # Built when urls.py asks, not at declaration: a view module may be imported (by the admin's
        # autodiscovery) before core's AppConfig.ready() registers the <id:…> converter.
        return [path(route, view, name=name) for name, (route, view) in self._routes.items()]
