"""Routes declared next to their views.

An app's URL module used to repeat one list of ``path(route, module.view, name=...)`` lines per
app, far from the views they name. Instead each app keeps its tables in ``<app>/routes.py``
(``pages = Routes()``; ``endpoints = Routes()`` for ``/api/v1/``) and a view declares its own route,
its HTTP methods and whether it needs a signed-in user in one line above it::

    @pages.get("lessons/<id:pk>/", name="lesson_player")  # signed in (else the login page), GET (else 405)
    def lesson_player(request, pk): ...

    @pages.route("assign/", name="assign", methods=("GET", "POST"))
    @pages.get("verify/<str:number>/", name="certificate_verify", login=False)  # anonymous by design
    @pages.route("media/<id:pk>/", name="media")           # signed in, any method

    @endpoints.route("lessons/<id:pk>/start/", name="lesson-start")
    class LessonStartView(APIView): ...  # as_view(); DRF's authentication and permissions apply

A page is wrapped exactly as ``@login_required`` over ``@require_http_methods(methods)`` would wrap
it (login checked first, then the method), and the module keeps the wrapped view. The app's
``urls.py`` imports its view modules (importing them is what registers the routes) and hands
``pages.urlpatterns`` to Django. Routes are matched in declaration order, so two routes of one
table must never match the same path (``tests/test_every_route_is_scoped.py`` resolves every
route's sample URL back to that route).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods

View = TypeVar("View", bound=Callable[..., Any])


class Routes:
    """One app's URL patterns, in declaration order."""

    def __init__(self) -> None:
        self._routes: dict[str, tuple[str, Callable[..., Any]]] = {}

    def route(
        self, route: str, *, name: str, methods: Sequence[str] | None = None, login: bool | None = None
    ) -> Callable[[View], View]:
        """Register the decorated view at ``route`` as ``name``.

        A function view needs a signed-in user unless ``login=False`` and answers only ``methods``
        (every method when None). A class-based view is registered with ``as_view()`` and brings its
        own authentication, so it takes neither."""

        def register(view: View) -> View:
            if name in self._routes:
                raise ValueError(f"route name {name!r} is declared twice")
            if isinstance(view, type):
                if methods is not None or login is not None:
                    raise TypeError(f"{view.__name__}: a class-based view brings its own methods and authentication")
                self._routes[name] = (route, view.as_view())  # type: ignore[attr-defined]
                return view
            wrapped: Any = view
            if methods is not None:
                wrapped = require_http_methods(list(methods))(wrapped)
            if login is not False:
                wrapped = login_required(wrapped)
            self._routes[name] = (route, wrapped)
            return wrapped  # type: ignore[no-any-return]

        return register

    def get(self, route: str, *, name: str, login: bool = True) -> Callable[[View], View]:
        return self.route(route, name=name, methods=("GET",), login=login)

    def post(self, route: str, *, name: str, login: bool = True) -> Callable[[View], View]:
        return self.route(route, name=name, methods=("POST",), login=login)

    @property
    def urlpatterns(self) -> list[URLPattern]:
        # Built when urls.py asks, not at declaration: a view module may be imported (by the admin's
        # autodiscovery) before core's AppConfig.ready() registers the <id:…> converter.
        return [path(route, view, name=name) for name, (route, view) in self._routes.items()]
