"""The classroom pages: scheduling, the code board, the learner's sign page, 代签, and who may open what."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from classroom.models import Attendance, Invitation, TrainingClass
from classroom.services.codes import CODE_PERIOD, class_code, sign_path
from core.models import AuditEntry
from organizations.models import Person
from tests import factories
from tests.classroom.web_data import class_in_progress
from tests.conftest import login_client

pytestmark = pytest.mark.django_db


def _sign_url_of(board_html: str) -> str:
    match = re.search(r'data-sign-url="([^"]+)"', board_html)
    assert match, "the board carries the QR's URL"
    return match.group(1).replace("&amp;", "&")


def _class_form(cast, **fields):
    """The schedule form's fields for a class of the east chemical plant tomorrow, 09:00–11:00, 1 学时."""
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return {
        "owner": f"enterprise:{cast.east.enterprises[0].pk}",
        "level": "workshop",
        "date": tomorrow.isoformat(),
        "start": "09:00",
        "end": "11:00",
        "place": "二号车间",
        "hours": "1",
        "tolerance_minutes": "10",
        **fields,
    }


def test_schedule_form_creates_the_class_in_minutes_and_invites_by_post(cast, settings):
    settings.MINUTES_PER_CREDIT_HOUR = 45
    east = cast.east
    welder = factories.make_person(east.enterprises[0], post=Person.Post.SPECIAL_OPERATOR)
    client = login_client(east.enterprise_admin)
    page = client.get(reverse("classroom:new"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "安排课堂" in html
    # Each post offers itself with the number of people it adds.
    assert re.search(r"特种作业人员 \(1 人\)", html), html[html.find("invite") : html.find("invite") + 2000]
    response = client.post(
        reverse("classroom:new"),
        _class_form(cast, topic="动火作业安全", hours="1.5", posts=[Person.Post.SPECIAL_OPERATOR]),
    )
    training_class = TrainingClass.objects.get(topic="动火作业安全")
    assert response.status_code == 302
    assert response["Location"] == reverse("classroom:detail", args=[training_class.pk])
    assert training_class.credit_minutes == 68  # 1.5 学时 × 45 minutes, rounded
    assert timezone.localtime(training_class.starts_at).hour == 9
    assert list(Invitation.objects.filter(training_class=training_class).values_list("person", flat=True)) == [
        welder.pk
    ]


def test_schedule_form_names_the_wrong_field_and_writes_nothing(cast):
    client = login_client(cast.east.enterprise_admin)
    response = client.post(
        reverse("classroom:new"), _class_form(cast, topic="太长的学时", end="09:30", hours="2", level="team")
    )
    assert response.status_code == 200
    assert "不能计" in response.content.decode() or "cannot credit" in response.content.decode()
    assert not TrainingClass.objects.filter(topic="太长的学时").exists()


def test_board_shows_a_qr_of_the_sign_url_and_the_code_json_moves_with_the_window(cast):
    training_class = class_in_progress(cast)
    client = login_client(cast.east.enterprise_admin)
    board = client.get(reverse("classroom:detail", args=[training_class.pk]))
    html = board.content.decode()
    assert board.status_code == 200
    assert "签到码" in html
    assert "<svg" in html
    url = _sign_url_of(html)
    assert urlsplit(url).path == f"/classes/{training_class.pk}/sign/"
    assert url.startswith("http://testserver/")
    data = client.get(reverse("classroom:code", args=[training_class.pk]) + "?kind=out").json()
    assert data["kind"] == "out"
    assert data["code"].startswith("out-")
    assert 0 < data["seconds_left"] <= CODE_PERIOD
    assert data["svg"].startswith("<svg") or "<svg" in data["svg"]
    assert data["url"].endswith(sign_path(training_class, data["code"]))


def test_learner_signs_in_from_the_qr_url_and_sees_the_time(cast):
    training_class = class_in_progress(cast)
    code = class_code(training_class, "in").code
    client = login_client(cast.east.learner.user)
    url = sign_path(training_class, code)
    page = client.get(url)
    assert page.status_code == 200
    assert "确认签到" in page.content.decode()
    assert not Attendance.objects.filter(training_class=training_class).exists(), "opening the page signs nothing"
    response = client.post(url, {"code": code})
    assert response.status_code == 302
    attendance = Attendance.objects.get(training_class=training_class, person=cast.east.learner)
    assert attendance.in_method == Attendance.Method.QR
    result = client.get(response["Location"]).content.decode()
    assert "已签到" in result
    # To the minute, as the learner's class page shows times: seconds are noise here.
    signed_in = timezone.localtime(attendance.signed_in_at)
    shown = re.search(r"<dd data-signed-in>(.*?)</dd>", result).group(1)
    assert shown == signed_in.strftime("%Y-%m-%d %H:%M")
    # The trainer's live list now shows the learner as signed in, at the minute.
    fragment = login_client(cast.east.enterprise_admin).get(reverse("classroom:attendance", args=[training_class.pk]))
    row = re.search(rf'data-person="{cast.east.learner.pk}" data-state="(\w+)"', fragment.content.decode())
    assert row
    assert row.group(1) == "in"
    assert re.search(r"签到 (\d\d:\d\d(?::\d\d)?) ·", fragment.content.decode()).group(1) == signed_in.strftime("%H:%M")


def test_sign_out_shows_the_credited_hours(cast):
    now = timezone.now()
    training_class = class_in_progress(
        cast, starts_at=now - dt.timedelta(minutes=50), ends_at=now + dt.timedelta(minutes=1)
    )
    client = login_client(cast.east.learner.user)
    Attendance.objects.create(
        training_class=training_class,
        person=cast.east.learner,
        signed_in_at=now - dt.timedelta(minutes=50),
        in_method=Attendance.Method.QR,
    )
    code_out = class_code(training_class, "out").code
    response = client.post(sign_path(training_class, code_out), {"code": code_out})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "已签退" in html
    assert re.search(r"1\.0 学时|1 学时|\d+\.\d 学时", html), html


def test_expired_code_says_so_in_chinese_and_signs_nothing(cast):
    training_class = class_in_progress(cast)
    old = class_code(training_class, "in", now=timezone.now() - dt.timedelta(seconds=3 * CODE_PERIOD)).code
    client = login_client(cast.east.learner.user)
    url = sign_path(training_class, old)
    page = client.get(url).content.decode()
    assert "签到码已过期，请重新扫描屏幕上的二维码" in page
    assert "确认签到" not in page
    response = client.post(url, {"code": old})
    assert response.status_code == 400
    assert "签到码已过期" in response.content.decode()
    assert not Attendance.objects.filter(training_class=training_class).exists()


def test_second_sign_in_is_refused_clearly(cast):
    training_class = class_in_progress(cast)
    code = class_code(training_class, "in").code
    client = login_client(cast.east.learner.user)
    client.post(sign_path(training_class, code), {"code": code})
    again = client.post(sign_path(training_class, code), {"code": code})
    assert again.status_code == 400
    assert "您已签到本课堂" in again.content.decode()
    assert Attendance.objects.filter(training_class=training_class).count() == 1


def test_signed_out_visitor_logs_in_and_comes_back_to_the_code(cast):
    training_class = class_in_progress(cast)
    code = class_code(training_class, "in").code
    response = Client().get(sign_path(training_class, code))
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/accounts/login/"
    back = parse_qs(target.query)["next"][0]
    assert back == sign_path(training_class, code)


def test_face_class_without_enrolment_offers_the_trainer_fallback(cast):
    training_class = class_in_progress(cast, requires_face=True)
    code = class_code(training_class, "in").code
    page = login_client(cast.east.learner.user).get(sign_path(training_class, code)).content.decode()
    assert "请培训师为您代签" in page or "请培训师代签" in page
    assert "data-sign-submit" not in page


def test_manual_sign_in_needs_a_reason_and_is_audited(cast):
    training_class = class_in_progress(cast)
    client = login_client(cast.east.enterprise_admin)
    url = reverse("classroom:manual", args=[training_class.pk])
    client.post(url, {"person": cast.east.learner.pk, "kind": "in", "reason": ""})
    assert not Attendance.objects.filter(training_class=training_class).exists()
    client.post(url, {"person": cast.east.learner.pk, "kind": "in", "reason": "手机没电"})
    attendance = Attendance.objects.get(training_class=training_class)
    assert attendance.in_method == Attendance.Method.MANUAL
    assert AuditEntry.objects.filter(reason="手机没电").exists()


def test_end_class_closes_it_and_the_board_stops_showing_codes(cast):
    training_class = class_in_progress(cast)
    client = login_client(cast.east.enterprise_admin)
    client.post(reverse("classroom:close", args=[training_class.pk]))
    training_class.refresh_from_db()
    assert training_class.status == TrainingClass.Status.CLOSED
    html = client.get(reverse("classroom:detail", args=[training_class.pk])).content.decode()
    assert "data-sign-url" not in html
    assert client.get(reverse("classroom:code", args=[training_class.pk])).status_code == 409


def test_cancel_needs_a_reason(cast):
    training_class = class_in_progress(cast)
    client = login_client(cast.east.enterprise_admin)
    client.post(reverse("classroom:cancel", args=[training_class.pk]), {"reason": ""})
    training_class.refresh_from_db()
    assert training_class.status == TrainingClass.Status.SCHEDULED
    client.post(reverse("classroom:cancel", args=[training_class.pk]), {"reason": "停电"})
    training_class.refresh_from_db()
    assert training_class.status == TrainingClass.Status.CANCELLED


def test_list_groups_classes_and_learner_sees_invitation_on_home_and_my_classes(cast):
    training_class = class_in_progress(cast)
    listing = login_client(cast.east.enterprise_admin).get(reverse("classroom:list")).content.decode()
    in_progress = listing[listing.find('data-group="in_progress"') : listing.find('data-group="upcoming"')]
    assert f'data-class="{training_class.pk}"' in in_progress
    learner = login_client(cast.east.learner.user)
    home = learner.get("/").content.decode()
    assert 'data-todo-section="classes"' in home
    assert training_class.topic in home
    assert "一号会议室" in home
    mine = learner.get(reverse("classroom:mine")).content.decode()
    assert f'data-class="{training_class.pk}"' in mine


def test_outsiders_get_404_on_every_class_page(cast):
    training_class = class_in_progress(cast)
    code = class_code(training_class, "in").code
    west_admin = login_client(cast.west.enterprise_admin)
    for name in ("detail", "edit", "cancel", "invite", "code", "attendance"):
        assert west_admin.get(reverse(f"classroom:{name}", args=[training_class.pk])).status_code == 404, name
    for name in ("manual", "close"):
        assert west_admin.post(reverse(f"classroom:{name}", args=[training_class.pk])).status_code == 404, name
    west_learner = login_client(cast.west.learner.user)
    assert west_learner.get(sign_path(training_class, code)).status_code == 404
    assert west_learner.post(sign_path(training_class, code), {"code": code}).status_code == 404
    # The invited learner sees the class but not the trainer's doors.
    learner = login_client(cast.east.learner.user)
    assert learner.get(reverse("classroom:detail", args=[training_class.pk])).status_code == 200
    for name in ("edit", "code", "attendance", "invite"):
        assert learner.get(reverse(f"classroom:{name}", args=[training_class.pk])).status_code == 404, name
    assert (
        learner.post(
            reverse("classroom:manual", args=[training_class.pk]),
            {"person": cast.east.learner.pk, "kind": "in", "reason": "x"},
        ).status_code
        == 404
    )
    assert not Attendance.objects.filter(training_class=training_class).exists()
    # A west admin cannot schedule for the east enterprise.
    response = west_admin.post(reverse("classroom:new"), {"owner": f"enterprise:{cast.east.enterprises[0].pk}"})
    assert response.status_code == 200
    assert not TrainingClass.objects.exclude(pk=training_class.pk).exists()


def test_invitation_shows_on_my_training_with_date_and_place(cast):
    training_class = class_in_progress(cast, topic="受限空间作业")
    page = login_client(cast.east.learner.user).get(reverse("training:dashboard")).content.decode()
    box = page[page.find("data-dashboard-classes") :]
    assert f'data-dashboard-class="{training_class.pk}"' in box
    assert "受限空间作业" in box
    assert "一号会议室" in box
    assert timezone.localtime(training_class.starts_at).strftime("%Y-%m-%d %H:%M") in box
    other = login_client(cast.west.learner.user).get(reverse("training:dashboard")).content.decode()
    assert "data-dashboard-classes" not in other


def test_face_class_captures_first_then_signs_in_with_the_face(cast, astronaut_jpeg, astronaut_snapshot):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.proctoring.conftest import enrol_astronaut

    enrol_astronaut(cast.east.learner, astronaut_jpeg)
    training_class = class_in_progress(cast, requires_face=True)
    code = class_code(training_class, "in").code
    client = login_client(cast.east.learner.user)
    page = client.get(sign_path(training_class, code)).content.decode()
    assert "data-sign-face" in page
    assert "data-sign-submit" not in page  # no plain button: the camera comes first
    response = client.post(
        sign_path(training_class, code),
        {"code": code, "photo": SimpleUploadedFile("capture.jpg", astronaut_snapshot, content_type="image/jpeg")},
        HTTP_ACCEPT="application/json",
    )
    assert response.json() == {"ok": True, "redirect": reverse("classroom:signed", args=[training_class.pk])}
    attendance = Attendance.objects.get(training_class=training_class)
    assert attendance.in_method == Attendance.Method.QR_FACE


def test_edit_keeps_the_owner_and_invite_adds_people_by_name(cast):
    # Tomorrow 09:00-10:00: the form holds one date, and a class begun five minutes ago crosses local
    # midnight when the suite runs after 23:05 (its end then reads earlier than its start).
    nine = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(9)))
    training_class = class_in_progress(cast, starts_at=nine, ends_at=nine + dt.timedelta(hours=1))
    colleague = factories.make_person(cast.east.enterprises[0])
    client = login_client(cast.east.enterprise_admin)
    form = client.get(reverse("classroom:edit", args=[training_class.pk])).content.decode()
    assert 'name="owner"' not in form
    assert 'value="一号会议室"' in form
    local = timezone.localtime(training_class.starts_at)
    fields = _class_form(
        cast,
        topic=training_class.topic,
        level="plant",
        date=local.date().isoformat(),
        start=local.strftime("%H:%M"),
        end=timezone.localtime(training_class.ends_at).strftime("%H:%M"),
        place="三号会议室",
    )
    fields.pop("owner")
    response = client.post(reverse("classroom:edit", args=[training_class.pk]), fields)
    assert response.status_code == 302, response.content.decode()[:3000]
    training_class.refresh_from_db()
    assert training_class.place == "三号会议室"
    invite_page = client.get(reverse("classroom:invite", args=[training_class.pk])).content.decode()
    assert colleague.name in invite_page
    assert f'value="{cast.east.learner.pk}"' not in invite_page  # already invited: not offered again
    client.post(reverse("classroom:invite", args=[training_class.pk]), {"people": [colleague.pk]})
    assert Invitation.objects.filter(training_class=training_class, person=colleague).exists()


def test_manual_sign_form_offers_签退_not_the_logout_words(cast):
    """ "Sign out" alone is the project's 退出登录 (log out); the 代签 choice must read 签退."""
    training_class = class_in_progress(cast)
    client = login_client(cast.east.enterprise_admin)
    html = client.get(reverse("classroom:detail", args=[training_class.pk])).content.decode()
    manual = html[html.index('name="kind"') :]
    manual = manual[: manual.index("</select>")]
    assert '<option value="out">签退</option>' in manual
    assert "退出登录" not in manual


def test_board_links_to_the_evidence_and_explains_zero_credit_after_the_close(cast):
    now = timezone.now()
    training_class = class_in_progress(cast, starts_at=now - dt.timedelta(minutes=30))
    Attendance.objects.create(
        training_class=training_class,
        person=cast.east.learner,
        signed_in_at=now - dt.timedelta(minutes=30),
        in_method=Attendance.Method.QR,
    )
    client = login_client(cast.east.enterprise_admin)
    evidence = reverse("classroom_evidence:detail", args=[training_class.pk])
    html = client.get(reverse("classroom:detail", args=[training_class.pk])).content.decode()
    assert f'href="{evidence}"' in html, "a running class's board leads to its photos and sheet"
    client.post(reverse("classroom:close", args=[training_class.pk]))
    html = client.get(reverse("classroom:detail", args=[training_class.pk])).content.decode()
    assert f'href="{evidence}"' in html
    assert "签到表与现场照片" in html
    assert "未签退：不计学时。" in html, "the trainer sees why a signed-in learner got nothing"
    assert client.get(evidence).status_code == 200


def test_invite_by_name_names_the_enterprise_when_the_pool_spans_several(cast):
    """A provider invites across the district, where the same name recurs: each line says whose worker it is."""
    from classroom.forms import InviteForm

    east, west = cast.east.learner, cast.west.learner
    mixed = InviteForm(pool=Person.objects.filter(pk__in=[east.pk, west.pk]))
    labels = dict(mixed.fields["people"].choices)
    assert any(east.enterprise.name in str(label) for label in labels.values())
    assert any(west.enterprise.name in str(label) for label in labels.values())
    one = InviteForm(pool=Person.objects.filter(pk=east.pk))
    assert all(east.enterprise.name not in str(label) for label in dict(one.fields["people"].choices).values())


def test_board_of_a_class_not_open_yet_says_when_signing_in_opens(cast):
    now = timezone.now()
    later = class_in_progress(cast, starts_at=now + dt.timedelta(hours=3), ends_at=now + dt.timedelta(hours=4))
    client = login_client(cast.east.enterprise_admin)
    html = client.get(reverse("classroom:detail", args=[later.pk])).content.decode()
    assert "data-sign-in-opens" in html
    assert "签到在开课前 30 分钟开放" in html
    soon = class_in_progress(cast)
    assert "data-sign-in-opens" not in client.get(reverse("classroom:detail", args=[soon.pk])).content.decode()


def test_the_code_json_says_when_signing_in_opens_until_it_does(cast):
    now = timezone.now()
    later = class_in_progress(cast, starts_at=now + dt.timedelta(hours=3), ends_at=now + dt.timedelta(hours=4))
    client = login_client(cast.east.enterprise_admin)
    assert "签到在开课前" in client.get(reverse("classroom:code", args=[later.pk])).json()["sign_in_opens"]
    assert client.get(reverse("classroom:code", args=[class_in_progress(cast).pk])).json()["sign_in_opens"] == ""


def test_a_night_shift_class_runs_past_midnight_and_a_mistyped_end_is_refused(cast):
    """An end earlier than the start is the next day's (a night shift's class,
    22:00-02:00), shown as such and kept by an edit; longer than 12 hours it is
    a mistyped time, and an end equal to the start is none: both named on the
    end field, nothing written."""
    client = login_client(cast.east.enterprise_admin)
    response = client.post(
        reverse("classroom:new"), _class_form(cast, topic="夜班安全交底", start="22:00", end="02:00")
    )
    assert response.status_code == 302
    night = TrainingClass.objects.get(topic="夜班安全交底")
    starts, ends = timezone.localtime(night.starts_at), timezone.localtime(night.ends_at)
    assert (starts.hour, ends.hour, ends - starts) == (22, 2, dt.timedelta(hours=4))
    assert ends.date() == starts.date() + dt.timedelta(days=1)
    detail = client.get(reverse("classroom:detail", args=[night.pk])).content.decode()
    assert f"{starts:%Y-%m-%d} 22:00–次日 02:00" in detail
    assert f"{starts:%Y-%m-%d} 22:00–次日 02:00" in client.get(reverse("classroom:list")).content.decode()

    edit = client.get(reverse("classroom:edit", args=[night.pk])).content.decode()
    assert 'value="22:00"' in edit
    assert 'value="02:00"' in edit
    assert "次日结束" in edit  # the end field says how an earlier time reads
    fields = _class_form(cast, topic="夜班安全交底", start="22:00", end="02:00", place="三号车间")
    fields.pop("owner")
    assert client.post(reverse("classroom:edit", args=[night.pk]), fields).status_code == 302
    night.refresh_from_db()
    assert (night.place, night.ends_at - night.starts_at) == ("三号车间", dt.timedelta(hours=4))

    for topic, start, end, message in (
        ("早于开始", "09:00", "08:00", "跨午夜的课堂全程不能超过 12 小时"),
        ("同一时刻", "09:00", "09:00", "结束时间"),
    ):
        page = client.post(reverse("classroom:new"), _class_form(cast, topic=topic, start=start, end=end))
        assert page.status_code == 200
        assert message in page.content.decode()
        assert not TrainingClass.objects.filter(topic=topic).exists()
