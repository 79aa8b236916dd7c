"""The recruitment officer's pages, included in ``jamana.calls.urls`` (namespace "calls").

Call codes are upper case (``publishing.CODE_RE``), so ``agent/<code>/`` never shadows a
lower-case ``agent/...`` page of the app."""

from django.urls import path, re_path

from jamana.calls import publishing_views as views

CODE = r"(?P<code>[A-Z0-9]+(?:-[A-Z0-9]+)*)"

urlpatterns = [
    path("agent/", views.agent_calls, name="agent_calls"),
    path("agent/new/", views.agent_call_new, name="agent_call_new"),
    re_path(rf"^agent/{CODE}/$", views.agent_call, name="agent_call"),
    re_path(rf"^agent/{CODE}/edit/$", views.agent_call_edit, name="agent_call_edit"),
    re_path(rf"^agent/{CODE}/closing/$", views.agent_call_closing, name="agent_call_closing"),
    re_path(rf"^agent/{CODE}/posts/$", views.agent_call_post_add, name="agent_call_post_add"),
    re_path(
        rf"^agent/{CODE}/posts/(?P<post_id>[0-9]+)/remove/$",
        views.agent_call_post_remove,
        name="agent_call_post_remove",
    ),
    re_path(rf"^agent/{CODE}/centres/$", views.agent_call_centre_add, name="agent_call_centre_add"),
    re_path(rf"^agent/{CODE}/jury/$", views.agent_call_jury_add, name="agent_call_jury_add"),
    re_path(
        rf"^agent/{CODE}/jury/(?P<member_id>[0-9]+)/remove/$",
        views.agent_call_jury_remove,
        name="agent_call_jury_remove",
    ),
    re_path(rf"^agent/{CODE}/publish/$", views.agent_call_publish, name="agent_call_publish"),
    re_path(rf"^agent/{CODE}/cancel/$", views.agent_call_cancel, name="agent_call_cancel"),
]
