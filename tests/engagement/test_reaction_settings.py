import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone

from masthead.engagement.models import ReactionSettings
from masthead.engagement.reaction_kinds import InvalidReactionKinds, kinds_parse

SETTINGS_URL = "/admin/settings/engagement/reactionsettings/"


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("editor", "", "a-long-password-1")
    client.force_login(user)
    return client


def save_settings(admin_client, kinds: str, show_count: bool = False):
    data = {"kinds": kinds}
    if show_count:
        data["show_count_on_listings"] = "on"
    # The settings URL redirects to the one row's edit form.
    return admin_client.post(admin_client.get(SETTINGS_URL).url, data)


@pytest.mark.parametrize(
    "text,kinds",
    [
        ("verygood: veryGood!", {"verygood": "veryGood!"}),
        ("like:Like\n\n sad : So sad ", {"like": "Like", "sad": "So sad"}),
        ("wow: a:b", {"wow": "a:b"}),
    ],
)
def test_reaction_kinds_are_read_one_per_line(text, kinds):
    assert kinds_parse(text) == kinds


@pytest.mark.parametrize(
    "text", ["", "no separator", "Bad Slug: x", "like:", "like: a\nlike: b", "x: " + "y" * 41]
)
def test_malformed_reaction_kinds_are_refused_with_the_reason(text):
    with pytest.raises(InvalidReactionKinds):
        kinds_parse(text)


@override_settings(MASTHEAD_REACTION_KINDS={"cheer": "Cheer"})
def test_the_environment_variable_is_the_initial_value(admin_client):
    response = admin_client.get(SETTINGS_URL, follow=True)
    assert response.status_code == 200
    assert "cheer: Cheer" in response.content.decode()


def test_kinds_saved_in_the_admin_become_the_buttons_and_the_api(admin_client, reader, article):
    response = save_settings(admin_client, "verygood: veryGood!\nsad: Sad")
    assert response.status_code == 302
    assert reader.react(article.pk, active=True, kind="sad").json()["label"] == "Sad"
    html = admin_client.get(article.url).content.decode()
    assert '<span class="reaction__label">Sad</span>' in html
    save_settings(admin_client, "sad: Very sad")
    html = admin_client.get(article.url).content.decode()
    assert '<span class="reaction__label">Very sad</span> (<span class="reaction__count">1' in html
    assert "veryGood!" not in html
    assert reader.react(article.pk, active=True, kind="verygood").status_code == 404


def test_a_malformed_entry_is_shown_as_an_error_and_changes_nothing(admin_client, reader, article):
    save_settings(admin_client, "verygood: veryGood!")
    response = save_settings(admin_client, "Not A Slug: Hm")
    assert response.status_code == 200
    assert "Line 1" in response.content.decode()
    assert ReactionSettings.objects.get().kinds == "verygood: veryGood!"
    assert reader.react(article.pk, active=True).status_code == 200


def test_listings_show_reaction_totals_only_when_switched_on(admin_client, reader, article):
    reader.react(article.pk, active=True)
    listing = timezone.localtime(article.published_at).strftime("/%Y/%m/%d/")
    assert "card__reactions" not in admin_client.get(listing).content.decode()
    save_settings(admin_client, "verygood: veryGood!", show_count=True)
    response = admin_client.get(listing)
    html = response.content.decode()
    assert 'class="card__reactions"' in html
    assert article.pk in [a.pk for a in response.context["articles"]]
    card = html.split(f'href="{article.url}"', 1)[1].split("</article>", 1)[0]
    assert "1 reaction<" in card
