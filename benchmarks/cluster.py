"""`make cluster`: the product behind a load balancer, on this machine (issue 15).

- Two gunicorn instances, production settings, on two ports. They share one PostgreSQL
  database: sessions live there, and the report cache is the database cache
  (CACHE_URL=dbcache://ketenkameleon_cache). So an instance keeps nothing a request on the
  other one needs.
- nginx from Debian (`apt-get install nginx-light`) in front of them. It terminates TLS with a
  self-signed certificate made for this run, on 127.0.0.1. It balances round-robin over both
  instances, as a load balancer does over N app servers, and sends X-Forwarded-Proto and
  X-Forwarded-For (REVERSE_PROXY_COUNT=1). This nginx only, for the check, names the instance
  that answered in an X-Upstream header.

Then, through the proxy:
1. A browser journey. Chromium logs in as the coordinator with password and TOTP code, and
   opens the case list, a case file, the case list again and the dashboard. The session must
   hold on both instances: no page may fall back to the login page, and both must have
   answered.
2. The load test. CLUSTER_USERS users (16) for CLUSTER_SECONDS (5) on Mijn zaken, as bip1. Every
   answer must be 200, and each instance's access log must show requests.

It prints a summary and exits non-zero when a check fails. The world is a PostgreSQL database
of CLUSTER_CASES cases (default 2,000; BENCH_DATABASE_URL to choose another).
"""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
{user}
events {{ worker_connections 512; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  client_max_body_size 11m;
  upstream app {{
    server 127.0.0.1:{port_a};
    server 127.0.0.1:{port_b};
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {tmp}/cert.pem;
    ssl_certificate_key {tmp}/key.pem;
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""


def start_instances(env: dict[str, str], ports: list[int], tmp: Path) -> list[subprocess.Popen]:
    servers = []
    for index, port in enumerate(ports):
        instance_env = env | {
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_ACCESS_LOG": str(tmp / f"instance-{index}.log"),
        }
        servers.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and config
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    str(ROOT / "gunicorn.conf.py"),
                    "bip.wsgi",
                ],
                env=instance_env,
                cwd=ROOT,
            )
        )
    return servers


def start_nginx(tmp: Path, port: int, ports: list[int]) -> subprocess.Popen:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    openssl = shutil.which("openssl") or "/usr/bin/openssl"
    key, certificate = str(tmp / "key.pem"), str(tmp / "cert.pem")
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", certificate,
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    user = "user root;" if os.geteuid() == 0 else ""
    config = NGINX_CONF.format(tmp=tmp, user=user, port=port, port_a=ports[0], port_b=ports[1])
    (tmp / "nginx.conf").write_text(config)
    return subprocess.Popen([nginx, "-p", str(tmp), "-c", str(tmp / "nginx.conf")])  # noqa: S603


def browser_journey(base_url: str, code: str) -> list[tuple[str, int, str]]:
    """The coordinator's pages through the proxy: (path, status, instance) per page."""
    from playwright.sync_api import sync_playwright

    from benchmarks.bench.world import DEMO_PASSWORD

    seen: list[tuple[str, int, str]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(ignore_https_errors=True)

        def visit(path: str) -> None:
            response = page.goto(base_url + path)
            assert response is not None
            seen.append(
                (
                    page.url.removeprefix(base_url),
                    response.status,
                    response.headers.get("x-upstream", ""),
                )
            )

        visit("/inloggen/")
        page.fill("input[name=username]", "coordinator")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.get_by_role("button", name="Inloggen").click()
        page.fill("input[name=code]", code)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_load_state()
        visit("/zaken/")
        case_link = page.locator("table a[href^='/zaken/']").first.get_attribute("href")
        assert case_link, "no case in the list"
        journey = [case_link, "/zaken/", "/zaken/dashboard/", case_link, "/zaken/"]
        # Round-robin alternates per request, and a page may bring other requests along (a
        # static file on the first visit); go on until both instances answered a page (at most
        # 20 pages), so the check does not hang on which request landed where.
        while journey or (len({u for *_, u in seen[1:]}) < 2 and len(seen) < 20):
            visit(journey.pop(0) if journey else "/zaken/")
        browser.close()
    return seen


def missing_tools() -> list[str]:
    tools = {
        "nginx (apt-get install nginx-light)": shutil.which("nginx") or "/usr/sbin/nginx",
        "openssl": shutil.which("openssl") or "/usr/bin/openssl",
        "chromium (apt-get install chromium)": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
    }
    return [name for name, path in tools.items() if not Path(path).exists()]


def main() -> int:
    from benchmarks.bench.__main__ import bench_env, free_port, wait_until_up

    if missing := missing_tools():
        print("make cluster needs:", ", ".join(missing))
        return 2

    cases = int(os.environ.get("CLUSTER_CASES", "2000"))
    users = int(os.environ.get("CLUSTER_USERS", "16"))
    seconds = float(os.environ.get("CLUSTER_SECONDS", "5"))
    port, ports = free_port(), [free_port(), free_port()]
    env = bench_env(cases, ports[0]) | {
        "DJANGO_SETTINGS_MODULE": "bip.settings",
        "CACHE_URL": "dbcache://ketenkameleon_cache",
        "REVERSE_PROXY_COUNT": "1",
    }
    os.environ.update({k: v for k, v in env.items() if k != "GUNICORN_BIND"})
    os.environ.pop("ENV_FILE", None)
    from benchmarks.bench import driver, world

    world.ensure_database(env["DATABASE_URL"])
    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    world.ensure_world(cases, env)
    world.manage("createcachetable", env=env)
    devices = {name: world.totp_device(name) for name in ("coordinator", "bip1")}

    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kk-cluster-") as directory:
        tmp = Path(directory)
        servers = start_instances(env, ports, tmp)
        proxy = None
        try:
            for instance_port in ports:
                wait_until_up(f"http://127.0.0.1:{instance_port}")
            proxy = start_nginx(tmp, port, ports)
            base_url = f"https://127.0.0.1:{port}"
            time.sleep(0.5)

            pages = browser_journey(base_url, world.totp_code(devices["coordinator"]))
            for number, (path, status, instance) in enumerate(pages):
                print(f"browser {status} {path} via {instance}")
                if status != 200 or (number > 0 and path.startswith("/inloggen/")):
                    failures.append(f"browser: {path} answered {status} (the session did not hold)")
            instances = {instance for _, _, instance in pages[1:]}
            if instances != {f"127.0.0.1:{p}" for p in ports}:
                failures.append(f"browser: pages served by {sorted(instances)}, not by both")

            session = driver.login(
                base_url,
                "bip1",
                world.DEMO_PASSWORD,
                lambda: world.totp_code(devices["bip1"]),
                verify=False,
                check_path="/zaken/mijn-zaken/",
            )
            before = [_lines(tmp / f"instance-{i}.log") for i in range(2)]
            loaded = asyncio.run(
                driver.concurrent(
                    base_url,
                    {"mijn_zaken": (session, "/zaken/mijn-zaken/")},
                    users=users,
                    slot_seconds=seconds,
                    repeats=1,
                    verify=False,
                )
            )["mijn_zaken"].summary()
            served = [_lines(tmp / f"instance-{i}.log") - before[i] for i in range(2)]
            print(
                f"load through the proxy: {users} users, {seconds} s: {loaded['req_per_s']} req/s, "
                f"p50 {loaded['p50_ms']} ms, p95 {loaded['p95_ms']} ms, {loaded['errors']} errors; "
                f"instance A served {served[0]}, instance B {served[1]}"
            )
            if loaded["errors"] or not loaded["requests"]:
                failures.append(f"load: {loaded['errors']} errors of {loaded['requests']}")
            if min(served) == 0:
                failures.append(f"load: one instance served nothing ({served})")
        finally:
            if proxy is not None:
                proxy.terminate()
                proxy.wait(timeout=10)
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    for failure in failures:
        print("FAILED", failure)
    print("cluster check:", "FAILED" if failures else "passed")
    return 1 if failures else 0


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


if __name__ == "__main__":
    raise SystemExit(main())
