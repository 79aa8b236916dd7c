from django.urls import path

from jamana.procedures import views

app_name = "procedures"
urlpatterns = [
    path("", views.my_requests, name="my_requests"),
    path("find/", views.find_request, name="find_request"),
    path("new/<str:code>/", views.new_request, name="new_request"),
    path("<str:reference>/", views.request_detail, name="request_detail"),
    path("<str:reference>/cancel/", views.cancel_request, name="cancel_request"),
]
