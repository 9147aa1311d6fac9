"""Word (.docx) and numbered text (.txt) banks: the layouts real banks use, their pictures, and the checks of the upload."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.uploads import UploadRejected, check_docx
from question_bank import importers, services
from question_bank.importers import ImportRefused
from question_bank.models import Bank, ImportJob, Question
from tests.conftest import login_client


def _txt(text: str, name: str = "bank.txt", encoding: str = "utf-8") -> importers.ParseResult:
    return importers.validate(importers.read_file(text.encode(encoding), name))


def _png(color: str = "red", size: tuple[int, int] = (20, 20)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def _docx(build: Any) -> bytes:
    import docx

    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _paragraphs(*lines: str) -> Any:
    def build(document: Any) -> None:
        for line in lines:
            document.add_paragraph(line)

    return build


# --- text ------------------------------------------------------------------------------


def test_the_common_layout_with_its_variants() -> None:
    result = _txt(
        "一、单选题\n"
        "1. 生产经营单位的（ ）是本单位安全生产第一责任人。\n"
        "A. 主要负责人  B. 安全管理人员\n"
        "C. 分管负责人  D. 班组长\n"
        "答案：A\n"
        "解析：安全生产法第五条。\n"
        "第二行解析。\n"
        "2、我国的火警电话是（ ）。\n"
        "A、110\tB、119\tC、120\tD、122\n"
        "【答案】B【解析】火警119。\n"
        "3．高处作业的坠落高度基准面是（ ）m。A．1 B．2 C．3 D．5\n"
        "正确答案：B\n"
        "（4）特种作业操作证每（ ）年复审一次。\n"
        "A、1B、2C、3D、5\n"
        "答 案 :C\n"
    )
    assert result.errors == []
    one, two, three, four = result.questions
    assert (one.type, one.answer, one.options) == (
        "single",
        "A",
        ("主要负责人", "安全管理人员", "分管负责人", "班组长"),
    )
    assert one.stem == "生产经营单位的（ ）是本单位安全生产第一责任人。"
    assert one.explanation == "安全生产法第五条。\n第二行解析。"
    assert (two.answer, two.options, two.explanation) == ("B", ("110", "119", "120", "122"), "火警119。")
    assert (three.stem, three.options, three.answer) == (
        "高处作业的坠落高度基准面是（ ）m。",
        ("1", "2", "3", "5"),
        "B",
    )
    assert (four.options, four.answer) == (("1", "2", "3", "5"), "C")


def test_sections_give_the_type_and_keys_in_brackets_are_taken_out_of_the_stem() -> None:
    result = _txt(
        "二、多项选择题（共2题，每题3分）\n"
        "1. 灭火的基本方法有（ABCD）。\n"
        "A.冷却法\nB.窒息法\nC.隔离法\nD.化学抑制法\n"
        "三、判断题\n"
        "1. 电气火灾应先切断电源。（√）\n"
        "2. 可以用水扑灭带电设备的火灾。(×)\n"
        "3. 从业人员有权拒绝违章指挥。\n"
        "A.正确 B.错误\n"
        "答案：A\n"
        "四、填空题\n"
        "1. 火警电话是____，急救电话是____。\n"
        "答案：119|120\n"
    )
    assert result.errors == []
    fire, electric, water, refuse, blanks = result.questions
    assert (fire.type, fire.answer, fire.stem) == ("multiple", "ABCD", "灭火的基本方法有（ ）。")
    assert (electric.type, electric.answer, electric.stem) == ("true_false", True, "电气火灾应先切断电源。（ ）")
    assert "×" not in water.stem
    assert water.answer is False
    assert (refuse.type, refuse.answer, refuse.options) == ("true_false", True, ())
    assert (blanks.type, blanks.answer) == ("fill_blank", [["119"], ["120"]])


def test_a_key_shown_in_the_stem_and_on_its_own_line_is_taken_out_of_the_stem() -> None:
    result = _txt(
        "1. 生产经营单位的（A）是第一责任人。\nA.主要负责人 B.班组长\n答案：A\n2. 电气火灾应先断电。（√）\n答案：正确\n"
    )
    assert [q.stem for q in result.questions] == ["生产经营单位的（ ）是第一责任人。", "电气火灾应先断电。（ ）"]


def test_without_a_heading_the_type_follows_from_options_and_key() -> None:
    result = _txt(
        "1. 单选题干（ ）\nA.甲 B.乙\n答案：B\n"
        "2. 多选题干（ ）\nA.甲 B.乙 C.丙\n答案：AC\n"
        "3. 判断题干。\n答案：错\n"
        "4. 填空题干____。\n答案：预防为主\n"
    )
    assert [(q.type, q.answer) for q in result.questions] == [
        ("single", "B"),
        ("multiple", "AC"),
        ("true_false", False),
        ("fill_blank", [["预防为主"]]),
    ]


def test_a_question_without_a_key_is_an_error_naming_it_and_never_swallows_the_next() -> None:
    result = _txt(
        "安全知识题库\n"
        "1. 第一题（ ）\nA.甲 B.乙\n答案：A\n"
        "2. 第二题没有答案（ ）\nA.甲 B.乙\n"
        "3. 第三题（ ）\nA.甲 B.乙\n答案：B\n"
    )
    assert [q.stem for q in result.questions] == ["第一题（ ）", "第三题（ ）"]
    assert [q.options for q in result.questions] == [("甲", "乙"), ("甲", "乙")]
    assert [(e.row, e.message) for e in result.errors] == [(5, "Question 2 (line 5): The answer is empty.")]


def test_errors_read_in_chinese_with_the_question_number_and_line() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        result = _txt("一、多选题\n1. 题干（ ）\nA.甲 B.乙\n答案：A\n")
    assert result.errors[0].message == "第 1 题（第 2 行）：多选题至少要有两个答案，“A”只有一个。"


def test_subjective_sections_are_left_to_validate_to_decide() -> None:
    table = importers.read_file("五、简答题\n1. 简述三级安全教育。\n答案：厂级、车间级、班组级。\n".encode(), "b.txt")
    assert table.rows[0].values["type"] == "简答题"
    assert table.rows[0].values["answer"] == "厂级、车间级、班组级"


def test_explanation_numbers_do_not_start_questions_and_chapters_give_the_knowledge_point() -> None:
    result = _txt(
        "第一章 安全生产法律基本知识\n"
        "3. 题干三（ ）\nA.甲 B.乙\n答案：A\n解析：\n1. 依据一\n2. 依据二\n"
        "4. 题干四（ ）\nA.甲 B.乙\n答案：B\n"
    )
    assert [q.stem for q in result.questions] == ["题干三（ ）", "题干四（ ）"]
    assert result.questions[0].knowledge_point == "安全生产法律基本知识"
    assert "依据二" in result.questions[0].explanation


def test_gb18030_text_from_windows_notepad_reads() -> None:
    result = _txt("1. 火警电话是（ ）。\r\nA.110 B.119\r\n答案：B\r\n", encoding="gb18030")
    assert result.questions[0].answer == "B"


def test_aiken_txt_files_still_go_to_the_aiken_reader() -> None:
    result = _txt("What is 2+2?\nA. 3\nB. 4\nANSWER: B\n")
    assert result.questions[0].answer == "B"
    assert result.questions[0].options == ("3", "4")


def test_a_text_without_numbered_questions_is_refused_with_the_layout_expected() -> None:
    with pytest.raises(ImportRefused, match="1. stem"):
        importers.read_file("只是一段说明文字。\n没有试题。\n".encode(), "notes.txt")


# --- Word ------------------------------------------------------------------------------


def test_docx_paragraphs_read_like_text_lines() -> None:
    data = _docx(
        _paragraphs(
            "一、单选题", "1. 火警电话是（ ）。", "A. 110\tB. 119", "答案：B", "2. 急救电话是（C）", "A.110 B.119 C.120"
        )
    )
    result = importers.validate(importers.read_file(data, "bank.docx"))
    assert [(q.answer, q.options) for q in result.questions] == [("B", ("110", "119")), ("C", ("110", "119", "120"))]


def test_a_word_file_under_another_name_is_read_as_word() -> None:
    data = _docx(_paragraphs("1. 火警电话是（ ）。", "A. 110  B. 119", "答案：B"))
    result = importers.validate(importers.read_file(data, "题库（最终版）"))
    assert [q.answer for q in result.questions] == ["B"]


def test_docx_pictures_become_stem_images_and_the_same_words_with_other_pictures_are_other_questions() -> None:
    red, blue = _png("red"), _png("blue")

    def build(document: Any) -> None:
        from docx.shared import Cm

        for number, (picture, key) in enumerate([(red, "A"), (blue, "B")], start=1):
            document.add_paragraph(f"{number}. 下图标志的含义是（ ）。")
            document.add_paragraph().add_run().add_picture(io.BytesIO(picture), width=Cm(1))
            document.add_paragraph("A. 禁止烟火  B. 禁止吸烟")
            document.add_paragraph(f"答案：{key}")
        document.add_paragraph("3. 没有图片的题（ ）")
        document.add_paragraph("A. 甲  B. 乙")
        document.add_paragraph("答案：A")

    result = importers.validate(importers.read_file(_docx(build), "signs.docx"))
    assert result.errors == []
    assert result.warnings == []
    assert [q.image for q in result.questions] == [red, blue, b""]
    assert result.questions[0].fingerprint != result.questions[1].fingerprint


def test_docx_question_with_two_pictures_is_an_error_for_that_question_only() -> None:
    def build(document: Any) -> None:
        from docx.shared import Cm

        document.add_paragraph("1. 两张图（ ）")
        run = document.add_paragraph().add_run()
        run.add_picture(io.BytesIO(_png("red")), width=Cm(1))
        run.add_picture(io.BytesIO(_png("blue")), width=Cm(1))
        document.add_paragraph("A. 甲  B. 乙")
        document.add_paragraph("答案：A")
        document.add_paragraph("2. 下一题（ ）")
        document.add_paragraph("A. 甲  B. 乙")
        document.add_paragraph("答案：B")

    result = importers.validate(importers.read_file(_docx(build), "two.docx"))
    assert [q.stem for q in result.questions] == ["下一题（ ）"]
    assert len(result.errors) == 1
    assert result.errors[0].message.startswith("Question 1 (line 1): The question has 2 pictures")


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, content if info.filename == name else source.read(info))
        if name not in source.namelist():
            target.writestr(name, content)
    return out.getvalue()


def test_a_picture_that_is_not_an_image_is_named_in_the_question_error() -> None:
    data = _docx(_build_with_picture)
    media = next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("word/media/"))
    broken = _with_part(data, media, b"not a picture at all")
    result = importers.validate(importers.read_file(broken, "broken.docx"))
    assert result.questions == []
    assert result.errors[0].message == "Question 1 (line 1): The picture is damaged or not an image."


def _build_with_picture(document: Any) -> None:
    document.add_paragraph("1. 题（ ）")
    document.add_paragraph().add_run().add_picture(io.BytesIO(_png()))
    document.add_paragraph("A. 甲  B. 乙")
    document.add_paragraph("答案：A")


def _auto_numbered(restart: bool) -> bytes:
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    def build(document: Any) -> None:
        numbering = document.part.numbering_part.element
        for abstract, fmt, text in (("70", "decimal", "%1、"), ("71", "upperLetter", "%1.")):
            numbering.insert(
                0,
                parse_xml(
                    f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract}"><w:lvl w:ilvl="0">'
                    f'<w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl></w:abstractNum>'
                ),
            )
        override = '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>' if restart else ""
        for num, abstract in (("70", "70"), ("71", "71"), ("72", "71")):
            numbering.append(
                parse_xml(
                    f'<w:num {nsdecls("w")} w:numId="{num}"><w:abstractNumId w:val="{abstract}"/>'
                    f"{override if num != '70' else ''}</w:num>"
                )
            )

        def numbered(text: str, num: str) -> None:
            paragraph = document.add_paragraph(text)
            paragraph._p.get_or_add_pPr().append(
                parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{num}"/></w:numPr>')
            )

        for index, key in enumerate("BA"):
            numbered(f"第{index + 1}个题干（ ）", "70")
            numbered("甲", str(71 + index))
            numbered("乙", str(71 + index))
            document.add_paragraph(f"答案：{key}")

    return _docx(build)


def test_word_automatic_numbering_is_read_as_the_numbers_a_reader_sees() -> None:
    result = importers.validate(importers.read_file(_auto_numbered(restart=True), "auto.docx"))
    assert result.errors == []
    assert [(q.stem, q.options, q.answer) for q in result.questions] == [
        ("第1个题干（ ）", ("甲", "乙"), "B"),
        ("第2个题干（ ）", ("甲", "乙"), "A"),
    ]


def test_word_lists_that_do_not_restart_continue_their_letters_as_word_shows_them() -> None:
    # Word shows the second question's options as C. 甲 / D. 乙: they are not options A and B.
    result = importers.validate(importers.read_file(_auto_numbered(restart=False), "auto.docx"))
    assert [q.stem for q in result.questions] == ["第1个题干（ ）"]
    assert [(e.row, e.message) for e in result.errors] == [
        (5, "Question 2 (line 5): A choice question needs at least two options.")
    ]


# --- the upload checks -------------------------------------------------------------------


def test_check_docx_accepts_a_word_file() -> None:
    assert check_docx(_docx(_paragraphs("1. 题")), "a.docx").kind == "docx"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "Old Word .doc files are not supported"),
        (b"just some text", "not a Word document"),
        (b"PK\x03\x04 broken zip", "not a Word document"),
    ],
)
def test_check_docx_refuses_what_is_not_a_word_document(data: bytes, message: str) -> None:
    with pytest.raises(UploadRejected, match=message):
        check_docx(data, "a.docx")


def test_an_excel_workbook_named_docx_is_refused() -> None:
    from tests.question_bank.conftest import ROWS, xlsx_bytes

    with pytest.raises(UploadRejected, match="not a Word document"):
        importers.read_file(xlsx_bytes(ROWS), "bank.docx")


def test_a_zip_bomb_named_docx_is_refused_before_it_is_inflated(settings: Any) -> None:
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 10 * 1024 * 1024
    data = _with_part(_docx(_paragraphs("1. 题")), "word/media/bomb.bin", b"\0" * (20 * 1024 * 1024))
    assert len(data) < 1024 * 1024
    with pytest.raises(UploadRejected, match="possible zip bomb"):
        check_docx(data, "bomb.docx")


def test_a_docx_part_with_a_dtd_is_refused() -> None:
    data = _docx(_paragraphs("1. 题"))
    original = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    evil = original.replace(b"?>", b'?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>', 1)
    with pytest.raises(UploadRejected, match="declares XML entities"):
        check_docx(_with_part(data, "word/document.xml", evil), "evil.docx")


# --- storing ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_stores_the_stem_picture_on_the_question(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    bank = Bank.objects.create(code="signs", name="安全标志")
    data = _docx(_build_with_picture)
    result = services.import_file(bank=bank, data=data, name="signs.docx")
    assert result.counts["created"] == 1
    question = Question.objects.get(bank=bank)
    assert question.image.name.startswith("question_bank/images/import/")
    with question.image.open("rb") as stored:
        assert stored.read() == _png()
    again = services.import_file(bank=bank, data=data, name="signs.docx")
    assert (again.counts["created"], again.counts["unchanged"]) == (0, 1)


@pytest.mark.django_db
def test_a_failed_import_leaves_no_picture_behind(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    bank = Bank.objects.create(code="signs", name="安全标志")
    parsed = importers.validate(importers.read_file(_docx(_build_with_picture), "signs.docx"))
    # The same fingerprint twice in one write breaks the bank's unique constraint inside the transaction.
    parsed.questions.append(parsed.questions[0])
    with pytest.raises(Exception):  # noqa: B017, PT011 - the database's own IntegrityError class varies
        services.import_parsed(bank=bank, parsed=parsed)
    assert Question.objects.filter(bank=bank).count() == 0
    assert not list(tmp_path.rglob("*.png"))


@pytest.mark.django_db
def test_training_admin_uploads_a_word_bank_in_the_browser(
    cast: Any, east_bank: Bank, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = login_client(cast.east.training_admin)
    url = reverse("question_bank:import_upload", args=[east_bank.pk])
    page = client.get(url).content.decode()
    assert ".docx" in page
    assert ".txt" in page
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, {"file": SimpleUploadedFile("标志.docx", _docx(_build_with_picture))})
        assert response.status_code == 302
        # A Word bank has no columns to map: it goes straight to the preview, then the admin confirms.
        preview = client.get(response["Location"]).content.decode()
        assert "题（ ）" in preview
        assert not Question.objects.filter(bank=east_bank, stem="题（ ）").exists()
        client.post(response["Location"])
    job = ImportJob.objects.get()
    services.import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.result["counts"]["created"] == 1
    question = Question.objects.get(bank=east_bank, stem="题（ ）")
    image_url = reverse("question_bank:question_image", args=[question.pk])
    page = client.get(reverse("question_bank:bank_detail", args=[east_bank.pk]), {"q": "题（ ）"}).content.decode()
    assert f'src="{image_url}"' in page  # the admin sees the picture with the question
    assert b"".join(client.get(image_url).streaming_content) == _png()


@pytest.mark.django_db
def test_a_doc_named_docx_is_refused_on_the_upload_page(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    url = reverse("question_bank:import_upload", args=[east_bank.pk])
    response = client.post(
        url, {"file": SimpleUploadedFile("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)}
    )
    assert response.status_code == 200
    assert "不支持旧版 Word .doc 文件" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_api_upload_of_a_docx_is_checked_and_queued(cast: Any, east_bank: Bank) -> None:
    client = login_client(cast.east.training_admin)
    url = f"/api/v1/question-banks/{east_bank.pk}/imports/"
    bad = client.post(url, {"file": SimpleUploadedFile("bad.docx", b"plain text, not a zip")})
    assert bad.status_code == 400
    assert "file" in bad.json() or "file" in str(bad.json())
    good = client.post(
        url, {"file": SimpleUploadedFile("ok.docx", _docx(_paragraphs("1. 题（ ）", "A.甲 B.乙", "答案：A")))}
    )
    assert good.status_code == 202
