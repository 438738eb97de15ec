"""Reading the single sign-on settings and the provider's claims (no request, no provider)."""
import pytest

from portal.auth.oidc import ConfigError, Identity, Settings, parse_role_map, role_for
from tests.sso import sso_settings


def _settings(**overrides) -> Settings:
    return Settings.from_config(sso_settings("https://login.example.com", **overrides))


def test_no_issuer_client_or_secret_means_no_single_sign_on():
    assert Settings.from_config({"OIDC_ISSUER": "", "OIDC_CLIENT_ID": "",
                                 "OIDC_CLIENT_SECRET": ""}) is None


def test_the_three_settings_are_enough():
    settings = Settings.from_config({"OIDC_ISSUER": "https://company.okta.com",
                                     "OIDC_CLIENT_ID": "portal", "OIDC_CLIENT_SECRET": "s",
                                     "OIDC_SCOPES": "openid email profile",
                                     "OIDC_DEFAULT_ROLE": "owner"})
    assert settings.discovery_url == "https://company.okta.com/.well-known/openid-configuration"
    assert settings.button_label == "Sign in with single sign-on"
    assert settings.role_map == {} and settings.allowed_domains == frozenset()
    assert settings.default_role == "owner"


def test_an_issuer_with_a_trailing_slash_finds_its_discovery_document():
    settings = _settings(OIDC_ISSUER="https://tenant.eu.auth0.com/")
    assert settings.discovery_url == "https://tenant.eu.auth0.com/.well-known/openid-configuration"


@pytest.mark.parametrize("issuer", ["http://127.0.0.1:5203", "http://localhost:8080/realms/x",
                                    "http://[::1]:9000"])
def test_plain_http_is_allowed_on_the_loopback_only(issuer):
    assert _settings(OIDC_ISSUER=issuer).issuer == issuer
    with pytest.raises(ConfigError):
        _settings(OIDC_ISSUER="http://sso.internal.example")


def test_allowed_domains_are_read_loosely():
    settings = _settings(OIDC_ALLOWED_DOMAINS=" Example.com, @corp.example.org;eu.example.com ")
    assert settings.allowed_domains == {"example.com", "corp.example.org", "eu.example.com"}


def test_an_empty_default_role_refuses_and_an_unset_one_is_owner():
    assert _settings(OIDC_DEFAULT_ROLE="").default_role is None
    assert _settings(OIDC_DEFAULT_ROLE=" Owner ").default_role == "owner"


def test_role_map_with_commas_or_with_semicolons_for_ldap_names():
    assert parse_role_map("portal-admins=admin, launch-leads = Lead ,") == {
        "portal-admins": "admin", "launch-leads": "lead"}
    assert parse_role_map("CN=Leads,OU=Groups,DC=corp=lead; CN=Admins,OU=Groups,DC=corp=admin") \
        == {"CN=Leads,OU=Groups,DC=corp": "lead", "CN=Admins,OU=Groups,DC=corp": "admin"}
    assert parse_role_map("") == {}


def test_the_highest_mapped_role_wins():
    settings = _settings(OIDC_ROLE_MAP="execs=executive,owners=owner,leads=lead,admins=admin")
    assert role_for(settings, ["execs", "owners"]) == "owner"
    assert role_for(settings, ["owners", "admins", "leads"]) == "admin"
    assert role_for(settings, ["execs"]) == "executive"
    assert role_for(settings, ["nobody-maps-this"]) is None
    assert role_for(settings, []) is None


def test_identity_from_claims_of_different_providers():
    okta = Identity.from_claims({"iss": "https://c.okta.com", "sub": "00u1", "email":
                                 " Ana@Example.com ", "email_verified": True, "name": "Ana  Ruiz",
                                 "groups": ["leads", "everyone"]})
    assert (okta.email, okta.name, okta.groups, okta.email_verified) == (
        "Ana@Example.com", "Ana Ruiz", ("leads", "everyone"), True)
    keycloak = Identity.from_claims({"iss": "https://k/realms/c", "sub": "f3", "email": "b@x.io",
                                     "email_verified": "false", "given_name": "Bo",
                                     "family_name": "Li", "realm_access": {"roles": ["leads"]}},
                                    roles_claim="realm_access.roles")
    assert (keycloak.name, keycloak.groups, keycloak.email_verified) == ("Bo Li", ("leads",), False)
    entra = Identity.from_claims({"iss": "https://login.microsoftonline.com/t/v2.0", "sub": "x",
                                  "preferred_username": "cy@corp.example", "roles": "leads"},
                                 roles_claim="roles")
    assert (entra.email, entra.name, entra.groups, entra.email_verified) == (
        "", "cy@corp.example", ("leads",), None)
    bare = Identity.from_claims({"iss": "i", "sub": "s", "email": "dee@example.com",
                                 "groups": {"not": "a list"}})
    assert (bare.name, bare.groups) == ("dee", ())
