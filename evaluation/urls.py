from django.urls import path

from .views import exports, freezes, report, surveys

app_name = "evaluation"

urlpatterns = [
    path("", report.home, name="home"),
    path("advies/", report.recommendation, name="recommendation"),
    path("cijfers-bijwerken/", report.refresh, name="refresh"),
    path("exports/", exports.export_list, name="export_list"),
    path("exports/<int:pk>/", exports.export_detail, name="export_detail"),
    path("exports/<int:pk>/download/", exports.export_download, name="export_download"),
    path("datafreezes/", freezes.freeze_list, name="freeze_list"),
    path("datafreezes/<int:pk>/", freezes.freeze_detail, name="freeze_detail"),
    # Public survey pages (one-time link, no login). "bedankt" first: it would match <token>.
    path("enquete/bedankt/", surveys.survey_thanks, name="survey_thanks"),
    path("enquete/<str:token>/", surveys.survey, name="survey"),
]
