from django.urls import path

from kliyan.contacts import views

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="contact_list"),
    path("new/", views.contact_create_page, name="contact_create"),
    path("search/", views.quick_search, name="search"),
    path("<int:pk>/", views.contact_detail, name="contact_detail"),
    path("<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/archive/", views.contact_archive_page, name="contact_archive"),
    path("<int:pk>/restore/", views.contact_restore_page, name="contact_restore"),
    path("<int:pk>/consent/", views.contact_consent, name="contact_consent"),
    path("<int:pk>/timeline/", views.contact_timeline_page, name="contact_timeline"),
    path("companies/", views.company_list, name="company_list"),
    path("companies/new/", views.company_create_page, name="company_create"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:pk>/archive/", views.company_archive_page, name="company_archive"),
    path("companies/<int:pk>/restore/", views.company_restore_page, name="company_restore"),
    path("custom-fields/", views.customfield_list, name="customfield_list"),
    path("custom-fields/<int:pk>/", views.customfield_edit, name="customfield_edit"),
    path("custom-fields/<int:pk>/archive/", views.customfield_archive, name="customfield_archive"),
]
