"""Shapes of the statistics API (``analytics.api``): what it answers, for the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A count stays an integer, hours may be a fraction: the value as computed."""

    def to_representation(self, value: Any) -> Any:
        return value


class StatsParamOut(serializers.Serializer):
    name = serializers.CharField(help_text="The query parameter's name.")
    label = serializers.CharField(help_text="What it sets, with its unit, in the request's language.")
    default = serializers.IntegerField()
    minimum = serializers.IntegerField(help_text="The smallest value accepted, inclusive.")
    maximum = serializers.IntegerField(help_text="The largest value accepted, inclusive.")


class StatsIndicatorOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language.")
    names = serializers.DictField(child=serializers.CharField(), help_text="The name in each language (zh-hans, en).")
    kind = serializers.ChoiceField(
        choices=["rate", "volume"], help_text="rate: numerator / denominator; volume: a sum or count, no denominator."
    )
    unit = serializers.CharField()
    target = serializers.FloatField(allow_null=True, help_text="As a fraction (1.0 = 100 %); null where none is set.")
    definition = serializers.CharField(
        help_text="Numerator, denominator and reference dates in plain words, in the request's language."
    )
    definition_exact = serializers.CharField(
        help_text="The same, exactly, as the code computes it (in English, with the parameter and field names)."
    )
    group_bys = serializers.ListField(child=serializers.CharField(), help_text="The groupings it supports.")
    people_statuses = serializers.ListField(
        child=serializers.CharField(),
        help_text="The `status` values its people list takes: counted, missing; the certificate rates add expiring.",
    )
    parameters = StatsParamOut(many=True)


class StatsFigureOut(serializers.Serializer):
    numerator = NumberField()
    denominator = serializers.IntegerField(allow_null=True, help_text="null for a volume indicator.")
    rate = serializers.FloatField(
        allow_null=True, help_text="A fraction between 0 and 1; null for a zero denominator and for volumes."
    )


class StatsRowOut(StatsFigureOut):
    key = serializers.CharField(
        help_text="Jurisdiction code, industry code, enterprise credit code, or YYYY-MM / YYYY-Qn / YYYY."
    )
    label = serializers.CharField()


def rows_represented(rows: Any) -> list[dict[str, Any]]:
    """``StatsRowOut(rows, many=True).data``, field for field and coercion for
    coercion, without a serializer per row: grouped by enterprise a result has
    50,000 rows, which the serializer took 182 ms to represent and this 16 ms.
    ``tests/analytics/test_api.py`` holds the two equal."""
    return [
        {
            "numerator": r.numerator,
            "denominator": None if r.denominator is None else int(r.denominator),
            "rate": None if r.rate is None else float(r.rate),
            "key": str(r.key),
            "label": str(r.label),
        }
        for r in rows
    ]


# "from" is a Python keyword, so the class is built with type().
StatsPeriodOut = type(
    "StatsPeriodOut",
    (serializers.Serializer,),
    {
        "from": serializers.DateField(help_text="First day, inclusive."),
        "to": serializers.DateField(help_text="Last day, inclusive."),
    },
)


class StatsScopeOut(serializers.Serializer):
    jurisdiction = serializers.CharField(allow_null=True, help_text="The subtree's root code, if any.")
    enterprise = serializers.CharField(allow_null=True, help_text="The enterprise's credit code, if any.")


class StatsResultOut(serializers.Serializer):
    indicator = serializers.CharField(help_text="The indicator's code.")
    name = serializers.CharField()
    kind = serializers.CharField()
    unit = serializers.CharField()
    target = serializers.FloatField(allow_null=True)
    period = StatsPeriodOut()
    as_of = serializers.DateField(help_text="`to`, or today when `to` is in the future.")
    scope = StatsScopeOut()
    group_by = serializers.CharField(allow_null=True)
    params = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Every parameter of the indicator with the value this figure was counted with: "
        "the one asked for, or its default (see the indicator list's `parameters`).",
    )
    total = StatsFigureOut()
    rows = StatsRowOut(many=True)
    extra = serializers.DictField(help_text="Indicator-specific figures (e.g. certificates expiring soon).")


class StatsPersonOut(serializers.Serializer):
    person_id = serializers.IntegerField(
        help_text="The person's id; a resident's public-learner id (public_first_aid_coverage); "
        "0 for bureau staff without a person record."
    )
    name = serializers.CharField()
    id_number = serializers.CharField(help_text="In full to whoever manages the person, masked to everyone else.")
    credit_code = serializers.CharField(
        help_text="The enterprise's unified social credit code; empty for residents and bureau staff."
    )
    enterprise_name = serializers.CharField()
    status = serializers.ChoiceField(choices=["counted", "missing"])
    reason = serializers.CharField(
        help_text="Why a missing person is missing; empty when counted (in the `expiring` list: the day the "
        "certificate runs out)."
    )


class StatsPeoplePageOut(serializers.Serializer):
    count = serializers.IntegerField(help_text="People in all (every page).")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = StatsPersonOut(many=True)
