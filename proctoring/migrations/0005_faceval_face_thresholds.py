import django.core.validators
from django.db import migrations, models

# The calibrated match threshold of this release (proctoring.vision.DEFAULT_MATCH_THRESHOLD), frozen here.
MATCH_THRESHOLD = 0.48


def thresholds_from_tolerance(apps, schema_editor):
    """A policy's tolerance t was "match at or under t, mismatch over t".

    Keep t as the mismatch threshold, so nothing that matched before now counts toward a flag or an
    automatic submit, and match only at or under the calibrated threshold (or t, if stricter): the
    frames in between become uncertain (another frame, and a review).
    """
    Policy = apps.get_model("proctoring", "ProctoringPolicy")
    for policy in Policy.objects.all().only("pk", "tolerance"):
        match = min(policy.tolerance, MATCH_THRESHOLD)
        Policy.objects.filter(pk=policy.pk).update(match_threshold=match, mismatch_threshold=policy.tolerance)


def tolerance_from_thresholds(apps, schema_editor):
    Policy = apps.get_model("proctoring", "ProctoringPolicy")
    Policy.objects.update(tolerance=models.F("mismatch_threshold"))


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0004_qbsubj_auto_graded"),
        ("proctoring", "0004_flag_kind_consent_withdrawn"),
    ]

    operations = [
        migrations.AddField(
            model_name="attemptmonitor",
            name="face_uncertain",
            field=models.PositiveIntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="identitycheck",
            name="mismatch_threshold",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="proctoringpolicy",
            name="match_threshold",
            field=models.FloatField(
                default=0.48,
                help_text="A face at or under this distance from the reference matches. Lower is stricter: fewer impostors pass, more real examinees wait for a proctor. The default was calibrated on real photos; change it only on your own measurements.",
                validators=[
                    django.core.validators.MinValueValidator(0.2),
                    django.core.validators.MaxValueValidator(0.9),
                ],
                verbose_name="face match threshold",
            ),
        ),
        migrations.AddField(
            model_name="proctoringpolicy",
            name="mismatch_threshold",
            field=models.FloatField(
                default=0.63,
                help_text="A face over this distance is a different person. Between the two thresholds the result is uncertain: another frame is asked for soon and the attempt goes to review, never to an automatic submit.",
                validators=[
                    django.core.validators.MinValueValidator(0.2),
                    django.core.validators.MaxValueValidator(0.9),
                ],
                verbose_name="face mismatch threshold",
            ),
        ),
        migrations.AddField(
            model_name="snapshot",
            name="mismatch_threshold",
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.RunPython(thresholds_from_tolerance, tolerance_from_thresholds),
        migrations.RemoveConstraint(
            model_name="proctoringpolicy",
            name="policy_tolerance_range",
        ),
        migrations.RemoveField(
            model_name="proctoringpolicy",
            name="tolerance",
        ),
        migrations.AlterField(
            model_name="flag",
            name="kind",
            field=models.CharField(
                choices=[
                    ("face", "Face checks failed"),
                    ("face_uncertain", "Face checks uncertain"),
                    ("tab_switches", "Tab switches"),
                    ("auto_submitted", "Submitted automatically"),
                    ("terminated", "Ended by a proctor"),
                    ("identity", "Identity checked manually"),
                    ("snapshots_missing", "Snapshots missing"),
                    ("snapshot_storage", "Snapshot storage limit reached"),
                    ("consent_withdrawn", "Face-processing consent withdrawn during the exam"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="identitycheck",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("match", "Face matches"),
                    ("uncertain", "Face uncertain"),
                    ("mismatch", "Different face"),
                    ("no_face", "No face visible"),
                    ("multiple_faces", "Several faces"),
                ],
                max_length=16,
                verbose_name="face outcome",
            ),
        ),
        migrations.AlterField(
            model_name="snapshot",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("match", "Face matches"),
                    ("uncertain", "Face uncertain"),
                    ("mismatch", "Different face"),
                    ("no_face", "No face visible"),
                    ("multiple_faces", "Several faces"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="proctoringpolicy",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("match_threshold__gte", 0.2),
                    ("mismatch_threshold__gte", models.F("match_threshold")),
                    ("mismatch_threshold__lte", 0.9),
                ),
                name="policy_face_thresholds",
                violation_error_message="The mismatch threshold must be at or above the match threshold.",
            ),
        ),
    ]
