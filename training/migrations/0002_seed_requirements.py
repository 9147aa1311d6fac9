"""Default requirement profiles (DESIGN.md) and the three-level onboarding template.

Admins edit both afterwards; logic reads the rows, never these literals.
"""

from django.db import migrations

BASIS_NEW = "生产经营单位安全培训规定 第13条"
BASIS_MANAGER = "生产经营单位安全培训规定 第9条"
# (high_risk, post, initial hours, annual hours, legal basis)
PROFILES = [
    (False, "employee", 24, 0, BASIS_NEW),
    (True, "employee", 72, 20, BASIS_NEW),
    (False, "special_operator", 24, 0, BASIS_NEW),
    (True, "special_operator", 72, 20, BASIS_NEW),
    (False, "principal", 32, 12, BASIS_MANAGER),
    (True, "principal", 48, 16, BASIS_MANAGER),
    (False, "safety_manager", 32, 12, BASIS_MANAGER),
    (True, "safety_manager", 48, 16, BASIS_MANAGER),
]
STAGES = [
    ("plant", 1, "厂级安全教育：安全生产法律法规、本单位安全状况与规章制度"),
    ("workshop", 2, "车间级安全教育：本车间危险因素、安全操作规程与应急措施"),
    ("team", 3, "班组级安全教育：岗位操作规程、劳动防护用品与事故案例"),
]


def seed(apps, schema_editor):
    Profile = apps.get_model("training", "RequirementProfile")
    for high_risk, post, initial, annual, note in PROFILES:
        Profile.objects.get_or_create(
            high_risk=high_risk,
            post=post,
            defaults={"initial_hours": initial, "annual_hours": annual, "note": note},
        )
    Template = apps.get_model("training", "PlanTemplate")
    Stage = apps.get_model("training", "PlanTemplateStage")
    template, _ = Template.objects.get_or_create(
        kind="onboarding", is_default=True, defaults={"name": "新员工三级安全教育"}
    )
    for level, order, description in STAGES:
        Stage.objects.get_or_create(template=template, level=level, defaults={"order": order, "description": description})


def unseed(apps, schema_editor):
    apps.get_model("training", "PlanTemplate").objects.filter(kind="onboarding", is_default=True).delete()
    apps.get_model("training", "RequirementProfile").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
