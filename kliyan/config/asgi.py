"""The ASGI entry point that `kliyan serve` runs (uvicorn): see kliyan/config/server.py."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kliyan.config.settings")

from kliyan.config.server import build_application  # noqa: E402

application = build_application()

from kliyan.config.warmup import warm_up  # noqa: E402 (needs the apps loaded above)

warm_up()
