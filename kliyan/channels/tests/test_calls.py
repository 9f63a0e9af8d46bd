"""Live calls from phone systems: the generic API, Twilio's webhook and the Asterisk/FreePBX URL.

Each logs the call once per call id on the caller's timeline and queues one pop event.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from twilio.request_validator import RequestValidator

from kliyan.accounts.models import TokenScope
from kliyan.accounts.services import token_create
from kliyan.channels.models import CallEvent, PopEvent
from kliyan.core.models import AuditEntry
from kliyan.interactions.models import Interaction

pytestmark = pytest.mark.django_db

INCOMING = "/api/v1/calls/incoming"
TWILIO = "/channels/twilio/voice"
ASTERISK = "/channels/asterisk/incoming"
TWILIO_TOKEN = "12345678901234567890123456789012"
ASTERISK_SECRET = "s3cret-for-the-pbx"


def _bearer(user: Any, scope: str = TokenScope.WRITE) -> dict[str, str]:
    _token, raw = token_create(actor=user, user=user, name="pbx", scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _written() -> tuple[int, int, int]:
    return CallEvent.objects.count(), PopEvent.objects.count(), Interaction.objects.filter(channel="phone").count()


# --- The generic JSON endpoint ------------------------------------------------------------

def test_an_incoming_call_is_logged_on_the_timeline_and_popped_once_per_call_id(agent, caller) -> None:
    headers = _bearer(agent)
    payload = {"from": "+509 3712 3456", "to": "+509 2800 0000", "call_id": "pbx-1001"}
    first = Client().post(INCOMING, payload, content_type="application/json", **headers)
    assert first.status_code == 201
    body = first.json()
    assert body["created"] is True and body["matched"] is True
    assert body["contact"] == {"id": caller.pk, "name": "Marie-Claire Joseph"}
    assert body["pop_url"] == "/pop/?phone=%2B50937123456"

    again = Client().post(INCOMING, payload, content_type="application/json", **headers)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["interaction_id"] == body["interaction_id"]
    assert _written() == (1, 1, 1)

    call = CallEvent.objects.get()
    assert (call.provider, call.call_id, call.e164, call.contact_id) == ("generic", "pbx-1001", "+50937123456", caller.pk)
    interaction = Interaction.objects.get(pk=body["interaction_id"])
    assert (interaction.contact_id, interaction.channel, interaction.direction) == (caller.pk, "phone", "inbound")
    assert interaction.external_id == "generic:pbx-1001"
    assert interaction.question == "Incoming call from +509 37 12 3456"
    pop = PopEvent.objects.get()
    assert pop.user_id is None  # no agent named: every agent's page
    assert pop.payload["name"] == "Marie-Claire Joseph" and pop.payload["company"] == "Boulangerie Soleil"
    assert AuditEntry.objects.filter(object_type="kliyan_channels.callevent", contact_id=caller.pk).count() == 1


def test_a_call_for_a_named_agent_pops_on_their_pages_only_and_is_theirs_on_the_timeline(agent, manager, caller) -> None:
    payload = {"from": "+50937123456", "call_id": "pbx-1002", "agent": "manager"}
    body = Client().post(INCOMING, payload, content_type="application/json", **_bearer(agent)).json()
    assert PopEvent.objects.get().user_id == manager.pk
    assert Interaction.objects.get(pk=body["interaction_id"]).staff_id == manager.pk


def test_an_unknown_caller_is_recorded_and_popped_without_a_timeline_entry(agent, haiti) -> None:
    body = Client().post(
        INCOMING, {"from": "3899 0000", "call_id": "pbx-1003"}, content_type="application/json", **_bearer(agent)
    ).json()
    assert body["matched"] is False and body["contact"] is None and body["interaction_id"] is None
    assert _written() == (1, 1, 0)
    assert PopEvent.objects.get().payload["matched"] is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"from": "abc", "call_id": "x"}, "from"),
        ({"from": "+50937123456", "call_id": " "}, "call_id"),
        ({"from": "+50937123456", "call_id": "x", "direction": "sideways"}, "direction"),
        ({"from": "+50937123456", "call_id": "x", "agent": "nobody-here"}, "agent"),
    ],
)
def test_bad_call_input_is_refused_naming_the_field_and_nothing_is_written(agent, caller, payload, field) -> None:
    before = _written()
    response = Client().post(INCOMING, payload, content_type="application/json", **_bearer(agent))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert _written() == before


def test_a_missing_from_is_refused_naming_it(agent) -> None:
    response = Client().post(INCOMING, {"call_id": "x"}, content_type="application/json", **_bearer(agent))
    assert response.status_code == 422
    assert "from" in {e["field"].split(".")[-1] for e in response.json()["errors"]}
    assert _written() == (0, 0, 0)


def test_only_roles_that_log_interactions_may_announce_calls(users, caller) -> None:
    payload = {"from": "+50937123456", "call_id": "pbx-2000"}
    viewer = Client().post(INCOMING, payload, content_type="application/json", **_bearer(users["viewer"]))
    read_token = Client().post(INCOMING, payload, content_type="application/json", **_bearer(users["agent"], TokenScope.READ))
    anonymous = Client().post(INCOMING, payload, content_type="application/json")
    assert (viewer.status_code, read_token.status_code, anonymous.status_code) == (403, 403, 401)
    assert _written() == (0, 0, 0)
    for index, role in enumerate(["admin", "manager", "agent"]):
        data = {**payload, "call_id": f"pbx-200{index + 1}"}
        assert Client().post(INCOMING, data, content_type="application/json", **_bearer(users[role])).status_code == 201


# --- Twilio ---------------------------------------------------------------------------------

TWILIO_FORM = {
    "CallSid": "CA0123456789abcdef0123456789abcdef", "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": "+50937123456", "To": "+50928000000", "CallStatus": "ringing", "Direction": "inbound",
}


def _twilio_post(form: dict[str, str], *, signature: str | None = None, token: str = TWILIO_TOKEN) -> Any:
    url = f"http://testserver{TWILIO}"
    signature = signature if signature is not None else RequestValidator(token).compute_signature(url, form)
    return Client().post(TWILIO, form, HTTP_X_TWILIO_SIGNATURE=signature)


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN=TWILIO_TOKEN)
def test_a_signed_twilio_call_is_logged_and_answered_with_twiml(caller) -> None:
    response = _twilio_post(TWILIO_FORM)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    call = CallEvent.objects.get()
    assert (call.provider, call.call_id, call.status, call.contact_id) == ("twilio", TWILIO_FORM["CallSid"], "ringing", caller.pk)
    assert Interaction.objects.get(channel="phone").external_id == f"twilio:{TWILIO_FORM['CallSid']}"

    # Twilio calls again as the call goes on: the status follows, nothing is doubled.
    assert _twilio_post({**TWILIO_FORM, "CallStatus": "completed"}).status_code == 200
    assert _written() == (1, 1, 1)
    assert CallEvent.objects.get().status == "completed"


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN=TWILIO_TOKEN)
def test_a_twilio_post_with_a_wrong_signature_is_refused_and_nothing_is_written(caller) -> None:
    assert _twilio_post(TWILIO_FORM, token="another-account-token-0000000000").status_code == 403
    assert _twilio_post(TWILIO_FORM, signature="").status_code == 403
    signed_for_other_number = RequestValidator(TWILIO_TOKEN).compute_signature(f"http://testserver{TWILIO}", TWILIO_FORM)
    assert _twilio_post({**TWILIO_FORM, "From": "+50938990000"}, signature=signed_for_other_number).status_code == 403
    assert _written() == (0, 0, 0)


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN=TWILIO_TOKEN)
def test_a_twilio_call_from_a_withheld_number_is_answered_but_not_recorded(caller) -> None:
    response = _twilio_post({**TWILIO_FORM, "From": "Anonymous"})
    assert response.status_code == 200
    assert response.content.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    assert _written() == (0, 0, 0)


@override_settings(KLIYAN_TWILIO_AUTH_TOKEN="")
def test_twilio_is_refused_until_its_auth_token_is_configured(caller) -> None:
    assert _twilio_post(TWILIO_FORM, token="").status_code == 403
    assert _written() == (0, 0, 0)


# --- Asterisk / FreePBX ----------------------------------------------------------------------

@override_settings(KLIYAN_ASTERISK_SECRET=ASTERISK_SECRET)
def test_asterisk_lookup_answers_the_callers_name_as_plain_text(caller) -> None:
    response = Client().get(ASTERISK, {"secret": ASTERISK_SECRET, "from": "37123456"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "Marie-Claire Joseph"
    assert Client().get(ASTERISK, {"secret": ASTERISK_SECRET, "from": "+50938990000"}).content == b""
    assert _written() == (0, 0, 0)  # a lookup without a call id records nothing


@override_settings(KLIYAN_ASTERISK_SECRET=ASTERISK_SECRET)
def test_asterisk_with_a_call_id_logs_and_pops_the_call_once(caller) -> None:
    params = {"secret": ASTERISK_SECRET, "from": "+50937123456", "call_id": "1733000000.42"}
    assert Client().get(ASTERISK, params).content.decode() == "Marie-Claire Joseph"
    assert Client().post(ASTERISK, params).content.decode() == "Marie-Claire Joseph"
    assert _written() == (1, 1, 1)
    assert CallEvent.objects.get().provider == "asterisk"


@override_settings(KLIYAN_ASTERISK_SECRET=ASTERISK_SECRET)
def test_asterisk_with_a_wrong_or_missing_secret_is_refused_and_nothing_is_written(caller) -> None:
    params = {"from": "+50937123456", "call_id": "1733000000.43"}
    assert Client().get(ASTERISK, {**params, "secret": "guess"}).status_code == 403
    assert Client().get(ASTERISK, params).status_code == 403
    assert _written() == (0, 0, 0)


@override_settings(KLIYAN_ASTERISK_SECRET="")
def test_asterisk_is_refused_until_a_secret_is_configured(caller) -> None:
    assert Client().get(ASTERISK, {"secret": "", "from": "+50937123456"}).status_code == 403


@override_settings(KLIYAN_ASTERISK_SECRET=ASTERISK_SECRET)
@pytest.mark.parametrize("number", ["anonymous", "", "204"])
def test_asterisk_with_a_withheld_number_or_an_extension_answers_no_name_and_records_nothing(caller, number) -> None:
    response = Client().get(ASTERISK, {"secret": ASTERISK_SECRET, "from": number, "call_id": "1733000000.44"})
    assert (response.status_code, response.content) == (200, b"")
    assert _written() == (0, 0, 0)


@override_settings(KLIYAN_ASTERISK_SECRET=ASTERISK_SECRET)
def test_asterisk_with_a_bad_call_id_names_the_field(caller) -> None:
    response = Client().get(ASTERISK, {"secret": ASTERISK_SECRET, "from": "+50937123456", "call_id": "x" * 101})
    assert response.status_code == 422
    assert response.content.decode().startswith("call_id:")
    assert _written() == (0, 0, 0)
