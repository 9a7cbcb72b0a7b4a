"""The sandbox's own SQLite database (one file in data_dir).

stdlib sqlite3 in WAL mode with a busy timeout: the sandbox is hit by several gunicorn
workers and threads at once. Every write runs in ``BEGIN IMMEDIATE`` so that "check then
write" steps (one-time hints, jti replay, the newer-timestamp rule) are atomic across
processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DB_FILE_NAME = "sandbox.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS used_jtis (
    jti        TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS access_tokens (
    token_sha256 TEXT PRIMARY KEY,
    client_id    TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    expires_at   REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS lineitems (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    context_id       TEXT NOT NULL,
    label            TEXT NOT NULL,
    score_maximum    REAL NOT NULL,
    resource_id      TEXT,
    resource_link_id TEXT,
    tag              TEXT,
    start_date_time  TEXT,
    end_date_time    TEXT,
    -- the line item the platform made for a resource link (sent in the launch claim)
    is_link_default  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS lineitems_link_default
    ON lineitems (context_id, resource_link_id) WHERE is_link_default = 1;
CREATE TABLE IF NOT EXISTS results (
    lineitem_id       INTEGER NOT NULL REFERENCES lineitems (id) ON DELETE CASCADE,
    user_id           TEXT NOT NULL,
    score_given       REAL,
    score_maximum     REAL,
    comment           TEXT,
    activity_progress TEXT NOT NULL,
    grading_progress  TEXT NOT NULL,
    timestamp         TEXT NOT NULL,
    timestamp_us      INTEGER NOT NULL,
    PRIMARY KEY (lineitem_id, user_id)
);
CREATE TABLE IF NOT EXISTS score_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    lineitem_id INTEGER NOT NULL,
    user_id     TEXT NOT NULL,
    body        TEXT NOT NULL,
    applied     INTEGER NOT NULL,
    received_at REAL NOT NULL
);
-- one-time login hints (v2 of the table: with the message type and the registration)
CREATE TABLE IF NOT EXISTS launch_hints (
    launch_id       TEXT PRIMARY KEY,
    login_hint      TEXT NOT NULL,
    message_hint    TEXT NOT NULL,
    persona_key     TEXT NOT NULL,
    case_id         TEXT NOT NULL,
    browser_id      TEXT NOT NULL,
    document_target TEXT NOT NULL,
    message_type    TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    target_link_uri TEXT NOT NULL,
    expires_at      REAL NOT NULL,
    used_at         REAL
);
-- tool registrations made by Dynamic Registration (the static one lives in the settings)
CREATE TABLE IF NOT EXISTS registrations (
    client_id       TEXT PRIMARY KEY,
    deployment_id   TEXT NOT NULL,
    name            TEXT NOT NULL,
    login_url       TEXT NOT NULL,
    launch_url      TEXT NOT NULL,
    deep_link_url   TEXT NOT NULL,
    jwks_url        TEXT NOT NULL,
    redirect_uris   TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    document        TEXT NOT NULL,
    created_at      REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS used_registration_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);
-- deep linking requests sent with `data`: the response must echo one of them, once
CREATE TABLE IF NOT EXISTS deep_link_requests (
    data       TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used_at    REAL
);
-- activities added through Deep Linking
CREATE TABLE IF NOT EXISTS dl_activities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    context_id  TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    title       TEXT NOT NULL,
    text        TEXT,
    url         TEXT,
    custom      TEXT NOT NULL,
    lineitem_id INTEGER,
    created_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint TEXT NOT NULL,
    status   INTEGER NOT NULL
);
"""


def deep_linked_resource_link_id(activity_id: int) -> str:
    """Stable resource link id of a deep-linked activity (its database id)."""
    return f"sandbox-dl-{activity_id}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LaunchHint:
    launch_id: str
    login_hint: str
    message_hint: str
    persona_key: str
    case_id: str  # a configured activity's case id, "dl:<id>", or "" for deep linking
    browser_id: str
    document_target: str
    message_type: str
    client_id: str
    target_link_uri: str


@dataclass(frozen=True)
class StoredRegistration:
    client_id: str
    deployment_id: str
    name: str
    login_url: str
    launch_url: str
    deep_link_url: str
    jwks_url: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    document: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class DeepLinkedActivity:
    id: int
    context_id: str
    client_id: str
    title: str
    text: str | None
    url: str | None
    custom: dict[str, str]
    lineitem_id: int | None


@dataclass(frozen=True)
class NewDeepLinkedActivity:
    """A validated ltiResourceLink content item, ready to store."""

    title: str
    text: str | None
    url: str | None
    custom: dict[str, str]
    lineitem: dict[str, Any] | None  # label, scoreMaximum, resourceId, tag


@dataclass(frozen=True)
class LineItem:
    id: int
    context_id: str
    label: str
    score_maximum: float
    resource_id: str | None
    resource_link_id: str | None
    tag: str | None
    start_date_time: str | None
    end_date_time: str | None


@dataclass(frozen=True)
class Result:
    lineitem_id: int
    user_id: str
    score_given: float | None
    score_maximum: float | None
    comment: str | None
    activity_progress: str
    grading_progress: str
    timestamp: str
    deliveries: int


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / DB_FILE_NAME
        self._data_dir = data_dir
        self._ready = False
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA foreign_keys = ON")
        # WAL + NORMAL: durable across app crashes, fsync only at checkpoints.
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            self._data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Create the file 0600 before SQLite opens it: its -wal/-shm files copy the mode.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            conn = self._connect()
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
            finally:
                conn.close()
            self._ready = True

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        self._ensure_schema()
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        self._ensure_schema()
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    # --- login hints (one-time, short-lived) --------------------------------------------

    def issue_launch_hint(self, hint: LaunchHint, expires_at: float) -> None:
        with self.write() as conn:
            conn.execute("DELETE FROM launch_hints WHERE expires_at < ?", (expires_at - 3600,))
            conn.execute(
                "INSERT INTO launch_hints (launch_id, login_hint, message_hint, persona_key,"
                " case_id, browser_id, document_target, message_type, client_id,"
                " target_link_uri, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    hint.launch_id,
                    hint.login_hint,
                    hint.message_hint,
                    hint.persona_key,
                    hint.case_id,
                    hint.browser_id,
                    hint.document_target,
                    hint.message_type,
                    hint.client_id,
                    hint.target_link_uri,
                    expires_at,
                ),
            )

    def consume_launch_hint(self, launch_id: str, now: float) -> tuple[LaunchHint | None, str]:
        """Mark the hint used. Returns (hint, "") or (None, reason)."""
        with self.write() as conn:
            row = conn.execute(
                "SELECT * FROM launch_hints WHERE launch_id = ?", (launch_id,)
            ).fetchone()
            if row is None:
                return None, "unknown lti_message_hint"
            if row["used_at"] is not None:
                return None, "lti_message_hint already used"
            if row["expires_at"] < now:
                return None, "lti_message_hint expired"
            conn.execute(
                "UPDATE launch_hints SET used_at = ? WHERE launch_id = ?", (now, launch_id)
            )
            return (
                LaunchHint(
                    launch_id=row["launch_id"],
                    login_hint=row["login_hint"],
                    message_hint=row["message_hint"],
                    persona_key=row["persona_key"],
                    case_id=row["case_id"],
                    browser_id=row["browser_id"],
                    document_target=row["document_target"],
                    message_type=row["message_type"],
                    client_id=row["client_id"],
                    target_link_uri=row["target_link_uri"],
                ),
                "",
            )

    # --- registrations (Dynamic Registration) ---------------------------------------------

    @staticmethod
    def _registration(row: sqlite3.Row) -> StoredRegistration:
        return StoredRegistration(
            client_id=row["client_id"],
            deployment_id=row["deployment_id"],
            name=row["name"],
            login_url=row["login_url"],
            launch_url=row["launch_url"],
            deep_link_url=row["deep_link_url"],
            jwks_url=row["jwks_url"],
            redirect_uris=tuple(json.loads(row["redirect_uris"])),
            scopes=tuple(str(row["scopes"]).split()),
            document=json.loads(row["document"]),
            created_at=row["created_at"],
        )

    def create_registration(
        self, registration: StoredRegistration, token_jti: str, token_expires_at: float
    ) -> bool:
        """Store the registration and use up its registration token, atomically.

        False (and nothing stored) when the token was used already.
        """
        with self.write() as conn:
            conn.execute(
                "DELETE FROM used_registration_tokens WHERE expires_at < ?",
                (registration.created_at - 3600,),
            )
            try:
                conn.execute(
                    "INSERT INTO used_registration_tokens (jti, expires_at) VALUES (?, ?)",
                    (token_jti, token_expires_at),
                )
            except sqlite3.IntegrityError:
                return False
            conn.execute(
                "INSERT INTO registrations (client_id, deployment_id, name, login_url,"
                " launch_url, deep_link_url, jwks_url, redirect_uris, scopes, document,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    registration.client_id,
                    registration.deployment_id,
                    registration.name,
                    registration.login_url,
                    registration.launch_url,
                    registration.deep_link_url,
                    registration.jwks_url,
                    json.dumps(list(registration.redirect_uris)),
                    " ".join(registration.scopes),
                    json.dumps(registration.document),
                    registration.created_at,
                ),
            )
            return True

    def registration_token_used(self, jti: str) -> bool:
        with self.read() as conn:
            row = conn.execute(
                "SELECT 1 FROM used_registration_tokens WHERE jti = ?", (jti,)
            ).fetchone()
        return row is not None

    def get_registration(self, client_id: str) -> StoredRegistration | None:
        with self.read() as conn:
            row = conn.execute(
                "SELECT * FROM registrations WHERE client_id = ?", (client_id,)
            ).fetchone()
        return None if row is None else self._registration(row)

    def list_registrations(self) -> list[StoredRegistration]:
        with self.read() as conn:
            rows = conn.execute("SELECT * FROM registrations ORDER BY created_at").fetchall()
        return [self._registration(r) for r in rows]

    # --- deep linking -----------------------------------------------------------------------

    def issue_deep_link_data(self, data: str, client_id: str, expires_at: float) -> None:
        with self.write() as conn:
            conn.execute(
                "DELETE FROM deep_link_requests WHERE expires_at < ?", (expires_at - 86400,)
            )
            conn.execute(
                "INSERT INTO deep_link_requests (data, client_id, expires_at) VALUES (?, ?, ?)",
                (data, client_id, expires_at),
            )

    def check_deep_link_data(self, data: str, client_id: str, now: float) -> str:
        """Empty when `data` is a pending request of this client, else the reason."""
        with self.read() as conn:
            row = conn.execute(
                "SELECT * FROM deep_link_requests WHERE data = ?", (data,)
            ).fetchone()
        if row is None or row["client_id"] != client_id:
            return "data is not the value this platform sent"
        if row["used_at"] is not None:
            return "this deep linking request was answered already"
        if row["expires_at"] < now:
            return "the deep linking request has expired"
        return ""

    def add_deep_linked_activities(
        self,
        context_id: str,
        client_id: str,
        items: list[NewDeepLinkedActivity],
        *,
        data: str | None,
        now: float,
    ) -> list[DeepLinkedActivity] | None:
        """Store the activities and their line items; use up `data` (None when the
        request was answered meanwhile)."""
        with self.write() as conn:
            if data is not None:
                cur = conn.execute(
                    "UPDATE deep_link_requests SET used_at = ? WHERE data = ? AND used_at IS NULL",
                    (now, data),
                )
                if cur.rowcount != 1:
                    return None
            created: list[int] = []
            for item in items:
                cur = conn.execute(
                    "INSERT INTO dl_activities (context_id, client_id, title, text, url,"
                    " custom, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        context_id,
                        client_id,
                        item.title,
                        item.text,
                        item.url,
                        json.dumps(item.custom),
                        now,
                    ),
                )
                activity_id = int(cur.lastrowid or 0)
                created.append(activity_id)
                if item.lineitem is not None:
                    li = item.lineitem
                    cur = conn.execute(
                        "INSERT INTO lineitems (context_id, label, score_maximum, resource_id,"
                        " resource_link_id, tag, is_link_default) VALUES (?, ?, ?, ?, ?, ?, 1)",
                        (
                            context_id,
                            li["label"],
                            li["scoreMaximum"],
                            li.get("resourceId"),
                            deep_linked_resource_link_id(activity_id),
                            li.get("tag"),
                        ),
                    )
                    conn.execute(
                        "UPDATE dl_activities SET lineitem_id = ? WHERE id = ?",
                        (cur.lastrowid, activity_id),
                    )
            rows = [
                conn.execute("SELECT * FROM dl_activities WHERE id = ?", (i,)).fetchone()
                for i in created
            ]
        return [self._dl_activity(r) for r in rows]

    @staticmethod
    def _dl_activity(row: sqlite3.Row) -> DeepLinkedActivity:
        return DeepLinkedActivity(
            id=row["id"],
            context_id=row["context_id"],
            client_id=row["client_id"],
            title=row["title"],
            text=row["text"],
            url=row["url"],
            custom=json.loads(row["custom"]),
            lineitem_id=row["lineitem_id"],
        )

    def deep_linked_activities(self, context_id: str) -> list[DeepLinkedActivity]:
        with self.read() as conn:
            rows = conn.execute(
                "SELECT * FROM dl_activities WHERE context_id = ? ORDER BY id", (context_id,)
            ).fetchall()
        return [self._dl_activity(r) for r in rows]

    def deep_linked_activity(self, activity_id: int) -> DeepLinkedActivity | None:
        with self.read() as conn:
            row = conn.execute(
                "SELECT * FROM dl_activities WHERE id = ?", (activity_id,)
            ).fetchone()
        return None if row is None else self._dl_activity(row)

    # --- client assertion replay and access tokens --------------------------------------

    def record_jti(self, jti: str, expires_at: float, now: float) -> bool:
        """False when the jti was seen before (replay)."""
        with self.write() as conn:
            conn.execute("DELETE FROM used_jtis WHERE expires_at < ?", (now - 3600,))
            try:
                conn.execute(
                    "INSERT INTO used_jtis (jti, expires_at) VALUES (?, ?)", (jti, expires_at)
                )
            except sqlite3.IntegrityError:
                return False
            return True

    def save_token(self, token: str, client_id: str, scopes: list[str], expires_at: float) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT INTO access_tokens (token_sha256, client_id, scopes, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_digest(token), client_id, " ".join(scopes), expires_at),
            )

    def token_scopes(self, token: str, now: float) -> set[str] | None:
        with self.read() as conn:
            row = conn.execute(
                "SELECT scopes, expires_at FROM access_tokens WHERE token_sha256 = ?",
                (token_digest(token),),
            ).fetchone()
        if row is None or row["expires_at"] < now:
            return None
        return set(str(row["scopes"]).split())

    # --- line items -----------------------------------------------------------------------

    @staticmethod
    def _lineitem(row: sqlite3.Row) -> LineItem:
        return LineItem(
            id=row["id"],
            context_id=row["context_id"],
            label=row["label"],
            score_maximum=row["score_maximum"],
            resource_id=row["resource_id"],
            resource_link_id=row["resource_link_id"],
            tag=row["tag"],
            start_date_time=row["start_date_time"],
            end_date_time=row["end_date_time"],
        )

    def ensure_link_lineitem(
        self, context_id: str, resource_link_id: str, resource_id: str, label: str
    ) -> LineItem:
        """The line item the platform creates for a resource link on its first launch."""
        select = (
            "SELECT * FROM lineitems WHERE context_id = ? AND resource_link_id = ?"
            " AND is_link_default = 1"
        )
        with self.read() as conn:
            row = conn.execute(select, (context_id, resource_link_id)).fetchone()
        if row is not None:
            return self._lineitem(row)
        with self.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO lineitems (context_id, label, score_maximum, resource_id,"
                " resource_link_id, is_link_default) VALUES (?, ?, 100, ?, ?, 1)",
                (context_id, label, resource_id, resource_link_id),
            )
            row = conn.execute(select, (context_id, resource_link_id)).fetchone()
        return self._lineitem(row)

    def create_lineitem(self, context_id: str, data: dict[str, Any]) -> LineItem:
        with self.write() as conn:
            cur = conn.execute(
                "INSERT INTO lineitems (context_id, label, score_maximum, resource_id,"
                " resource_link_id, tag, start_date_time, end_date_time)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    context_id,
                    data["label"],
                    data["scoreMaximum"],
                    data.get("resourceId"),
                    data.get("resourceLinkId"),
                    data.get("tag"),
                    data.get("startDateTime"),
                    data.get("endDateTime"),
                ),
            )
            row = conn.execute("SELECT * FROM lineitems WHERE id = ?", (cur.lastrowid,)).fetchone()
        return self._lineitem(row)

    def update_lineitem(self, lineitem_id: int, data: dict[str, Any]) -> LineItem | None:
        with self.write() as conn:
            conn.execute(
                "UPDATE lineitems SET label = ?, score_maximum = ?, resource_id = ?, tag = ?,"
                " start_date_time = ?, end_date_time = ? WHERE id = ?",
                (
                    data["label"],
                    data["scoreMaximum"],
                    data.get("resourceId"),
                    data.get("tag"),
                    data.get("startDateTime"),
                    data.get("endDateTime"),
                    lineitem_id,
                ),
            )
            row = conn.execute("SELECT * FROM lineitems WHERE id = ?", (lineitem_id,)).fetchone()
        return None if row is None else self._lineitem(row)

    def delete_lineitem(self, lineitem_id: int) -> bool:
        with self.write() as conn:
            cur = conn.execute("DELETE FROM lineitems WHERE id = ?", (lineitem_id,))
            return cur.rowcount > 0

    def get_lineitem(self, context_id: str, lineitem_id: int) -> LineItem | None:
        with self.read() as conn:
            row = conn.execute(
                "SELECT * FROM lineitems WHERE id = ? AND context_id = ?", (lineitem_id, context_id)
            ).fetchone()
        return None if row is None else self._lineitem(row)

    def list_lineitems(
        self,
        context_id: str,
        resource_link_id: str | None = None,
        resource_id: str | None = None,
        tag: str | None = None,
    ) -> list[LineItem]:
        sql = "SELECT * FROM lineitems WHERE context_id = ?"
        args: list[Any] = [context_id]
        for column, value in (
            ("resource_link_id", resource_link_id),
            ("resource_id", resource_id),
            ("tag", tag),
        ):
            if value is not None:
                sql += f" AND {column} = ?"  # column names: literals above
                args.append(value)
        with self.read() as conn:
            rows = conn.execute(sql + " ORDER BY id", args).fetchall()
        return [self._lineitem(r) for r in rows]

    # --- scores and results -----------------------------------------------------------------

    def record_score(
        self, lineitem_id: int, user_id: str, score: dict[str, Any], timestamp_us: int, now: float
    ) -> bool:
        """Log the delivery; apply it unless a newer score is on record (AGS 2.0 §3.4.8).

        Returns whether the result was updated. One result row per user and line item, so an
        identical resend updates the row to the same values and adds only a log entry.
        """
        with self.write() as conn:
            row = conn.execute(
                "SELECT timestamp_us FROM results WHERE lineitem_id = ? AND user_id = ?",
                (lineitem_id, user_id),
            ).fetchone()
            applied = row is None or row["timestamp_us"] <= timestamp_us
            conn.execute(
                "INSERT INTO score_log (lineitem_id, user_id, body, applied, received_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (lineitem_id, user_id, json.dumps(score, sort_keys=True), int(applied), now),
            )
            if applied:
                conn.execute(
                    "INSERT INTO results (lineitem_id, user_id, score_given, score_maximum,"
                    " comment, activity_progress, grading_progress, timestamp, timestamp_us)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (lineitem_id, user_id) DO UPDATE SET"
                    " score_given = excluded.score_given, score_maximum = excluded.score_maximum,"
                    " comment = excluded.comment, activity_progress = excluded.activity_progress,"
                    " grading_progress = excluded.grading_progress,"
                    " timestamp = excluded.timestamp, timestamp_us = excluded.timestamp_us",
                    (
                        lineitem_id,
                        user_id,
                        score.get("scoreGiven"),
                        score.get("scoreMaximum"),
                        score.get("comment"),
                        score["activityProgress"],
                        score["gradingProgress"],
                        score["timestamp"],
                        timestamp_us,
                    ),
                )
            return applied

    def results(self, lineitem_id: int | None = None, user_id: str | None = None) -> list[Result]:
        sql = (
            "SELECT r.*, (SELECT COUNT(*) FROM score_log s WHERE s.lineitem_id = r.lineitem_id"
            " AND s.user_id = r.user_id) AS deliveries FROM results r WHERE 1 = 1"
        )
        args: list[Any] = []
        if lineitem_id is not None:
            sql += " AND r.lineitem_id = ?"
            args.append(lineitem_id)
        if user_id is not None:
            sql += " AND r.user_id = ?"
            args.append(user_id)
        with self.read() as conn:
            rows = conn.execute(sql + " ORDER BY r.lineitem_id, r.user_id", args).fetchall()
        return [
            Result(
                lineitem_id=r["lineitem_id"],
                user_id=r["user_id"],
                score_given=r["score_given"],
                score_maximum=r["score_maximum"],
                comment=r["comment"],
                activity_progress=r["activity_progress"],
                grading_progress=r["grading_progress"],
                timestamp=r["timestamp"],
                deliveries=r["deliveries"],
            )
            for r in rows
        ]

    def score_log(self) -> list[dict[str, Any]]:
        with self.read() as conn:
            rows = conn.execute("SELECT * FROM score_log ORDER BY id").fetchall()
        return [
            {
                "lineitem_id": r["lineitem_id"],
                "user_id": r["user_id"],
                "score": json.loads(r["body"]),
                "applied": bool(r["applied"]),
                "received_at": r["received_at"],
            }
            for r in rows
        ]

    # --- fault injection (tests only) -----------------------------------------------------

    def set_faults(self, endpoint: str, statuses: list[int]) -> None:
        with self.write() as conn:
            conn.execute("DELETE FROM faults WHERE endpoint = ?", (endpoint,))
            conn.executemany(
                "INSERT INTO faults (endpoint, status) VALUES (?, ?)",
                [(endpoint, s) for s in statuses],
            )

    def pending_faults(self) -> dict[str, list[int]]:
        with self.read() as conn:
            rows = conn.execute("SELECT endpoint, status FROM faults ORDER BY id").fetchall()
        out: dict[str, list[int]] = {}
        for r in rows:
            out.setdefault(r["endpoint"], []).append(r["status"])
        return out

    def pop_fault(self, endpoint: str) -> int | None:
        with self.read() as conn:
            if (
                conn.execute("SELECT 1 FROM faults WHERE endpoint = ?", (endpoint,)).fetchone()
                is None
            ):
                return None  # the usual case: no write lock taken
        with self.write() as conn:
            row = conn.execute(
                "SELECT id, status FROM faults WHERE endpoint = ? ORDER BY id LIMIT 1", (endpoint,)
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM faults WHERE id = ?", (row["id"],))
            return int(row["status"])
