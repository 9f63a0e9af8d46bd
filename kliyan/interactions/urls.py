from django.urls import path

from kliyan.interactions import views

app_name = "interactions"
urlpatterns = [
    path("my-day/", views.my_day, name="my_day"),
    path("contacts/<int:pk>/log/", views.interaction_log, name="interaction_log"),
    path("contacts/<int:pk>/notes/add/", views.note_add, name="note_add"),
    path("notes/<int:pk>/archive/", views.note_archive, name="note_archive"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/reopen/", views.task_reopen, name="task_reopen"),
    path("tasks/<int:pk>/archive/", views.task_archive, name="task_archive"),
]
