from allauth.account.apps import AccountConfig
from allauth.mfa.apps import MFAConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # this module also holds allauth's configs below
    name = "accounts"
    verbose_name = _("User accounts")


# allauth's apps in the admin: its "Accounts" (e-mail addresses) sat next to ours under the
# same Chinese name, and its MFA models had English names.
class AllauthAccountConfig(AccountConfig):
    verbose_name = _("Sign-in e-mail addresses")


class AllauthMFAConfig(MFAConfig):
    verbose_name = _("Two-factor authentication")

    def ready(self) -> None:
        super().ready()
        from allauth.mfa.models import Authenticator

        # Set on _meta, not in a Meta class: the names are for display and need no migration.
        Authenticator._meta.verbose_name = _("authenticator")
        Authenticator._meta.verbose_name_plural = _("authenticators")
