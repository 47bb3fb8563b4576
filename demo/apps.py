from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo seed: a management command and its generator, no models."""

    name = "demo"
    verbose_name = "Demowereld"
