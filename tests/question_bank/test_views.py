"""Training-admin pages: banks, upload with background import, browse, edit, retire, export; and who may see them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from question_bank import services
from question_bank.models import Bank, ImportJob, Question
from tests.conftest import login_client
from tests.question_bank.conftest import ROWS, xlsx_bytes
from tests.support.cast_users import cast_user

pytestmark = pytest.mark.django_db


def _upload(client: Any, bank: Bank, data: bytes, name: str = "bank.xlsx", **extra: Any) -> Any:
    """Upload, then confirm on the preview page (tests/question_bank/test_import_mapping.py
    covers the steps in between); returns the upload page when it refused the file."""
    response = client.post(
        reverse("question_bank:import_upload", args=[bank.pk]), {"file": SimpleUploadedFile(name, data)}
    )
    if response.status_code != 302:
        return response
    job = ImportJob.objects.filter(status=ImportJob.Status.STAGED).latest("pk")
    assert response["Location"] == reverse("question_bank:import_preview", args=[job.pk])
    return client.post(response["Location"], extra)


def _run_queued_jobs(callbacks: list[Any]) -> None:
    # The view queues the job on commit; run what was queued, the way the
    # worker thread or Celery would (same service, this thread's connection).
    for job in ImportJob.objects.filter(status=ImportJob.Status.QUEUED):
        services.import_job_run(job_id=job.pk)
    assert callbacks, "the upload queued no background work"


def test_training_admin_uploads_and_sees_the_result(
    cast: Any, east_bank: Bank, django_capture_on_commit_callbacks: Any
) -> None:
    client = login_client(cast.east.training_admin)
    rows = [list(r) for r in ROWS]
    rows[0][7] = "C"  # one update
    rows.append([5, "单选题", "新题：高处作业的高度基准是？", "1米", "2米", "", "", "B", "", "", "高处作业"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _upload(client, east_bank, xlsx_bytes(rows))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("question_bank:import_job", args=[job.pk])
    status = client.get(reverse("question_bank:import_job_status", args=[job.pk])).json()
    assert status["status"] == "queued"
    assert not status["finished"]
    _run_queued_jobs(callbacks)
    status = client.get(reverse("question_bank:import_job_status", args=[job.pk])).json()
    assert status["finished"]
    assert status["progress"] == 100
    assert status["counts"] == {"rows": 5, "created": 1, "updated": 1, "unchanged": 3, "duplicate": 0, "error": 0}
    page = client.get(reverse("question_bank:import_job", args=[job.pk])).content.decode()
    assert "已完成" in page
    assert ImportJob.objects.get().payload in (b"", memoryview(b""))  # the upload is not kept


def test_upload_with_errors_stores_nothing_and_offers_an_error_report(
    cast: Any, east_bank: Bank, django_capture_on_commit_callbacks: Any
) -> None:
    client = login_client(cast.east.training_admin)
    before = Question.objects.count()
    rows = [[1, "单选题", "新题一", "a", "b", "", "", "A"], [2, "单选题", "坏题", "a", "b", "", "", "E"]]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _upload(client, east_bank, xlsx_bytes(rows))
    _run_queued_jobs(callbacks)
    job = ImportJob.objects.get()
    assert Question.objects.count() == before
    page = client.get(reverse("question_bank:import_job", args=[job.pk])).content.decode()
    assert "未保存任何题目" in page
    report = client.get(reverse("question_bank:import_job_errors", args=[job.pk]))
    rows = list(load_workbook(io.BytesIO(b"".join(report.streaming_content))).active.iter_rows(values_only=True))
    assert rows[1][0] == 3
    assert rows[1][1] == "答案"
    # The same file with "valid rows only" stores the good row.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _upload(
            client,
            east_bank,
            xlsx_bytes([[1, "单选题", "新题一", "a", "b", "", "", "A"], [2, "单选题", "坏题", "a", "b", "", "", "E"]]),
            valid_only="on",
        )
    _run_queued_jobs(callbacks)
    assert Question.objects.count() == before + 1


def test_bad_files_are_refused_on_the_upload_page(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    response = _upload(client, east_bank, b"GIF89a" + b"\x00" * 200, "photo.xlsx")
    assert response.status_code == 200
    assert not ImportJob.objects.exists()
    assert "errorlist" in response.content.decode()


def test_unrecognised_header_asks_for_the_columns_naming_the_missing_ones(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    response = client.post(
        reverse("question_bank:import_upload", args=[east_bank.pk]),
        {"file": SimpleUploadedFile("bank.xlsx", xlsx_bytes([["x"]], header=["序号", "内容"]))},
    )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.STAGED
    assert response["Location"] == reverse("question_bank:import_map", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert "题型" in page
    assert "答案" in page


def test_browse_search_and_filter(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    url = reverse("question_bank:bank_detail", args=[east_bank.pk])
    page = client.get(url).content.decode()
    assert "我国的火灾报警电话是？" in page
    assert "动火作业前应做好哪些准备？" in page
    # Each filter keeps one question and drops another.
    for params, kept, dropped in [
        ({"q": "火灾"}, "火灾报警", "动火作业前"),
        ({"type": "true_false"}, "进入受限空间前", "我国的火灾报警电话是？"),
        ({"kp": "动火作业"}, "动火作业前应做好哪些准备？", "进入受限空间前"),
        ({"tag": "冶金"}, "动火作业前应做好哪些准备？", "我国的火灾报警电话是？"),
        ({"difficulty": "1"}, "我国的火灾报警电话是？", "动火作业前"),
    ]:
        filtered = client.get(url, params).content.decode()
        assert kept in filtered, params
        assert dropped not in filtered, params


def test_edit_bumps_the_version_and_validates_like_an_import(cast: Any, east_question: Question) -> None:
    client = login_client(cast.east.training_admin)
    url = reverse("question_bank:question_edit", args=[east_question.pk])
    form = {"type": "single", "stem": "火警电话是多少？", "option_a": "110", "option_b": "119", "answer": "b",
            "explanation": "119", "difficulty": "2", "knowledge_point": "消防器材", "industry": "通用", "post": ""}  # fmt: skip
    assert client.post(url, {**form, "answer": "E"}).status_code == 200  # refused, shown again
    east_question.refresh_from_db()
    assert east_question.version == 1
    response = client.post(url, form)
    assert response.status_code == 302
    east_question.refresh_from_db()
    assert (east_question.stem, east_question.answer, east_question.options, east_question.version) == (
        "火警电话是多少？",
        "B",
        ["110", "119"],
        2,
    )


def test_a_question_is_added_by_hand_from_the_bank_page(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    page = client.get(reverse("question_bank:bank_detail", args=[east_bank.pk])).content.decode()
    url = reverse("question_bank:question_new", args=[east_bank.pk])
    assert f'href="{url}"' in page
    form = {"type": "true_false", "stem": "发现火情应立即拨打119。", "answer": "正确", "explanation": "",
            "difficulty": "1", "knowledge_point": "消防", "industry": "", "post": ""}  # fmt: skip
    before = Question.objects.filter(bank=east_bank).count()
    refused = client.post(url, {**form, "answer": "也许"})
    assert refused.status_code == 200
    assert Question.objects.filter(bank=east_bank).count() == before
    response = client.post(url, {**form, "another": "1"})
    assert response["Location"] == url
    added = Question.objects.get(bank=east_bank, stem="发现火情应立即拨打119。")
    assert (added.type, added.answer, added.version) == ("true_false", True, 1)
    # The same question twice is refused, as an import refuses a duplicate.
    assert client.post(url, form).status_code == 200
    assert Question.objects.filter(bank=east_bank, stem="发现火情应立即拨打119。").count() == 1
    # Only the bank's managers add questions.
    for user in (cast.west.training_admin, cast.east.learner.user):
        assert login_client(user).post(url, {**form, "stem": "别人的题"}).status_code in (403, 404)
    assert not Question.objects.filter(stem="别人的题").exists()


def test_after_saving_the_trainer_lands_on_the_question_with_a_message_naming_it(
    cast: Any, east_bank: Bank, east_question: Question
) -> None:
    client = login_client(cast.east.training_admin)
    form = {"type": "true_false", "stem": "发现火情应立即拨打119报警。", "answer": "正确", "difficulty": "1"}
    response = client.post(reverse("question_bank:question_new", args=[east_bank.pk]), form, follow=True)
    added = Question.objects.get(bank=east_bank, stem=form["stem"])
    url, _status = response.redirect_chain[-1]
    assert url == reverse("question_bank:bank_detail", args=[east_bank.pk]) + f"#q-{added.pk}"
    text = response.content.decode()
    assert f'id="q-{added.pk}"' in text
    assert f"#{added.pk}「发现火情应立即拨打119报警。」" in text
    edited = client.post(
        reverse("question_bank:question_edit", args=[east_question.pk]),
        {**form, "stem": "火警电话是119。"},
        follow=True,
    )
    assert edited.redirect_chain[-1][0].endswith(f"#q-{east_question.pk}")
    assert f"#{east_question.pk}「火警电话是119。」" in edited.content.decode()


def test_retire_and_restore(cast: Any, east_question: Question) -> None:
    client = login_client(cast.east.training_admin)
    url = reverse("question_bank:question_set_active", args=[east_question.pk])
    client.post(url, {"active": "0"})
    east_question.refresh_from_db()
    assert not east_question.is_active
    assert east_question.version == 2
    client.post(url, {"active": "1"})
    east_question.refresh_from_db()
    assert east_question.is_active


def test_export_downloads_the_bank(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    response = client.get(reverse("question_bank:bank_export", args=[east_bank.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.cell(1, 1).value == "题型"
    assert sheet.max_row == 5
    gift = b"".join(client.get(reverse("question_bank:bank_export", args=[east_bank.pk, "gift"])).streaming_content)
    assert "我国的火灾报警电话是？ {~110 =119 ~120 ~122 ####火警119。}" in gift.decode()


def test_template_download(cast: Any) -> None:
    response = login_client(cast.east.training_admin).get(reverse("question_bank:template"))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames[0] == "题库"
    assert len(book.sheetnames) == 2


def test_training_admin_creates_a_bank_for_their_provider_only(cast: Any) -> None:
    client = login_client(cast.east.training_admin)
    url = reverse("question_bank:bank_create")
    data = {"code": "east-new", "name": "新题库", "owner": cast.east.provider.pk, "visibility": "private"}
    assert client.post(url, data).status_code == 302
    assert Bank.objects.get(code="east-new").owner == cast.east.provider
    response = client.post(url, {**data, "code": "west-new", "owner": cast.west.provider.pk})
    assert response.status_code == 200
    assert not Bank.objects.filter(code="west-new").exists()


def test_bureau_reads_its_subtree_but_cannot_change(cast: Any, east_bank: Bank, east_question: Question) -> None:
    client = login_client(cast.east.bureau)
    assert client.get(reverse("question_bank:bank_detail", args=[east_bank.pk])).status_code == 200
    assert client.get(reverse("question_bank:import_upload", args=[east_bank.pk])).status_code == 404
    assert client.get(reverse("question_bank:question_edit", args=[east_question.pk])).status_code == 404
    assert (
        client.post(reverse("question_bank:question_set_active", args=[east_question.pk]), {"active": "0"}).status_code
        == 404
    )


# east.learner practises on the bank, but never browses its answers.
@pytest.mark.parametrize("who", ["outsider", "west.training_admin", "west.bureau", "east.learner", "west.learner"])
def test_others_cannot_reach_east_bank_pages(cast: Any, east_bank: Bank, east_question: Question, who: str) -> None:
    """test_it_validates_ownership: every page of an east bank refuses everyone else."""
    client = login_client(cast_user(cast, who))
    job = ImportJob.objects.create(bank=east_bank, created_by=cast.east.training_admin, file_name="x.xlsx")
    urls = [
        reverse("question_bank:bank_detail", args=[east_bank.pk]),
        reverse("question_bank:import_upload", args=[east_bank.pk]),
        reverse("question_bank:bank_export", args=[east_bank.pk, "xlsx"]),
        reverse("question_bank:import_job", args=[job.pk]),
        reverse("question_bank:import_job_status", args=[job.pk]),
        reverse("question_bank:import_job_errors", args=[job.pk]),
        reverse("question_bank:question_edit", args=[east_question.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code in (403, 404), url
    assert (
        client.post(reverse("question_bank:question_set_active", args=[east_question.pk]), {"active": "0"}).status_code
        == 404
    )
    east_question.refresh_from_db()
    assert east_question.is_active
    listing = client.get(reverse("question_bank:bank_list"))
    assert east_bank.name not in listing.content.decode()


def test_anonymous_is_sent_to_login(east_bank: Bank) -> None:
    from django.test import Client

    response = Client().get(reverse("question_bank:bank_detail", args=[east_bank.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_stem_image_is_uploaded_and_streamed_only_to_those_who_may_see_it(
    cast: Any, east_question: Question, settings: Any, tmp_path: Any
) -> None:
    import io as _io

    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    stream = _io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(stream, "PNG")
    client = login_client(cast.east.training_admin)
    url = reverse("question_bank:question_edit", args=[east_question.pk])
    form = {"type": "single", "stem": east_question.stem, "option_a": "110", "option_b": "119", "option_c": "120",
            "option_d": "122", "answer": "B", "explanation": "火警119。", "difficulty": "1",
            "knowledge_point": "消防器材", "industry": "通用", "post": "全员",
            "image": SimpleUploadedFile("fire.png", stream.getvalue(), content_type="image/png")}  # fmt: skip
    assert client.post(url, form).status_code == 302
    east_question.refresh_from_db()
    assert east_question.image
    image_url = reverse("question_bank:question_image", args=[east_question.pk])
    assert b"".join(client.get(image_url).streaming_content) == stream.getvalue()
    assert login_client(cast.east.learner.user).get(image_url).status_code == 200  # practises on the bank
    for user in (cast.outsider, cast.west.learner.user, cast.west.training_admin):
        assert login_client(user).get(image_url).status_code == 404


def test_a_picture_gone_from_storage_is_named_on_the_edit_and_can_be_replaced_or_removed(
    cast: Any, east_question: Question, settings: Any, tmp_path: Any
) -> None:
    """The stored picture's file is lost (a restore without media, a bucket
    cleaned up). Saving the question names the picture instead of a 500, on
    the page and in the API, and changes nothing; uploading a new picture or
    removing it then saves, and the fingerprint follows the new picture."""
    from PIL import Image
    from rest_framework.test import APIClient

    settings.MEDIA_ROOT = tmp_path

    def png(colour: str) -> bytes:
        stream = io.BytesIO()
        Image.new("RGB", (8, 8), colour).save(stream, "PNG")
        return stream.getvalue()

    client = login_client(cast.east.training_admin)
    url = reverse("question_bank:question_edit", args=[east_question.pk])
    form = {"type": "single", "stem": "发生火灾时应拨打哪个电话？", "option_a": "110", "option_b": "119",
            "option_c": "120", "option_d": "122", "answer": "B", "explanation": "火警119。", "difficulty": "1",
            "knowledge_point": "消防器材", "industry": "通用", "post": "全员"}  # fmt: skip
    upload = {**form, "image": SimpleUploadedFile("fire.png", png("blue"), content_type="image/png")}
    assert client.post(url, upload).status_code == 302
    east_question.refresh_from_db()
    east_question.image.storage.delete(east_question.image.name)
    before = (east_question.version, east_question.stem, east_question.fingerprint)

    page = client.post(url, {**form, "stem": "火灾报警电话是？"})
    assert page.status_code == 200
    assert "此题的图片文件已不在存储中" in page.content.decode()
    api = APIClient()
    api.force_authenticate(cast.east.training_admin)
    refused = api.patch(f"/api/v1/questions/{east_question.pk}/", {"stem": "火灾报警电话是？"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["image"][0].startswith("此题的图片文件已不在存储中")
    east_question.refresh_from_db()
    assert (east_question.version, east_question.stem, east_question.fingerprint) == before

    new = {
        **form,
        "stem": "火灾报警电话是？",
        "image": SimpleUploadedFile("red.png", png("red"), content_type="image/png"),
    }
    assert client.post(url, new).status_code == 302
    east_question.refresh_from_db()
    assert east_question.stem == "火灾报警电话是？"
    assert b"".join(
        client.get(reverse("question_bank:question_image", args=[east_question.pk])).streaming_content
    ) == png("red")
    with_red = east_question.fingerprint
    east_question.image.storage.delete(east_question.image.name)
    assert client.post(url, {**form, "remove_image": "on"}).status_code == 302
    east_question.refresh_from_db()
    assert not east_question.image
    assert east_question.fingerprint != with_red
