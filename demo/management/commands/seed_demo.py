from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from demo import analytics, classroom, exams, organizations, proctoring, question_bank, training
from demo.library import demo_lesson_plans


class Command(BaseCommand):
    help = "Load the demo jurisdiction, enterprises and accounts (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo creates accounts with a published password; with DEBUG off pass --force.")
        with transaction.atomic():
            organizations.seed()
            training.seed(
                enterprise=organizations.enterprise(),
                provider=organizations.provider(),
                learner=organizations.learner(),
                password=organizations.DEMO_PASSWORD,
            )
            question_bank.seed_question_bank(provider=organizations.provider(), shared_with=organizations.district())
            exams.seed(provider=organizations.provider(), learner=organizations.learner())
            proctoring.seed(learner=organizations.learner(), open_title=exams.OPEN_TITLE, past_title=exams.PAST_TITLE)
            # classroom training (clevid): a class in progress and a past one with its attendance sheet and photos
            classroom.seed(provider=organizations.provider(), learner=organizations.learner())
            analytics.seed(provider=organizations.provider(), password=organizations.DEMO_PASSWORD)
            # the lesson-plan library (lplib)
            demo_lesson_plans(
                provider=organizations.provider(),
                enterprise=organizations.enterprise(),
                district=organizations.district(),
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready. Accounts: demo_admin, demo_bureau, demo_trainer, demo_enterprise, demo_proctor, demo_learner"
            )
        )
