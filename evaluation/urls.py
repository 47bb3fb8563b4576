from django.urls import path

from .views import exports, report, surveys

app_name = "evaluation"

urlpatterns = [
    path("", report.home, name="home"),
    path("exports/", exports.export_list, name="export_list"),
    path("exports/<int:pk>/", exports.export_detail, name="export_detail"),
    path("exports/<int:pk>/download/", exports.export_download, name="export_download"),
    # Public survey pages (one-time link, no login). "bedankt" first: it would match <token>.
    path("enquete/bedankt/", surveys.survey_thanks, name="survey_thanks"),
    path("enquete/<str:token>/", surveys.survey, name="survey"),
]
