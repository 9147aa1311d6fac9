"""The small page helpers of core.http that the views share: no_store, wants_json, refusal_message,
refusal_on_form, page_of."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import RequestFactory

from core.errors import ServiceError
from core.http import no_store, page_of, refusal_message, refusal_on_form, wants_json


class Refused(ServiceError, code="refused", status=409): ...


class OtherRefusal(ServiceError, code="other", status=409): ...


def _request(path: str = "/", **headers: Any) -> Any:
    request = RequestFactory().get(path, headers=headers)
    request._messages = CookieStorage(request)
    return request


def _told(request: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in messages.get_messages(request)]


def test_no_store_forbids_every_cache() -> None:
    response = no_store(HttpResponse("personal"))
    assert response["Cache-Control"] == "no-store, private, max-age=0"
    assert "Expires" in response


def test_wants_json_reads_the_accept_header() -> None:
    assert wants_json(_request(accept="application/json"))
    assert not wants_json(_request(accept="text/html"))
    assert not wants_json(_request())


def test_a_refusal_becomes_an_error_message_and_goes_no_further() -> None:
    request = _request()
    with refusal_message(request, Refused):
        raise Refused("Not now.")
    assert _told(request) == [("error", "Not now.")]
    done = _request()
    with refusal_message(done, Refused):
        messages.success(done, "Done.")
    assert _told(done) == [("success", "Done.")]


def test_only_the_named_refusal_is_caught() -> None:
    with pytest.raises(OtherRefusal), refusal_message(_request(), Refused):
        raise OtherRefusal("Something else.")


class _Form(forms.Form):
    title = forms.CharField()


def _refused_title(form: Any, exc: ServiceError) -> None:
    form.add_error("title", exc.message)


def test_a_refusal_goes_on_the_form() -> None:
    form = _Form({"title": "x"})
    assert form.is_valid()
    with refusal_on_form(form, Refused):
        raise Refused("Not for this form.")
    assert form.non_field_errors() == ["Not for this form."]
    placed = _Form({"title": "x"})
    assert placed.is_valid()
    with refusal_on_form(placed, Refused, place=_refused_title):
        raise Refused("Not this title.")
    assert placed.errors == {"title": ["Not this title."]}


def test_page_of_gives_the_page_and_the_rest_of_the_query() -> None:
    page, query = page_of(_request("/?q=fire&page=2"), list(range(25)), 10)
    assert page.number == 2
    assert list(page) == list(range(10, 20))
    assert query == "q=fire"
    last, query = page_of(_request("/?page=99"), list(range(25)), 10)
    assert last.number == 3
    assert query == ""
