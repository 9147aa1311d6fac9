from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from core.users import is_signed_in


def test_only_a_signed_in_user_is_signed_in() -> None:
    assert is_signed_in(User(username="alice")) is True
    assert is_signed_in(AnonymousUser()) is False
    assert is_signed_in(None) is False
    assert is_signed_in(object()) is False
