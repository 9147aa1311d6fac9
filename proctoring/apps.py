from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProctoringConfig(AppConfig):
    name = "proctoring"
    verbose_name = _("Proctoring")

    def ready(self) -> None:
        from core import fragments, navigation, person_file, preconditions, wizard_steps
        from exams import events
        from proctoring import exam_listeners, gates, home, nav, scheduler, wizard
        from proctoring import fragments as proctoring_fragments
        from proctoring import person_file as proctoring_file

        # No paper before the identity check: exams.services.attempts.attempt_start asks every door's start.
        preconditions.register(gates.NAME, gates.identity_precondition)
        # Exams' pages ask these slots instead of importing proctoring: the exam page's
        # camera/tab-switch client, and the policy / live grid / review queue links.
        fragments.register(fragments.EXAM_PAGE, proctoring_fragments.NAME, proctoring_fragments.exam_page)
        fragments.register(
            fragments.SESSION_ADMIN_LINKS, proctoring_fragments.NAME, proctoring_fragments.session_admin_links
        )

        # The exam wizard's proctoring step (on for certificate exams, the default policy).
        wizard_steps.register(wizard.STEP)

        navigation.register("proctoring", nav.nav_items, position=navigation.PROCTORING)
        # The home page (organizations) may not import proctoring: a proctor's sessions open now and the review queue.
        fragments.register(fragments.HOME, proctoring_fragments.NAME, home.home_proctoring)
        # organizations' 一人一档 page may not import proctoring: review decisions and identity checks.
        person_file.contributors.register(proctoring_file.NAME, proctoring_file.sections, position=40)

        # Attempt lifecycle (submitted by the examinee, the deadline job or a
        # proctor) reaches the live grid through exams' after-commit listeners.
        events.register(exam_listeners.live_grid_status)
        scheduler.start()
