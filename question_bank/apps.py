from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuestionBankConfig(AppConfig):
    name = "question_bank"
    verbose_name = _("Question bank")

    def ready(self) -> None:
        from core import navigation, todo
        from question_bank import home, nav

        navigation.register("question_bank", nav.nav_items, position=navigation.QUESTION_BANK)
        todo.providers.register("question_bank.practice", home.todo_practice, position=todo.PRACTICE)
