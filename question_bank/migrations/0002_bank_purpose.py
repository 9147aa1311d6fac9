"""Bank.purpose: practice allowed, or exams only.

Every existing bank keeps its behaviour (practice allowed: shared banks stay
open to their learners and lesson quizzes keep their banks); a bank created
from now on is exam-only unless its creator opens it to practice.
"""

from django.db import migrations, models

HELP = (
    "Practice and exams: learners it is shared with may practise on it (each answer is shown after one "
    "try) and lessons may quiz from it. Exams only: its questions appear only in exam papers."
)
CHOICES = [("practice", "Practice and exams"), ("exam_only", "Exams only")]


class Migration(migrations.Migration):
    dependencies = [
        ("question_bank", "0001_initial"),
    ]

    operations = [
        # Existing rows are filled with "practice"; the default then turns to "exam_only" for new banks.
        migrations.AddField(
            model_name="bank",
            name="purpose",
            field=models.CharField(
                choices=CHOICES, default="practice", help_text=HELP, max_length=16, verbose_name="purpose"
            ),
        ),
        migrations.AlterField(
            model_name="bank",
            name="purpose",
            field=models.CharField(
                choices=CHOICES, default="exam_only", help_text=HELP, max_length=16, verbose_name="purpose"
            ),
        ),
        migrations.AddConstraint(
            model_name="bank",
            constraint=models.CheckConstraint(
                condition=models.Q(("purpose__in", ["practice", "exam_only"])), name="bank_purpose_known"
            ),
        ),
    ]
