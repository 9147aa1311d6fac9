"""Fill-in questions: the answer becomes part of the fingerprint (unique per bank).

Two fill-in questions with the same stem and different answers (该标志的名称是____
asked of two pictures) are two questions, not duplicates. Choice and true/false
fingerprints are unchanged: their options say what they are, and a re-import
with another key corrects the stored key.

The fingerprint functions are frozen here, as they were when this migration was
written, so a later change of ``importers.fingerprint`` cannot change what this
migration does. Going back fails, naming the questions, when a bank now holds
fill-in questions that differ only by their answers (the old fingerprint would
make them one); edit or delete one of them first.
"""

import hashlib
import re
import unicodedata

from django.db import migrations

_SPACES = re.compile(r"\s+")
BATCH = 1000


def _norm(text):
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def _fill_blank_key(answer):
    if not isinstance(answer, list):
        return _norm(str(answer)).casefold()
    blanks = []
    for blank in answer:
        alternatives = blank if isinstance(blank, list) else [blank]
        blanks.append("/".join(sorted({_norm(str(a)).casefold() for a in alternatives})))
    return "|".join(blanks)


def fingerprint_without_answer(qtype, stem, options):
    parts = [qtype, _norm(stem), *(_norm(o) for o in options)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def fingerprint_with_answer(qtype, stem, options, answer):
    parts = [qtype, _norm(stem), *(_norm(o) for o in options), "\x1e" + _fill_blank_key(answer)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _recompute(apps, compute):
    """(Question model, every fill-in question with its fingerprint recomputed, the ones that changed)."""
    Question = apps.get_model("question_bank", "Question")
    rows = Question.objects.filter(type="fill_blank").only("pk", "bank_id", "type", "stem", "options", "answer")
    every, changed = [], []
    for question in rows.order_by("pk").iterator(chunk_size=BATCH):
        fp = compute(question)
        every.append(question)
        if fp != question.fingerprint:
            question.fingerprint = fp
            changed.append(question)
    return Question, every, changed


def forwards(apps, schema_editor):
    Question, _every, changed = _recompute(apps, lambda q: fingerprint_with_answer(q.type, q.stem, q.options, q.answer))
    # More parts only make fingerprints more distinct: no two rows can collide.
    Question.objects.bulk_update(changed, ["fingerprint"], batch_size=BATCH)


def backwards(apps, schema_editor):
    Question, every, changed = _recompute(apps, lambda q: fingerprint_without_answer(q.type, q.stem, q.options))
    seen = {}
    clashes = []
    for question in every:
        key = (question.bank_id, question.fingerprint)
        if key in seen:
            clashes.append(f"bank {question.bank_id}: questions {seen[key]} and {question.pk}")
        seen[key] = question.pk
    if clashes:
        raise RuntimeError(
            "Cannot go back to fingerprints without the answer: these fill-in questions differ only by "
            "their answers and would collide; edit or delete one of each pair first: " + "; ".join(clashes[:20])
        )
    Question.objects.bulk_update(changed, ["fingerprint"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("question_bank", "0002_bank_purpose"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
