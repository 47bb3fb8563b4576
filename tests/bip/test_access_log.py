"""The web server's access log keeps no survey tokens, reset tokens or query strings."""

import datetime
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from bip.lib.access_log import RedactingLogger, redact_url


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("/evaluatie/enquete/AbC-123_xyz/", "/evaluatie/enquete/***/"),
        ("/evaluatie/enquete/AbC-123_xyz", "/evaluatie/enquete/***"),
        ("/evaluatie/enquete/bedankt/", "/evaluatie/enquete/bedankt/"),
        ("/wachtwoord-instellen/MQ/cb3-0f1a2b/", "/wachtwoord-instellen/***/"),
        ("/wachtwoord-instellen/klaar/", "/wachtwoord-instellen/klaar/"),
        ("/zaken/?q=123456782&pagina=2", "/zaken/?***"),
        ("/zaken/12/", "/zaken/12/"),
        (
            "https://kk.example.nl/evaluatie/enquete/s3cr3t/?taal=en",
            "https://kk.example.nl/evaluatie/enquete/***/?***",
        ),
        ("-", "-"),
        ("", ""),
    ],
)
def test_redact_url(url, logged):
    assert redact_url(url) == logged


def test_the_logger_redacts_every_url_atom():
    logger = RedactingLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/evaluatie/enquete/s3cr3t/?taal=en",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/evaluatie/enquete/s3cr3t/",
        "QUERY_STRING": "taal=en",
        "HTTP_REFERER": "https://kk.example.nl/evaluatie/enquete/s3cr3t/",
        "REMOTE_ADDR": "127.0.0.1",
    }
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    atoms = logger.atoms(response, request, environ, datetime.timedelta(milliseconds=5))
    assert atoms["r"] == "GET /evaluatie/enquete/***/?*** HTTP/1.1"
    assert atoms["U"] == "/evaluatie/enquete/***/"
    assert atoms["q"] == "***"
    assert atoms["f"] == "https://kk.example.nl/evaluatie/enquete/***/"
    assert atoms["{referer}i"] == "https://kk.example.nl/evaluatie/enquete/***/"
    assert "s3cr3t" not in repr(atoms)


def test_gunicorn_conf_installs_the_redacting_logger():
    config = Config()
    config.set("logger_class", "bip.lib.access_log.RedactingLogger")
    namespace: dict = {}
    with open("gunicorn.conf.py") as source:
        exec(compile(source.read(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
    assert namespace["logger_class"] == "bip.lib.access_log.RedactingLogger"
    assert namespace["max_requests_jitter"] > 0
    assert "%(q)s" not in namespace["access_log_format"]
