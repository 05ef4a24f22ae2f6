"""Writes one nginx basic-auth file from two environment variables, when the deployment starts: the
login never enters the image, the repository or a log.

    python deploy/nginx/htpasswd.py OUT_FILE USER_VAR PASSWORD_VAR
    e.g. python deploy/nginx/htpasswd.py /auth/operators NBA_LAKE_UI_USER NBA_LAKE_UI_PASSWORD

The line is `user:{SSHA}<base64(sha1(password + salt) + salt)>`, nginx's own salted-SHA-1 scheme (read
by nginx itself, whatever crypt(3) its build has). nginx checks basic auth on every request, and the UI
sends dozens per page, so a deliberately slow hash (bcrypt) would cost CPU on each; the protection is the
password's length instead: at least MIN_PASSWORD characters of a generated secret
(`openssl rand -base64 24`), against which a fast hash is no weakness. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import sys
from pathlib import Path

MIN_PASSWORD = 20


def user_problem(user: str) -> str | None:
    if not user or ":" in user or any(c.isspace() for c in user):
        return f"user {user!r} must be non-empty, without ':' or spaces"
    return None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"the password has {len(password)} characters, fewer than {MIN_PASSWORD}"
    return None


def htpasswd_line(user: str, password: str, salt: bytes | None = None) -> str:
    problem = user_problem(user) or password_problem(password)
    if problem:
        raise ValueError(problem)
    salt = salt if salt is not None else secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return f"{user}:{{SSHA}}{base64.b64encode(digest + salt).decode()}\n"


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: htpasswd.py OUT_FILE USER_VAR PASSWORD_VAR", file=sys.stderr)
        return 2
    out, user_var, password_var = argv
    user, password = os.environ.get(user_var, ""), os.environ.get(password_var, "")
    missing = [var for var, value in ((user_var, user), (password_var, password)) if not value]
    if missing:
        print(f"htpasswd: {' and '.join(missing)} not set: nobody could log in through {out}", file=sys.stderr)
        return 2
    for var, problem in ((user_var, user_problem(user)), (password_var, password_problem(password))):
        if problem:
            print(f"htpasswd: {var}: {problem}", file=sys.stderr)
            return 2
    line = htpasswd_line(user, password)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(line)
    tmp.chmod(0o644)  # nginx's worker user reads it; the volume is mounted into nginx only
    tmp.replace(path)
    print(f"htpasswd: wrote {out} for {user!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
