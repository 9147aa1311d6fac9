"""A class's evidence: the attendance sheet (page, PDF, xlsx), site photos (upload, view, removal) and who may
open any of it. Built through the classroom services (tests/classroom/evidence_world.py)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from classroom import evidence
from classroom.models import SitePhoto, TrainingClass
from core.models import AuditEntry
from organizations.validators import mask_id_number
from tests.classroom.evidence_world import MANUAL_REASON, evidence_class, jpeg
from tests.conftest import login_client


@pytest.fixture
def private_root(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture
def world(cast: Any, private_root: Path) -> dict[str, Any]:
    return evidence_class(cast.east)


@pytest.fixture
def open_world(cast: Any, private_root: Path) -> dict[str, Any]:
    """The same class, not closed yet: its photos may still change."""
    return evidence_class(cast.east, close=False)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _url(world: dict[str, Any], name: str = "") -> str:
    base = f"/classes/{world['class'].pk}/evidence/"
    return base + name


# --- the sheet ---------------------------------------------------------------------------------------


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def test_xlsx_sheet_has_the_class_and_one_line_per_invitee(cast: Any, world: dict[str, Any]) -> None:
    response = login_client(world["trainer"]).get(_url(world, "sheet.xlsx"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "%E7%AD%BE%E5%88%B0%E8%A1%A8" in response["Content-Disposition"]  # 签到表, RFC 6266-encoded
    rows = _xlsx_rows(response.content)
    facts = {row[0]: row[1] for row in rows[:14] if len(row) > 1 and row[0]}
    assert facts["主题"] == "车间级安全教育：动火作业"
    assert facts["地点"] == "二号会议室"
    assert facts["现场照片"] == "2"
    assert "90" in facts["学时"]
    by_name = {row[0]: row for row in rows if row and row[0] in {p.name for p in world["people"].values()}}
    assert set(by_name) == {p.name for p in world["people"].values()}
    on_time = by_name[world["people"]["on_time"].name]
    assert on_time[1] == mask_id_number(world["people"]["on_time"].id_number)
    assert world["people"]["on_time"].id_number not in str(rows)  # never whole
    assert on_time[4] == "扫码"
    assert on_time[6] == "扫码"
    assert on_time[7] == pytest.approx(2.0)  # 90 minutes = 2 学时 of 45 minutes
    late = by_name["迟到者"]
    assert "迟到 25 分钟" in late[8]
    assert late[7] < 2.0
    manual = by_name["代签者"]
    assert manual[4].startswith("讲师代签")
    assert MANUAL_REASON in manual[4]
    assert "未签退" in by_name["未签退者"][8]
    assert by_name["未签退者"][7] == 0
    absent = by_name["缺席者"]
    assert absent[8] == "缺席"
    assert absent[3] == "—"
    totals = next(row for row in rows if row and row[0] == "合计")
    assert "5 人应到" in totals[1]
    assert "1 人缺席" in totals[1]
    assert "2 张现场照片" in totals[1]


def test_xlsx_sheet_neutralises_formulas_in_names(cast: Any, private_root: Path) -> None:
    world = evidence_class(cast.east, photos=0)
    person = world["people"]["absent"]
    type(person).objects.filter(pk=person.pk).update(name='=HYPERLINK("http://evil.example","x")')
    rows = _xlsx_rows(login_client(world["trainer"]).get(_url(world, "sheet.xlsx")).content)
    names = [row[0] for row in rows if row and str(row[0]).lstrip("'").startswith("=HYPERLINK")]
    assert names == ['\'=HYPERLINK("http://evil.example","x")']


def test_pdf_sheet_has_the_lines(cast: Any, world: dict[str, Any]) -> None:
    pypdf = pytest.importorskip("pypdf")  # requirements-test.txt; skipped only where it is not installed yet
    response = login_client(cast.east.bureau).get(_url(world, "sheet.pdf"))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    text = text.replace("\n", "")
    assert "签到表" in text
    assert "车间级安全教育：动火作业" in text
    for person in world["people"].values():
        assert person.name in text
        assert mask_id_number(person.id_number) in text
        assert person.id_number not in text
    assert MANUAL_REASON in text
    assert "缺席" in text
    assert "迟到 25 分钟" in text


def test_the_page_lists_lines_and_photos(cast: Any, world: dict[str, Any]) -> None:
    page = login_client(cast.east.bureau).get(_url(world)).content.decode()
    assert page.count("data-line") == 5
    assert page.count("data-photo=") == 2
    assert "sheet.pdf" in page
    assert "sheet.xlsx" in page
    assert "data-photo-delete" not in page  # closed, and the bureau does not run it


# --- who may open it ----------------------------------------------------------------------------------


def _evidence_urls(world: dict[str, Any]) -> list[str]:
    photo = world["photos"][0]
    return [
        _url(world),
        _url(world, "sheet.pdf"),
        _url(world, "sheet.xlsx"),
        _url(world, f"photos/{photo.pk}/"),
        _url(world, f"photos/{photo.pk}/thumb/"),
    ]


def test_runners_and_the_bureau_open_every_part(cast: Any, world: dict[str, Any]) -> None:
    for user in (world["trainer"], cast.east.bureau, cast.east.proctor, cast.platform_admin):
        client = login_client(user)
        for url in _evidence_urls(world):
            assert client.get(url).status_code == 200, (user, url)


def test_invitees_and_outsiders_get_nothing(cast: Any, world: dict[str, Any]) -> None:
    invitee = world["people"]["late"].user
    others = [invitee, cast.east.learner.user, cast.east.training_admin, cast.outsider]
    others += [cast.west.learner.user, cast.west.enterprise_admin, cast.west.bureau, cast.west.training_admin]
    for user in others:
        client = login_client(user)
        for url in _evidence_urls(world):
            assert client.get(url).status_code == 404, (user, url)
    assert not AuditEntry.objects.filter(action=evidence.ACTION_PHOTO_VIEW).exists()


def test_every_photo_view_is_logged(cast: Any, world: dict[str, Any]) -> None:
    photo = world["photos"][1]
    client = login_client(cast.east.bureau)
    assert client.get(_url(world, f"photos/{photo.pk}/thumb/"))["Content-Type"] == "image/jpeg"
    response = client.get(_url(world, f"photos/{photo.pk}/"))
    assert "no-store" in response["Cache-Control"]
    views = AuditEntry.objects.filter(action=evidence.ACTION_PHOTO_VIEW, object_id=str(photo.pk))
    assert [(v.actor, v.detail["thumb"]) for v in views.order_by("pk")] == [
        (cast.east.bureau, True),
        (cast.east.bureau, False),
    ]


def test_a_photo_of_another_class_is_not_served_through_this_one(cast: Any, private_root: Path) -> None:
    mine = evidence_class(cast.east, photos=1)
    theirs = evidence_class(cast.west, photos=1)
    client = login_client(cast.east.bureau)
    assert client.get(_url(mine, f"photos/{theirs['photos'][0].pk}/")).status_code == 404


# --- the auditor's path: a ledger entry links to the class -------------------------------------------------


def test_the_ledger_entry_in_a_person_file_links_to_the_class(cast: Any, world: dict[str, Any]) -> None:
    person = world["people"]["late"]
    page = login_client(cast.east.bureau).get(f"/org/people/{person.pk}/").content.decode()
    assert f'href="{_url(world)}" data-evidence' in page
    assert login_client(cast.east.bureau).get(f"/org/people/{person.pk}/file.pdf").status_code == 200
    # The learner's own file shows the entry, not the class's evidence (other people's names).
    own = login_client(person.user).get(f"/org/people/{person.pk}/")
    if own.status_code == 200:
        assert "data-evidence" not in own.content.decode()


# --- photos: upload, checks, removal ----------------------------------------------------------------------


def _upload(client: Any, world: dict[str, Any], *files: tuple[str, bytes, str]) -> Any:
    uploads = [SimpleUploadedFile(name, data, content_type=kind) for name, data, kind in files]
    return client.post(_url(world, "photos/"), {"photos": uploads}, follow=True)


def _gps_exif() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 29.0)}  # GPSInfo
    return exif.tobytes()


def test_a_phone_photo_is_kept_without_its_location(cast: Any, open_world: dict[str, Any], private_root: Path) -> None:
    from PIL import Image

    original = jpeg(width=400, height=300, exif=_gps_exif())
    assert b"PhoneMaker" in original
    response = _upload(login_client(open_world["trainer"]), open_world, ("IMG_0001.JPG", original, "image/jpeg"))
    assert "1 张照片已添加" in response.content.decode()
    photo = SitePhoto.objects.filter(training_class=open_world["class"]).order_by("-pk").first()
    stored = evidence.photo_bytes(photo)
    assert stored is not None
    assert b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (400, 300)
        assert not image.getexif()
    assert (private_root / "classroom" / photo.path).is_file()
    assert AuditEntry.objects.filter(action=evidence.ACTION_PHOTO_ADD, detail__photo=photo.pk).exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.jpg", b"this is not a picture at all", "已损坏或不是图片"),
        ("IMG_0002.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "HEIC"),
        (
            "anim.gif",
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
            b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
            "JPEG、PNG 或 WebP",
        ),
        ("empty.png", b"", "为空"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    cast: Any, open_world: dict[str, Any], private_root: Path, name: str, data: bytes, message: str
) -> None:
    before_files, before_rows = _files(private_root), SitePhoto.objects.count()
    good = ("good.jpg", jpeg(), "image/jpeg")
    response = _upload(login_client(open_world["trainer"]), open_world, good, (name, data, "image/jpeg"))
    text = response.content.decode()
    assert message in text
    assert name in text
    assert SitePhoto.objects.count() == before_rows  # the good one neither: all or nothing
    assert _files(private_root) == before_files


def test_too_many_photos_are_refused(cast: Any, open_world: dict[str, Any], private_root: Path) -> None:
    room = evidence.PHOTOS_PER_CLASS - len(open_world["photos"])
    files = [(f"p{i}.jpg", jpeg(), "image/jpeg") for i in range(room + 1)]
    response = _upload(login_client(open_world["trainer"]), open_world, *files)
    assert "最多保存 30 张照片" in response.content.decode()
    assert SitePhoto.objects.filter(training_class=open_world["class"]).count() == len(open_world["photos"])


def test_only_runners_upload_and_only_before_the_class_is_closed(
    cast: Any, open_world: dict[str, Any], world: dict[str, Any], private_root: Path
) -> None:
    photo = ("site.jpg", jpeg(), "image/jpeg")
    for user in (cast.east.bureau, world["people"]["late"].user, cast.outsider):
        assert _upload(login_client(user), open_world, photo).status_code == 404
    before = _files(private_root)
    response = _upload(login_client(world["trainer"]), world, photo)  # closed
    assert "照片已不能更改" in response.content.decode()
    assert _files(private_root) == before
    assert SitePhoto.objects.filter(training_class=world["class"]).count() == 2


def test_the_runner_removes_a_photo_before_the_class_is_closed(
    cast: Any, open_world: dict[str, Any], private_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    photo = open_world["photos"][0]
    path = private_root / "classroom" / photo.path
    assert path.is_file()
    url = _url(open_world, f"photos/{photo.pk}/delete/")
    assert login_client(cast.east.bureau).post(url).status_code == 404
    assert login_client(open_world["people"]["late"].user).post(url).status_code == 404
    page = login_client(open_world["trainer"]).get(_url(open_world)).content.decode()
    assert "data-photo-delete" in page
    with django_capture_on_commit_callbacks(execute=True):
        login_client(open_world["trainer"]).post(url)
    assert not SitePhoto.objects.filter(pk=photo.pk).exists()
    assert not path.exists()
    assert not path.with_name(path.stem + "-thumb.jpg").exists()
    assert AuditEntry.objects.filter(action=evidence.ACTION_PHOTO_DELETE, detail__photo=photo.pk).exists()


def test_photos_of_a_closed_class_stay(cast: Any, world: dict[str, Any]) -> None:
    photo = world["photos"][0]
    response = login_client(world["trainer"]).post(_url(world, f"photos/{photo.pk}/delete/"), follow=True)
    assert "照片已不能更改" in response.content.decode()
    assert SitePhoto.objects.filter(pk=photo.pk).exists()
    assert evidence.photo_bytes(photo) is not None


@pytest.mark.usefixtures("english")
def test_service_refusals_name_the_file(cast: Any, open_world: dict[str, Any]) -> None:
    with pytest.raises(evidence.PhotoRejected, match="scan.bmp"):
        evidence.photos_add(
            training_class=open_world["class"],
            by=open_world["trainer"],
            files=[("scan.bmp", _bmp())],
        )
    cancelled = TrainingClass.objects.filter(pk=open_world["class"].pk)
    cancelled.update(status=TrainingClass.Status.CANCELLED)
    with pytest.raises(evidence.EvidenceFrozen):
        evidence.photos_add(training_class=cancelled.get(), by=open_world["trainer"], files=[("a.jpg", jpeg())])


def _bmp() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "BMP")
    return buffer.getvalue()


def test_a_large_sideways_phone_photo_is_kept_upright_and_scaled_down(cast: Any, open_world: dict[str, Any]) -> None:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the phone was held upright, the sensor wrote the picture sideways
    large = jpeg(width=7000, height=4000, exif=exif.tobytes())  # 28 megapixels, over the pages' picture limit
    sideways = jpeg(width=400, height=300, exif=exif.tobytes())
    added = evidence.photos_add(
        training_class=open_world["class"], by=open_world["trainer"], files=[("big.jpg", large), ("s.jpg", sideways)]
    )
    sizes = []
    for photo in added:
        with Image.open(io.BytesIO(evidence.photo_bytes(photo) or b"")) as image:
            sizes.append(image.size)
    assert sizes == [(1170, 2048), (300, 400)]
    with Image.open(io.BytesIO(evidence.photo_bytes(added[0], thumb=True) or b"")) as thumb:
        assert max(thumb.size) == evidence.THUMB_SIDE


def test_a_classroom_entry_reads_as_its_topic_and_the_ledger_export_carries_it(
    cast: Any, world: dict[str, Any]
) -> None:
    """The person file shows no machine key (``classroom:<id>``), and the ledger export, which assumed
    every entry has a lesson, no longer fails once a class credited someone."""
    person = world["people"]["late"]
    topic = world["class"].topic
    bureau = login_client(cast.east.bureau)
    page = bureau.get(f"/org/people/{person.pk}/").content.decode()
    assert topic in page
    assert "课堂出勤：" in page
    assert "classroom:" not in page
    export = bureau.get("/training/ledger/export/")
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig") if export.streaming else export.content.decode()
    assert any(topic in row for row in text.splitlines()[1:]), "the class's topic stands in the lesson column"
    assert "classroom:" not in text
