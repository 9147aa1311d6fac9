from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from question_bank.importers import COLUMN_TITLES, FIELDS, answer_text, check_column_map
from question_bank.models import OPTION_LETTERS, Bank, PracticeSession, Question, QuestionType


class BankForm(forms.ModelForm):
    """``providers`` and ``jurisdictions`` come from ``selectors.bank_owner_choices`` and
    ``selectors.sharing_jurisdictions_for``; the service checks the same rule again."""

    class Meta:
        model = Bank
        fields = ["code", "name", "owner", "purpose", "visibility", "shared_with"]
        widgets = {"purpose": forms.RadioSelect}

    def __init__(self, *args: Any, providers: Any, jurisdictions: Any, platform: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = providers
        self.fields["owner"].required = not platform
        self.fields["shared_with"].queryset = jurisdictions
        # Exam-only unless the creator opens the bank to practice (as in the API and the service).
        self.fields["purpose"].required = False
        self.fields["purpose"].initial = Bank.Purpose.EXAM_ONLY
        if not platform and providers.count() == 1:
            self.fields["owner"].initial = providers.first()

    def clean_purpose(self) -> str:
        return self.cleaned_data.get("purpose") or Bank.Purpose.EXAM_ONLY

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("visibility") == Bank.Visibility.SHARED and not data.get("shared_with") and data.get("owner"):
            self.add_error("shared_with", _("Choose the jurisdiction the bank is shared with."))
        return data


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Question file"),
        help_text=_(
            "xlsx, xls or csv in the template's layout; a Word (.docx) or text (.txt) bank numbered “1. stem / "
            "A. option / 答案：A”; or a Moodle GIFT / Aiken text file."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv,.docx,.txt,.gift,.aiken"}),
    )
    valid_only = forms.BooleanField(label=_("Import the valid rows even if some rows are in error"), required=False)
    map_columns = forms.BooleanField(
        label=_("Let me say which column holds what"),
        help_text=_("Otherwise the columns are recognised by their titles; unknown titles always ask."),
        required=False,
    )


class ColumnMapForm(forms.Form):
    """One choice per column of the uploaded sheet: the field it holds, or nothing (ignored)."""

    def __init__(self, *args: Any, columns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns = columns
        choices = [("", _("— ignore this column —")), *((key, COLUMN_TITLES[key]) for key in FIELDS)]
        for index, title in enumerate(columns):
            self.fields[f"col_{index}"] = forms.ChoiceField(label=title, choices=choices, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for problem in check_column_map(self.column_map(), width=len(self.columns)):
            self.add_error(None, problem)
        return data

    def column_map(self) -> dict[int, str | None]:
        data = getattr(self, "cleaned_data", {})
        return {index: data.get(f"col_{index}") or None for index in range(len(self.columns))}

    @staticmethod
    def initial_for(column_map: dict[int, str | None]) -> dict[str, str]:
        return {f"col_{index}": key or "" for index, key in column_map.items()}


class ImportConfirmForm(forms.Form):
    valid_only = forms.BooleanField(label=_("Import the valid rows even if some rows are in error"), required=False)


def answer_field(*, rows: int) -> forms.CharField:
    """A question's answer in the import layout, as the web editor and the admin both ask for it."""
    return forms.CharField(
        label=_("Answer"),
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=_(
            "Letters (ACD) for choice questions, 正确/错误 for true/false, blanks joined by | and alternatives by /; "
            "for a subjective question, the reference answer (learners see it after writing theirs)."
        ),
    )


def question_form_ui() -> dict[str, Any]:
    """The question form script's words (the answer field's help for each type, the widgets' labels)."""
    return {
        "yes": _("The statement is true"),
        "no": _("The statement is false"),
        "correct": _("Correct answer"),
        "chosen": _("Correct answer: {letters}"),
        "pickHint": _("Tick the correct option(s) above."),
        "blank": _("Blank {n}"),
        "blankHint": _("Accepted answers, separated by /"),
        "addBlank": _("Add a blank"),
        "help": {
            "true_false": _("Is the statement in the stem true or false?"),
            "single": _("Tick the one correct option."),
            "multiple": _("Tick every correct option."),
            "fill_blank": _("One line per blank, in the order of the stem; several accepted answers separated by /."),
            "subjective": _("The reference answer: learners see it after writing theirs."),
        },
    }


class QuestionForm(forms.Form):
    """A question in the import layout; the same parser checks it, so web edits and imports agree."""

    type = forms.ChoiceField(label=_("Type"), choices=QuestionType.choices)
    stem = forms.CharField(label=_("Stem"), widget=forms.Textarea(attrs={"rows": 4}))
    answer = answer_field(rows=2)
    explanation = forms.CharField(label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    difficulty = forms.TypedChoiceField(
        label=_("Difficulty"), choices=[(i, str(i)) for i in range(1, 6)], coerce=int, initial=3
    )
    knowledge_point = forms.CharField(label=_("Knowledge point"), required=False, max_length=200)
    industry = forms.CharField(label=_("Industry tags"), required=False, max_length=255)
    post = forms.CharField(label=_("Post tags"), required=False, max_length=255)
    image = forms.ImageField(label=_("Image"), required=False, help_text=_("Optional picture shown with the stem."))
    remove_image = forms.BooleanField(label=_("Remove the image"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for letter in OPTION_LETTERS:
            self.fields[f"option_{letter.lower()}"] = forms.CharField(
                label=_("Option %(letter)s") % {"letter": letter}, required=False
            )
        order = ["type", "stem", *(f"option_{c.lower()}" for c in OPTION_LETTERS), "answer", "explanation"]
        self.order_fields(order)

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        initial = {
            "type": question.type,
            "stem": question.stem,
            "answer": answer_text(question.type, question.answer),
            "explanation": question.explanation,
            "difficulty": question.difficulty,
            "knowledge_point": question.knowledge_point,
            "industry": question.industry_tags,
            "post": question.post_tags,
        }
        for letter, text in question.lettered_options:
            initial[f"option_{letter.lower()}"] = text
        return initial

    def import_values(self) -> dict[str, str]:
        skip = ("image", "remove_image")
        values = {key: str(value) for key, value in self.cleaned_data.items() if key not in skip}
        values["type"] = self.cleaned_data["type"]
        return values


class PracticeStartForm(forms.Form):
    bank = forms.ModelChoiceField(label=_("Bank"), queryset=Bank.objects.none())
    knowledge_point = forms.CharField(label=_("Knowledge point"), required=False)
    industry = forms.CharField(label=_("Industry"), required=False)
    mode = forms.ChoiceField(label=_("Mode"), choices=PracticeSession.Mode.choices, widget=forms.RadioSelect)

    def __init__(self, *args: Any, banks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = banks
        self.fields["mode"].initial = PracticeSession.Mode.ORDER
        if banks.count() == 1:
            self.fields["bank"].initial = banks.first()
