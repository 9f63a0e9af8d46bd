"""Survey links: unguessable, stored only as a hash, rebuilt by the server, checked in constant time."""

from __future__ import annotations

import pytest

from kliyan.feedback import outbox, tokens
from kliyan.feedback.services import find_invitation

pytestmark = pytest.mark.django_db


def test_a_token_is_43_url_safe_characters_derived_from_the_nonce_and_the_secret(settings) -> None:
    nonce = tokens.new_nonce()
    token = tokens.token_for(nonce)
    assert tokens.well_formed(token) and len(token) == 43
    assert tokens.token_for(nonce) == token
    settings.SECRET_KEY = "another secret key, as after a rotation, long enough"
    assert tokens.token_for(nonce) != token


def test_the_database_keeps_the_hash_and_the_nonce_but_never_the_token(invitation) -> None:
    token = outbox.survey_url(invitation).rstrip("/").rsplit("/", 1)[1]
    assert invitation.token_hash == tokens.hash_token(token)
    stored = [str(getattr(invitation, f.attname)) for f in invitation._meta.concrete_fields]
    assert not any(token in value for value in stored)


def test_the_link_finds_its_invitation_and_nothing_else_does(invitation) -> None:
    token = outbox.survey_path(invitation).strip("/").rsplit("/", 1)[1]
    assert find_invitation(token) == invitation
    assert find_invitation(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert find_invitation(token[:20]) is None
    assert find_invitation(token + "x") is None
    assert find_invitation("../" + token[3:]) is None
    assert find_invitation("") is None


def test_comparison_is_constant_time_on_the_hashes() -> None:
    token = tokens.token_for(tokens.new_nonce())
    stored = tokens.hash_token(token)
    assert tokens.matches(stored, token)
    assert not tokens.matches(stored, tokens.token_for(tokens.new_nonce()))
