"""The lesson-plan library's pages, included under /training/library/ (namespace ``training``)."""

from django.urls import path

from training import library_views as views

urlpatterns = [
    path("library/", views.library_list, name="library"),
    path("library/new/", views.library_upload, name="library_upload"),
    path("library/mine/", views.library_mine, name="library_mine"),
    path("library/queue/", views.library_queue, name="library_queue"),
    path("library/<id:pk>/", views.library_detail, name="library_detail"),
    path("library/<id:pk>/file/", views.library_file, name="library_file"),
    path("library/<id:pk>/edit/", views.library_edit, name="library_edit"),
    path("library/<id:pk>/delete/", views.library_delete, name="library_delete"),
    path("library/<id:pk>/offer/", views.library_offer, name="library_offer"),
    path("library/offers/<id:pk>/withdraw/", views.offer_withdraw, name="library_offer_withdraw"),
    path("library/offers/<id:pk>/decide/", views.offer_decide, name="library_offer_decide"),
]
