from django.urls import path

from kliyan.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("new/", views.article_create, name="article_create"),
    path("<int:pk>/", views.article_detail, name="article_detail"),
    path("<int:pk>/settings/", views.article_settings, name="article_settings"),
    path("<int:pk>/delete/", views.article_delete, name="article_delete"),
    path("<int:pk>/<str:language>/", views.article_edit, name="article_edit"),
    path("<int:pk>/<str:language>/publish/", views.translation_publish, name="translation_publish"),
    path("<int:pk>/<str:language>/unpublish/", views.translation_unpublish, name="translation_unpublish"),
    path("<int:pk>/<str:language>/delete/", views.translation_delete, name="translation_delete"),
    path("<int:pk>/<str:language>/history/", views.translation_history, name="translation_history"),
    path("<int:pk>/<str:language>/history/<int:number>/restore/", views.version_restore, name="version_restore"),
]
