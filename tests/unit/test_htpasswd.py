"""deploy/nginx/htpasswd.py: the login file nginx reads, written from environment secrets at start."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "htpasswd.py"
_spec = importlib.util.spec_from_file_location("htpasswd", SCRIPT)
htpasswd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(htpasswd)
GOOD = "k3Jd9-generated-secret-x"


def test_the_line_is_nginx_salted_sha1_of_the_password():
    line = htpasswd.htpasswd_line("ops", GOOD, salt=b"saltsalt")
    user, scheme_and_hash = line.rstrip("\n").split(":", 1)
    assert user == "ops" and scheme_and_hash.startswith("{SSHA}")
    raw = base64.b64decode(scheme_and_hash.removeprefix("{SSHA}"))
    assert raw == hashlib.sha1(GOOD.encode() + b"saltsalt").digest() + b"saltsalt"
    assert htpasswd.htpasswd_line("ops", GOOD) != htpasswd.htpasswd_line("ops", GOOD), "a new salt each time"


def test_main_writes_the_file_and_never_prints_the_password(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("UI_USER", "ops")
    monkeypatch.setenv("UI_PASSWORD", GOOD)
    assert htpasswd.main([str(tmp_path / "auth" / "operators"), "UI_USER", "UI_PASSWORD"]) == 0
    assert (tmp_path / "auth" / "operators").read_text().startswith("ops:{SSHA}")
    out = capsys.readouterr()
    assert GOOD not in out.out + out.err


@pytest.mark.parametrize(("user", "password", "message"), [
    (None, GOOD, "UI_USER not set"),
    ("ops", None, "UI_PASSWORD not set"),
    ("ops", "short-secret", "UI_PASSWORD: the password has 12 characters, fewer than 20"),
    ("op:s", GOOD, "UI_USER: user 'op:s' must be non-empty, without ':' or spaces"),
])
def test_a_missing_or_weak_login_is_refused_naming_the_variable(monkeypatch, tmp_path, capsys, user, password,
                                                                message):
    for var, value in (("UI_USER", user), ("UI_PASSWORD", password)):
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)
    assert htpasswd.main([str(tmp_path / "operators"), "UI_USER", "UI_PASSWORD"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "operators").exists(), "no login file: nobody gets in with a bad one"
