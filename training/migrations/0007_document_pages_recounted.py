"""Document lessons' pages counted again, by PDFium (training.pdf_pages).

Until now a regex for ``/Type /Page`` counted them: a PDF that keeps its objects in compressed object
streams (most producers today) counted as 1 page, and its lesson ended after the first. A file that is
missing or that PDFium cannot open keeps its count (the player shows no page of it either way).
Learners' progress is kept: a completed lesson stays completed.
"""

from django.db import migrations


def recount(apps, schema_editor):
    from training.pdf_pages import PdfUnreadable, page_count

    Lesson = apps.get_model("training", "Lesson")
    for lesson in Lesson.objects.filter(kind="document").exclude(media="").only("pk", "media", "page_count"):
        try:
            with lesson.media.open("rb") as handle:
                pages = page_count(handle.read())
        except (OSError, PdfUnreadable):
            continue
        if pages != lesson.page_count:
            Lesson.objects.filter(pk=lesson.pk).update(page_count=pages)


class Migration(migrations.Migration):
    dependencies = [("training", "0006_lesson_plans")]

    operations = [migrations.RunPython(recount, migrations.RunPython.noop)]
