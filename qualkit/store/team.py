"""Blind coding enforced by a team's PostgreSQL server, not only by the interface.

Each coder connects as their own database role, a member of the project's *coders*
group; adjudicators are members of its *adjudicators* group. Row-level security on the
coding log and the notes lets a coder insert rows only under their own name and read only
their own rows, until an adjudicator (or the owner) opens the log; nobody but the owner
may update or delete a decision, so the log stays append-only whatever client connects.
The owner — the role that created the tables — is not bound by these policies.

Everything here is idempotent: running it again after ``qualkit migrate`` grants what new
tables need and changes nothing else.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from qualkit.errors import ProjectError
from qualkit.store.base import REFUSED, StoreBase

Kind = Literal["coder", "adjudicator"]
LOG_OPEN = "team.log"  # setting: "open" once an adjudicator lets coders see everyone's work
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,62}$")
MARK = "qualkit team member"  # the comment on roles this module made, and may reuse
RESERVED = frozenset({"consensus", "public", "postgres"})

# (table, coders may insert rows where ..., coders may delete rows where ...); a coder reads
# the rows ``_READS`` allows. Tables not named here are read-only for everyone but the owner.
_OWN_EVENT = "coder = current_user"
_OWN_PLACE = ("(key = 'tag.position:' || current_user "
              "OR starts_with(key, 'tag.position:' || current_user || '@'))")
_OWN_IMPORT = "right(path, length(current_user) + 1) = '#' || current_user"
_WRITES: dict[str, tuple[str, str | None]] = {
    "coders": ("name = current_user", None),
    "coding_events": (_OWN_EVENT, None),
    "segment_notes": (_OWN_EVENT, None),
    "settings": (_OWN_PLACE, _OWN_PLACE),
    "imported_files": (_OWN_IMPORT, _OWN_IMPORT),
    # A coder's imported spans and what their own model learned from their decisions
    # reveal those decisions as surely as the log does, so they are kept as blind.
    "coded_spans": (_OWN_EVENT, None),
    "learned_suggestions": (_OWN_EVENT, _OWN_EVENT),
    "learned_runs": (_OWN_EVENT, _OWN_EVENT),
    "learned_models": (_OWN_EVENT, _OWN_EVENT),
}
_OPEN = f"EXISTS (SELECT 1 FROM settings WHERE key = '{LOG_OPEN}' AND value = 'open')"
_BLIND = f"({_OWN_EVENT} OR {_OPEN})"
_READS = dict.fromkeys(("coding_events", "segment_notes", "coded_spans", "learned_suggestions",
                        "learned_runs", "learned_models"), _BLIND)


@dataclass(frozen=True)
class Member:
    name: str
    kind: Kind
    password: str | None = None  # only when just created or reset

    def connection_line(self, url: URL, host: str | None = None) -> str:
        """The URL this member puts in ``QUALKIT_DATABASE_URL``."""
        mine = url.set(drivername="postgresql", username=self.name, password=self.password,
                       host=host or url.host)
        return mine.render_as_string(hide_password=False)


def groups(database: str) -> dict[Kind, str]:
    """The project's group roles; roles are server-wide, so they carry the database's name."""
    stem = database[:40]
    return {"coder": f"{stem}_coders", "adjudicator": f"{stem}_adjudicators"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _check_server(store: StoreBase) -> str:
    if store.engine.dialect.name != "postgresql":
        raise ProjectError("team roles need a PostgreSQL server: pass --db postgresql://… "
                           "or set QUALKIT_DATABASE_URL (see docs/teams.md)")
    return str(store.engine.url.database)


def _refused(store: StoreBase, exc: DBAPIError) -> ProjectError:
    reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
    return ProjectError(f"the server refused ({reason}); run `qualkit team` commands as the "
                        f"project owner (the role that created the project's tables, with "
                        f"CREATEROLE), not as `{store.engine.url.username}`")


def secure(conn: Connection, database: str) -> None:
    """Create the groups and grant, enable and (re)write the row-level security policies."""
    roles = groups(database)
    for group in roles.values():
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                            {"r": group}).first():
            conn.execute(text(f"CREATE ROLE {_q(group)} NOLOGIN"))
    both = f"{_q(roles['coder'])}, {_q(roles['adjudicator'])}"
    conn.execute(text(f"GRANT CONNECT ON DATABASE {_q(database)} TO {both}"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {both}"))
    conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {both}"))
    conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {both}"))
    conn.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES "
                      f"TO {both}"))
    conn.execute(text(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES "
                      f"TO {both}"))
    for table, (insert_if, delete_if) in _WRITES.items():
        verbs = "INSERT, DELETE" if delete_if else "INSERT"
        conn.execute(text(f"GRANT {verbs} ON {_q(table)} TO {both}"))
        conn.execute(text(f"ALTER TABLE {_q(table)} ENABLE ROW LEVEL SECURITY"))
        policies = {
            "qualkit_coder_read": f"FOR SELECT TO {_q(roles['coder'])} "
                                  f"USING ({_READS.get(table, 'true')})",
            "qualkit_coder_insert": f"FOR INSERT TO {_q(roles['coder'])} "
                                    f"WITH CHECK ({insert_if})",
            "qualkit_adjudicator": f"FOR ALL TO {_q(roles['adjudicator'])} "
                                   "USING (true) WITH CHECK (true)",
        }
        if delete_if:
            policies["qualkit_coder_delete"] = (f"FOR DELETE TO {_q(roles['coder'])} "
                                                f"USING ({delete_if})")
        for name, body in policies.items():
            conn.execute(text(f"DROP POLICY IF EXISTS {name} ON {_q(table)}"))
            conn.execute(text(f"CREATE POLICY {name} ON {_q(table)} {body}"))


def add_member(store: StoreBase, name: str, kind: Kind) -> Member:
    """Create (or give a new password to) the role ``name`` in the project's ``kind`` group.
    A role made for another project on the server is reused (one person, one role): its
    new password then holds for both projects. Any other existing role is refused.
    No coder is recorded until their first decision: ``agree`` compares those who coded."""
    database = _check_server(store)
    if not _NAME.match(name) or name.lower() in RESERVED or name.lower().startswith("pg_"):
        raise ProjectError(f"{name!r} cannot be a database role: use a letter, then letters, "
                           "digits, '_', '.' or '-' (up to 63), not `consensus`, `public`, "
                           "`postgres` or a name starting with pg_")
    roles = groups(database)
    password = secrets.token_urlsafe(18)
    try:
        with store.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(1902867557)"))  # "qkte"  # "qkte"
            secure(conn, database)
            found = conn.execute(text(
                "SELECT r.rolsuper, ARRAY(SELECT g.rolname FROM pg_auth_members m "
                "JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), "
                "shobj_description(r.oid, 'pg_authid') "
                "FROM pg_roles r WHERE r.rolname = :n"), {"n": name}).first()
            if found is not None and (found[0] or found[2] != MARK):
                raise ProjectError(
                    f"a role named {name} already exists on the server and was not made by "
                    f"`qualkit team`; choose another name")
            verb = "ALTER" if found is not None else "CREATE"
            conn.execute(text(f"{verb} ROLE {_q(name)} LOGIN PASSWORD '{password}'"))
            conn.execute(text(f"COMMENT ON ROLE {_q(name)} IS '{MARK}'"))
            conn.execute(text(f"GRANT {_q(roles[kind])} TO {_q(name)}"))
            other = roles["adjudicator" if kind == "coder" else "coder"]
            if found is not None and other in found[1]:
                conn.execute(text(f"REVOKE {_q(other)} FROM {_q(name)}"))
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == REFUSED:
            raise _refused(store, exc) from None
        raise
    return Member(name, kind, password)


def members(store: StoreBase) -> list[Member]:
    """The project's coders and adjudicators, by name."""
    roles = groups(_check_server(store))
    kind_of = {group: kind for kind, group in roles.items()}
    with store._read() as conn:
        rows = conn.execute(text(
            "SELECT r.rolname, g.rolname FROM pg_auth_members m "
            "JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member "
            "WHERE g.rolname IN (:c, :a) ORDER BY r.rolname"),
            {"c": roles["coder"], "a": roles["adjudicator"]}).all()
    return [Member(name, kind_of[group]) for name, group in rows]


def set_log_open(store: StoreBase, is_open: bool) -> None:
    """Let coders read everyone's decisions (after coding, to talk disagreements through),
    or blind them again. Only an adjudicator or the owner may."""
    _check_server(store)
    try:
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM settings WHERE key = :k"), {"k": LOG_OPEN})
            conn.execute(text("INSERT INTO settings (key, value) VALUES (:k, :v)"),
                         {"k": LOG_OPEN, "v": "open" if is_open else "blind"})
            written = conn.execute(text("SELECT value FROM settings WHERE key = :k"),
                                   {"k": LOG_OPEN}).scalar_one_or_none()
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != REFUSED:
            raise
        raise ProjectError(f"only an adjudicator or the project owner may open or close the "
                           f"log, not `{store.engine.url.username}`") from None
    if written != ("open" if is_open else "blind"):
        raise ProjectError("the log's state could not be written; ask the project owner")


def log_is_open(store: StoreBase) -> bool:
    return store.setting(LOG_OPEN) == "open"
