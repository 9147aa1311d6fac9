from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = _("Exams")

    def ready(self) -> None:
        from core import background, fragments, navigation, person_file, tabular, todo
        from exams import home, nav, scheduler
        from exams import person_file as exams_file
        from exams.imports import CertificatesImport

        navigation.register("exams", nav.nav_items, position=navigation.EXAMS)
        todo.providers.register("exams.exams", home.todo_exams, position=todo.EXAMS)
        todo.providers.register("exams.certificates", home.todo_certificates, position=todo.CERTIFICATES)
        # The home page (organizations) may not import exams: a training admin's exams under way and coming up.
        fragments.register(fragments.HOME, "exams", home.home_exam_desk)
        tabular.register(CertificatesImport())
        # organizations' 一人一档 page may not import exams: attempts, scores and certificates.
        person_file.contributors.register(exams_file.NAME, exams_file.sections, position=30)

        # Guarded: only an ASGI/dev server process runs the embedded deadline
        # job (core.background.periodic_jobs_wanted); tests and management commands don't.
        if background.periodic_jobs_wanted():
            scheduler.start()
