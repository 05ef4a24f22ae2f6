"""Who gets in: Debian's nginx with basic auth (deploy/nginx/ui.conf.template, login files written by
deploy/nginx/htpasswd.py, as the compose file runs them) in front of two real dagster-webservers, the
operators' and a `--read-only` one for viewers. Each webserver listens on 127.0.0.1 only (in compose:
no published port, an internal network only nginx shares), so nginx is the only way in from elsewhere.

No credentials or a wrong password -> 401; a valid login -> 200 and Dagster's page; a viewer's login does
not open the operators' door; through the viewers' door a query works and a mutation (wipeAssets) is
refused, while the same mutation succeeds on the operators' webserver."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import string
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.prod import servers

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OPERATOR = ("ops", "operator-secret-0123456789")
VIEWER = ("fan", "viewer-secret-0123456789a")
WIPE = """mutation { wipeAssets(assetPartitionRanges: [{assetKey: {path: ["viewer_probe"]}}]) {
  __typename ... on UnauthorizedError { message } ... on PythonError { message } } }"""
QUERY = "query { version assetNodes { assetKey { path } } }"


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not found:
        print("SKIP UI proxy tests: no nginx (make nginx installs Debian's)")
        pytest.skip("no nginx: `make nginx` installs Debian's")
    return found


def _listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    nginx = _nginx()
    tmp = tmp_path_factory.mktemp("ui-proxy")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs: list[subprocess.Popen] = []
    try:
        ports = {}
        for name, extra in (("operators", []), ("viewers", ["--read-only"])):
            # A home each: two webservers creating one sqlite instance at once race on its migration (in
            # the deployment both read the one PostgreSQL).
            home = tmp / f"dagster_home_{name}"
            home.mkdir()
            (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
            ports[name] = servers.free_port()
            log = tmp / f"webserver-{name}.log"
            procs.append(subprocess.Popen(
                [str(BIN / "dagster-webserver"), *extra, "-h", "127.0.0.1", "-p", str(ports[name]),
                 "-f", str(REPO / "tests/prod/ui_defs.py")],
                cwd=REPO, env={**env, "DAGSTER_HOME": str(home)}, stdout=log.open("wb"),
                stderr=subprocess.STDOUT, start_new_session=True))
        # the login files, written as the compose file's ui-auth service writes them
        auth = tmp / "auth"
        for file, (user_var, password_var), (user, password) in (
            ("operators", ("NBA_LAKE_UI_USER", "NBA_LAKE_UI_PASSWORD"), OPERATOR),
            ("viewers", ("NBA_LAKE_VIEWER_USER", "NBA_LAKE_VIEWER_PASSWORD"), VIEWER),
        ):
            subprocess.run([sys.executable, str(REPO / "deploy/nginx/htpasswd.py"), str(auth / file), user_var,
                            password_var], env={**env, user_var: user, password_var: password}, check=True,
                           capture_output=True)
        listen = {"NBA_LAKE_UI_LISTEN": servers.free_port(), "NBA_LAKE_VIEWER_LISTEN": servers.free_port()}
        (tmp / "ui.conf").write_text(_render_template({
            "NBA_LAKE_UI_LISTEN": f"127.0.0.1:{listen['NBA_LAKE_UI_LISTEN']}",
            "NBA_LAKE_VIEWER_LISTEN": f"127.0.0.1:{listen['NBA_LAKE_VIEWER_LISTEN']}",
            "NBA_LAKE_UI_UPSTREAM": f"127.0.0.1:{ports['operators']}",
            "NBA_LAKE_VIEWER_UPSTREAM": f"127.0.0.1:{ports['viewers']}",
            "NBA_LAKE_AUTH_DIR": str(auth),
        }))
        temp_paths = "\n".join(f"  {kind}_temp_path {tmp}/{kind};" for kind in
                               ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (tmp / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")  # the workers read the login files in tmp
            + f"worker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/nginx-error.log;\n"
            f"events {{ worker_connections 64; }}\nhttp {{\n  access_log {tmp}/nginx-access.log;\n"
            f"{temp_paths}\n  include {tmp}/ui.conf;\n}}\n")
        nginx_log = tmp / "nginx.log"
        procs.append(subprocess.Popen([nginx, "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-g", "daemon off;"],
                                      stdout=nginx_log.open("wb"), stderr=subprocess.STDOUT,
                                      start_new_session=True))
        for name, port in ports.items():
            servers._wait_http(f"http://127.0.0.1:{port}/server_info", procs[0 if name == "operators" else 1],
                               tmp / f"webserver-{name}.log", f"dagster-webserver ({name})", timeout=120)
            _wait_for_location(f"http://127.0.0.1:{port}")
        servers._wait_http(f"http://127.0.0.1:{listen['NBA_LAKE_UI_LISTEN']}/", procs[2], nginx_log, "nginx")
        yield {"ui": f"http://127.0.0.1:{listen['NBA_LAKE_UI_LISTEN']}",
               "viewer": f"http://127.0.0.1:{listen['NBA_LAKE_VIEWER_LISTEN']}", "webservers": ports}
    finally:
        _stop_all(procs)


def _render_template(variables: dict[str, str]) -> str:
    """deploy/nginx/ui.conf.template filled as the nginx image fills /etc/nginx/templates at start:
    `envsubst` with the ${NAME} of each variable set, so nginx's own $variables stay as they are."""
    text = (REPO / "deploy/nginx/ui.conf.template").read_text()
    envsubst = shutil.which("envsubst")
    if envsubst is None:  # gettext-base missing: the same substitution in Python
        return string.Template(text).safe_substitute(variables)
    names = " ".join(f"${{{name}}}" for name in variables)
    return subprocess.run([envsubst, names], input=text, env={**os.environ, **variables}, text=True,
                          capture_output=True, check=True).stdout


def _wait_for_location(url: str, timeout: float = 120.0) -> None:
    """The webserver answers before its code location has loaded: wait until the asset is listed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        nodes = httpx.post(url + "/graphql", json={"query": QUERY}, timeout=30).json()["data"]["assetNodes"]
        if nodes:
            return
        time.sleep(0.3)
    raise RuntimeError(f"the code location of {url} did not load in {timeout} s")


def _stop_all(procs: list[subprocess.Popen], timeout: float = 5.0) -> None:
    """SIGTERM every process group at once, then wait; SIGKILL what outlives `timeout`."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)


def test_no_credentials_or_a_wrong_password_get_401(proxy):
    for door in ("ui", "viewer"):
        assert httpx.get(proxy[door] + "/", timeout=10).status_code == 401
        assert httpx.post(proxy[door] + "/graphql", json={"query": WIPE}, timeout=10).status_code == 401
        assert httpx.get(proxy[door] + "/", auth=(OPERATOR[0], "wrong-password-0123456789"),
                         timeout=10).status_code == 401
    # the viewers' login does not open the operators' door, nor the reverse
    assert httpx.get(proxy["ui"] + "/", auth=VIEWER, timeout=10).status_code == 401
    assert httpx.get(proxy["viewer"] + "/", auth=OPERATOR, timeout=10).status_code == 401


def test_a_valid_login_gets_the_dagster_ui(proxy):
    for door, login in (("ui", OPERATOR), ("viewer", VIEWER)):
        page = httpx.get(proxy[door] + "/", auth=login, timeout=30)
        assert page.status_code == 200
        assert "<title" in page.text and ">Dagster</title>" in page.text
        info = httpx.get(proxy[door] + "/server_info", auth=login, timeout=30).json()
        assert info["dagster_webserver_version"]


def test_the_webservers_listen_on_loopback_only(proxy):
    for port in proxy["webservers"].values():
        assert _listening_addresses(port) == {"0100007F"}, "127.0.0.1 only: nginx is the way in"


def _graphql(url: str, login: tuple[str, str], query: str) -> dict:
    res = httpx.post(url + "/graphql", json={"query": query}, auth=login, timeout=60)
    assert res.status_code == 200, res.text
    return res.json()


def test_the_read_only_webserver_answers_queries_and_refuses_mutations(proxy):
    data = _graphql(proxy["viewer"], VIEWER, QUERY)["data"]
    assert data["version"] and {"path": ["viewer_probe"]} in [n["assetKey"] for n in data["assetNodes"]]
    refused = _graphql(proxy["viewer"], VIEWER, WIPE)["data"]["wipeAssets"]
    assert refused["__typename"] == "UnauthorizedError", refused
    # the same mutation is accepted by the operators' webserver: the refusal is the read-only mode's
    assert _graphql(proxy["ui"], OPERATOR, WIPE)["data"]["wipeAssets"]["__typename"] == "AssetWipeSuccess"


def test_in_compose_only_nginx_publishes_a_port_and_the_webservers_sit_on_an_internal_network():
    compose = yaml.safe_load((REPO / "deploy/docker-compose.yaml").read_text())
    services = compose["services"]
    assert [name for name, s in services.items() if s.get("ports")] == ["nginx"]
    assert all(p.startswith("127.0.0.1:") for p in services["nginx"]["ports"])
    assert compose["networks"]["ui"] == {"internal": True}
    on_ui = sorted(name for name, s in services.items() if "ui" in (s.get("networks") or []))
    assert on_ui == ["nginx", "webserver", "webserver-read-only"]
    assert "--read-only" in services["webserver-read-only"]["command"]
    assert "--read-only" not in services["webserver"]["command"]
    env = services["nginx"]["environment"]
    assert env["NBA_LAKE_UI_UPSTREAM"] == "webserver:3000"
    assert env["NBA_LAKE_VIEWER_UPSTREAM"] == "webserver-read-only:3000"
