from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassroomConfig(AppConfig):
    """Classroom training (课堂培训): scheduled classes, rotating sign-in codes, attendance credited to the 学时 ledger."""

    name = "classroom"
    verbose_name = _("Classroom training")

    def ready(self) -> None:
        # clcore: the quiz gate and the day-before reminders.
        from classroom import scheduler
        from classroom.services.attendance import face_photos_of_person_purge, quiz_passed
        from core import registries
        from proctoring.services.consent import BIOMETRICS_PURGED
        from training.services.crediting import QUIZ_PASSED

        # training may not import classroom: an onboarding class's credit waits for its end-of-class quiz.
        registries.register_follow_up(QUIZ_PASSED, "classroom.class_quiz", quiz_passed)
        # PIPL: withdrawing face consent deletes the sign-in face photos too (proctoring may not import classroom).
        registries.register_follow_up(BIOMETRICS_PURGED, "classroom.face_photos", face_photos_of_person_purge)
        # Guarded: only an ASGI/dev server process runs the embedded reminder job.
        scheduler.start()

        # clweb: the menu entry, the learner's home to-do section and their invitations on 我的培训.
        from classroom import fragments as classroom_fragments
        from classroom import home, nav
        from core import fragments, navigation, todo

        navigation.register("classroom", nav.nav_items, position=navigation.TRAINING + 5)
        todo.providers.register("classroom.classes", home.todo_classes, position=home.POSITION)
        fragments.register(fragments.TRAINING_DASHBOARD, "classroom", classroom_fragments.dashboard_classes)
        fragments.register(fragments.HOME, "classroom", home.home_class_desk)

        # clevid: a classroom entry of a person's 学时 ledger links to its class's evidence.
        from classroom.evidence_links import ledger_links
        from core import ledger_evidence

        ledger_evidence.providers.register(ledger_links)
