"""The messaging providers: a sender per provider, and each one's webhook format.

`registration.register()` (called when the app starts) makes each channel's factory known
to the outbox (kliyan.channels.senders); a factory reads the settings each time it is
asked, so a channel is "not set up" (None) until its settings are given.
"""
