"""Staff accounts, logins and roles.

Passwords are stored as scrypt hashes; a login yields an opaque bearer token of which only the
SHA-256 is kept, so a database leak gives no usable session. Roles decide what each person may
do (:data:`PERMISSIONS`), checked server-side for every API call and page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from loyalty import audit, db
from loyalty.errors import Conflict, Invalid, NotFound, Unauthorized

Role = Literal["admin", "staff", "marketing"]
ROLES: tuple[Role, ...] = ("admin", "staff", "marketing")
SESSION_TTL = timedelta(hours=12)

PERMISSIONS: dict[str, frozenset[Role]] = {
    "members.read": frozenset({"admin", "staff"}),
    "members.write": frozenset({"admin", "staff"}),
    "members.erase": frozenset({"admin"}),
    "program.read": frozenset({"admin", "staff", "marketing"}),
    "program.write": frozenset({"admin", "marketing"}),
    "rewards.write": frozenset({"admin", "marketing"}),
    "templates.write": frozenset({"admin", "marketing"}),
    "insight.read": frozenset({"admin", "staff", "marketing"}),
    "staff.manage": frozenset({"admin"}),
    "audit.read": frozenset({"admin"}),
    "webhooks.manage": frozenset({"admin"}),
}


@dataclass(frozen=True, slots=True)
class StaffIdentity:
    id: int
    email: str
    role: Role
    name: str | None = None

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate.hex().encode(), digest.encode())


_DUMMY_HASH = hash_password(secrets.token_hex(8))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(
    email: str,
    password: str,
    role: str,
    *,
    now: datetime,
    actor: str | None = None,
    name: str | None = None,
) -> StaffIdentity:
    """A new staff account. Emails are unique, case-insensitively."""
    email = email.strip().lower()
    if role not in ROLES:
        raise Invalid("invalid_role", f"role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise Invalid("weak_password", "passwords need at least 10 characters")
    async with db.transaction():
        staff_id = await db.fetchval(
            """INSERT INTO staff_user (email, name, password_hash, role, active, created_at)
               VALUES ($1, $2, $3, $4, true, $5) ON CONFLICT (email) DO NOTHING RETURNING id""",
            email,
            name,
            hash_password(password),
            role,
            now,
        )
        if staff_id is None:
            raise Conflict("staff_exists", f"{email} already has an account")
        if actor:
            await audit.record(actor, "staff.create", now=now, target=email, details={"role": role})
    return StaffIdentity(id=staff_id, email=email, role=role, name=name)


async def ensure_admin(email: str, password: str, *, now: datetime) -> bool:
    """Create the bootstrap admin when no account has that email. True if created."""
    return await ensure_account(email, password, "admin", now=now, name="Administrator")


async def ensure_account(
    email: str, password: str, role: str, *, now: datetime, name: str | None = None
) -> bool:
    """Create an account unless one has that email (bootstrap and demo). True if created."""
    exists = await db.fetchval("SELECT 1 FROM staff_user WHERE email = $1", email.lower())
    if exists:
        return False
    try:
        await create(email, password, role, now=now, name=name)
    except Conflict:
        return False
    return True


async def login(email: str, password: str, *, now: datetime) -> tuple[str, StaffIdentity]:
    """A new session token for valid credentials; the same error for any wrong part."""
    row = await db.fetchrow(
        "SELECT id, email, name, role, password_hash, active FROM staff_user WHERE email = $1",
        email.strip().lower(),
    )
    ok = verify_password(password, row["password_hash"] if row else _DUMMY_HASH)
    if row is None or not ok or not row["active"]:
        raise Unauthorized("invalid_credentials", "wrong email or password")
    token = secrets.token_urlsafe(32)
    await db.execute(
        "INSERT INTO staff_session (token_hash, staff, created_at, expires_at)"
        " VALUES ($1, $2, $3, $4)",
        _token_hash(token),
        row["id"],
        now,
        now + SESSION_TTL,
    )
    return token, StaffIdentity(
        id=row["id"], email=row["email"], role=row["role"], name=row["name"]
    )


async def authenticate(token: str, *, now: datetime) -> StaffIdentity:
    row = await db.fetchrow(
        """SELECT u.id, u.email, u.name, u.role FROM staff_session s
           JOIN staff_user u ON u.id = s.staff
           WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active""",
        _token_hash(token),
        now,
    )
    if row is None:
        raise Unauthorized("invalid_session", "missing, expired or revoked staff session")
    return StaffIdentity(id=row["id"], email=row["email"], role=row["role"], name=row["name"])


async def logout(token: str) -> None:
    await db.execute("DELETE FROM staff_session WHERE token_hash = $1", _token_hash(token))


async def list_staff() -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT id, email, name, role, active, created_at FROM staff_user ORDER BY email"
    )
    return [dict(r) for r in rows]


async def update(
    email: str, *, role: str | None, active: bool | None, actor: str, now: datetime
) -> None:
    """Change a staff member's role or deactivate them (their sessions end).

    Nobody demotes or deactivates their own account (422 ``self_lockout``), and no change
    leaves the program without an active admin (409 ``last_admin``): the active admins' rows
    are locked first, so two admins demoting each other at once cannot both succeed.
    """
    if role is not None and role not in ROLES:
        raise Invalid("invalid_role", f"role must be one of {', '.join(ROLES)}")
    email = email.strip().lower()
    if email == actor.strip().lower() and (active is False or role not in (None, "admin")):
        raise Invalid("self_lockout", "you cannot demote or deactivate your own account")
    async with db.transaction():
        await db.fetch(
            "SELECT id FROM staff_user WHERE role = 'admin' AND active ORDER BY id FOR UPDATE"
        )
        staff_id = await db.fetchval(
            """UPDATE staff_user SET role = coalesce($2, role), active = coalesce($3, active)
               WHERE email = $1 RETURNING id""",
            email,
            role,
            active,
        )
        if staff_id is None:
            raise NotFound("staff_not_found", f"no staff account {email}")
        admins = await db.fetchval(
            "SELECT count(*) FROM staff_user WHERE role = 'admin' AND active"
        )
        if not admins:
            raise Conflict("last_admin", "the program must keep at least one active admin")
        if active is False:
            await db.execute("DELETE FROM staff_session WHERE staff = $1", staff_id)
        await audit.record(
            actor, "staff.update", now=now, target=email, details={"role": role, "active": active}
        )
