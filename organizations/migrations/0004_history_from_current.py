"""Every existing enterprise gets one status row holding since the beginning,
and every existing person one employment from their hire date: nothing is lost,
and indicators can read history from the first day."""

import datetime as dt

from django.db import migrations

BEGINNING = dt.date(1900, 1, 1)


def forwards(apps, schema_editor):
    Enterprise = apps.get_model("organizations", "Enterprise")
    EnterpriseStatus = apps.get_model("organizations", "EnterpriseStatus")
    Person = apps.get_model("organizations", "Person")
    Employment = apps.get_model("organizations", "Employment")
    have_status = set(EnterpriseStatus.objects.values_list("enterprise_id", flat=True))
    EnterpriseStatus.objects.bulk_create(
        [
            EnterpriseStatus(
                enterprise_id=e.pk,
                valid_from=BEGINNING,
                industry_id=e.industry_id,
                above_scale=e.above_scale,
                jurisdiction_id=e.jurisdiction_id,
                source="migration",
            )
            for e in Enterprise.objects.exclude(pk__in=have_status).iterator()
        ],
        batch_size=2000,
    )
    have_employment = set(Employment.objects.values_list("person_id", flat=True))
    Employment.objects.bulk_create(
        [
            Employment(
                person_id=p.pk,
                enterprise_id=p.enterprise_id,
                post=p.post,
                start_date=p.hire_date,
                end_date=p.leave_date,
                source="migration",
            )
            for p in Person.objects.exclude(pk__in=have_employment).iterator()
        ],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [("organizations", "0003_jurisdiction_population_employment_enterprisestatus")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
