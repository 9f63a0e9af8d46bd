from django.urls import path

from kliyan.commerce import views

app_name = "commerce"
urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("contacts/<int:pk>/orders/", views.contact_orders, name="contact_orders"),
    path("contacts/<int:pk>/credit/", views.contact_credit, name="contact_credit"),
    path("companies/<int:pk>/credit/", views.company_credit, name="company_credit"),
    path("exchange-rates/", views.exchange_rates, name="exchange_rates"),
]
