from django.urls import path

from kliyan.service import problem_views, sla_views, views

app_name = "service"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("board/", views.board, name="board"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:pk>/properties/", views.ticket_properties, name="ticket_properties"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:pk>/note/", views.ticket_note, name="ticket_note"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("categories/", views.category_list, name="category_list"),
    path("categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/<int:pk>/", views.team_edit, name="team_edit"),
    path("sla/", sla_views.sla_policy_list, name="sla_policy_list"),
    path("sla/new/", sla_views.sla_policy_create, name="sla_policy_create"),
    path("sla/<int:pk>/", sla_views.sla_policy_edit, name="sla_policy_edit"),
    path("reports/", sla_views.service_reports, name="reports"),
    # Problems and known issues (problem_views.py)
    path("problems/", problem_views.problem_list, name="problem_list"),
    path("problems/new/", problem_views.problem_create, name="problem_create"),
    path("problems/<int:pk>/", problem_views.problem_detail, name="problem_detail"),
    path("problems/<int:pk>/edit/", problem_views.problem_edit, name="problem_edit"),
    path("problems/<int:pk>/tickets/", problem_views.problem_link, name="problem_link"),
    path("problems/<int:pk>/tickets/<int:ticket_pk>/unlink/", problem_views.problem_unlink, name="problem_unlink"),
    path("problems/<int:pk>/actions/", problem_views.action_add, name="action_add"),
    path("actions/<int:pk>/", problem_views.action_edit, name="action_edit"),
    path("tickets/<int:pk>/problem/", problem_views.ticket_problem, name="ticket_problem"),
    path("tickets/<int:pk>/articles/", problem_views.ticket_article_link, name="ticket_article_link"),
    path("tickets/<int:pk>/articles/find/", problem_views.ticket_article_find, name="ticket_article_find"),
    path("tickets/<int:pk>/articles/<int:article_id>/unlink/", problem_views.ticket_article_unlink, name="ticket_article_unlink"),
    path("tickets/suggestions/", problem_views.ticket_suggestions, name="ticket_suggestions"),
]
