from django.urls import path

from kliyan.dedupe import views

app_name = "dedupe"
urlpatterns = [
    path("", views.pair_list, name="pair_list"),
    path("scan/", views.scan_start, name="scan_start"),
    path("scan/<int:pk>/", views.scan_progress, name="scan_progress"),
    path("<int:pk>/dismiss/", views.pair_dismiss, name="pair_dismiss"),
    path("<int:pk>/reopen/", views.pair_reopen, name="pair_reopen"),
    path("merge/", views.merge_page, name="merge"),
    path("merge-with/<int:pk>/", views.merge_with, name="merge_with"),
]
