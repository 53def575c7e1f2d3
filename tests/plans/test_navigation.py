"""The navigation bar offers a link only to whoever may follow it, superusers included: Django's
``perms`` says yes to any superuser, the rules do not."""

import pytest
from django.urls import reverse

from plans.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = 'href="/reports/dashboard/'
PEOPLE = 'href="/people/'


@pytest.mark.parametrize(
    ("role", "superuser"),
    [(None, True), (None, False), (Role.SERVICE_MANAGER, True), (Role.SERVICE_MANAGER, False)]
    + [(role, False) for role in Role],
)
def test_each_link_is_shown_exactly_when_it_can_be_followed(client, role, superuser):
    user = UserFactory(role=role, is_superuser=superuser, is_staff=superuser)
    client.force_login(user)
    page = client.get(reverse("worklist:my_tasks")).content.decode()
    for link, url in ((DASHBOARD, reverse("reporting:dashboard_latest")), (PEOPLE, reverse("people:list"))):
        followed = client.get(url, follow=True)
        allowed = followed.status_code == 200 and followed.redirect_chain[-1:] != [("/accounts/login/", 302)]
        assert (link in page) == allowed, (link, followed.status_code)
