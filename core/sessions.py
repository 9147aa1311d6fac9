"""Sessions in the database with Redis in front, that keep working while Redis is down.

Django's ``cached_db`` reads the cache inside a ``try`` but refills it after a
miss without one: with Redis down, every request that carries a session
cookie (every page, every autosave from the exam page) raised a
``ConnectionError`` and answered 500, although the session was in the
database all along (issue 19, drill 2: tests/drills/test_redis_restarted.py).
Here a cache that cannot be read or refilled is only logged, and the
database answers. Writes already degrade so in Django (``save`` logs).
Deleting a session still raises when the cache cannot be reached: a logout
that left the session alive in Redis would be worse than a logout that fails.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            logger.warning("session cache unavailable; reading the session from the database", exc_info=True)
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        except Exception:
            logger.warning("session cache unavailable; not refilled", exc_info=True)
        return data

    async def aload(self) -> dict[str, Any]:
        try:
            data = await self._cache.aget(await self.acache_key())
        except Exception:
            logger.warning("session cache unavailable; reading the session from the database", exc_info=True)
            data = None
        if data is not None:
            return data
        stored = await self._aget_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            await self._cache.aset(await self.acache_key(), data, await self.aget_expiry_age(expiry=stored.expire_date))
        except Exception:
            logger.warning("session cache unavailable; not refilled", exc_info=True)
        return data

    def exists(self, session_key: str | None) -> bool:
        try:
            if session_key and (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            logger.warning("session cache unavailable; asking the database", exc_info=True)
        return bool(session_key) and cached_db.DBStore.exists(self, session_key)

    async def aexists(self, session_key: str | None) -> bool:
        try:
            if session_key and await self._cache.ahas_key(self.cache_key_prefix + session_key):
                return True
        except Exception:
            logger.warning("session cache unavailable; asking the database", exc_info=True)
        return bool(session_key) and await cached_db.DBStore.aexists(self, session_key)
