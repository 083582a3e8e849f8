"""Who is calling, and what their role lets them do: the principal every edge resolves and every service checks.

Roles are a user's (viewer < service, sales < manager < admin) or, for keys of nobody and the system, an access
level (read < write < admin). A key of a user acts with ``effective_role``: the user's role capped by the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bizpilot.domain.security import ROLES


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key, a signed-in dashboard session, or anonymous open reads on loopback."""

    kind: str  # "key" | "session" | "open" | "system" (the CLI, imports, background jobs)
    name: str
    role: str  # a user role (viewer, service, sales, manager, admin) or a key's level (read, write, admin)
    key_id: int | None = None
    session_id: int | None = None
    csrf_token: str | None = field(default=None, repr=False, compare=False)
    user_id: int | None = None
    user_name: str | None = None  # the user behind a session or key (None: the workspace owner, a key of nobody)

    @property
    def level(self) -> str:
        """The access level of the role: read, write or admin (what the router guards check)."""
        return ROLE_LEVELS[self.role]

    def allows(self, level: str) -> bool:
        """Levels are ordered read < write < admin; a higher level may do everything a lower one may."""
        return ROLES.index(self.level) >= ROLES.index(ROLE_LEVELS.get(level, level))

    @property
    def changes_everything(self) -> bool:
        """Managers and admins (and the system, and a key with no user) change every record; sales and service
        users only what they own; viewers nothing."""
        return self.role in ("manager", "admin", "write")


# The access level of every role: viewers read; service, sales and managers write (service and sales only what
# they own); admins also manage users, keys and settings. read/write/admin are also roles themselves (keys made
# without a user, and the system).
ROLE_LEVELS: dict[str, str] = {"viewer": "read", "read": "read", "service": "write", "sales": "write",
                               "manager": "write", "write": "write", "admin": "admin"}
SYSTEM = Principal(kind="system", name="system", role="admin")
OWNER_NAME = "workspace owner"  # a session signed in with the workspace password where no admin user exists
# Where each user role stands (service and sales alike), and the most a key of each level may do.
ROLE_RANK: dict[str, int] = {"viewer": 0, "service": 1, "sales": 1, "manager": 2, "admin": 3}
KEY_CAPS: dict[str, str] = {"read": "viewer", "write": "manager", "admin": "admin"}


def effective_role(user_role: str, key_level: str) -> str:
    """What a key of ``key_level`` may do for a user with ``user_role``: the user's role, capped by the key.

    A read key makes anyone a viewer; a write key makes an admin a manager; a sales user's key acts as sales
    whatever its level (a key never lifts its user above their role)."""
    cap = KEY_CAPS[key_level]
    rank = ROLE_RANK.get(user_role)
    if rank is None:
        return "viewer"
    return user_role if rank <= ROLE_RANK[cap] else cap


__all__ = ["KEY_CAPS", "OWNER_NAME", "ROLE_LEVELS", "ROLE_RANK", "SYSTEM", "Principal", "effective_role"]
