from django.urls import path

from kliyan.imports import export_views, views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("new/", views.import_new, name="new"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/report.csv", views.import_report, name="report"),
    path("<int:pk>/undo/", views.import_undo, name="undo"),
    path("<int:pk>/resume/", views.import_resume, name="resume"),
    path("export/contacts/", export_views.contact_export, name="export_contacts"),
    path("export/companies/", export_views.company_export, name="export_companies"),
]
