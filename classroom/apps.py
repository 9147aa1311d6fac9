from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassroomConfig(AppConfig):
    """Classroom training (课堂培训): scheduled classes, rotating sign-in codes, attendance credited to the 学时 ledger."""

    name = "classroom"
    verbose_name = _("Classroom training")

    def ready(self) -> None:
        # clweb: the menu entry and the learner's home to-do section.
        from classroom import home, nav
        from core import navigation, todo

        navigation.register("classroom", nav.nav_items, position=navigation.TRAINING + 5)
        todo.providers.register("classroom.classes", home.todo_classes, position=home.POSITION)
