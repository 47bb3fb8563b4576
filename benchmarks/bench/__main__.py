"""`make bench` (python -m benchmarks.bench): the case list at 1 and 16 users against its floor.

1. Builds or reuses a PostgreSQL world of BENCH_CASES cases (default 1,000,000; seed_demo,
   about 1 s per 1,000 cases on 2 cores) in ketenkameleon_bench_<N> (or BENCH_DATABASE_URL).
2. Starts gunicorn with gunicorn.conf.py and production settings (benchmarks/bench/settings.py:
   bip.settings plus the admin changelist, five yardstick pages and a Server-Timing header)
   on a free port.
3. Logs in the coordinator, bip1 and a bench superuser with password and a real TOTP code
   (a TOTPDevice and django_otp.oath.totp, as an authenticator app computes it).
4. Measures every request at 1 user (round-robin, BENCH_ROUNDS rounds) and at BENCH_USERS
   users (slots of BENCH_SLOT seconds, taking turns, BENCH_REPEATS times), interleaved with
   the bare page and the admin changelist.
5. Mixed load: BENCH_USERS professionals (each their own login and TOTP device, and an open
   Leerplicht case) for BENCH_MIXED_SECONDS (default 20) without think time: GET the case
   file, POST a contact (302 expected), GET Mijn zaken.
6. With the server stopped, the evaluation report cold and the research exports
   (`benchmarks/bench/offline.py`; BENCH_OFFLINE=0 skips them).
7. Writes benchmarks/results/bench-<N>.md and .json: the table, load average, ratios and the
   goals of issue 15 met or missed.

Other knobs: GUNICORN_WORKERS, GUNICORN_WORKER_CLASS, GUNICORN_THREADS (gunicorn.conf.py).
"""

import asyncio
import datetime
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_env(cases: int, port: int) -> dict[str, str]:
    from benchmarks.bench.world import database_url

    env = {k: v for k, v in os.environ.items() if k != "ENV_FILE"}
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.bench.settings",
        DATABASE_URL=database_url(cases),
        DEBUG="false",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY", secrets.token_urlsafe(50)),
        ALLOWED_HOSTS="127.0.0.1",
        ALLOCATION_SECRET=secrets.token_urlsafe(32),
        RESEARCH_PSEUDONYM_KEY=secrets.token_urlsafe(32),
        MFA_REQUIRED="true",
        LOG_LEVEL="WARNING",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG=os.environ.get("GUNICORN_ACCESS_LOG", "/dev/null"),
        PYTHONPATH=str(ROOT),
        STATIC_ROOT=os.environ.get("STATIC_ROOT", str(ROOT / "staticfiles")),
    )
    return env


def cpu_probe() -> float:
    """Seconds for 10 million additions in a Python loop: the machine's speed at the time of
    the run, so that tables of different days (or phases of one shared machine) compare."""
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return round(time.perf_counter() - started, 2)


def wait_until_up(base_url: str, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/gezondheid/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


GOALS_TEXT = {
    "list_p50": "case list requests p50 <= 15 ms at 1 user",
    "list_vs_bare": "case list requests <= 3x the bare page (p50, 1 user)",
    "load": "case list first page at 16 users: >= 200 req/s, p95 <= 150 ms",
    "name_search": 'name search "jan" <= 50 ms p50',
    "case_file": "case file and Mijn zaken <= 30 ms p50",
    "admin": ">= 5x faster than the admin changelist (p50), deadline sort included",
    "mixed": "mixed load, 16 users logging contacts and reading: >= 150 req/s, p95 <= 200 ms, "
    "0 errors",
}


def evaluate(single: dict, loaded: dict, mixed: dict) -> dict[str, dict]:
    bare = single["bare"]["p50_ms"]
    lists = [name for name in single if name.startswith("list_")]
    worst = max(lists, key=lambda name: single[name]["p50_ms"])
    # A request with no successful answer (page 200 of a small world) has no time to compare.
    pairs = [
        (n, "admin_" + n.removeprefix("list_"))
        for n in lists
        if single.get("admin_" + n.removeprefix("list_"), {}).get("requests")
        and single[n]["requests"]
    ]
    admin_ratios = {n: round(single[a]["p50_ms"] / single[n]["p50_ms"], 2) for n, a in pairs}
    first = loaded.get("list_first", {})
    goals = {
        "list_p50": (single[worst]["p50_ms"] <= 15, f"worst {worst}: {single[worst]['p50_ms']} ms"),
        "list_vs_bare": (
            single[worst]["p50_ms"] <= 3 * bare,
            f"worst {worst}: {single[worst]['p50_ms'] / bare:.1f}x bare ({bare} ms)",
        ),
        "load": (
            first.get("req_per_s", 0) >= 200 and first.get("p95_ms", 1e9) <= 150,
            f"{first.get('req_per_s')} req/s, p95 {first.get('p95_ms')} ms",
        ),
        "name_search": (
            single["list_name_jan"]["p50_ms"] <= 50,
            f"{single['list_name_jan']['p50_ms']} ms",
        ),
        "case_file": (
            max(single["case_file"]["p50_ms"], single["my_cases"]["p50_ms"]) <= 30,
            f"case file {single['case_file']['p50_ms']} ms, "
            f"Mijn zaken {single['my_cases']['p50_ms']} ms",
        ),
        "mixed": (
            mixed["all"]["req_per_s"] >= 150
            and mixed["all"]["p95_ms"] <= 200
            and mixed["all"]["errors"] == 0,
            f"{mixed['all']['req_per_s']} req/s, p95 {mixed['all']['p95_ms']} ms, "
            f"{mixed['all']['errors']} errors (writes: {mixed['write']['req_per_s']}/s, "
            f"p95 {mixed['write']['p95_ms']} ms)",
        ),
        "admin": (
            min(admin_ratios.values()) >= 5,
            ", ".join(f"{n.removeprefix('list_')} {r}x" for n, r in admin_ratios.items()),
        ),
    }
    evidence = floor_evidence(single, loaded, mixed, worst, admin_ratios)
    return {
        key: {"goal": GOALS_TEXT[key], "met": met, "measured": text}
        | ({} if met or key not in evidence else {"evidence": evidence[key]})
        for key, (met, text) in goals.items()
    }


def split(row: dict) -> str:
    """A request's p50 split by the Server-Timing header: what it spent in SQL, in Python
    (middleware, view, template) and outside Django (HTTP, gunicorn, the client)."""
    if not row.get("requests", 1):
        return "no successful answer"
    if "app_p50_ms" not in row:
        return f"{row['p50_ms']} ms (no Server-Timing)"
    python = row["app_p50_ms"] - row["sql_p50_ms"]
    return (
        f"{row['p50_ms']} ms = {row['p50_ms'] - row['app_p50_ms']:.1f} HTTP + "
        f"{python:.1f} Python + {row['sql_p50_ms']:.1f} SQL ({row['queries']:g} queries)"
    )


def floor_evidence(
    single: dict, loaded: dict, mixed: dict, worst: str, admin_ratios: dict[str, float]
) -> dict[str, str]:
    """For each goal, the measured parts it is made of and the floor they set on 2 cores, from
    the same run: the bare page (the whole middleware, no query, no template) is the floor of
    any page, and a request's own server time is CPU that one of the two cores must give."""
    bare = single["bare"]
    cores = os.cpu_count() or 1
    floor = single.get("floor_list")
    floor_text = (
        f"; the first page's own HTML from memory, without its queries: {split(floor)}"
        if floor
        else ""
    )
    evidence = {
        "list_p50": f"{worst}: {split(single[worst])}; bare page: {split(bare)}{floor_text}",
        "case_file": "; ".join(
            f"{label}: {split(single[name])}"
            for label, name in (
                ("case file", "case_file"),
                ("the case file from memory, without its queries", "floor_case_file"),
                ("Mijn zaken", "my_cases"),
                ("Mijn zaken from memory", "floor_my_cases"),
            )
            if name in single
        ),
    }
    evidence["list_vs_bare"] = evidence["list_p50"]
    evidence["name_search"] = f"list_name_jan: {split(single['list_name_jan'])}"
    first = single["list_first"]
    if "app_p50_ms" in first:
        ceiling = cores * 1000 / first["app_p50_ms"]
        evidence["load"] = (
            f"alone, the first page takes {first['app_p50_ms']} ms of server time; "
            f"{cores} cores serve at most {ceiling:.0f} such requests/s even with PostgreSQL "
            f"and the load generator for free; the bare page at 16 users: "
            f"{loaded.get('bare', {}).get('req_per_s', '–')} req/s"
        )
    every = mixed["all"]
    if "app_p50_ms" in every:
        evidence["mixed"] = (
            f"server time per request under this load p50 {every['app_p50_ms']} ms "
            f"(SQL {every['sql_p50_ms']} ms, {every['queries']:g} queries); 2 workers serve at "
            f"most {2 * 1000 / every['app_p50_ms']:.0f} requests/s at that cost"
        )
    floors = []
    for name, ratio in admin_ratios.items():
        if ratio >= 5:
            continue
        admin = single["admin_" + name.removeprefix("list_")]["p50_ms"]
        own_sql = single[name].get("sql_p50_ms", 0.0)
        needed = admin / 5
        # The list page's floor: its HTML from memory when measured, else the bare page.
        base_name, base_label = (
            ("floor_list", "the list's HTML from memory") if floor else ("bare", "the bare page")
        )
        least = single[base_name]["p50_ms"] + own_sql
        floors.append(
            f"{name.removeprefix('list_')}: 5x the admin's {admin} ms is {needed:.1f} ms, "
            + (
                f"below {base_label} plus this page's own SQL ({least:.1f} ms)"
                if needed < least
                else f"{least:.1f} ms of it is {base_label} plus this page's SQL"
            )
        )
    evidence["admin"] = "; ".join(floors)
    return evidence


def markdown(report: dict) -> str:
    lines = [
        f"# Benchmark: {report['cases']:,} cases",
        "",
        f"{report['started']}, {report['cpus']} cores (CPU probe: 10M Python additions in "
        f"{report.get('cpu_probe_s', '–')} s), load average before/after "
        f"{report['load_before']} / {report['load_after']}; gunicorn {report['gunicorn']}; "
        f"{report['rounds']} rounds at 1 user; {report['users']} users in slots of "
        f"{report['slot_seconds']} s x {report['repeats']}.",
        "",
        "| request | 1 user p50 / p95 | x bare | KB | 16 users req/s | p95 | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    bare = report["single"]["bare"]["p50_ms"]
    for name, path in report["paths"].items():
        one = report["single"][name]
        many = report["loaded"].get(name, {})
        lines.append(
            f"| {name} `{path}` | {one['p50_ms']} / {one['p95_ms']} ms | "
            f"{one['p50_ms'] / bare:.1f} | "
            f"{one['kb']} | {many.get('req_per_s', '–')} | {many.get('p95_ms', '–')} | "
            f"{one['errors'] + many.get('errors', 0)} |"
        )
    lines += [
        "",
        f"Mixed load: {report.get('mixed_users', report['users'])} professionals for "
        f"{report['mixed_seconds']} s, each "
        "reading their case file, logging a contact on it and reading Mijn zaken, without "
        "think time.",
        "",
        "| mixed | req/s | p50 | p95 | errors |",
        "|---|---|---|---|---|",
    ]
    for name, row in report["mixed"].items():
        lines.append(
            f"| {name} | {row['req_per_s']} | {row['p50_ms']} ms | {row['p95_ms']} ms | "
            f"{row['errors']} |"
        )
    lines += [
        "",
        "Where the time goes (p50 at 1 user, from the server's Server-Timing header): HTTP is "
        "the client's time outside Django (gunicorn, the socket, the client); Python is the "
        "middleware, the view and the template; SQL is the time in the database driver.",
        "",
        "| request | split |",
        "|---|---|",
    ]
    for name in report["paths"]:
        lines.append(f"| {name} | {split(report['single'][name])} |")
    if report.get("exports"):
        from benchmarks.bench import offline

        lines += offline.markdown(report["exports"])
    lines += ["", "| goal | met | measured | evidence (same run) |", "|---|---|---|---|"]
    for goal in report["goals"].values():
        lines.append(
            f"| {goal['goal']} | {'yes' if goal['met'] else '**no**'} | {goal['measured']} | "
            f"{goal.get('evidence', '')} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    cases = int(os.environ.get("BENCH_CASES", "1000000"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "30"))
    users = int(os.environ.get("BENCH_USERS", "16"))
    slot = float(os.environ.get("BENCH_SLOT", "3"))
    repeats = int(os.environ.get("BENCH_REPEATS", "2"))
    mixed_seconds = float(os.environ.get("BENCH_MIXED_SECONDS", "20"))
    port = free_port()
    env = bench_env(cases, port)
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DJANGO_SETTINGS_MODULE",
                "DATABASE_URL",
                "DEBUG",
                "SECRET_KEY",
                "ALLOWED_HOSTS",
                "ALLOCATION_SECRET",
                "RESEARCH_PSEUDONYM_KEY",
                "MFA_REQUIRED",
            )
        }
    )
    os.environ.pop("ENV_FILE", None)
    from benchmarks.bench import world

    world.ensure_database(env["DATABASE_URL"])
    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    seeded = world.ensure_world(cases, env)
    world.ensure_bench_admin()
    ids = world.sample_ids()
    devices = {name: world.totp_device(name) for name in ("coordinator", "bip1", world.BENCH_ADMIN)}
    workers = world.mixed_load_users(users)
    for name, _case in workers:
        devices[name] = world.totp_device(name)

    from django.utils import timezone

    from benchmarks.bench import driver

    server = subprocess.Popen(  # noqa: S603 - our own interpreter and config
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "bip.wsgi"],
        env=env,
        cwd=ROOT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url)
        sessions = {}
        for name, device in devices.items():
            sessions[name] = driver.login(
                base_url, name, world.DEMO_PASSWORD, lambda d=device: world.totp_code(d)
            )
        coordinator, admin = sessions["coordinator"], sessions[world.BENCH_ADMIN]
        paths = {
            "bare": (coordinator, "/bench/bare/"),
            "base": (coordinator, "/bench/base/"),
            "floor_list": (coordinator, "/bench/list-floor/"),
            "list_first": (coordinator, "/zaken/"),
            "admin_first": (admin, "/bench-admin/cases/case/"),
            "list_professional": (coordinator, f"/zaken/?professional={ids['professional']}"),
            "admin_professional": (
                admin,
                f"/bench-admin/cases/case/?professional__id__exact={ids['professional']}",
            ),
            "list_name_jan": (coordinator, "/zaken/?q=jan"),
            "admin_name_jan": (admin, "/bench-admin/cases/case/?q=jan"),
            "list_page_200": (coordinator, "/zaken/?pagina=200"),
            "admin_page_200": (admin, "/bench-admin/cases/case/?p=200"),
            "list_deadline_sort": (coordinator, "/zaken/?sort=termijn"),
            "admin_deadline_sort": (admin, "/bench-admin/cases/case/?o=6.1"),
            "case_file": (coordinator, f"/zaken/{ids['case']}/"),
            "floor_case_file": (coordinator, f"/bench/case-floor/{ids['case']}/"),
            "my_cases": (sessions["bip1"], "/zaken/mijn-zaken/"),
            "floor_my_cases": (sessions["bip1"], "/bench/my-cases-floor/"),
        }
        probe = cpu_probe()
        load_before = os.getloadavg()
        started = time.strftime("%Y-%m-%d %H:%M")
        single = asyncio.run(driver.single_user(base_url, paths, rounds=rounds))
        loaded_names = [
            "bare",
            "list_first",
            "admin_first",
            "list_deadline_sort",
            "list_professional",
            "list_page_200",
        ]
        loaded = asyncio.run(
            driver.concurrent(
                base_url,
                {n: paths[n] for n in loaded_names},
                users=users,
                slot_seconds=slot,
                repeats=repeats,
            )
        )
        mixed = asyncio.run(
            driver.mixed(
                base_url,
                [
                    driver.MixedUser(
                        sessions[name],
                        case_id,
                        driver.csrf_token(base_url, sessions[name], f"/zaken/{case_id}/contact/"),
                    )
                    for name, case_id in workers
                ],
                seconds=mixed_seconds,
                # Yesterday: a contact at 10:30 today may still lie in the future.
                day=(timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
            )
        )
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
    single_summary = {name: measured.summary() for name, measured in single.items()}
    loaded_summary = {name: measured.summary() for name, measured in loaded.items()}
    mixed_summary = {name: measured.summary() for name, measured in mixed.items()}
    report = {
        "cases": cases,
        "started": started,
        "cpus": os.cpu_count(),
        "cpu_probe_s": probe,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "gunicorn": f"{env.get('GUNICORN_WORKER_CLASS', 'sync')} x "
        f"{env.get('GUNICORN_WORKERS', '2 per core')}"
        f" (threads {env.get('GUNICORN_THREADS', '1')})",
        "rounds": rounds,
        "users": users,
        "slot_seconds": slot,
        "repeats": repeats,
        "seed": seeded,
        "paths": {name: path for name, (_, path) in paths.items()},
        "single": single_summary,
        "loaded": loaded_summary,
        "mixed_seconds": mixed_seconds,
        "mixed_users": len(workers),
        "mixed": mixed_summary,
    }
    report["goals"] = evaluate(single_summary, loaded_summary, mixed_summary)
    if os.environ.get("BENCH_OFFLINE", "1") != "0":
        from benchmarks.bench import offline

        report["exports"] = offline.export_figures(dict(os.environ))
        report["report"] = offline.report_figures()
        report["goals"] |= offline.evaluate(report["report"], report["exports"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / os.environ.get("BENCH_NAME", f"bench-{cases}")
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    stem.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
