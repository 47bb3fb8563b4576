from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("mijn-zaken/", views.my_cases, name="my_cases"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("werkvoorraad/", views.queue, name="queue"),
    path("aanmelden/", views.intake, name="intake"),
    path("<int:pk>/toewijzen/", views.assign, name="assign"),
    path("import/", views.import_upload, name="import_upload"),
    path("import/<int:batch_pk>/", views.import_preview, name="import_preview"),
    path("import/<int:batch_pk>/bevestigen/", views.import_confirm, name="import_confirm"),
    path("import/<int:batch_pk>/annuleren/", views.import_cancel, name="import_cancel"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
    path("<int:pk>/contact/", views.contact_create, name="contact_create"),
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
]
