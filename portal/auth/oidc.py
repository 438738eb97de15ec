"""Single sign-on with an OpenID Connect provider (Okta, Microsoft Entra ID, Google, Keycloak,
...), through Authlib: the settings, the provider's client (discovery, the authorization code
flow with PKCE, state and nonce, the ID token's signature, issuer, audience and expiry), and
`sign_in`, which decides who may sign in with which role and keeps one login per account at
the provider (its issuer and subject)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from ipaddress import ip_address
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.flask_client import OAuth
from flask import Flask, request, session
from joserfc.errors import JoseError
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.log import Actor, record
from portal.auth import security, users
from portal.auth.models import User
from portal.clock import utcnow
from portal.people import service as people_service
from portal.vocab import ROLES

# The redirect URI registered at the provider is PORTAL_BASE_URL + CALLBACK_PATH; its
# sign-out returns to PORTAL_BASE_URL + SIGNED_OUT_PATH.
CALLBACK_PATH = "/auth/oidc/callback"
SIGNED_OUT_PATH = "/auth/oidc/signed-out"
# PORTAL_PASSWORD_LOGIN: the password form for everyone, for nobody, or for admins only.
PASSWORD_LOGIN_MODES = ("on", "off", "admins")
CLIENT_NAME = "sso"
# In the cookie session after a single sign-on session's sign-out: the provider's sign-out.
SIGN_OUT_URL_KEY = "sso_sign_out_url"
SIGN_OUT_STATE_KEY = "sso_sign_out_state"
_EXTENSION = "portal.oidc"


class ConfigError(RuntimeError):
    """The OIDC_* settings do not add up; the portal does not start."""


class SignInError(Exception):
    """A sign-in through the provider that does not go through. `message` is for the person
    on the page, `detail` for the security log (of `kind`)."""

    kind = "sign_in_refused"
    status = 403

    def __init__(self, message: str, detail: str, *, email: str | None = None,
                 user: User | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.email = email
        self.user = user
        if status is not None:
            self.status = status


class Refused(SignInError):
    """The provider said no, or the portal does: wrong domain, no role, deactivated, ..."""


class ProviderError(SignInError):
    """The provider cannot be reached, or its answer cannot be trusted."""

    kind = "provider_error"
    status = 502


@dataclass(frozen=True)
class Settings:
    """The OIDC_* settings, read and checked once at start-up."""

    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    button_label: str
    roles_claim: str
    default_role: str | None
    timeout: float
    allowed_domains: frozenset[str] = frozenset()
    role_map: dict[str, str] = field(default_factory=dict)

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @classmethod
    def from_config(cls, config) -> Settings | None:
        """None when single sign-on is not configured; ConfigError when half of it is."""
        required = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")
        given = [name for name in required if config.get(name)]
        if not given:
            return None
        if len(given) < len(required):
            missing = ", ".join(name for name in required if name not in given)
            raise ConfigError(f"Single sign-on needs {', '.join(required)}; {missing} "
                              "is not set.")
        issuer = config["OIDC_ISSUER"].strip()
        _check_issuer(issuer)
        scopes = " ".join(config.get("OIDC_SCOPES", "").split())
        if "openid" not in scopes.split():
            raise ConfigError(f"OIDC_SCOPES must include openid (it is {scopes!r}).")
        default_role = (config.get("OIDC_DEFAULT_ROLE") or "").strip().lower() or None
        if default_role is not None and default_role not in ROLES:
            raise ConfigError(f"OIDC_DEFAULT_ROLE {default_role!r} is not a role; use one of "
                              f"{', '.join(ROLES)}, or leave it empty to refuse people in "
                              "no mapped group.")
        return cls(
            issuer=issuer,
            client_id=config["OIDC_CLIENT_ID"].strip(),
            client_secret=config["OIDC_CLIENT_SECRET"],
            scopes=scopes,
            button_label=(config.get("OIDC_BUTTON_LABEL") or "").strip()
            or "Sign in with single sign-on",
            roles_claim=(config.get("OIDC_ROLES_CLAIM") or "").strip(),
            default_role=default_role,
            timeout=float(config.get("OIDC_TIMEOUT_SECONDS") or 10),
            allowed_domains=frozenset(
                domain.strip().lstrip("@").lower()
                for domain in (config.get("OIDC_ALLOWED_DOMAINS") or "").replace(";", ",")
                .split(",") if domain.strip()),
            role_map=parse_role_map(config.get("OIDC_ROLE_MAP") or ""),
        )


def _check_issuer(issuer: str) -> None:
    """An https URL; plain http only on the loopback (a provider on this machine)."""
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        try:
            loopback = parts.hostname == "localhost" or ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return
    raise ConfigError(f"OIDC_ISSUER must be an https:// URL (it is {issuer!r}).")


def parse_role_map(text: str) -> dict[str, str]:
    """`portal-admins=admin,launch-leads=lead` as {group: role}. Entries are separated by
    commas, or by semicolons or new lines when group names hold commas (LDAP names); the
    role follows the last `=`."""
    separators = ";\n" if any(mark in text for mark in ";\n") else ","
    entries = [text]
    for separator in separators:
        entries = [piece for entry in entries for piece in entry.split(separator)]
    mapping: dict[str, str] = {}
    for entry in filter(None, (entry.strip() for entry in entries)):
        group, equals, role = entry.rpartition("=")
        group, role = group.strip(), role.strip().lower()
        if not equals or not group:
            raise ConfigError(f"OIDC_ROLE_MAP: {entry!r} is not group=role.")
        if role not in ROLES:
            raise ConfigError(f"OIDC_ROLE_MAP: {role!r} (for {group!r}) is not a role; use "
                              f"one of {', '.join(ROLES)}.")
        mapping[group] = role
    return mapping


def password_login_mode(config) -> str:
    """on, off or admins; without single sign-on always on (nobody could sign in else)."""
    mode = config["PORTAL_PASSWORD_LOGIN"]
    return mode if config.get("OIDC_ENABLED") else "on"


def password_login_for(config, user) -> bool:
    """Whether `user` may sign in with a password (and so keep one)."""
    mode = password_login_mode(config)
    return mode == "on" or (mode == "admins" and getattr(user, "role", None) == "admin")


def init_oidc(app: Flask) -> None:
    """Checks the settings and registers the provider's client with Authlib (no request is
    made: discovery happens at the first sign-in)."""
    mode = app.config["PORTAL_PASSWORD_LOGIN"]
    if mode not in PASSWORD_LOGIN_MODES:
        raise ConfigError(f"PORTAL_PASSWORD_LOGIN must be one of "
                          f"{', '.join(PASSWORD_LOGIN_MODES)} (it is {mode!r}).")
    settings = Settings.from_config(app.config)
    app.config["OIDC_ENABLED"] = settings is not None
    app.extensions[_EXTENSION] = settings
    if settings is None:
        if mode != "on":
            app.logger.warning("PORTAL_PASSWORD_LOGIN=%s is ignored: single sign-on is not "
                               "configured (OIDC_ISSUER), so passwords stay on.", mode)
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT_NAME, client_id=settings.client_id, client_secret=settings.client_secret,
        server_metadata_url=settings.discovery_url,
        client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256",
                       "default_timeout": settings.timeout})


def settings_of(app: Flask) -> Settings | None:
    return app.extensions.get(_EXTENSION)


def client_of(app: Flask):
    return app.extensions["authlib.integrations.flask_client"].create_client(CLIENT_NAME)


# --- The conversation with the provider (reads the request and the cookie session) ---------


def metadata(client, settings: Settings) -> dict:
    """The provider's discovery document (fetched once per process), whose issuer must be
    the configured one."""
    try:
        data = client.load_server_metadata()
    except (requests.RequestException, ValueError, TypeError) as error:
        raise ProviderError(
            "The sign-in service cannot be reached right now. Try again in a minute.",
            f"discovery at {settings.discovery_url} failed: {error}") from error
    if str(data.get("issuer", "")).rstrip("/") != settings.issuer.rstrip("/"):
        raise ProviderError(
            "The sign-in service is not set up correctly. Tell an administrator.",
            f"discovery names the issuer {data.get('issuer')!r}, not {settings.issuer!r}")
    return data


def authorize_redirect(client, settings: Settings, redirect_uri: str):
    """The redirect to the provider's sign-in page. Only the latest attempt of a browser
    stays valid, so abandoned attempts do not pile up in its cookie."""
    metadata(client, settings)
    for key in [key for key in session if key.startswith(f"_state_{CLIENT_NAME}_")]:
        session.pop(key)
    try:
        return client.authorize_redirect(redirect_uri)
    except (requests.RequestException, AuthlibBaseError, RuntimeError) as error:
        raise ProviderError("The sign-in service cannot be used right now.",
                            f"authorization request failed: {error}") from error


def _id_token_claims(settings: Settings, issuer: str) -> dict:
    """What Authlib checks besides the signature, the nonce and the expiry."""
    return {"iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": settings.client_id},
            "sub": {"essential": True}, "exp": {"essential": True}}


def finish(client, settings: Settings) -> tuple[Identity, str]:
    """Completes the flow on the callback: the provider's answer for this browser's state,
    the code exchanged (with the PKCE verifier), the ID token verified, the user info added.
    Returns who signed in and the raw ID token; SignInError otherwise."""
    error = request.args.get("error")
    if error:
        description = request.args.get("error_description", "")[:200]
        if error in ("access_denied", "login_required", "consent_required",
                     "interaction_required", "account_selection_required"):
            raise Refused("The sign-in was cancelled, or the identity provider did not allow "
                          "it.", f"the provider answered {error}: {description}")
        raise ProviderError("The identity provider could not sign you in.",
                            f"the provider answered {error}: {description}")
    data = metadata(client, settings)
    returned_issuer = request.args.get("iss")
    if (returned_issuer is not None and returned_issuer != data["issuer"]) or (
            returned_issuer is None and data.get("authorization_response_iss_parameter_supported")):
        raise ProviderError("The answer did not come from the expected identity provider.",
                            f"authorization response from issuer {returned_issuer!r}")
    try:
        token = client.authorize_access_token(
            claims_options=_id_token_claims(settings, data["issuer"]))
        if "userinfo" not in token:
            raise ProviderError("The identity provider's answer is incomplete.",
                                "the token response holds no ID token")
        claims = dict(token["userinfo"])
        if data.get("userinfo_endpoint"):
            info = dict(client.userinfo(token=token))
            if info.get("sub") != claims["sub"]:
                raise ProviderError("The identity provider's answer does not add up.",
                                    "the user info is about another subject")
            claims = {**info, **claims}
    except MismatchingStateError as error:
        raise Refused("This sign-in was already used, has expired, or was started in another "
                      "browser or at another address. Start again.",
                      "unknown or reused state", status=400) from error
    except JoseError as error:
        raise ProviderError("The identity provider's answer could not be verified.",
                            f"ID token refused: {error.error}: {error.description or ''}"
                            ) from error
    except AuthlibBaseError as error:
        raise ProviderError("The identity provider did not complete the sign-in.",
                            f"token request refused: {error}") from error
    except (requests.RequestException, ValueError, TypeError, RuntimeError) as error:
        raise ProviderError("The sign-in service cannot be reached right now.",
                            f"token request failed: {error}") from error
    return Identity.from_claims(claims, settings.roles_claim), token["id_token"]


def offer_sign_out(app: Flask, id_token: str | None) -> None:
    """After the portal's own sign-out of a single sign-on session (the cookie session is
    new): the sign-in page offers to sign out at the provider too (RP-initiated logout),
    when the provider publishes an end_session_endpoint."""
    settings = settings_of(app)
    if not id_token or settings is None:
        return
    client = client_of(app)
    try:
        data = metadata(client, settings)
    except ProviderError:
        return
    if not data.get("end_session_endpoint"):
        return
    result = client.create_logout_url(
        post_logout_redirect_uri=app.config["PORTAL_BASE_URL"] + SIGNED_OUT_PATH,
        id_token_hint=id_token, client_id=settings.client_id)
    session[SIGN_OUT_URL_KEY], session[SIGN_OUT_STATE_KEY] = result["url"], result["state"]


# --- Who signs in, and with which role ------------------------------------------------------


def _claim(claims: dict, name: str):
    """A claim by name, or by a dotted path into nested claims (`realm_access.roles`)."""
    if not name:
        return None
    if name in claims:
        return claims[name]
    value = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _verified(value) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    return str(value).strip().lower() == "true"


@dataclass(frozen=True)
class Identity:
    """The account at the provider, from the verified ID token and the user info."""

    issuer: str
    subject: str
    email: str
    email_verified: bool | None
    name: str
    groups: tuple[str, ...] = ()

    @classmethod
    def from_claims(cls, claims: dict, roles_claim: str = "groups") -> Identity:
        email = claims.get("email")
        email = email.strip() if isinstance(email, str) else ""
        name = claims.get("name")
        if not isinstance(name, str) or not name.strip():
            parts = [claims.get("given_name"), claims.get("family_name")]
            name = " ".join(part for part in parts if isinstance(part, str))
        if not name.strip():
            username = claims.get("preferred_username")
            name = username if isinstance(username, str) else email.partition("@")[0]
        groups = _claim(claims, roles_claim)
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list | tuple):
            groups = []
        return cls(issuer=str(claims["iss"]), subject=str(claims["sub"]), email=email,
                   email_verified=_verified(claims.get("email_verified")),
                   name=" ".join(name.split())[:120],
                   groups=tuple(str(group) for group in groups if isinstance(group, str | int)))


def role_for(settings: Settings, groups) -> str | None:
    """The highest role that the groups map to (admin, lead, owner, executive), else None."""
    roles = {settings.role_map[group] for group in groups if group in settings.role_map}
    return next((role for role in ROLES if role in roles), None)


def _checked_email(settings: Settings, identity: Identity) -> str:
    """The identity's email, when the provider sent one, has verified it and its domain is
    allowed; Refused otherwise."""
    if not identity.email:
        raise Refused("The identity provider did not send your email address, which the "
                      "portal needs. Ask your administrator to release the email claim.",
                      "no email in the ID token or user info")
    try:
        email = users.clean_login_email(identity.email)
    except users.UserError as error:
        raise Refused("The identity provider sent an email address the portal cannot use.",
                      f"unusable email {identity.email[:100]!r}") from error
    if identity.email_verified is False:
        raise Refused(f"The identity provider has not verified your email address {email}. "
                      "Verify it there, then sign in again.", "the email is not verified",
                      email=email)
    domain = email.rpartition("@")[2]
    if settings.allowed_domains and domain not in settings.allowed_domains:
        allowed = ", ".join(sorted(settings.allowed_domains))
        raise Refused(f"Only addresses at {allowed} may sign in to the portal; you signed in "
                      f"as {email}.", f"the domain {domain} is not allowed", email=email)
    return email


def _find_login(session: Session, identity: Identity, email: str) -> tuple[User | None, bool]:
    """The login linked to the account, else the unlinked login with its email (None when
    there is neither), and whether it still has to be linked. Refused for a login linked to
    another account or a deactivated one."""
    user = session.scalar(select(User).where(User.oidc_issuer == identity.issuer,
                                             User.oidc_subject == identity.subject))
    linking = user is None
    if user is None:
        user = users.find_by_email(session, email)
        if user is not None and user.oidc_subject is not None:
            raise Refused(f"The portal login for {email} belongs to another account at the "
                          "identity provider. Ask an administrator.",
                          f"the login is linked to subject {user.oidc_subject!r}, not "
                          f"{identity.subject!r}", email=email, user=user)
    if user is not None and not user.active:
        raise Refused("Your portal login is deactivated. Ask an administrator if you need it "
                      "again.", "the login is deactivated", email=email, user=user)
    return user, linking


def _role_of(settings: Settings, identity: Identity, user: User | None, email: str) -> str:
    """The role the groups map to, else OIDC_DEFAULT_ROLE (a known login keeps its own when
    there is no role map); Refused when that leaves none."""
    role = role_for(settings, identity.groups)
    if role is None:
        role = settings.default_role if settings.role_map or user is None else user.role
    if role is None:
        raise Refused("Your account at the identity provider is in none of the groups that "
                      "give a role in the portal. Ask an administrator to add you to one.",
                      f"no role for the groups {', '.join(identity.groups)[:150] or '(none)'}",
                      email=email, user=user)
    return role


def _create_login(session: Session, identity: Identity, email: str, role: str) -> User:
    """A new password-less login for the account; Refused when `users.create_user` refuses."""
    actor = Actor(via="sso", name=identity.name or email)
    try:
        return users.create_user(session, actor, email=email, name=identity.name or email,
                                 role=role, password=None)
    except users.UserError as error:
        raise Refused(f"The portal could not make a login for you: {error} Ask an "
                      "administrator.", f"no login could be made: {error}",
                      email=email) from error


def _set_role(session: Session, actor: Actor, user: User, role: str) -> None:
    """Gives the login the role from the provider's groups, audited when it changes."""
    if user.role != role:
        record(session, actor, "user", user.id, "update",
               summary=f"Role of {user.email} set to {role} from the identity provider's groups",
               before={"role": user.role}, after={"role": role})
        user.role = role


def sign_in(session: Session, settings: Settings, identity: Identity,
            address: str | None = None) -> User:
    """The login of an account the provider vouched for, with its role refreshed.

    A login is found by issuer and subject; the first time by its email (and then linked),
    or it is created, acting as a person by the rules of `users.create_user`. The role is
    the highest the groups map to, else OIDC_DEFAULT_ROLE; without OIDC_ROLE_MAP a known
    login keeps its role. Refused (nothing written) for a missing, unverified or foreign
    email, no role, a deactivated login, or a login linked to another account. The caller
    logs a refusal, begins the session and commits."""
    email = _checked_email(settings, identity)
    user, linking = _find_login(session, identity, email)
    role = _role_of(settings, identity, user, email)
    if user is None:
        user = _create_login(session, identity, email, role)
        how = "a new login"
    else:
        how = "the login with this email"
    actor = Actor.for_user(user, via="sso")
    if linking:
        user.oidc_issuer, user.oidc_subject = identity.issuer, identity.subject
        security.log(session, "account_linked", user=user, address=address,
                     detail=f"{how} linked to subject {identity.subject} at {identity.issuer}")
    note = ""
    if not linking and user.email != email:
        note = _follow_email(session, actor, user, email)
    _set_role(session, actor, user, role)
    if user.must_change_password:
        # A password an administrator set is not the person's; SSO replaces it.
        user.set_password(secrets.token_urlsafe(32))
        user.must_change_password = False
    user.last_login_at = utcnow()
    security.log(session, "sign_in", user=user, address=address,
                 detail="single sign-on" + (f"; {note}" if note else ""))
    session.flush()
    return user


def _follow_email(session: Session, actor: Actor, user: User, email: str) -> str:
    """The provider now sends another address for the same account: the login takes it (and
    the person, when they had the old one), unless another login has it already. Returns
    what happened, for the security log."""
    if users.find_by_email(session, email) is not None:
        return f"kept {user.email}: the provider's new address {email} belongs to another login"
    old = user.email
    user.email = email
    record(session, actor, "user", user.id, "update",
           summary=f"Email of a login changed from {old} to {email} at the identity provider",
           before={"email": old}, after={"email": email})
    person = user.person
    if person is not None and (person.email or "").lower() == old:
        try:
            people_service.update_person(session, actor, person, name=person.name, email=email,
                                         kind=person.kind, timezone=person.timezone,
                                         version=person.version)
        except people_service.PersonError:
            return f"email changed from {old}; the person kept theirs (another person has it)"
    return f"email changed from {old}"
