from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("mijn-zaken/", views.my_cases, name="my_cases"),
    path("<int:pk>/", views.case_detail, name="case_detail"),
]
