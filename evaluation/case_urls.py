"""The evaluation's pages about one case, mounted under the case's path (/zaken/) in
bip/urls.py: cases comes earlier in the dependency order and cannot route to them."""

from django.urls import path

from .views import allocation, surveys

app_name = "evaluation_case"

urlpatterns = [
    path("<int:pk>/onderzoeksarm/", allocation.allocation, name="allocation"),
    # Survey invitations on paper, for households without an e-mail address.
    path("enquetes-op-papier/", surveys.paper_invitation_list, name="paper_invitations"),
    path("<int:pk>/enquete-op-papier/", surveys.paper_invitation, name="paper_invitation"),
]
