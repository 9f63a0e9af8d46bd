"""`kliyan check --deploy` is clean with the production settings behind HTTPS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_check(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("KLIYAN_", "DJANGO_", "DATABASE_URL"))}
    environment.update(DJANGO_SETTINGS_MODULE="kliyan.config.settings", KLIYAN_DATA_DIR=str(data_dir), **env)
    return subprocess.run(
        [sys.executable, "-m", "kliyan", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment, capture_output=True, text=True, timeout=120,
    )


def test_deploy_check_is_clean_with_https_and_a_host_name(tmp_path: Path) -> None:
    result = run_check(tmp_path, KLIYAN_HTTPS="1", KLIYAN_ALLOWED_HOSTS="crm.example.org")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_deploy_check_warns_when_served_over_plain_http(tmp_path: Path) -> None:
    result = run_check(tmp_path)

    assert result.returncode == 1
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT is off without KLIYAN_HTTPS


def test_the_secret_key_is_generated_in_the_data_directory(tmp_path: Path) -> None:
    run_check(tmp_path, KLIYAN_HTTPS="1", KLIYAN_ALLOWED_HOSTS="crm.example.org")

    key = (tmp_path / "secret_key").read_text(encoding="utf-8").strip()
    assert len(key) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"
