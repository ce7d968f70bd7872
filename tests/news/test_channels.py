from masthead.news.models import ChannelPage
from tests.news.test_pages import ld_json


def test_a_sub_channel_shows_its_breadcrumb_up_to_home(client, home):
    html = client.get("/markets/stocks/").content.decode()
    trail = html.split('class="breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/">Home</a>' in trail
    assert '<a href="/markets/">Markets</a>' in trail
    assert '<li aria-current="page">Stocks</li>' in trail


def test_a_channel_page_carries_breadcrumb_list_json_ld(client, home):
    html = client.get("/markets/stocks/").content.decode()
    crumbs = next(data for data in ld_json(html) if data["@type"] == "BreadcrumbList")
    items = crumbs["itemListElement"]
    assert [item["position"] for item in items] == [1, 2, 3]
    assert [item["item"] for item in items] == [
        "http://testserver/",
        "http://testserver/markets/",
        "http://testserver/markets/stocks/",
    ]
    assert items[-1]["name"] == "Stocks"


def test_a_channel_links_to_its_live_sub_channels_in_tree_order(client, home):
    html = client.get("/markets/").content.decode()
    nav = html.split('class="sub-channels"', 1)[1].split("</nav>", 1)[0]
    assert nav.index('href="/markets/stocks/"') < nav.index('href="/markets/currencies/"')


def test_an_unpublished_sub_channel_is_not_listed(client, home):
    currencies = ChannelPage.objects.get(slug="currencies")
    currencies.unpublish()
    html = client.get("/markets/").content.decode()
    assert 'href="/markets/stocks/"' in html
    assert 'href="/markets/currencies/"' not in html


def test_a_channel_without_sub_channels_shows_no_sub_channel_list(client, home):
    assert 'class="sub-channels"' not in client.get("/markets/stocks/").content.decode()
