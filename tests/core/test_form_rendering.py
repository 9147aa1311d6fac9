"""Every form's checkbox stands inside its label, before its words (core.form_rendering.FormRenderer)."""

from __future__ import annotations

import lxml.html
from django import forms
from django.test import Client


class _Form(forms.Form):
    name = forms.CharField(label="姓名")
    remember = forms.BooleanField(label="记住我", required=False, help_text="在这台设备上保持登录")


def test_a_checkbox_is_drawn_inside_its_label_before_its_words() -> None:
    tree = lxml.html.fromstring(f"<div>{_Form()}</div>")
    [label] = tree.xpath("//label[.//input[@type='checkbox']]")
    assert label.get("for") == "id_remember"
    assert label[0].tag == "input"  # the box first, then the words
    assert label.text_content().strip() == "记住我"
    assert tree.xpath("//*[@id='id_remember_helptext']")[0].text_content() == "在这台设备上保持登录"
    # Any other field: Django's own drawing, its label (with the suffix) before the input.
    [name_label] = tree.xpath("//label[@for='id_name']")
    assert name_label.xpath(".//input") == []
    assert name_label.text_content().strip().startswith("姓名")


def test_the_sign_in_page_s_remember_me_too(db: None) -> None:
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    [label] = lxml.html.fromstring(page).xpath("//label[.//input[@name='remember']]")
    assert label[0].tag == "input"
    assert label.text_content().strip() == "记住我"
