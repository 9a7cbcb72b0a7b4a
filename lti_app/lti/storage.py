"""Launch data storage for pylti1p3 kept in the database.

pylti1p3's default stores OIDC state and nonces in Flask's cookie session, which grows with
every launch until the browser drops it (seen at the 19th launch in one browser, notes.md),
and its cache storage is per process. A table is shared by every worker: it records each
used nonce once, atomically (Security Framework §5.1.3 step 9; the login itself stores
nothing, see launch.py), and holds launches waiting for the platform-storage check.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pylti1p3.launch_data_storage.base import LaunchDataStorage
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lti_app.db import insert_for
from lti_app.models import LaunchData, utcnow

DEFAULT_LIFETIME = 600


class DatabaseLaunchStorage(LaunchDataStorage[Any]):
    """Key/value rows with an expiry; keys are unique per login, so no session id is used."""

    _session_cookie_name = ""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._db = session

    def get_session_cookie_name(self) -> str | None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        row = self._db.scalar(
            select(LaunchData).where(
                LaunchData.key == self._prepare_key(key), LaunchData.expires_at > utcnow()
            )
        )
        return None if row is None else row.value

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        lifetime = min(exp or DEFAULT_LIFETIME, DEFAULT_LIFETIME)
        # Keys are fresh random values (state, nonce, ticket): insert, no read first.
        self._db.add(
            LaunchData(
                key=self._prepare_key(key),
                value=value,
                expires_at=utcnow() + timedelta(seconds=lifetime),
            )
        )
        self._db.flush()

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def consume(self, key: str) -> bool:
        """Delete ``key`` if it is live; True only for the one caller that deleted it."""
        result = self._db.execute(
            delete(LaunchData).where(
                LaunchData.key == self._prepare_key(key), LaunchData.expires_at > utcnow()
            )
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def claim(self, key: str, lifetime: int) -> bool:
        """Insert ``key`` for ``lifetime`` seconds; False if it is there already (used)."""
        insert = insert_for(self._db.get_bind().dialect.name)
        # RETURNING, not rowcount: an ORM-enabled INSERT reports no rowcount on psycopg.
        claimed = self._db.scalar(
            insert(LaunchData)
            .values(key=self._prepare_key(key), value=True,
                    expires_at=utcnow() + timedelta(seconds=lifetime))
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(LaunchData.key)
        )
        return claimed is not None

    def purge_expired(self) -> int:
        result = self._db.execute(delete(LaunchData).where(LaunchData.expires_at <= utcnow()))
        return int(getattr(result, "rowcount", 0))
