"""The evaluation's pages about one case, mounted under the case's path (/zaken/) in
bip/urls.py: cases comes earlier in the dependency order and cannot route to them."""

from django.urls import path

from .views import allocation

app_name = "evaluation_case"

urlpatterns = [
    path("<int:pk>/onderzoeksarm/", allocation.allocation, name="allocation"),
]
