"""Users: created with checked fields (each error names its field), matched by name or e-mail without regard to case,
passwords salted, the last admin kept, and a deactivated user locked out of sign-in, sessions, links and keys; keys
act with their user's role capped by their level."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from bizpilot.db.engine import session_scope
from bizpilot.domain.user import User
from bizpilot.errors import ConflictError, NotFoundError, ValidationFailed
from bizpilot.services.auth import (
    Principal,
    authenticate_key,
    consume_login_token,
    create_api_key,
    create_login_token,
    create_session,
    first_admin,
    list_api_keys,
    session_principal,
    set_password,
)
from bizpilot.services.principal import effective_role
from bizpilot.services.users import (
    activate_user,
    anyone_has_password,
    change_role,
    check_user_password,
    create_user,
    deactivate_user,
    find_user,
    get_user,
    list_users,
    resolve_owner,
    set_user_password,
    sign_in,
    update_user,
)

pytestmark = pytest.mark.storage


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_scope(engine) as session:
        yield session


def test_create_normalises_and_stores_only_a_salted_hash(engine: Engine) -> None:
    with session_scope(engine) as session:
        user = create_user(session=session, name="  Emily Carter ", email=" Emily.Carter@Harborline.EXAMPLE ",
                           role="Sales", password="correct horse")
        assert (user.name, user.email, user.role, user.active) == ("Emily Carter", "emily.carter@harborline.example",
                                                                   "sales", True)
        plain = create_user(session=session, name="王芳")
        assert (plain.email, plain.role, plain.password) == (None, "sales", None)
    with engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM users")).all())
    assert "correct horse" not in dump and "scrypt" in dump
    with session_scope(engine) as session:
        emily = get_user(session=session, ref="emily carter")
        assert check_user_password(user=emily, password="correct horse")
        assert not check_user_password(user=emily, password="correct horsE")
        other = create_user(session=session, name="Twin", password="correct horse")
        assert other.password["salt"] != emily.password["salt"] and other.password["hash"] != emily.password["hash"]


@pytest.mark.parametrize("fields,field", [
    ({"name": ""}, "name"),
    ({"name": "a@b"}, "name"),
    ({"name": "x" * 65}, "name"),
    ({"name": "ok", "email": "not-an-address"}, "email"),
    ({"name": "ok", "role": "owner"}, "role"),
    ({"name": "ok", "password": "short"}, "password"),
])
def test_invalid_fields_are_named(session: Session, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        create_user(session=session, **fields)
    assert field in [d["field"] for d in error.value.details]
    assert list_users(session=session) == []


def test_duplicate_name_or_email_is_a_conflict_naming_the_field(session: Session) -> None:
    create_user(session=session, name="Emily Carter", email="emily@x.example")
    with pytest.raises(ConflictError) as by_name:
        create_user(session=session, name="EMILY CARTER", email="other@x.example")
    assert by_name.value.details[0]["field"] == "name"
    with pytest.raises(ConflictError) as by_email:
        create_user(session=session, name="Emily C.", email="Emily@X.example")
    assert by_email.value.details[0]["field"] == "email"
    second = create_user(session=session, name="Daniel", email="daniel@x.example")
    with pytest.raises(ConflictError) as rename:
        update_user(session=session, user=second, email="emily@x.example")
    assert rename.value.details[0]["field"] == "email"
    assert update_user(session=session, user=second, name="daniel", email="").email is None  # own name, new case
    assert [u.name for u in list_users(session=session)] == ["Emily Carter", "daniel"]


def test_a_concurrent_add_is_a_conflict_and_the_callers_transaction_survives(engine: Engine) -> None:
    with session_scope(engine) as session:
        raced: list[str] = []

        @event.listens_for(session, "before_flush")
        def other_writer(flushing: Session, _context: Any, _instances: Any) -> None:
            if not raced and any(isinstance(obj, User) for obj in flushing.new):
                raced.append("Emily")
                with session_scope(engine) as other:
                    create_user(session=other, name="Emily", role="admin")

        with pytest.raises(ConflictError) as conflict:
            create_user(session=session, name="Emily")
        assert raced == ["Emily"] and conflict.value.details[0]["field"] == "name"
        create_user(session=session, name="Daniel")  # the session is still usable
    with session_scope(engine) as session:
        assert [(u.name, u.role) for u in list_users(session=session)] == [("Emily", "admin"), ("Daniel", "sales")]


def test_find_by_name_email_or_id(session: Session) -> None:
    emily = create_user(session=session, name="Emily Carter", email="emily@x.example")
    wang = create_user(session=session, name="王芳", email="wang.fang@x.example")
    assert find_user(session=session, ref="emily carter") is emily
    assert find_user(session=session, ref="EMILY@x.example") is emily
    assert find_user(session=session, ref="王芳") is wang
    assert find_user(session=session, ref=wang.id) is wang and find_user(session=session, ref=str(wang.id)) is wang
    assert find_user(session=session, ref="nobody") is None and find_user(session=session, ref=" ") is None
    with pytest.raises(NotFoundError) as missing:
        get_user(session=session, ref="nobody", field="owner")
    assert missing.value.details == [{"field": "owner", "reason": "no such user", "value": "nobody"}]
    assert resolve_owner(session=session, ref="Emily@X.example") is emily
    with pytest.raises(ValidationFailed) as unknown_owner:
        resolve_owner(session=session, ref="Priya", field="owner")
    assert unknown_owner.value.details == [{"field": "owner", "reason": "unknown user", "value": "Priya"}]


def test_roles_and_the_last_active_admin(session: Session) -> None:
    alex = create_user(session=session, name="Alex", role="admin")
    with pytest.raises(ConflictError, match="only active admin") as demote:
        change_role(session=session, user=alex, role="manager")
    assert demote.value.details[0]["field"] == "role"
    with pytest.raises(ConflictError, match="only active admin"):
        deactivate_user(session=session, user=alex)
    with pytest.raises(ValidationFailed) as unknown:
        change_role(session=session, user=alex, role="boss")
    assert unknown.value.details[0]["field"] == "role"
    sam = create_user(session=session, name="Sam", role="viewer")
    assert change_role(session=session, user=sam, role="ADMIN").role == "admin"
    assert first_admin(session=session) is alex
    change_role(session=session, user=alex, role="manager")  # Sam is an admin now
    assert first_admin(session=session) is sam and alex.role == "manager"


def test_first_admin_is_the_earliest_active_one(session: Session) -> None:
    assert first_admin(session=session) is None
    create_user(session=session, name="Rep", role="sales")
    first = create_user(session=session, name="First", role="admin")
    second = create_user(session=session, name="Second", role="admin")
    assert first_admin(session=session) is first
    deactivate_user(session=session, user=first)
    assert first_admin(session=session) is second


def test_sign_in_with_a_users_password_by_name_or_email(session: Session) -> None:
    emily = create_user(session=session, name="Emily Carter", email="emily@x.example", password="emily-pass-1")
    create_user(session=session, name="Linkonly")
    for login in ("Emily Carter", "emily carter", "EMILY@x.example", "  emily@x.example "):
        assert sign_in(session=session, login=login, password="emily-pass-1").user_id == emily.id
    for login, password in (("Emily Carter", "wrong-pass"), ("nobody", "emily-pass-1"), ("Linkonly", ""),
                            ("Linkonly", "decoy-password-never-used")):
        result = sign_in(session=session, login=login, password=password)
        assert (result.ok, result.reason) == (False, "wrong"), login


def test_the_workspace_password_signs_in_as_the_first_admin_or_the_owner(session: Session) -> None:
    assert sign_in(session=session, login="", password="anything").reason == "no_password"
    assert not anyone_has_password(session=session)
    set_password(session=session, password="workspace-pass")
    assert anyone_has_password(session=session)
    owner = sign_in(session=session, login="", password="workspace-pass")
    assert (owner.ok, owner.user_id) == (True, None)
    assert sign_in(session=session, login="", password="nope-nope").reason == "wrong"
    create_user(session=session, name="Rep", role="sales")
    alex = create_user(session=session, name="Alex", role="admin")
    assert sign_in(session=session, login=" ", password="workspace-pass").user_id == alex.id
    assert sign_in(session=session, login="Alex", password="workspace-pass").reason == "wrong"  # not Alex's own


def test_setting_a_password_signs_the_user_out_elsewhere(session: Session) -> None:
    emily = create_user(session=session, name="Emily")
    other = create_user(session=session, name="Other")
    here, there = (create_session(session=session, user_id=emily.id) for _ in range(2))
    theirs = create_session(session=session, user_id=other.id)
    kept = session_principal(session=session, token=here.token)
    assert kept is not None and (kept.name, kept.role, kept.user_id, kept.user_name) == ("Emily", "sales", emily.id,
                                                                                         "Emily")
    set_user_password(session=session, user=emily, password="new-password", keep_session=kept.session_id)
    assert session_principal(session=session, token=here.token) is not None
    assert session_principal(session=session, token=there.token) is None
    assert session_principal(session=session, token=theirs.token) is not None
    assert sign_in(session=session, login="emily", password="new-password").user_id == emily.id


def test_deactivating_stops_sign_in_sessions_links_and_keys(engine: Engine) -> None:
    with session_scope(engine) as session:
        create_user(session=session, name="Alex", role="admin")
        emily = create_user(session=session, name="Emily", password="emily-pass-1")
        ticket = create_session(session=session, user_id=emily.id)
        link = create_login_token(session=session, user_id=emily.id)
        key, info = create_api_key(session=session, name="emily-sync", role="write", user_id=emily.id)
        assert info.user == "Emily" and authenticate_key(session=session, key=key) is not None
        deactivate_user(session=session, user=emily)
        assert not emily.active
    with session_scope(engine) as session:
        assert sign_in(session=session, login="Emily", password="emily-pass-1").reason == "inactive"
        assert sign_in(session=session, login="Emily", password="wrong-pass").reason == "wrong"
        assert session_principal(session=session, token=ticket.token) is None
        assert consume_login_token(session=session, token=link) is None
        assert authenticate_key(session=session, key=key) is None
        with pytest.raises(ValidationFailed, match="deactivated") as no_key:
            create_api_key(session=session, name="another", user_id=get_user(session=session, ref="Emily").id)
        assert no_key.value.details[0]["field"] == "user"
        assert [k.revoked_at for k in list_api_keys(session=session)] == [None]  # refused, not revoked
    with session_scope(engine) as session:
        activate_user(session=session, user=get_user(session=session, ref="emily"))
    with session_scope(engine) as session:
        assert sign_in(session=session, login="Emily", password="emily-pass-1").ok
        assert authenticate_key(session=session, key=key) is not None  # the unrevoked key works again
        assert session_principal(session=session, token=ticket.token) is None  # sessions are gone for good


def test_links_and_sessions_belong_to_a_user(session: Session) -> None:
    assert consume_login_token(session=session, token=create_login_token(session=session)).user_id is None
    owner = session_principal(session=session, token=create_session(session=session).token)
    assert owner is not None and (owner.name, owner.role, owner.user_id) == ("workspace owner", "admin", None)
    alex = create_user(session=session, name="Alex", role="admin")
    rep = create_user(session=session, name="Rep", role="sales")
    assert consume_login_token(session=session, token=create_login_token(session=session)).user_id == alex.id
    grant = consume_login_token(session=session, token=create_login_token(session=session, user_id=rep.id))
    assert grant is not None and grant.user_id == rep.id
    principal = session_principal(session=session, token=create_session(session=session, user_id=rep.id).token)
    assert principal is not None and (principal.role, principal.level, principal.changes_everything) == (
        "sales", "write", False)
    with pytest.raises(NotFoundError):
        create_login_token(session=session, user_id=999_999)


@pytest.mark.parametrize("user_role,key_level,expected", [
    ("admin", "admin", "admin"), ("admin", "write", "manager"), ("admin", "read", "viewer"),
    ("manager", "admin", "manager"), ("manager", "write", "manager"), ("manager", "read", "viewer"),
    ("sales", "admin", "sales"), ("sales", "write", "sales"), ("sales", "read", "viewer"),
    ("service", "write", "service"), ("viewer", "admin", "viewer"),
])
def test_a_key_acts_with_its_users_role_capped_by_its_level(session: Session, user_role: str, key_level: str,
                                                          expected: str) -> None:
    assert effective_role(user_role, key_level) == expected
    create_user(session=session, name="Boss", role="admin")  # someone has to stay admin
    user = create_user(session=session, name="Holder", role=user_role) if user_role != "admin" else \
        get_user(session=session, ref="Boss")
    key, info = create_api_key(session=session, name="k", role=key_level, user_id=user.id)
    principal = authenticate_key(session=session, key=key)
    assert principal == Principal(kind="key", name="k", role=expected, key_id=info.id, user_id=user.id,
                                  user_name=user.name)


def test_keys_belong_to_the_first_admin_by_default_and_follow_role_changes(session: Session) -> None:
    key, info = create_api_key(session=session, name="before-users", role="write")
    assert (info.user_id, info.user) == (None, None)
    assert authenticate_key(session=session, key=key).role == "write"  # type: ignore[union-attr]
    alex = create_user(session=session, name="Alex", role="admin")
    key2, info2 = create_api_key(session=session, name="after-users", role="write")
    assert (info2.user_id, info2.user) == (alex.id, "Alex")
    assert authenticate_key(session=session, key=key2).role == "manager"  # type: ignore[union-attr]
    create_user(session=session, name="Other admin", role="admin")
    change_role(session=session, user=alex, role="sales")
    assert authenticate_key(session=session, key=key2).role == "sales"  # type: ignore[union-attr]
    assert [(k.name, k.user) for k in list_api_keys(session=session)] == [("before-users", None),
                                                                          ("after-users", "Alex")]
