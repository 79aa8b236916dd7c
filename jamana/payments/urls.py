from django.urls import path

from jamana.payments import views

app_name = "payments"
urlpatterns = [
    path("callback/<str:provider>", views.callback, name="callback"),
    path("agent/", views.agent_payments, name="agent_payments"),
    path(
        "agent/cash-refunds/<int:refund_id>/",
        views.pay_out_cash_refund,
        name="pay_out_cash_refund",
    ),
    path("request/<str:reference>/", views.pay_request, name="pay_request"),
    path("<str:reference>/", views.status, name="status"),
]
