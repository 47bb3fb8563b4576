from django.urls import path

from . import views
from .views import agenda as agenda_views
from .views import documents as document_views
from .views import letters as letter_views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("mijn-zaken/", views.my_cases, name="my_cases"),
    path("professionals-zoeken/", views.professional_lookup, name="professional_lookup"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("werkvoorraad/", views.queue, name="queue"),
    path("aanmelden/", views.intake, name="intake"),
    path("<int:pk>/toewijzen/", views.assign, name="assign"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/sjabloon.csv", views.import_template, name="import_template"),
    path("import/<int:batch_pk>/", views.import_preview, name="import_preview"),
    path("import/<int:batch_pk>/bevestigen/", views.import_confirm, name="import_confirm"),
    path("import/<int:batch_pk>/annuleren/", views.import_cancel, name="import_cancel"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/tijdlijn/", views.case_timeline, name="case_timeline"),
    path("<int:pk>/contact/", views.contact_create, name="contact_create"),
    path("<int:pk>/melding/", views.melding_create, name="melding_create"),
    path(
        "<int:pk>/contact/<int:contact_pk>/corrigeren/",
        views.contact_correction,
        name="contact_correction",
    ),
    path(
        "<int:pk>/contact/<int:contact_pk>/intrekken/",
        views.contact_withdrawal,
        name="contact_withdrawal",
    ),
    path("<int:pk>/ouders/", views.guardians, name="guardians"),
    path("<int:pk>/ouders/<int:guardian_pk>/wijzigen/", views.guardian_edit, name="guardian_edit"),
    path("<int:pk>/afdrukken/", views.case_print, name="case_print"),
    path("mijn-zaken/gesloten/", views.my_closed_cases, name="my_closed_cases"),
    path("scholen/", views.school_lookup, name="school_lookup"),
    path("<int:pk>/naar-halt/", views.case_refer_to_halt, name="refer_to_halt"),
    path("<int:pk>/naar-raad/", views.case_refer_to_rvdk, name="refer_to_rvdk"),
    path("<int:pk>/halt-uitkomst/", views.case_halt_result, name="halt_result"),
    path("<int:pk>/sluiten/", views.case_close, name="close"),
    path("<int:pk>/heropenen/", views.case_reopen, name="reopen"),
    path("<int:pk>/plan/doel/", views.plan_goal_create, name="plan_goal_create"),
    path("<int:pk>/plan/actie/", views.plan_action_create, name="plan_action_create"),
    path("<int:pk>/plan/doel/<int:goal_pk>/wijzigen/", views.plan_goal_edit, name="plan_goal_edit"),
    path(
        "<int:pk>/plan/actie/<int:action_pk>/wijzigen/",
        views.plan_action_edit,
        name="plan_action_edit",
    ),
    path(
        "<int:pk>/plan/actie/<int:action_pk>/afgerond/",
        views.plan_action_done,
        name="plan_action_done",
    ),
    # Documents, letters and the agenda (cases/views/documents.py, letters.py, agenda.py).
    path("<int:pk>/documenten/", document_views.document_list, name="documents"),
    path(
        "<int:pk>/documenten/<int:document_pk>/",
        document_views.document_download,
        name="document_download",
    ),
    path("<int:pk>/brief/", letter_views.letter_create, name="letter_create"),
    path("agenda/", agenda_views.my_agenda, name="agenda"),
    path("agenda/agenda.ics", agenda_views.my_agenda_ics, name="agenda_ics"),
    path(
        "agenda/professional/<int:professional_pk>/",
        agenda_views.professional_agenda,
        name="professional_agenda",
    ),
    path(
        "agenda/professional/<int:professional_pk>/overdragen/",
        agenda_views.bulk_reassign,
        name="bulk_reassign",
    ),
]
