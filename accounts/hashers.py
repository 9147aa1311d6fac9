from django.contrib.auth.hashers import PBKDF2PasswordHasher


class OneTimePasswordHasher(PBKDF2PasswordHasher):
    """For random, system-generated initial passwords only.

    They carry 72 bits of entropy, so key stretching adds nothing an attacker
    would notice, while it costs ~0.5 s per account on a bulk roster import.
    Not the preferred hasher: Django upgrades the hash at the first login.
    """

    algorithm = "onetime_pbkdf2"
    iterations = 1_000
