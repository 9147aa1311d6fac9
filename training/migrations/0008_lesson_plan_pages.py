"""A lesson plan keeps its PDF's page count, as a document lesson does.

The library's preview and the API's ``page_urls`` counted the pages by opening the PDF on every view.
Now the upload counts them once (and refuses a PDF that PDFium cannot open, as a lesson's upload
does). Plans already stored are counted here; one that is missing or that PDFium cannot open keeps 0
pages: its preview shows none, as before, and its file can still be downloaded.
"""

from django.db import migrations, models


def count_pages(apps, schema_editor):
    from training.pdf_pages import PdfUnreadable, page_count

    LessonPlan = apps.get_model("training", "LessonPlan")
    for plan in LessonPlan.objects.filter(file_type="pdf").only("pk", "file"):
        try:
            with plan.file.open("rb") as handle:
                pages = page_count(handle.read())
        except (OSError, PdfUnreadable):
            continue
        LessonPlan.objects.filter(pk=plan.pk).update(page_count=pages)


class Migration(migrations.Migration):
    dependencies = [("training", "0007_document_pages_recounted")]

    operations = [
        migrations.AddField(
            model_name="lessonplan",
            name="page_count",
            field=models.PositiveIntegerField(default=0, verbose_name="PDF pages"),
        ),
        migrations.RunPython(count_pages, migrations.RunPython.noop),
    ]
