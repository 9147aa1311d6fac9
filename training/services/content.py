"""Course content: courses, chapters, lessons and their media, and the quiz bank a lesson draws from."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from core.http import stored_file
from core.private_files import PrivateFolder
from core.richtext import sanitize_html as sanitize_article_html
from organizations.models import Enterprise, Industry, Jurisdiction, TrainingProvider
from training import selectors
from training.models import Chapter, Course, CreditLedger, Lesson, Progress
from training.pdf_pages import PAGE_EXTENSION, RENDER_VERSION, PdfUnreadable, page_count, render_page
from training.services.assignments import assignments_refresh
from training.services.errors import ContentHasCredit, CourseEmpty, MediaRejected, ShareNeedsOffer


def check_lesson_media(data: bytes, *, kind: str, size: int | None = None) -> str:
    """Return the media type of an upload judged by its magic bytes; raise
    MediaRejected for the wrong type or an oversized file. ``data`` may be
    just the head of the file when ``size`` gives the full size."""
    limit = settings.TRAINING_MEDIA_MAX_BYTES
    size = len(data) if size is None else size
    if size > limit:
        raise MediaRejected(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)}
        )
    if not data or not size:
        raise MediaRejected(_("The file is empty."))
    if kind == Lesson.Kind.VIDEO:
        if data[4:8] == b"ftyp":
            return "video/mp4"
        if data[:4] == b"\x1a\x45\xdf\xa3":
            return "video/webm"
        raise MediaRejected(_("A video lesson needs an MP4 or WebM file; this file is neither."))
    if kind == Lesson.Kind.DOCUMENT:
        if data[:5] == b"%PDF-":
            return "application/pdf"
        raise MediaRejected(_("A document lesson needs a PDF file; this file is not a PDF."))
    raise MediaRejected(_("An article lesson has no file."))


def pdf_page_count(data: bytes) -> int:
    """The pages of a document lesson's or a lesson plan's PDF, as PDFium counts them; MediaRejected when
    PDFium cannot open it (damaged, password-protected), so that nobody is given a file they cannot read."""
    try:
        return page_count(data)
    except PdfUnreadable as exc:
        reasons = {
            "password": _(
                "This PDF is protected by a password, so it cannot be opened on the platform. "
                "Save it without a password and upload it again."
            ),
            "security": _(
                "This PDF uses a protection that cannot be opened. Save it without protection and upload it again."
            ),
            "no_pages": _("This PDF has no pages."),
        }
        raise MediaRejected(
            reasons.get(
                exc.reason,
                _("This PDF is damaged and cannot be opened. Export or save it as PDF again and upload it again."),
            )
        ) from None


# Lesson files and their drawn pages, in the same private folder as ``Lesson.media`` (private_storage_for("training")).
_LESSON_FILES = PrivateFolder("training")


def _pages_folder(media_name: str) -> str:
    return f"{media_name}.pages"


def lesson_page_image(*, lesson: Lesson, number: int) -> bytes:
    """Page ``number`` of a document lesson's PDF as an image (``pdf_pages.PAGE_CONTENT_TYPE``), drawn on
    first request and kept beside the file. The cached name carries the file's own name (a replaced file
    has a new one) and ``RENDER_VERSION``. Raises ``pdf_pages.NoSuchPage`` past the end, ``FileGone``."""
    name = f"{_pages_folder(lesson.media.name)}/{RENDER_VERSION}-{number}.{PAGE_EXTENSION}"
    cached = _LESSON_FILES.read(name)
    if cached is not None:
        return cached
    with stored_file(lesson.media) as handle:
        image = render_page(handle, number)
    _LESSON_FILES.write(name, image)
    return image


def _forget_media(storage: Any, name: str) -> None:
    storage.delete(name)
    _LESSON_FILES.delete_folder(_pages_folder(name))


_EXTENSIONS = {"video/mp4": "mp4", "video/webm": "webm", "application/pdf": "pdf"}


def _attach_media(lesson: Lesson, *, data: bytes | None, upload: Any | None) -> None:
    """Check an upload by its magic bytes and size, then store it on ``lesson``
    (not saved). ``upload`` is a Django UploadedFile: only its head is read
    for the check, so an oversized file is refused without reading it."""
    if upload is not None:
        head = upload.read(64)
        upload.seek(0)
        lesson.media_type = check_lesson_media(head, kind=lesson.kind, size=upload.size)
        if lesson.kind == Lesson.Kind.DOCUMENT:
            lesson.page_count = pdf_page_count(upload.read())
            upload.seek(0)
        content: Any = upload
    elif data is not None:
        lesson.media_type = check_lesson_media(data, kind=lesson.kind)
        if lesson.kind == Lesson.Kind.DOCUMENT:
            lesson.page_count = pdf_page_count(data)
        content = ContentFile(data)
    else:
        raise MediaRejected(_("Choose a file for this lesson."))
    old = lesson.media.name if lesson.media else ""
    lesson.media.save(f"{secrets.token_hex(8)}.{_EXTENSIONS[lesson.media_type]}", content, save=False)
    if old:
        # The replaced file goes only once the new row is committed.
        storage = lesson.media.storage
        transaction.on_commit(lambda: _forget_media(storage, old))


def _next_order(qs: Any) -> int:
    last = qs.order_by("-order").values_list("order", flat=True).first()
    return (last or 0) + 1


def lesson_check_quiz_bank(*, actor: Any | None, quiz_bank_id: int | None, lesson: Lesson | None = None) -> None:
    """Refuse a quiz bank a lesson may not draw on: ``ValidationError`` naming ``quiz_bank``.

    The one rule for every door that sets a lesson's quiz bank (course builder, Django admin,
    ``lesson_create`` / ``lesson_update`` themselves):

    - the bank exists and is open to practice: a quiz shows its questions to learners and
      marks them, so an exam-only bank (``Bank.Purpose.EXAM_ONLY``) never becomes a quiz;
    - ``actor`` may use it for quizzes (``selectors.quiz_banks_for``), unless the lesson
      already draws on it (it keeps its bank when the builder no longer sees it).

    ``actor`` is the user acting, or None for the system itself (demo data, commands): then
    only the first rule is checked.
    """
    from question_bank import selectors as qb
    from question_bank.models import Bank

    if quiz_bank_id is None:
        return
    if not Bank.objects.filter(pk=quiz_bank_id).exists():
        raise ValidationError({"quiz_bank": _("There is no question bank with this id.")})
    if not qb.practice_allowed_bank_ids().filter(pk=quiz_bank_id).exists():
        raise ValidationError(
            {
                "quiz_bank": _(
                    "This question bank is for exams only: a lesson quiz would show its questions and answers "
                    "to learners. Choose a bank open to practice."
                )
            }
        )
    kept = lesson is not None and lesson.pk is not None and _stored_quiz_bank_id(lesson) == quiz_bank_id
    if actor is not None and not kept and not selectors.quiz_banks_for(actor).filter(pk=quiz_bank_id).exists():
        raise ValidationError({"quiz_bank": _("Choose a question bank you may use.")})


def _stored_quiz_bank_id(lesson: Lesson) -> int | None:
    return Lesson.objects.filter(pk=lesson.pk).values_list("quiz_bank_id", flat=True).first()


def _lock_quiz_bank(quiz_bank_id: int | None) -> None:
    """Hold the bank's row until the lesson is saved, so that ``bank_update`` cannot turn it
    exam-only in between (it locks the same row and asks ``check_bank_change_keeps_lesson_quizzes``).
    Call inside the lesson's transaction."""
    from question_bank.models import Bank

    if quiz_bank_id is not None:
        list(Bank.objects.select_for_update().filter(pk=quiz_bank_id).values_list("pk", flat=True))


def check_bank_change_keeps_lesson_quizzes(*, actor: Any | None, bank: Any, changes: dict[str, Any]) -> None:
    """Guard for ``question_bank.services.bank_update`` (registered in ``TrainingConfig.ready``):
    refuse turning a bank exam-only while lessons that are not retired draw their quizzes from it,
    which would silently leave those quizzes without questions. ``ValidationError`` on ``purpose``
    with how many lessons and courses (only counts: the courses may belong to other tenants)."""
    from question_bank.models import Bank

    if changes.get("purpose", Bank.Purpose.PRACTICE) == Bank.Purpose.PRACTICE:
        return
    lessons = Lesson.objects.filter(quiz_bank_id=bank.pk, retired=False)
    count = lessons.count()
    if not count:
        return
    courses = lessons.values("chapter__course_id").distinct().count()
    raise ValidationError(
        {
            "purpose": _(
                "The quizzes of %(lessons)d lesson(s) in %(courses)d course(s) draw on this bank: give those "
                "lessons another quiz bank (or retire them) before making it exam-only."
            )
            % {"lessons": count, "courses": courses}
        }
    )


@transaction.atomic
def lesson_create(
    *,
    actor: Any | None,
    chapter: Chapter,
    title: str,
    kind: str,
    credit_minutes: int,
    data: bytes | None = None,
    upload: Any | None = None,
    filename: str = "",
    body_html: str = "",
    duration_seconds: int = 0,
    order: int | None = None,
    quiz_bank_id: int | None = None,
    quiz_question_count: int = 0,
    quiz_pass_percent: int = 60,
) -> Lesson:
    """Create a lesson; raises MediaRejected (nothing saved) for a wrong or
    oversized file, ValidationError on ``quiz_bank`` for a bank it may not draw
    its quiz from (``lesson_check_quiz_bank``; ``actor``: the user acting, None
    for the system). Without ``order`` the lesson goes last in its chapter."""
    _lock_quiz_bank(quiz_bank_id)
    lesson_check_quiz_bank(actor=actor, quiz_bank_id=quiz_bank_id)
    if order is None:
        order = _next_order(chapter.lessons.all())
    lesson = Lesson(
        chapter=chapter,
        title=title,
        kind=kind,
        credit_minutes=credit_minutes,
        order=order,
        quiz_bank_id=quiz_bank_id,
        quiz_question_count=quiz_question_count if quiz_bank_id else 0,
        quiz_pass_percent=quiz_pass_percent,
    )
    if kind == Lesson.Kind.ARTICLE:
        lesson.body_html = sanitize_article_html(body_html)
    else:
        if kind == Lesson.Kind.VIDEO:
            lesson.duration_seconds = duration_seconds
        _attach_media(lesson, data=data, upload=upload)
    try:
        lesson.save()
    except Exception:
        if lesson.media:
            lesson.media.delete(save=False)
        raise
    return lesson


@transaction.atomic
def lesson_update(
    *,
    actor: Any | None,
    lesson: Lesson,
    chapter: Chapter,
    title: str,
    credit_minutes: int,
    upload: Any | None = None,
    body_html: str = "",
    duration_seconds: int | None = None,
    quiz_bank_id: int | None = None,
    quiz_question_count: int = 0,
    quiz_pass_percent: int = 60,
) -> Lesson:
    """Edit a lesson; its kind stays. A new file replaces the old one (checked
    like a new upload); without one the stored file stays. The quiz bank is
    checked as in ``lesson_create`` (ValidationError on ``quiz_bank``, nothing
    saved); a lesson keeps a bank its editor no longer sees, not an exam-only one."""
    if chapter.course_id != lesson.chapter.course_id:
        raise ValueError("A lesson moves only between chapters of its course.")
    _lock_quiz_bank(quiz_bank_id)
    lesson_check_quiz_bank(actor=actor, quiz_bank_id=quiz_bank_id, lesson=lesson)
    if chapter.pk != lesson.chapter_id:
        lesson.chapter = chapter
        lesson.order = _next_order(chapter.lessons.all())
    lesson.title = title
    lesson.credit_minutes = credit_minutes
    lesson.quiz_bank_id = quiz_bank_id
    lesson.quiz_question_count = quiz_question_count if quiz_bank_id else 0
    lesson.quiz_pass_percent = quiz_pass_percent
    if lesson.kind == Lesson.Kind.ARTICLE:
        lesson.body_html = sanitize_article_html(body_html)
    else:
        if lesson.kind == Lesson.Kind.VIDEO and duration_seconds is not None:
            lesson.duration_seconds = duration_seconds
        if upload is not None:
            _attach_media(lesson, data=None, upload=upload)
    lesson.save()
    return lesson


@transaction.atomic
def lesson_delete(*, lesson: Lesson) -> None:
    """Delete a lesson nobody has been credited for; raises ContentHasCredit
    otherwise (retire it with lesson_set_retired instead)."""
    if CreditLedger.objects.filter(lesson=lesson).exists():
        raise ContentHasCredit(
            _("“%(title)s” has credited study time on record and cannot be deleted; retire it instead.")
            % {"title": lesson.title}
        )
    name, storage = (lesson.media.name, lesson.media.storage) if lesson.media else ("", None)
    lesson.delete()
    if name and storage is not None:
        transaction.on_commit(lambda: _forget_media(storage, name))


def lesson_set_retired(*, lesson: Lesson, retired: bool) -> Lesson:
    """Retire (or bring back) a lesson: retired lessons are hidden from
    learners, credit nothing and are no longer required for completion."""
    if lesson.retired != retired:
        lesson.retired = retired
        lesson.save(update_fields=["retired"])
        for learner_id in set(Progress.objects.filter(lesson=lesson).values_list("learner_id", flat=True)):
            assignments_refresh(learner=User(pk=learner_id))
    return lesson


def _move(item: Any, siblings: Any, offset: int) -> None:
    """Swap ``item`` with its neighbour and renumber the siblings 1..n."""
    ordered = list(siblings.order_by("order", "pk"))
    index = next(i for i, other in enumerate(ordered) if other.pk == item.pk)
    target = index + offset
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, other in enumerate(ordered, start=1):
        if other.order != position:
            type(other).objects.filter(pk=other.pk).update(order=position)


@transaction.atomic
def lesson_move(*, lesson: Lesson, offset: int) -> None:
    _move(lesson, Lesson.objects.select_for_update().filter(chapter_id=lesson.chapter_id), offset)


@transaction.atomic
def course_share_check(
    *, course: Course | None, owner_provider: TrainingProvider | None, shared_with: Jurisdiction | None
) -> None:
    """Whether a provider may share a course with ``shared_with`` directly (issue 18's library rule).

    Only a district's own training centre (``TrainingProvider.Kind.DISTRICT_CENTRE``) shares directly, within
    the area it serves; a university or training institution publishes a course to a district's library through
    a ``LibraryOffer`` that the district accepts (``training.services.library``). A share already in place is kept.
    """
    if owner_provider is None or shared_with is None:
        return
    if course is not None and course.shared_with_id == shared_with.pk:
        return
    if owner_provider.kind == TrainingProvider.Kind.DISTRICT_CENTRE and shared_with.path.startswith(
        owner_provider.jurisdiction.path
    ):
        return
    raise ShareNeedsOffer(
        _(
            "A university or training institution publishes a course to a district by offering it from the "
            "lesson-plan library (My lesson plans), and the district accepts it. Only a district training centre "
            "shares a course within its own area."
        )
    )


def course_save(
    *,
    course: Course | None,
    title: str,
    description: str,
    owner_provider: TrainingProvider | None,
    owner_enterprise: Enterprise | None,
    shared_with: Jurisdiction | None,
    industries: list[Industry],
    posts: list[str],
    is_public: bool,
    published: bool,
) -> Course:
    """Create (``course=None``) or update a course. An enterprise's private
    course is shared with no one and never public."""
    if owner_enterprise is not None:
        shared_with, is_public = None, False
    course_share_check(course=course, owner_provider=owner_provider, shared_with=shared_with)
    if published and not (course is not None and course.published):
        course_publish_check(course)  # the edit form's 已发布 is a door to publishing too
    course = course or Course()
    course.title = title
    course.description = description
    course.owner_provider = owner_provider
    course.owner_enterprise = owner_enterprise
    course.shared_with = shared_with
    course.posts = list(posts)
    course.is_public = is_public
    course.published = published
    course.save()
    course.industries.set(industries)
    return course


def course_publish_check(course: Course | None) -> None:
    """A course is published only with something to study: at least one lesson."""
    if course is None or not Lesson.objects.filter(chapter__course=course).exists():
        raise CourseEmpty(_("Add at least one lesson before publishing the course."))


def course_publish(*, course: Course, published: bool) -> Course:
    """Publish a draft (learners may then be assigned it) or take it back to draft.
    A course without a lesson is refused: there would be nothing to study."""
    if published:
        course_publish_check(course)
    Course.objects.filter(pk=course.pk).update(published=published)
    course.published = published
    return course


@transaction.atomic
def chapter_create(*, course: Course, title: str) -> Chapter:
    return Chapter.objects.create(course=course, title=title, order=_next_order(course.chapters.all()))


def chapter_rename(*, chapter: Chapter, title: str) -> Chapter:
    chapter.title = title
    chapter.save(update_fields=["title"])
    return chapter


@transaction.atomic
def chapter_move(*, chapter: Chapter, offset: int) -> None:
    _move(chapter, Chapter.objects.select_for_update().filter(course_id=chapter.course_id), offset)


@transaction.atomic
def chapter_delete(*, chapter: Chapter) -> None:
    """Delete a chapter and its lessons, unless one of them has credited time."""
    credited = Lesson.objects.filter(chapter=chapter, pk__in=CreditLedger.objects.values("lesson_id")).first()
    if credited is not None:
        raise ContentHasCredit(
            _("The chapter’s lesson “%(title)s” has credited study time on record; retire lessons instead.")
            % {"title": credited.title}
        )
    for lesson in list(chapter.lessons.all()):
        lesson_delete(lesson=lesson)
    chapter.delete()
