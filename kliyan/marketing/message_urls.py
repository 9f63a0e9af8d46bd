from django.urls import path

from kliyan.marketing import message_views

urlpatterns = [
    path("", message_views.message_list, name="message_list"),
    path("<int:pk>/", message_views.message_detail, name="message_detail"),
    path("write/<int:contact_id>/", message_views.message_write, name="message_write"),
]
