"""Secrets and signatures in the Standard Webhooks format, checked against the reference library."""

from __future__ import annotations

import base64
import datetime as dt

from standardwebhooks.webhooks import Webhook

from kliyan.webhooks import signing


def test_a_secret_is_whsec_and_32_random_bytes_in_base64():
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert signing.new_secret() != secret


def test_the_signature_is_the_one_the_reference_library_computes():
    secret = signing.new_secret()
    body = signing.body_bytes({"type": "contact.created", "data": {"id": 7, "name": "Ștefan"}})
    ours = signing.sign(secret=secret, message_id="msg_abc", timestamp=1674087231, body=body)
    theirs = Webhook(secret).sign("msg_abc", dt.datetime.fromtimestamp(1674087231, tz=dt.UTC), body.decode())
    assert ours == theirs and ours.startswith("v1,")


def test_the_body_is_compact_sorted_utf8_and_the_same_every_time():
    payload = {"data": {"name": "Ștefan", "id": 1}, "type": "contact.created"}
    assert signing.body_bytes(payload) == '{"data":{"id":1,"name":"Ștefan"},"type":"contact.created"}'.encode()


def test_message_ids_are_unique_and_have_no_dot():
    ids = {signing.new_message_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(i.startswith("msg_") and "." not in i for i in ids)
