from django.urls import path

from jamana.identity import views

app_name = "identity"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.sign_in_code, name="sign_in_code"),
    path("sign-in/code/resend/", views.resend_code, name="resend_code"),
    path("sign-up/", views.sign_up, name="sign_up"),
    path("password/", views.reset_request, name="reset_request"),
    path("password/code/", views.reset_confirm, name="reset_confirm"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("me/", views.my_data, name="my_data"),
    path("me/who-accessed/", views.who_accessed, name="who_accessed"),
]
