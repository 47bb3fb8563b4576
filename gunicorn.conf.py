"""gunicorn for Ketenkameleon in production: `gunicorn -c gunicorn.conf.py bip.wsgi`.

Every value can be overridden from the environment (GUNICORN_*), e.g. per machine size. The
defaults were measured with `make bench` (benchmarks/bench/, results in
benchmarks/results/bench-50000-*.md) on 2 cores shared with PostgreSQL: sync workers, one per
core, served more requests at 16 users than four sync workers or gthread 2x4 (the requests are
short and CPU-bound in Python; more workers or threads only compete with PostgreSQL for the
same cores). On an app server with its own cores (the database elsewhere) try 2 per core.
"""

import os

# The app server listens on the loopback: a reverse proxy (nginx) terminates TLS in front of it.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = int(os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() or 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# Recycle workers now and then (slow leaks, fragmentation); the jitter keeps them from all
# restarting at the same moment.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))

# Long work (research exports, imports) runs in `manage.py worker`, not in a request; the
# slowest page (the evaluation report, cold) takes 4-8 s at a million cases (README).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Behind the proxy, trust its X-Forwarded-* headers (Django reads REVERSE_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log to stdout (the service manager keeps it), without survey and password-reset
# tokens and without query strings (searches hold children's names and BSNs):
# bip/lib/access_log.py.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
logger_class = "bip.lib.access_log.RedactingLogger"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s"'
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
