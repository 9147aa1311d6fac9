from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = _("Organizations")

    def ready(self) -> None:
        from core import navigation, person_file, roles, tabular
        from organizations import imports, nav, selectors
        from organizations import person_file as organizations_file

        # accounts (below) asks core.roles for a user's roles: the MFA rule depends on them.
        roles.register(selectors.roles_of)
        navigation.register("organizations", nav.nav_items, position=navigation.ORGANIZATIONS)
        navigation.register("organizations.personal", nav.personal_nav_items, position=navigation.PERSONAL)
        # import_data: the records a district already has (core.tabular).
        for kind in (imports.JurisdictionsImport(), imports.EnterprisesImport(), imports.PeopleImport()):
            tabular.register(kind)
        # 一人一档: the file page lives here; training, exams and proctoring add their sections (core.person_file).
        person_file.contributors.register(organizations_file.NAME, organizations_file.sections, position=10)
