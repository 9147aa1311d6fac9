from django.db import migrations

# (code, name, key industry, high-risk, manufacturing/processing)
# High-risk: the five sectors of 生产经营单位安全培训规定 art. 13 / 安全生产法 art. 27.
INDUSTRIES = [
    ("coal_mine", "煤矿", True, True, False),
    ("non_coal_mine", "非煤矿山", True, True, False),
    ("hazardous_chemicals", "危险化学品", True, True, True),
    ("fireworks", "烟花爆竹", True, True, True),
    ("metal_smelting", "金属冶炼", True, True, True),
    ("construction", "建筑施工", True, False, False),
    ("road_transport", "道路运输", True, False, False),
    ("metallurgy", "冶金", True, False, True),
    ("nonferrous", "有色金属", True, False, True),
    ("building_materials", "建材", True, False, True),
    ("machinery", "机械制造", True, False, True),
    ("light_industry", "轻工", True, False, True),
    ("textiles", "纺织", True, False, True),
    ("tobacco", "烟草", True, False, True),
    ("commerce_trade", "商贸", True, False, False),
    ("food_processing", "食品加工", False, False, True),
    ("gas", "燃气", True, False, False),
    ("warehousing_logistics", "仓储物流", False, False, False),
    ("hospitality", "住宿餐饮", False, False, False),
    ("other", "其他行业", False, False, False),
]


def seed(apps, schema_editor):
    Industry = apps.get_model("organizations", "Industry")
    for code, name, key, high_risk, manufacturing in INDUSTRIES:
        Industry.objects.update_or_create(
            code=code,
            defaults={"name": name, "is_key": key, "is_high_risk": high_risk, "is_manufacturing": manufacturing},
        )


def unseed(apps, schema_editor):
    apps.get_model("organizations", "Industry").objects.filter(code__in=[i[0] for i in INDUSTRIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
