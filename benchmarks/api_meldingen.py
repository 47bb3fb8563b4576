"""Benchmark POST /api/v1/meldingen on PostgreSQL: p50/p95 at 1 client, throughput at 8.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ketenkameleon_bench_api \\
        .venv/bin/python benchmarks/api_meldingen.py [--seconds 20] [--clients 8]

It migrates the database, registers a school and an API client, starts gunicorn (2 sync
workers, production settings, as behind the TLS proxy) on a free port, then:
1. one client posts 200 referrals one after another (p50, p95);
2. N clients (N registered API clients, the rate limit lifted: capacity, not policy) post
   for --seconds seconds at once (referrals/s counting 201s only, p95, errors).
Each referral is a new child (a fresh valid BSN), so every request registers a case with its
allocation and initial stage, as in production. The load generator is httpx with asyncio.
"""

import argparse
import asyncio
import datetime
import logging
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bsns(start: int):
    from stdnum.nl import bsn

    n = start
    while True:
        base = f"{n:08d}"
        for check in range(10):
            if bsn.is_valid(base + str(check)):
                yield base + str(check)
                break
        n += 1


def setup(clients: int) -> list[str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bip.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from api.services import api_client_register
    from cases.constants import SchoolLevel
    from cases.models import School

    call_command("migrate", verbosity=0)
    School.objects.get_or_create(brin="12KL", defaults={"name": "Bench", "level": SchoolLevel.VO})
    return [
        api_client_register(
            name=f"bench-{time.time_ns()}-{index}",
            organisation=f"Bench {index}",
            scopes=["meldingen:write"],
            expires_at=timezone.now() + datetime.timedelta(days=1),
            actor=None,
        ).token
        for index in range(clients)
    ]


def body(bsn: str) -> dict:
    today = datetime.datetime.now(tz=datetime.UTC).date()
    return {
        "meldingsdatum": (today - datetime.timedelta(days=3)).isoformat(),
        "bsn": bsn,
        "achternaam": "Bench",
        "voornamen": "Kind",
        "geboortedatum": today.replace(year=today.year - 12, day=1).isoformat(),
        "brin": "12KL",
        "soort_verzuim": "16_uur",
        "verzuim_vanaf": (today - datetime.timedelta(days=40)).isoformat(),
        "verzuim_tot_en_met": (today - datetime.timedelta(days=5)).isoformat(),
        "uren_verzuim": 18,
        "straat": "Benchstraat 1",
        "postcode": "2011 AB",
        "plaats": "Haarlem",
    }


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def run(url: str, tokens: list[str], seconds: float) -> None:
    clients = len(tokens)
    headers = {"X-Forwarded-Proto": "https"}
    numbers = bsns(10_000_000 + (time.time_ns() // 1000) % 80_000_000)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        single: list[float] = []
        for _ in range(200):
            start = time.perf_counter()
            response = await http.post(
                "/api/v1/meldingen", json=body(next(numbers)), headers=auth(tokens[0])
            )
            single.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 201, response.text
        print(f"1 client, 200 POSTs: p50 {pct(single, 50):.1f} ms, p95 {pct(single, 95):.1f} ms")

        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds

        async def worker(token: str) -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = await http.post(
                    "/api/v1/meldingen", json=body(next(numbers)), headers=auth(token)
                )
                latencies.append((time.perf_counter() - start) * 1000)
                errors += response.status_code != 201

        began = time.perf_counter()
        await asyncio.gather(*(worker(token) for token in tokens))
        elapsed = time.perf_counter() - began
        created = len(latencies) - errors
        print(
            f"{clients} clients, {elapsed:.0f} s: {created / elapsed:.1f} referrals/s, "
            f"p50 {pct(latencies, 50):.1f} ms, p95 {pct(latencies, 95):.1f} ms, errors {errors}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database.")
    # The server's environment, before setup() reads .env.demo into os.environ.
    server_env = {key: value for key, value in os.environ.items() if key != "ENV_FILE"}
    os.environ.setdefault("ENV_FILE", ".env.demo")
    tokens = setup(args.clients)
    # The load generator shares the two cores with the server: no log line per request.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    port = free_port()
    # Production settings (no .env.demo), as behind the TLS-terminating proxy.
    env = server_env
    env.update(
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOCATION_SECRET=secrets.token_urlsafe(40),
        RESEARCH_PSEUDONYM_KEY=secrets.token_urlsafe(40),
        # The benchmark measures capacity, not the rate-limit policy (600 per client per
        # minute by default would stop each of the 8 clients at 10 referrals/s).
        API_RATE_LIMIT_PER_MINUTE="1000000",
    )
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "bip.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            if server.poll() is not None:
                sys.exit("gunicorn did not start")
            try:
                httpx.get(f"{url}/api/v1/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        asyncio.run(run(url, tokens, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
