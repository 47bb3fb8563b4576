"""A small load generator: httpx with asyncio.

Why not locust or wrk: locust brings gevent and its own process model (a heavy dependency for
one measurement), and wrk cannot log in with a second factor. This driver logs in for real,
interleaves the requests exactly (round-robin at 1 user, short alternating slots at 16), checks
every response for 200, and is bounded in time: each slot runs for a fixed number of seconds.
"""

import asyncio
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from benchmarks.bench import timing as timings

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Session:
    """A logged-in browser: its cookies, sent by hand because they are Secure (the app thinks
    it is behind TLS, as in production) and httpx keeps Secure cookies off plain HTTP."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)

    def headers(self, path: str = "/") -> dict[str, str]:
        host = self.base_url.removeprefix("http://").removeprefix("https://")
        return {
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{host}{path}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }

    def keep(self, response: httpx.Response) -> None:
        for name, value in response.cookies.items():
            self.cookies[name] = value


def login(
    base_url: str,
    username: str,
    password: str,
    code: Callable[[], str],
    *,
    verify: bool = True,
    check_path: str = "/bench/bare/",
) -> Session:
    """Log in with password and TOTP code, through the app's own pages. `verify=False` for a
    proxy with a self-signed certificate (benchmarks/cluster.py)."""
    session = Session(base_url)
    with httpx.Client(base_url=base_url, timeout=30, verify=verify) as client:

        def get(path: str) -> httpx.Response:
            response = client.get(path, headers=session.headers(path))
            session.keep(response)
            return response

        def post(path: str, data: dict[str, str]) -> httpx.Response:
            page = get(path)
            match = CSRF.search(page.text)
            assert match, f"no CSRF token on {path} ({page.status_code})"
            response = client.post(
                path,
                data={"csrfmiddlewaretoken": match.group(1), **data},
                headers=session.headers(path),
            )
            session.keep(response)
            return response

        response = post("/inloggen/", {"username": username, "password": password})
        assert response.status_code == 302, (username, response.status_code)
        response = post("/tweestapsverificatie/controleren/", {"code": code()})
        assert response.status_code == 302, (username, "MFA", response.status_code)
        assert get(check_path).status_code == 200
    return session


@dataclass
class Measured:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    bytes: int = 0
    # From the server's Server-Timing header (benchmarks/bench/timing.py), per request.
    app_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    queries: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.latencies_ms)
        count = len(ordered)
        summary = {
            "requests": count,
            "errors": self.errors,
            "p50_ms": round(statistics.median(ordered), 2) if ordered else 0.0,
            "p95_ms": round(ordered[min(count - 1, int(count * 0.95))], 2) if ordered else 0.0,
            "req_per_s": round(count / self.seconds, 1) if self.seconds else 0.0,
            "kb": round(self.bytes / max(count, 1) / 1024, 1),
        }
        if self.app_ms:
            summary["app_p50_ms"] = round(statistics.median(self.app_ms), 2)
            summary["sql_p50_ms"] = round(statistics.median(self.sql_ms), 2)
            summary["queries"] = statistics.median(self.queries)
        return summary


async def _one(client: httpx.AsyncClient, session: Session, path: str, into: Measured) -> None:
    """A GET of `path` that must answer 200."""
    await _send(lambda: client.get(path, headers=session.headers(path)), 200, into)


async def single_user(
    base_url: str, requests: dict[str, tuple[Session, str]], *, rounds: int, warmup: int = 3
) -> dict[str, Measured]:
    """Each request once per round, round-robin, one at a time."""
    results = {name: Measured() for name in requests}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        for number in range(warmup + rounds):
            for name, (session, path) in requests.items():
                target = results[name] if number >= warmup else Measured()
                await _one(client, session, path, target)
    return results


async def concurrent(
    base_url: str,
    requests: dict[str, tuple[Session, str]],
    *,
    users: int,
    slot_seconds: float,
    repeats: int,
    verify: bool = True,
) -> dict[str, Measured]:
    """`users` clients without think time, on one request at a time for `slot_seconds`; the
    requests take turns, `repeats` times over, so a drift of the machine hits them all."""
    results = {name: Measured() for name in requests}
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=60, limits=limits, verify=verify
    ) as client:
        for _ in range(repeats):
            for name, (session, path) in requests.items():
                into = results[name]
                deadline = time.perf_counter() + slot_seconds

                async def user(
                    session: Session = session,
                    path: str = path,
                    into: Measured = into,
                    deadline: float = deadline,
                ) -> None:
                    while time.perf_counter() < deadline:
                        await _one(client, session, path, into)

                started = time.perf_counter()
                await asyncio.gather(*(user() for _ in range(users)))
                into.seconds += time.perf_counter() - started
    return results


def csrf_token(base_url: str, session: Session, path: str) -> str:
    """The form's CSRF token on `path` (valid for the session's CSRF cookie, so reusable)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        response = client.get(path, headers=session.headers(path))
        session.keep(response)
        match = CSRF.search(response.text)
        assert match, f"no CSRF token on {path} ({response.status_code})"
        return match.group(1)


@dataclass
class MixedUser:
    """A professional at work: reads their case, logs a contact on it, reads Mijn zaken."""

    session: Session
    case_id: int
    token: str


async def _send(
    request: Callable[[], Awaitable[httpx.Response]], expected: int, *into: Measured
) -> None:
    """One request; its time counts in each of `into` if it answered `expected`."""
    started = time.perf_counter()
    timing: dict[str, float] = {}
    try:
        response = await request()
        ok = response.status_code == expected
        size = len(response.content)
        timing = timings.parse(response.headers.get("Server-Timing", ""))
    except httpx.HTTPError:
        ok, size = False, 0
    elapsed = (time.perf_counter() - started) * 1000
    for measured in into:
        measured.bytes += size
        if ok:
            measured.latencies_ms.append(elapsed)
            if "app" in timing:
                measured.app_ms.append(timing["app"])
                measured.sql_ms.append(timing.get("sql", 0.0))
                measured.queries.append(timing.get("queries", 0.0))
        else:
            measured.errors += 1


def contact_form(day: str, number: int) -> dict[str, str]:
    return {
        "role": "leerplicht",
        "kind": "verzuimgesprek",
        "with_whom": "ouders",  # the parents: a pupil under 12 is not heard
        "channel": "face_to_face",
        "occurred_on": day,
        "occurred_time": "10:30",
        "duration_minutes": "30",
        "summary": f"Benchmarkcontact {number}",
        "follow_up_on": "",
    }


async def mixed(
    base_url: str, users: list[MixedUser], *, seconds: float, day: str
) -> dict[str, Measured]:
    """Every user in a loop without think time for `seconds`: GET the case file, POST a
    contact of `day` on it (must answer 302, the redirect after saving), GET Mijn zaken."""
    results = {"read": Measured(), "write": Measured(), "all": Measured()}
    limits = httpx.Limits(max_connections=len(users), max_keepalive_connections=len(users))
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:

        async def work(user: MixedUser) -> None:
            case_path = f"/zaken/{user.case_id}/"
            contact_path = f"{case_path}contact/"
            headers = user.session.headers()
            number = 0
            while time.perf_counter() < deadline:
                number += 1
                form = {"csrfmiddlewaretoken": user.token, **contact_form(day, number)}
                read, write, every = results["read"], results["write"], results["all"]
                await _send(lambda: client.get(case_path, headers=headers), 200, read, every)
                await _send(
                    lambda form=form: client.post(
                        contact_path, data=form, headers=user.session.headers(contact_path)
                    ),
                    302,
                    write,
                    every,
                )
                await _send(
                    lambda: client.get("/zaken/mijn-zaken/", headers=headers), 200, read, every
                )

        started = time.perf_counter()
        await asyncio.gather(*(work(user) for user in users))
        elapsed = time.perf_counter() - started
    for measured in results.values():
        measured.seconds = elapsed
    return results
