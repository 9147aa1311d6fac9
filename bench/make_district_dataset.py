"""An independent district data set for the indicators, and its expected figures.

    .venv/bin/python bench/make_district_dataset.py            # (re)write tests/fixtures/analytics/district/
    .venv/bin/python bench/make_district_dataset.py --check    # fail if the committed files differ

Two halves that share nothing but the csv files:

1. ``generate()`` writes, from one seeded ``random.Random`` and fixed dates,
   the files of issue 14's import formats (Chinese column titles) for a small
   district (验证区, 990301: three streets and a development zone, 30
   enterprises, about 500 people):

   ====================== ===================================================
   ``jurisdictions.csv``  the district and its four children
   ``enterprises.csv``    every enterprise, no 生效日期 (status from the beginning)
   ``enterprise_changes.csv`` later status changes (生效日期 in 2025): scale up,
                          scale down, a key industry becoming a non-key one,
                          a move to another street
   ``people.csv``         first employments (the roster's columns + 统一社会信用代码)
   ``people_transfers.csv`` the same people at a second enterprise, later
                          入职日期: a transfer (load after people.csv)
   ``certificates.csv``   principals', safety managers', special operators' and
                          new employees' certificates: valid, expired, revoked
                          before and after ``as_of``, issued after ``as_of``,
                          valid until exactly ``as_of``, of the wrong type
   ``training.csv``       岗前 and 年度再培训 hours, with and without 考核结果:
                          inside and outside the 30-day pre-training window,
                          after ``as_of``, after the person left, at another
                          enterprise
   ====================== ===================================================

   Load order: jurisdictions, enterprises, enterprise_changes, people,
   people_transfers, certificates, training (``import_data KIND FILE``).

2. ``expected()`` reads only those csv files with pandas and computes every
   indicator of issue 14 §3 for the district over 2025 (``from`` 2025-01-01,
   ``to`` = ``as_of`` 2025-12-31) straight from the definitions, without any
   of the platform's code, into ``expected.json``: totals, the rows by
   jurisdiction, industry and enterprise (and month/quarter/year where the
   indicator's reference date moves), and the ID numbers counted and missing.

Readings where the issue leaves room (the data avoid the cases where the
readings would differ, so any faithful implementation gives these figures):

- Hours: 学时 × 45 minutes (no profile overrides); requirement by post and by
  whether the industry in force on the start date is high-risk (catalogue:
  煤矿, 非煤矿山, 危险化学品, 烟花爆竹, 金属冶炼): employees and special
  operators 24 / 72, principals and safety managers 32 / 48; annual 0 / 20
  and 12 / 16. An annual requirement of 0 is met by 0 hours.
- Onboarding assessment: a 岗前 row of the same enterprise with 考核结果 合格
  dated in the same window as the hours, or a 新员工岗前培训 certificate valid
  on ``as_of`` (the data's are issued inside the window and valid for three
  years, never revoked).
- Annual retraining: per employment; transfers only happen to people first
  hired in 2025, status changes never change whether an industry is
  high-risk, and every 年度再培训 row belongs to the person's enterprise.
- ``training_hours``: the 学时 of every row dated in the period;
  ``active_learners``: the people with at least one such row.
- Not covered by these formats (no exam sessions, no courses, no public
  learners, no population, no bureau staff): ``exam_pass_rate``,
  ``course_completions``, ``public_first_aid_coverage`` and
  ``regulator_training_rate`` have an empty denominator (rate ``null``) or a
  volume of 0; they are listed under ``not_covered``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "analytics" / "district"

DATE_FROM = dt.date(2025, 1, 1)
DATE_TO = dt.date(2025, 12, 31)
AS_OF = DATE_TO
PRETRAINING_DAYS = 30
EXPIRING_DAYS = 90
MINUTES_PER_HOUR = 45

DISTRICT = "990301"
CHILDREN = [
    ("990301001", "城东街道", "街道"),
    ("990301002", "城西街道", "街道"),
    ("990301101", "北山镇", "镇"),
    ("990301201", "验证经济开发区", "开发区"),
]
# name: (code, key, high-risk) — the seeded catalogue, restated here on purpose.
CATALOGUE = {
    "煤矿": ("coal_mine", True, True),
    "非煤矿山": ("non_coal_mine", True, True),
    "危险化学品": ("hazardous_chemicals", True, True),
    "烟花爆竹": ("fireworks", True, True),
    "金属冶炼": ("metal_smelting", True, True),
    "建筑施工": ("construction", True, False),
    "道路运输": ("road_transport", True, False),
    "机械制造": ("machinery", True, False),
    "商贸": ("commerce_trade", True, False),
    "食品加工": ("food_processing", False, False),
    "仓储物流": ("warehousing_logistics", False, False),
    "住宿餐饮": ("hospitality", False, False),
}
INITIAL_HOURS = {(False, "employee"): 24, (True, "employee"): 72, (False, "manager"): 32, (True, "manager"): 48}
ANNUAL_HOURS = {(False, "employee"): 0, (True, "employee"): 20, (False, "manager"): 12, (True, "manager"): 16}
POSTS = {
    "主要负责人": "principal",
    "安全管理人员": "safety_manager",
    "从业人员": "employee",
    "特种作业人员": "special_operator",
}
CERT_FOR_POST = {"principal": "主要负责人", "safety_manager": "安全管理人员", "special_operator": "特种作业操作证"}

FILES = {
    "jurisdictions": ["行政区划代码", "名称", "上级代码", "类型"],
    "enterprises": ["统一社会信用代码", "企业名称", "行业", "规模以上", "属地代码", "生效日期"],
    "enterprise_changes": ["统一社会信用代码", "企业名称", "行业", "规模以上", "属地代码", "生效日期"],
    "people": ["姓名", "身份证号", "岗位", "部门", "入职日期", "离职日期", "手机号", "邮箱", "统一社会信用代码"],
    "people_transfers": [
        "姓名",
        "身份证号",
        "岗位",
        "部门",
        "入职日期",
        "离职日期",
        "手机号",
        "邮箱",
        "统一社会信用代码",
    ],
    "certificates": ["身份证号", "证书类型", "证书编号", "发证日期", "有效期至", "作业类别", "状态", "撤销日期"],
    "training": ["身份证号", "统一社会信用代码", "培训类别", "学时", "培训日期", "考核结果"],
}

# --- check digits (GB 32100 and GB 11643), written out here rather than imported --------

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def credit_code(first17: str) -> str:
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return first17 + _CREDIT_CHARS[(31 - total % 31) % 31]


def id_number(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


# --- 1. generation ------------------------------------------------------------------------


def _day(d: dt.date | None) -> str:
    return d.isoformat() if d else ""


def generate() -> dict[str, list[dict[str, str]]]:
    """The csv rows of every file, from a fixed seed and fixed dates."""
    rng = random.Random(20250101)  # noqa: S311 - test data
    files: dict[str, list[dict[str, str]]] = {name: [] for name in FILES}
    files["jurisdictions"].append({"行政区划代码": DISTRICT, "名称": "验证区", "上级代码": "", "类型": "区"})
    for code, name, kind in CHILDREN:
        files["jurisdictions"].append({"行政区划代码": code, "名称": name, "上级代码": DISTRICT, "类型": kind})

    industries = (
        ["危险化学品"] * 5
        + ["非煤矿山"] * 2
        + ["机械制造"] * 6
        + ["建筑施工"] * 4
        + ["商贸"] * 3
        + ["食品加工"] * 4
        + ["住宿餐饮"] * 3
        + ["仓储物流"] * 3
    )
    enterprises = []
    words = "华安恒泰鑫盛宏达新兴东方永利金鼎瑞丰博远中诚天成嘉禾汇通"
    for index, industry in enumerate(industries, start=1):
        place = "990301201" if industry == "危险化学品" else rng.choice([c[0] for c in CHILDREN[:3]])
        code = credit_code(f"91990301MD{index:07d}")
        name = f"验证{words[index % len(words)]}{words[(index * 7) % len(words)]}{industry}有限公司{index}"
        above = "是" if index % 4 != 0 else "否"
        enterprises.append(
            {
                "统一社会信用代码": code,
                "企业名称": name,
                "行业": industry,
                "规模以上": above,
                "属地代码": place,
                "生效日期": "",
            }
        )
    files["enterprises"] = enterprises
    # The changes (never of the high-risk flag; see the module docstring).
    changes = [
        (3, {"规模以上": "否"}, dt.date(2025, 5, 1)),  # above-scale mechanical works shrinks
        (4, {"规模以上": "是"}, dt.date(2025, 7, 1)),  # index 4 starts below scale and grows
        (19, {"行业": "仓储物流"}, dt.date(2025, 9, 1)),  # 商贸 (key) becomes 仓储物流 (not key)
        (8, {"属地代码": "990301002"}, dt.date(2025, 4, 1)),  # moves street
        (12, {"规模以上": "是"}, dt.date(2024, 6, 1)),  # an older change, before the period
    ]
    for index, change, day in changes:
        row = dict(enterprises[index - 1])
        row.update(change)
        if "属地代码" in change and row["属地代码"] == enterprises[index - 1]["属地代码"]:
            row["属地代码"] = "990301101"
        row["生效日期"] = day.isoformat()
        files["enterprise_changes"].append(row)

    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌宇浩凯鹏飞鑫波宁欣怡子涵晨阳"
    person_index = 0
    training = files["training"]
    certificates = files["certificates"]
    cert_number = 0

    def cert(idn: str, kind: str, issued: dt.date, until: dt.date, *, revoked: dt.date | None = None) -> None:
        nonlocal cert_number
        cert_number += 1
        certificates.append(
            {
                "身份证号": idn,
                "证书类型": kind,
                "证书编号": f"YZ{cert_number:06d}",
                "发证日期": issued.isoformat(),
                "有效期至": until.isoformat(),
                "作业类别": rng.choice(["电工作业", "焊接与热切割作业", "高处作业"])
                if kind == "特种作业操作证"
                else "",
                "状态": "已撤销" if revoked else "有效",
                "撤销日期": _day(revoked),
            }
        )

    def hours_rows(idn: str, code: str, kind: str, total: float, days: list[dt.date], result: str = "") -> None:
        """``total`` 学时 spread over ``days``; pieces on the same day are one row (a
        file never repeats a row), the assessment result sits on the last one."""
        share = round(total / len(days), 1)
        per_day: dict[dt.date, float] = {}
        for n, day in enumerate(days):
            amount = share if n < len(days) - 1 else round(total - share * (len(days) - 1), 1)
            if amount > 0:
                per_day[day] = round(per_day.get(day, 0.0) + amount, 1)
        for n, (day, amount) in enumerate(per_day.items()):
            training.append(
                {
                    "身份证号": idn,
                    "统一社会信用代码": code,
                    "培训类别": kind,
                    "学时": f"{amount:g}",
                    "培训日期": day.isoformat(),
                    "考核结果": result if n == len(per_day) - 1 else "",
                }
            )

    def onboarding(idn: str, ent: dict[str, str], post: str, start: dt.date, end: dt.date | None) -> None:
        high = CATALOGUE[ent["行业"]][2]  # the high-risk flag never changes (see the docstring)
        need = INITIAL_HOURS[(high, "manager" if post in ("principal", "safety_manager") else "employee")]
        roll = rng.random()
        total = (
            need + rng.choice((0, 0, 2, 4.5))
            if roll < 0.66
            else (round(need * rng.uniform(0.3, 0.9)) if roll < 0.86 else 0)
        )
        if not total:
            return
        last = min(end or AS_OF, AS_OF)
        first = start - dt.timedelta(days=rng.choice((0, 0, 0, 3, 10, 29)))
        days = sorted(min(first + dt.timedelta(days=rng.randint(0, 20)), last) for _ in range(rng.randint(2, 3)))
        if last < first:  # left before any training: the hours come after the end and do not count
            days = [start + dt.timedelta(days=5)]
        twist = rng.random()
        if twist < 0.04:  # part of the hours too early: outside the 30-day window
            days[0] = start - dt.timedelta(days=PRETRAINING_DAYS + rng.randint(1, 20))
        elif twist < 0.07:  # part of the hours after as_of or after leaving
            days[-1] = (end or AS_OF) + dt.timedelta(days=rng.randint(1, 10))
        result_roll = rng.random()
        result = "合格" if result_roll < 0.6 else ("不合格" if result_roll < 0.7 else "")
        hours_rows(idn, ent["统一社会信用代码"], "岗前", total, days, result)
        if result != "合格" and rng.random() < 0.3:  # a new-employee certificate instead
            issued = min(start + dt.timedelta(days=rng.randint(5, 25)), last)
            if issued >= start - dt.timedelta(days=PRETRAINING_DAYS):
                cert(idn, "新员工岗前培训", issued, issued + dt.timedelta(days=3 * 365))
        if rng.random() < 0.05:  # annual hours in the same weeks: never onboarding hours
            training.append(
                {
                    "身份证号": idn,
                    "统一社会信用代码": ent["统一社会信用代码"],
                    "培训类别": "年度再培训",
                    "学时": "16",
                    "培训日期": _day(min(start + dt.timedelta(days=3), last)),
                    "考核结果": "",
                }
            )

    def holder_certificates(idn: str, post: str) -> None:
        kind = CERT_FOR_POST[post]
        years = 6 if kind == "特种作业操作证" else 3
        roll = rng.random()
        if roll < 0.55:  # valid on as_of; some expire within 90 days after it
            issued = AS_OF - dt.timedelta(days=rng.randint(30, years * 365 - 5))
            cert(idn, kind, issued, issued + dt.timedelta(days=years * 365))
        elif roll < 0.65:  # expired before as_of
            until = AS_OF - dt.timedelta(days=rng.randint(1, 300))
            cert(idn, kind, until - dt.timedelta(days=years * 365), until)
        elif roll < 0.70:  # revoked before as_of
            issued = AS_OF - dt.timedelta(days=rng.randint(200, 700))
            cert(idn, kind, issued, issued + dt.timedelta(days=years * 365), revoked=issued + dt.timedelta(days=100))
        elif roll < 0.74:  # revoked after as_of: still valid on it
            issued = AS_OF - dt.timedelta(days=rng.randint(200, 700))
            cert(idn, kind, issued, issued + dt.timedelta(days=years * 365), revoked=AS_OF + dt.timedelta(days=20))
        elif roll < 0.77:  # issued after as_of
            issued = AS_OF + dt.timedelta(days=rng.randint(1, 60))
            cert(idn, kind, issued, issued + dt.timedelta(days=years * 365))
        elif roll < 0.80:  # valid until exactly as_of: still valid on it
            cert(idn, kind, AS_OF - dt.timedelta(days=years * 365), AS_OF)
        elif roll < 0.83 and kind in ("主要负责人", "安全管理人员"):  # the other manager's certificate
            other = "安全管理人员" if kind == "主要负责人" else "主要负责人"
            issued = AS_OF - dt.timedelta(days=100)
            cert(idn, other, issued, issued + dt.timedelta(days=3 * 365))
        # else: none

    def annual(idn: str, ent: dict[str, str], post: str) -> None:
        high = CATALOGUE[ent["行业"]][2]
        need = ANNUAL_HOURS[(high, "manager" if post in ("principal", "safety_manager") else "employee")]
        for year in (2024, 2025):
            roll = rng.random()
            total = (
                max(need, 8) + rng.choice((0, 2))
                if roll < 0.62
                else (rng.randint(2, max(need, 8) - 1) if roll < 0.85 else 0)
            )
            if total:
                days = sorted(dt.date(year, rng.randint(1, 12), rng.randint(1, 28)) for _ in range(2))
                hours_rows(idn, ent["统一社会信用代码"], "年度再培训", total, days)

    boundary_starts = [dt.date(2025, 1, 1), dt.date(2025, 12, 31), dt.date(2024, 12, 31), dt.date(2026, 1, 1)]
    for ent_index, ent in enumerate(enterprises):
        size = rng.randint(8, 24)
        posts = ["principal", "safety_manager"] + ["special_operator"] * rng.randint(0, 3)
        posts += ["employee"] * (size - len(posts))
        for post in posts:
            person_index += 1
            birth = dt.date(1966, 3, 1) + dt.timedelta(days=23 * person_index)
            idn = id_number(f"{DISTRICT}{birth:%Y%m%d}{rng.randint(100, 999)}")
            name = rng.choice(surnames) + "".join(rng.sample(given, rng.choice((1, 2))))
            if boundary_starts and ent_index % 6 == 0 and post == "employee":
                start = boundary_starts.pop(0)
            elif post == "employee" and rng.random() < 0.5:
                start = DATE_FROM + dt.timedelta(days=rng.randint(0, 364))
            else:
                start = dt.date(rng.randint(2012, 2024), rng.randint(1, 12), rng.randint(1, 28))
            end = None
            if rng.random() < 0.08:
                end = start + dt.timedelta(days=rng.randint(10, 200))
                if end > AS_OF:
                    end = None
            transfer = None
            if (
                end is None
                and post == "employee"
                and DATE_FROM <= start <= dt.date(2025, 6, 30)
                and rng.random() < 0.12
            ):
                transfer = start + dt.timedelta(days=rng.randint(40, 150))
                end = transfer - dt.timedelta(days=1)
            files["people"].append(
                {
                    "姓名": name,
                    "身份证号": idn,
                    "岗位": next(k for k, v in POSTS.items() if v == post),
                    "部门": "",
                    "入职日期": start.isoformat(),
                    "离职日期": _day(end if transfer is None else None),
                    "手机号": "",
                    "邮箱": "",
                    "统一社会信用代码": ent["统一社会信用代码"],
                }
            )
            if start >= dt.date(2024, 11, 1):
                onboarding(idn, ent, post, start, end)
            elif end is None or end >= dt.date(2024, 1, 1):
                annual(idn, ent, post)
            if post in CERT_FOR_POST:
                holder_certificates(idn, post)
            if transfer is not None:
                others = [e for e in enterprises if e is not ent]
                target = rng.choice(others)
                files["people_transfers"].append(
                    {
                        "姓名": name,
                        "身份证号": idn,
                        "岗位": "从业人员",
                        "部门": "",
                        "入职日期": transfer.isoformat(),
                        "离职日期": "",
                        "手机号": "",
                        "邮箱": "",
                        "统一社会信用代码": target["统一社会信用代码"],
                    }
                )
                onboarding(idn, target, "employee", transfer, None)
    return files


def _csv_text(header: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# --- 2. expected figures, with pandas, from the csv files only ------------------------------


def expected(folder: Path) -> dict[str, Any]:
    """Every indicator over the district for 2025, computed from the csv files alone."""
    import pandas as pd

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)

    def dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
        for c in columns:
            frame[c] = pd.Series([dt.date.fromisoformat(v) if v else None for v in frame[c]], dtype=object)
        return frame

    jur = read("jurisdictions")
    children = jur[jur["上级代码"] == DISTRICT]
    ent = read("enterprises")
    ent["生效日期"] = "1900-01-01"
    statuses = dates(pd.concat([ent, read("enterprise_changes")], ignore_index=True), "生效日期")
    statuses["key"] = statuses["行业"].map(lambda n: CATALOGUE[n][1])
    statuses["high"] = statuses["行业"].map(lambda n: CATALOGUE[n][2])
    statuses["industry"] = statuses["行业"].map(lambda n: CATALOGUE[n][0])
    statuses = statuses.sort_values(["统一社会信用代码", "生效日期"])

    first = dates(read("people"), "入职日期", "离职日期")
    moved = dates(read("people_transfers"), "入职日期", "离职日期")
    # A transfer ends the earlier employment the day before the later 入职日期.
    ends = moved.set_index("身份证号")["入职日期"].map(lambda d: d - dt.timedelta(days=1))
    first["离职日期"] = [
        ends.get(i, e) if i in ends.index else e for i, e in zip(first["身份证号"], first["离职日期"], strict=True)
    ]
    jobs = pd.concat([first, moved], ignore_index=True)
    jobs["post"] = jobs["岗位"].map(POSTS)
    jobs["manager"] = jobs["post"].isin(["principal", "safety_manager"])
    jobs = jobs.rename(columns={"身份证号": "id", "统一社会信用代码": "ent", "入职日期": "start", "离职日期": "end"})

    def status_on(frame: pd.DataFrame, day_column: str) -> pd.DataFrame:
        """Join the enterprise status in force on each row's ``day_column``."""
        left = frame.reset_index(drop=True).copy()
        left["_row"] = left.index
        joined = left.merge(statuses, left_on="ent", right_on="统一社会信用代码")
        joined = joined[joined["生效日期"] <= joined[day_column]]
        joined = joined.sort_values("生效日期").groupby("_row").tail(1).sort_values("_row")
        return joined.rename(columns={"属地代码": "place", "规模以上": "above"})

    train = dates(read("training"), "培训日期")
    train["hours"] = train["学时"].astype(float)
    train = train.rename(columns={"身份证号": "id", "统一社会信用代码": "ent", "培训日期": "day"})
    certs = dates(read("certificates"), "发证日期", "有效期至", "撤销日期")

    def valid_on(day: dt.date) -> pd.DataFrame:
        ok = (certs["发证日期"] <= day) & (certs["有效期至"] >= day)
        revoked = (certs["状态"] == "已撤销") & certs["撤销日期"].map(lambda r: r is not None and r <= day)
        return certs[ok & ~revoked]

    child_codes = list(children["行政区划代码"])

    def grouped(frame: pd.DataFrame, by: str) -> list[dict[str, Any]]:
        if by == "jurisdiction":
            keys = frame["place"].map(lambda p: next((c for c in child_codes if p.startswith(c)), DISTRICT))
        elif by == "industry":
            keys = frame["industry"]
        elif by == "enterprise":
            keys = frame["ent"]
        elif by == "month":
            keys = frame["ref"].map(lambda d: f"{d:%Y-%m}")
        elif by == "quarter":
            keys = frame["ref"].map(lambda d: f"{d.year}-Q{(d.month - 1) // 3 + 1}")
        else:
            keys = frame["ref"].map(lambda d: f"{d.year}")
        table = frame.assign(_k=keys.values).groupby("_k")["counted"].agg(["sum", "count"])
        rows = {k: (int(r["sum"]), int(r["count"])) for k, r in table.iterrows()}
        if by == "jurisdiction":
            for c in child_codes:
                rows.setdefault(c, (0, 0))
        return [
            {"key": k, "numerator": n, "denominator": d, "rate": round(n / d, 6) if d else None}
            for k, (n, d) in sorted(rows.items())
        ]

    def figure(frame: pd.DataFrame, group_bys: list[str], **extra: Any) -> dict[str, Any]:
        n, d = int(frame["counted"].sum()), int(len(frame))
        return {
            "total": {"numerator": n, "denominator": d, "rate": round(n / d, 6) if d else None},
            "rows": {by: grouped(frame, by) for by in group_bys},
            "counted": sorted(frame.loc[frame["counted"], "id"]),
            "missing": sorted(frame.loc[~frame["counted"], "id"]),
            **({"extra": extra} if extra else {}),
        }

    result: dict[str, Any] = {}

    # new_employee_training_rate
    hires = jobs[(jobs["start"] >= DATE_FROM) & (jobs["start"] <= DATE_TO)]
    hires = status_on(hires, "start")
    hires = hires[(hires["above"] == "是") & hires["key"]].copy()
    onboarding_rows = train[train["培训类别"] == "岗前"]
    new_employee_certs = valid_on(AS_OF)
    new_employee_certs = set(new_employee_certs.loc[new_employee_certs["证书类型"] == "新员工岗前培训", "身份证号"])
    counted = []
    for _, h in hires.iterrows():
        upper = min(AS_OF, h["end"]) if h["end"] is not None else AS_OF
        window = onboarding_rows[
            (onboarding_rows["id"] == h["id"])
            & (onboarding_rows["ent"] == h["ent"])
            & (onboarding_rows["day"] >= h["start"] - dt.timedelta(days=PRETRAINING_DAYS))
            & (onboarding_rows["day"] <= upper)
        ]
        need = INITIAL_HOURS[(bool(h["high"]), "manager" if h["manager"] else "employee")]
        hours_ok = window["hours"].sum() >= need - 1e-9
        assessed = bool((window["考核结果"] == "合格").any()) or h["id"] in new_employee_certs
        counted.append(bool(hours_ok and assessed))
    hires["counted"] = counted
    hires["ref"] = hires["start"]
    result["new_employee_training_rate"] = figure(
        hires, ["jurisdiction", "industry", "enterprise", "month", "quarter", "year"]
    )

    # principal_certified_rate and special_operator_certified_rate
    valid = valid_on(AS_OF)
    active = jobs[(jobs["start"] <= AS_OF) & jobs["end"].map(lambda e: e is None or e >= AS_OF)]
    for code, posts in (
        ("principal_certified_rate", ["principal", "safety_manager"]),
        ("special_operator_certified_rate", ["special_operator"]),
    ):
        holders = status_on(active[active["post"].isin(posts)].assign(ref=AS_OF), "ref")
        wanted = holders["post"].map(CERT_FOR_POST)
        pairs = set(zip(valid["身份证号"], valid["证书类型"], strict=True))
        holders["counted"] = [(i, w) in pairs for i, w in zip(holders["id"], wanted, strict=True)]
        longest = valid.groupby(["身份证号", "证书类型"])["有效期至"].max().to_dict()
        horizon = AS_OF + dt.timedelta(days=EXPIRING_DAYS)
        expiring = sum(
            1
            for i, w, c in zip(holders["id"], wanted, holders["counted"], strict=True)
            if c and longest[(i, w)] <= horizon
        )
        result[code] = figure(
            holders,
            ["jurisdiction", "industry", "enterprise"],
            expiring=expiring,
            expiring_days=EXPIRING_DAYS,
        )

    # annual_retraining_rate (the period is one calendar year: 2025)
    year_start = dt.date(DATE_FROM.year, 1, 1)
    staff = jobs[(jobs["start"] < year_start) & jobs["end"].map(lambda e: e is None or e >= AS_OF)]
    staff = status_on(staff.assign(ref=AS_OF), "ref")
    annual_rows = train[(train["培训类别"] == "年度再培训") & (train["day"] >= year_start) & (train["day"] <= AS_OF)]
    annual_hours = annual_rows.groupby("id")["hours"].sum()
    staff["counted"] = [
        annual_hours.get(i, 0.0) >= ANNUAL_HOURS[(bool(high), "manager" if m else "employee")] - 1e-9
        for i, high, m in zip(staff["id"], staff["high"], staff["manager"], strict=True)
    ]
    result["annual_retraining_rate"] = figure(staff, ["jurisdiction", "industry", "enterprise", "year"])

    # Volumes: hours (学时) credited and people with hours, in the period.
    in_period = train[(train["day"] >= DATE_FROM) & (train["day"] <= DATE_TO)]
    result["training_hours"] = {"total": {"numerator": round(float(in_period["hours"].sum()), 4), "denominator": None}}
    result["active_learners"] = {"total": {"numerator": int(in_period["id"].nunique()), "denominator": None}}

    return {
        "about": "Computed by bench/make_district_dataset.py from the csv files alone (pandas); see its docstring.",
        "load_order": [
            "jurisdictions",
            "enterprises",
            "enterprise_changes",
            "people",
            "people_transfers",
            "certificates",
            "training",
        ],
        "query": {"from": DATE_FROM.isoformat(), "to": DATE_TO.isoformat(), "jurisdiction": DISTRICT},
        "as_of": AS_OF.isoformat(),
        "params": {"pretraining_days": PRETRAINING_DAYS, "expiring_days": EXPIRING_DAYS},
        "minutes_per_hour": MINUTES_PER_HOUR,
        "indicators": result,
        "not_covered": {
            "exam_pass_rate": "no exam sessions in the import formats: denominator 0, rate null",
            "course_completions": "no courses in the import formats: 0",
            "public_first_aid_coverage": "no public learners or population in the import formats: rate null",
            "regulator_training_rate": "no bureau staff in the import formats: denominator 0, rate null",
        },
    }


def write(folder: Path) -> dict[str, str]:
    """Generate the csv files into ``folder`` and compute expected.json from them."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = {f"{name}.csv": _csv_text(FILES[name], rows) for name, rows in generate().items()}
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    texts["expected.json"] = json.dumps(expected(folder), ensure_ascii=False, indent=1) + "\n"
    (folder / "expected.json").write_text(texts["expected.json"], encoding="utf-8")
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="regenerate in a temporary folder and compare")
    args = parser.parse_args()
    if args.check:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            texts = write(Path(tmp))
        stale = [n for n, t in texts.items() if not (args.out / n).exists() or (args.out / n).read_text("utf-8") != t]
        if stale:
            sys.exit(f"out of date: {', '.join(stale)} (run bench/make_district_dataset.py)")
        print("up to date")
        return
    texts = write(args.out)
    summary = json.loads(texts["expected.json"])["indicators"]
    for code, fig in summary.items():
        total = fig["total"]
        print(f"{code:<34} {total['numerator']}/{total['denominator']} rate={total.get('rate')}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
