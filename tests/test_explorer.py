"""The explorer's pages (app/web), in process: each page answers, shows the seeded facts
with their quotes, links to the JSON it was drawn from and to the docs, keeps the time
controls in its URL, and stays small."""

import datetime as dt
import re
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.security_headers import PAGES_CSP
from app.core.temporal import AsOf
from app.importer import import_facts, parse_facts
from app.services import resource_counts
from tests.conftest import Curator
from tests.helpers import (
    SEED_DAY,
    cite,
    client_for,
    count_queries,
    get_data,
    record_queries,
    scratch_engine,
)

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SOURCE = "2025-11-14-honda-nissan"
BYD_QUOTE = "Chinese manufacturers like BYD are gaining ground with aggressive pricing"

# Each page, the JSON it is drawn from, and text it must show.
PAGES = {
    "/": ("/v1/companies", ["Search every fact", "companies", "Latest changes", "Nissan"]),
    "/companies/nissan": (
        "/v1/companies/nissan",
        ["Ivan Espinosa", "recovery plan", "20,000 jobs cut", "¥275,000,000,000", "confirmed"],
    ),
    "/companies/nikkei-asia": ("/v1/companies/nikkei-asia", ["media"]),
    f"/sources/{SOURCE}": (f"/v1/sources/{SOURCE}", ["The facts it backs", "longtime potential"]),
    "/partnerships/3": (
        "/v1/partnerships/3",
        ["in talks", "Status over time", "cross-shareholding", "excluded"],
    ),
    "/executives/ivan-espinosa": ("/v1/executives/ivan-espinosa", ["CEO", "since 2025-04"]),
    "/tariffs/1": ("/v1/tariffs/1", ["15 %", "2.5 % before the trade war", "Rates over time"]),
    "/restructuring-plans/1": ("/v1/restructuring-plans/1", ["17 → 10", "2028"]),
    "/statements/1": ("/v1/statements/1", ["We are discussing how we can collaborate"]),
    "/search?q=espinosa": ("/v1/search?q=espinosa", ["<mark>Espinosa</mark>"]),
}
MAX_PAGE_BYTES = 100_000


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("href"):
            self.hrefs.append(str(found["href"]))
        if found.get("id"):
            self.ids.add(str(found["id"]))


def links(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("path", PAGES)
def test_each_page_shows_its_facts_and_links_to_its_json_and_the_docs(
    client: TestClient, path: str
) -> None:
    api, texts = PAGES[path]
    response = client.get(path, headers=HTML)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == PAGES_CSP
    for text in texts:
        assert text in response.text, text
    hrefs = links(response.text).hrefs
    assert api in hrefs
    assert "/docs" in hrefs
    assert client.get(api).status_code == 200  # the JSON it names exists
    assert len(response.content) < MAX_PAGE_BYTES
    # A value the data leaves out (Nikkei Asia has no country) is left out, not "None".
    printed = re.search(r".{60}\bNone\b(?! stated).{20}", response.text, re.S)
    assert printed is None, printed and printed.group()


@pytest.mark.parametrize("path", PAGES)
def test_every_link_of_a_page_answers(client: TestClient, path: str) -> None:
    page = client.get(path, headers=HTML).text
    for href in set(links(page).hrefs):
        if href.startswith(("#", "http")):
            continue
        target = href.split("#", 1)[0]
        answer = client.get(target, headers=HTML)
        assert answer.status_code == 200, (path, href)
        if answer.headers["content-type"].startswith("text/html"):
            # What the data leaves out (a company's country, a tariff's rate) is left out,
            # never printed as Python's None ("None stated." is the page's own words).
            printed = re.search(r".{60}\bNone\b(?! stated).{20}", answer.text, re.S)
            assert printed is None, (path, href, printed and printed.group())


@pytest.mark.parametrize("path", PAGES)
def test_every_link_of_a_page_answers_at_another_time(client: TestClient, path: str) -> None:
    moment = "valid_at=2025-06-01&known_at=2025-11-14&validity=possible"
    joined = f"{path}{'&' if '?' in path else '?'}{moment}"
    page = client.get(joined, headers=HTML).text
    for href in set(links(page).hrefs):
        if href.startswith(("#", "http")):
            continue
        target = href.split("#", 1)[0].replace("&amp;", "&")
        assert client.get(target, headers=HTML).status_code == 200, (path, href)


# The time parameters every explorer page takes.
EVERY_TIME = ("valid_at", "known_at", "as_of")
NOT_PAGES = ("/v1/", "/docs", "/redoc", "/static/", "/openapi.json")
# "Now" leaves the time, by design.
LEFT_AS_IS = ("Now", "Autofacts")


class _Anchors(HTMLParser):
    """Each link of a page with its text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._open: list[str] | None = None
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and dict(attrs).get("href"):
            self._href, self._open = str(dict(attrs)["href"]), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.found.append((self._href, "".join(self._open).strip()))
            self._open = None


def test_every_link_between_pages_keeps_the_time_the_reader_chose(client: TestClient) -> None:
    """Crawled from the home page at a chosen time: every link to another explorer page
    carries the time parameters that page takes."""
    chosen = {"valid_at": "2025-06-01", "known_at": "2025-12-01"}
    start = "/?" + urlencode(chosen)
    seen, queue, checked = {start}, [start], 0
    while queue:
        path = queue.pop()
        answer = client.get(path, headers=HTML)
        assert answer.status_code == 200, path
        parser = _Anchors()
        parser.feed(answer.text)
        for href, text in parser.found:
            if not href.startswith("/") or href.startswith(NOT_PAGES) or text in LEFT_AS_IS:
                continue
            target = urlsplit(href)
            given = dict(parse_qsl(target.query))
            wanted = {k: v for k, v in chosen.items() if k in EVERY_TIME}
            assert given.items() >= wanted.items(), (path, href, text)
            checked += 1
            following = href.split("#", 1)[0]
            if following not in seen:
                seen.add(following)
                queue.append(following)
    assert checked > 100 and len(seen) > 15, (checked, len(seen))


def test_a_statement_names_who_said_it_and_links_to_what_it_is_about(client: TestClient) -> None:
    """The partnership's own page (no search that finds nothing), and names, not slugs."""
    page = client.get("/statements/1?known_at=2025-12-01", headers=HTML).text
    partnership = client.get("/v1/partnerships/3").json()
    assert client.get("/v1/statements/1").json()["about_partnership"] == partnership["slug"]
    attribution = re.search(r"<p>— (.*?)</p>", page, re.S)
    assert attribution is not None
    anchors = _Anchors()
    anchors.feed(attribution.group(1))
    assert anchors.found[:2] == [
        ("/executives/ivan-espinosa?known_at=2025-12-01", "Ivan Espinosa"),
        ("/partnerships/3?known_at=2025-12-01", unescape(partnership["title"])),
    ]


def test_a_quote_that_carries_its_own_quotation_marks_gets_no_more(client: TestClient) -> None:
    page = client.get("/partnerships/3", headers=HTML).text
    assert "“&#34;" not in page and "&#34;”" not in page
    assert "“We are not talking about integration or capital ties.”" in page


def _counts(page: str) -> dict[str, int]:
    """The home page's counts by resource (its link's path), and each said in words that
    agree with its number."""
    found = re.findall(
        r'<a href="/v1/([a-z-]+)\?[^"]*"><strong>([\d,]+)</strong> ([a-z ]+)</a>', page
    )
    for name, number, words in found:
        one = {"companies": "company"}.get(name, name.replace("-", " ").removesuffix("s"))
        assert words == (one if number == "1" else name.replace("-", " ")), (number, words)
    return {name: int(number.replace(",", "")) for name, number, _ in found}


def test_the_home_page_is_no_longer_a_404_and_counts_each_resource(client: TestClient) -> None:
    counts = _counts(client.get("/").text)
    assert counts["companies"] == client.get("/v1/companies?count=true").json()["total"]
    assert counts["facts"] == client.get("/v1/facts?count=true").json()["total"]
    assert set(counts) >= {"companies", "executives", "partnerships", "tariffs", "sources"}


def test_the_source_highlights_every_quoted_span_and_each_fact_links_back(
    client: TestClient,
) -> None:
    page = client.get(f"/sources/{SOURCE}").text
    parsed = links(page)
    facts = client.get("/v1/facts?source=1&include=citations&limit=200").json()["data"]
    assert facts
    for fact in facts:
        assert f"f{fact['id']}" in parsed.ids
        for citation in fact["citations"]:
            anchor = f"q{citation['start_offset']}-{citation['end_offset']}"
            assert anchor in parsed.ids  # the span's anchor
            assert f"#{anchor}" in parsed.hrefs  # the fact's link back to it
    # Each highlighted piece names the facts it backs and links to the first.
    cites = re.findall(r'<a class="cite[^"]*" href="#f(\d+)" data-facts="([\d ]+)">', page)
    assert cites
    assert all(first == ids.split()[0] for first, ids in cites)
    # The text is the source's own, escaped and whole once the marks are taken out.
    text = client.get(f"/v1/sources/{SOURCE}").json()["text"]
    article = re.search(r'<article class="article"[^>]*>(.*?)</article>', page, re.S)
    assert article is not None
    plain = re.sub(r"<[^>]+>", "", article.group(1))
    assert unescape(plain) == text


def test_the_facts_of_a_source_are_the_facts_quoting_it(client: TestClient) -> None:
    every = client.get("/v1/facts?include=citations&limit=200").json()["data"]
    quoting = client.get("/v1/facts?source=1&include=citations&limit=200").json()["data"]
    assert [f["id"] for f in quoting] == [
        f["id"] for f in every if any(c["source_id"] == 1 for c in f["citations"])
    ]
    assert client.get("/v1/facts?source=999").json()["data"] == []


def test_the_time_controls_round_trip_through_the_url(client: TestClient) -> None:
    path = "/companies/nissan?valid_at=2025-05-01&known_at=2025-11-14&as_of="
    page = client.get(path, headers=HTML).text
    assert 'name="valid_at" value="2025-05-01"' in page
    assert 'name="known_at" value="2025-11-14"' in page
    # The JSON link carries the same moment, empty fields left out.
    assert "/v1/companies/nissan?valid_at=2025-05-01&amp;known_at=2025-11-14" in page
    # Links to other pages keep it too.
    assert "/executives/ivan-espinosa?valid_at=2025-05-01&amp;known_at=2025-11-14" in page
    # A day before the source was published, nothing had been reported.
    early = client.get("/companies/nissan?known_at=2025-01-01", headers=HTML)
    assert early.status_code == 404
    assert "No company" in early.text


def test_valid_at_shows_what_held_on_that_day(client: TestClient) -> None:
    before = client.get("/executives/ivan-espinosa?valid_at=2024-06-01").text
    during = client.get("/executives/ivan-espinosa?valid_at=2025-06-01").text
    assert "since 2025-04" in during
    assert "since 2025-04" not in before


def test_a_problem_is_a_page_for_a_browser_and_json_for_everyone_else(
    client: TestClient,
) -> None:
    page = client.get("/companies/tesla", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "No company with slug" in page.text
    assert "Accept" in page.headers["vary"]
    plain = client.get("/companies/tesla")
    assert plain.status_code == 404
    assert plain.headers["content-type"] == "application/problem+json"
    assert plain.json()["status"] == 404
    unknown = client.get("/no-such-page", headers=HTML)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/html")
    bad = client.get("/companies/nissan?valid_at=2025-13-01", headers=HTML)
    assert bad.status_code == 422
    assert "valid_at" in bad.text
    # The API's problems stay JSON whatever the client prefers.
    api = client.get("/v1/companies/tesla", headers=HTML)
    assert api.headers["content-type"] == "application/problem+json"


def _time_form(page: str) -> str:
    form = re.search(r'<form class="time".*?</form>', page, re.S)
    assert form is not None, "no time controls"
    return form.group()


def test_a_problem_at_a_chosen_time_keeps_the_time_controls_and_a_way_back_to_now(
    client: TestClient,
) -> None:
    """Partnership 3 does not hold in mid-2024: a 404 that says the time is why, and lets
    the reader change it or go back to now; a refused value can be corrected in place."""
    missing = client.get("/partnerships/3?valid_at=2024-06-01&known_at=&as_of=", headers=HTML)
    assert missing.status_code == 404
    form = _time_form(missing.text)
    assert 'name="valid_at" value="2024-06-01"' in form
    assert '<a href="/partnerships/3">Now</a>' in form
    assert "not in our record for the time chosen" in missing.text
    assert client.get("/partnerships/3", headers=HTML).status_code == 200
    # Without a time, a 404 is only that.
    plain = client.get("/companies/tesla", headers=HTML)
    assert plain.status_code == 404
    assert "time chosen" not in plain.text
    # A refused value stays in its field, escaped.
    bad = client.get('/companies/nissan?as_of=<b>"x', headers=HTML)
    assert bad.status_code == 422
    form = _time_form(bad.text)
    assert 'name="as_of" value="&lt;b&gt;&#34;x"' in form
    assert '<a href="/companies/nissan">Now</a>' in form
    # Search keeps its words, and the time sent.
    future = client.get("/search?q=nissan&valid_at=2025-01-01&as_of=2999-01-01", headers=HTML)
    assert future.status_code == 422
    form = _time_form(future.text)
    assert 'name="valid_at" value="2025-01-01"' in form
    assert '<input type="hidden" name="q" value="nissan">' in form
    assert '<a href="/search?q=nissan">Now</a>' in form
    # A path that is no page has no time to keep.
    assert 'class="time"' not in client.get("/no-such-page?valid_at=2024-01-01", headers=HTML).text
    # The problem's type is shown, not linked: its host serves no page.
    assert "autofacts.dev" not in " ".join(links(missing.text).hrefs)
    assert "<code>https://autofacts.dev/problems/not-found</code>" in missing.text


def test_search_pages_filter_by_type_and_follow_cursors(client: TestClient) -> None:
    first = client.get("/search?q=nissan&type=partnership", headers=HTML)
    assert first.status_code == 200
    assert "<mark>Nissan</mark>" in first.text
    api = client.get("/v1/search?q=nissan&type=partnership").json()
    titles = re.findall(r'<li><a href="[^"]+">([^<]+)</a> <span class="type">', first.text)
    assert [unescape(t) for t in titles] == [hit["title"] for hit in api["data"]]
    # Cursor pages: small pages of every type, followed to the end.
    every = client.get("/v1/search?q=nissan&limit=200").json()["data"]
    seen, path = 0, "/search?q=nissan"
    for _ in range(len(every)):
        page = client.get(path).text
        seen += len(re.findall(r'<span class="type">', page))
        following = re.search(r'rel="next" href="([^"]+)"', page)
        if following is None:
            break
        path = following.group(1).replace("&amp;", "&")
    assert seen == len(every)
    assert client.get("/search").status_code == 200  # the empty form


def test_search_pages_keep_valid_at(client: TestClient) -> None:
    """The search page answers the time chosen as /v1/search does, says how each hit held
    on the day, and its form, its pages and its hits' links keep the time."""
    chosen = {"valid_at": "2025-01-01", "validity": "certain", "known_at": SEED_DAY}
    api = client.get("/v1/search", params={"q": "nissan", "limit": 200, **chosen}).json()
    assert api["data"] and len(api["data"]) < len(get_data(client, "/v1/search", q="nissan"))
    page = client.get("/search", params={"q": "nissan", **chosen}, headers=HTML).text
    titles = re.findall(r'<li><a href="[^"]+">([^<]+)</a> <span class="type">', page)
    assert [unescape(t) for t in titles] == [hit["title"] for hit in api["data"]]
    assert page.count("certain on that day") == len(api["data"])
    form = re.search(r'<form class="big-search".*?</form>', page, re.S)
    assert form is not None
    for name, value in chosen.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in form.group()
    hits = re.findall(r'<li><a href="([^"]+)">', page)
    assert len(hits) == len(titles)
    for href in hits:
        given = dict(parse_qsl(urlsplit(unescape(href)).query))
        assert given.items() >= chosen.items(), href
    # A page of one hit walks on with the time.
    walked, path = 0, "/search?" + urlencode({"q": "nissan", **chosen})
    for _ in range(len(api["data"])):
        found = client.get(path, headers=HTML).text
        walked += found.count('<span class="type">')
        following = re.search(r'rel="next" href="([^"]+)"', found)
        if following is None:
            break
        path = unescape(following.group(1))
        assert dict(parse_qsl(urlsplit(path).query)).items() >= chosen.items()
    assert walked == len(api["data"])


def test_pages_are_tagged_and_cached_as_the_api_is(client: TestClient) -> None:
    first = client.get("/companies/nissan")
    assert first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    assert "Accept" in first.headers["vary"]
    again = client.get("/companies/nissan", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    head = client.head("/companies/nissan")
    assert head.status_code == 200
    assert head.content == b""


def test_static_assets_are_local(client: TestClient) -> None:
    page = client.get("/").text
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert assets == ["/static/explorer.css", "/static/explorer.js"]
    for asset in ("/static/explorer.css", "/static/explorer.js"):
        assert client.get(asset).status_code == 200


def test_pages_are_left_out_of_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert all(path.startswith(("/v1/", "/health", "/metrics")) for path in paths)
    assert "/v1/facts" in paths
    names = [p["name"] for p in paths["/v1/facts"]["get"]["parameters"]]
    assert "source" in names


def test_the_search_page_searches_in_the_search_threads(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As /v1/search: a costly search never holds a thread the other pages need."""
    import threading

    from app.services import search as search_service

    threads: list[str] = []
    real = search_service.search

    def recording(**arguments: object) -> object:
        threads.append(threading.current_thread().name)
        return real(**arguments)  # type: ignore[arg-type]

    monkeypatch.setattr(search_service, "search", recording)
    assert client.get("/search?q=honda&cursor=").status_code == 200
    assert threads and threads[0].startswith("autofacts-search")


# -- a company's statements -------------------------------------------------------------------

SPOKEN = (
    "Acme said: we build cars. Ann Alder, Acme's CEO, said: sales rose. Ben Birch, Acme's "
    "CFO, said: costs fell. Cy Cole, Beta's CEO, said: Acme is a rival. Cy Cole also said: "
    "Beta grows."
)


def _executive(slug: str, name: str, company: str, title: str) -> dict[str, object]:
    return {
        "slug": slug,
        "name": name,
        "certainty": "confirmed",
        "citations": cite(name, "spoken"),
        "roles": [
            {
                "company": company,
                "title": title,
                "certainty": "confirmed",
                "citations": cite(f"{name}, {company.title()}'s {title}", "spoken"),
            }
        ],
    }


def _said(words: str, about: str | None = None, **speaker: str) -> dict[str, object]:
    return {
        **speaker,
        "quote": words,
        "speech": "direct",
        "about_company": about,
        "certainty": "confirmed",
        "citations": cite(words, "spoken"),
    }


SPOKEN_FACTS = {
    "format": "autofacts/v1",
    "sources": [
        {"slug": "spoken", "title": "Spoken", "published_on": "2025-01-10", "text": SPOKEN}
    ],
    "companies": [
        {
            "slug": slug,
            "name": slug.title(),
            "kind": "automaker",
            "certainty": "confirmed",
            "citations": cite(slug.title(), "spoken"),
        }
        for slug in ("acme", "beta")
    ],
    "executives": [
        _executive("ann-alder", "Ann Alder", "acme", "CEO"),
        _executive("ben-birch", "Ben Birch", "acme", "CFO"),
        _executive("cy-cole", "Cy Cole", "beta", "CEO"),
    ],
    "statements": [
        _said("we build cars", speaker_company="acme"),
        _said("sales rose", speaker_executive="ann-alder"),
        _said("costs fell", speaker_executive="ben-birch"),
        _said("Acme is a rival", about="acme", speaker_executive="cy-cole"),
        _said("Beta grows", speaker_executive="cy-cole"),
    ],
}


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Engine]]:
    """Every request answered by its route: the test counts the statements each runs."""
    with scratch_engine(tmp_path_factory.mktemp("spoken"), "spoken") as engine:
        with Session(engine) as session:
            import_facts(session, parse_facts(SPOKEN_FACTS))
        with client_for(engine, cache=False) as test_client:
            yield test_client, engine


def _statements_shown(page: str) -> list[str]:
    section = page.split('id="statements"', 1)[1]
    return [
        s
        for s in ("we build cars", "sales rose", "costs fell", "Acme is a rival", "Beta grows")
        if s in section
    ]


def test_a_company_page_shows_what_it_its_executives_and_others_about_it_said(
    spoken: tuple[TestClient, Engine],
) -> None:
    client, _ = spoken
    acme = client.get("/companies/acme", headers=HTML)
    assert acme.status_code == 200, acme.text
    assert _statements_shown(acme.text) == [
        "we build cars",
        "sales rose",
        "costs fell",
        "Acme is a rival",
    ]
    assert _statements_shown(client.get("/companies/beta", headers=HTML).text) == [
        "Acme is a rival",
        "Beta grows",
    ]


def test_a_company_page_reads_its_statements_in_one_query_whatever_its_executives(
    spoken: tuple[TestClient, Engine],
) -> None:
    """Acme has two executives, Beta one: the same statements run for each page."""
    client, engine = spoken
    ran = {}
    for slug in ("acme", "beta"):
        with count_queries(engine) as statements:
            assert client.get(f"/companies/{slug}", headers=HTML).status_code == 200
        ran[slug] = len(statements)
    assert ran["acme"] == ran["beta"]


# -- a tariff of many impacts -----------------------------------------------------------------

HIT = [f"Maker{n:02d}" for n in range(1, 23)]
TARIFFED = "A 10 percent tariff. " + " ".join(
    f"{name} expects a loss of {n} dollars." for n, name in enumerate(HIT, 1)
)
TARIFF_FACTS = {
    "format": "autofacts/v1",
    "sources": [
        {"slug": "tariffed", "title": "Tariffed", "published_on": "2025-01-10", "text": TARIFFED}
    ],
    "companies": [
        {
            "slug": name.lower(),
            "name": name,
            "kind": "automaker",
            "certainty": "confirmed",
            "citations": cite(name, "tariffed"),
        }
        for name in HIT
    ],
    "tariffs": [
        {
            "imposing_country": "US",
            "target_country": "JP",
            "product": "vehicles",
            "rate_pct": "10",
            "certainty": "confirmed",
            "citations": cite("A 10 percent tariff.", "tariffed"),
            "impacts": [
                {
                    "company": name.lower(),
                    "kind": "estimate",
                    "amount": {"amount": str(n), "currency": "USD", "usd": str(n)},
                    "certainty": "confirmed",
                    "citations": cite(f"{name} expects a loss of {n} dollars.", "tariffed"),
                }
                for n, name in enumerate(HIT, 1)
            ],
        }
    ],
}


def test_a_tariff_page_reads_and_shows_its_first_impacts_and_links_to_them_all(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with scratch_engine(tmp_path_factory.mktemp("tariffed"), "tariffed") as engine:
        with Session(engine) as session:
            import_facts(session, parse_facts(TARIFF_FACTS))
        with client_for(engine, cache=False) as client:
            with record_queries(engine) as queries:
                page = client.get("/tariffs/1", headers=HTML)
            assert page.status_code == 200, page.text
            every = client.get("/v1/tariffs/1").json()["impacts"]
    assert [i["company"]["name"] for i in every] == HIT
    shown = [name for name in HIT if f">{name}</a>" in page.text]
    assert shown == HIT[:20]
    assert "/v1/tariffs/1" in links(page.text).hrefs
    assert "More in the JSON" in page.text
    # Read 21 at a time (20, and whether there are more): the last impact's id (and its
    # company's, its citations') is in no query the page runs.
    named = [
        value
        for _, parameters in queries
        for given in (parameters.values() if isinstance(parameters, dict) else parameters)
        for value in (given if isinstance(given, list | tuple) else [given])
    ]
    assert len(HIT) not in named


# -- the home page's counts -------------------------------------------------------------------


def test_the_counts_are_counted_once_per_data_version(seeded_engine: Engine) -> None:
    """Kept per data version: counted again under another, and never kept without one."""
    first, second = object(), object()  # versions no database gives
    with Session(seeded_engine) as session:
        with count_queries(seeded_engine) as statements:
            counted = resource_counts.count_resources(
                session=session, as_of=AsOf(), data_version=first
            )
        assert len(statements) >= len(resource_counts.RESOURCES)
        for version, counts_again in ((first, False), (second, True), (None, True), (None, True)):
            with count_queries(seeded_engine) as statements:
                again = resource_counts.count_resources(
                    session=session, as_of=AsOf(), data_version=version
                )
            assert again == counted
            assert bool(statements) is counts_again, version
        with count_queries(seeded_engine) as statements:
            at_a_time = resource_counts.count_resources(
                session=session, as_of=AsOf(known_at=dt.date(2025, 1, 1)), data_version=second
            )
        assert statements and at_a_time != counted  # another time, other counts


def test_the_home_page_counts_what_a_write_added(curator: Curator) -> None:
    """The counts are kept until a write commits; then the new figures show (a query the
    page ignores makes the response cache miss)."""
    client = curator.client
    before = _counts(client.get("/?seen=1", headers=HTML).text)
    company = {
        "slug": "chinese-manufacturers",
        "name": "Chinese manufacturers",
        "country": "CN",
        "kind": "automaker",
        "certainty": "reported",
        "citations": [{"source": SOURCE, "quote": BYD_QUOTE}],
    }
    written = client.post("/v1/companies", json=company, headers=curator.headers)
    assert written.status_code == 201, written.text
    after = _counts(client.get("/?seen=2", headers=HTML).text)
    assert after["companies"] == before["companies"] + 1
    assert after["companies"] == client.get("/v1/companies?count=true").json()["total"]
    assert after["facts"] == client.get("/v1/facts?count=true").json()["total"]


def test_the_latest_changes_link_to_the_page_now_and_as_it_was_before(curator: Curator) -> None:
    """A correction shows on the home page as a link to the corrected page and one to the
    page as served the microsecond before it (the as_of at a change shows its after)."""
    client = curator.client
    assert '<a href="/v1/changes">' in client.get("/", headers=HTML).text
    patched = client.patch(
        "/v1/companies/nissan",
        json={"name": "Nissan Motor"},
        headers={**curator.headers, "Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    home = client.get("/?after=patch", headers=HTML).text
    changes = re.search(r'id="changes-h".*?</section>', home, re.S)
    assert changes is not None
    anchors = _Anchors()
    anchors.feed(changes.group())
    found = dict((text, href.replace("&amp;", "&")) for href, text in anchors.found)
    assert found["companies nissan"] == "/companies/nissan"
    assert found["The change feed"] == "/v1/changes"
    before = found["as it was before"]
    assert before.startswith("/companies/nissan?as_of=")
    occurred = client.get("/v1/changes").json()["data"][-1]["occurred_at"]
    instant = dt.datetime.fromisoformat(dict(parse_qsl(urlsplit(before).query))["as_of"])
    assert dt.datetime.fromisoformat(occurred) - instant == dt.timedelta(microseconds=1)
    assert "<h1>Nissan</h1>" in client.get(before, headers=HTML).text
    assert "<h1>Nissan Motor</h1>" in client.get("/companies/nissan", headers=HTML).text


def test_the_as_of_field_takes_any_keyboard_and_its_hint_fits(client: TestClient) -> None:
    field = re.search(r'<input type="text" name="as_of"[^>]*>', client.get("/").text)
    assert field is not None
    assert "inputmode" not in field.group()  # a digits-only keypad has no "-", ":" or "T"
    placeholder = re.search(r'placeholder="([^"]*)"', field.group())
    size = re.search(r'size="(\d+)"', field.group())
    assert placeholder is not None and size is not None
    assert len(placeholder.group(1)) <= int(size.group(1))


def test_labels_read_as_words(client: TestClient) -> None:
    """Enum values in words, a list with nothing in it says so, names where the page has
    them, and a space before each separator."""
    assert "in_talks" not in client.get("/partnerships/3", headers=HTML).text
    early = client.get("/?as_of=2026-01-01", headers=HTML).text
    for heading in ("Companies", "Partnerships", "Tariffs"):
        section = early.split(f">{heading}</h2>", 1)[1]
        assert section.split("</ul>", 1)[0].endswith('<li class="none">Nothing recorded.</li>')
    plan = client.get("/restructuring-plans/1", headers=HTML).text
    assert "<h1>Nissan: recovery plan</h1>" in plan
    assert '<a href="/companies/nissan">Nissan</a>' in plan
    source = client.get(f"/sources/{SOURCE}", headers=HTML).text
    assert re.search(r"</a>· ", source) is None
    assert "</a> · <strong>" in source


def test_a_tariff_told_as_past_is_not_now_and_each_tariff_has_its_own_title(
    client: TestClient,
) -> None:
    titles = set()
    for tariff_id in (1, 2, 3):
        page = client.get(f"/tariffs/{tariff_id}", headers=HTML).text
        title = re.search(r"<h1>(.*?)</h1>", page)
        assert title is not None
        titles.add(title.group(1))
        main = page.split('<main id="main">', 1)[1]
        past = client.get(f"/v1/tariffs/{tariff_id}").json()["told_as"] == "past"
        assert (" now" in re.sub(r"<[^>]+>", "", main)) is not past, tariff_id
    assert len(titles) == 3, titles


def test_the_search_page_refuses_a_type_search_does_not_have(client: TestClient) -> None:
    for bad in ("bogus", "<b>"):
        page = client.get("/search", params={"q": "nissan", "type": bad}, headers=HTML)
        assert page.status_code == 422
        assert "type must be" in page.text
        assert "<b>" not in page.text.split('<main id="main">', 1)[1]
    assert client.get("/v1/search?q=nissan&type=bogus").status_code == 422
    assert client.get("/search?q=nissan&type=", headers=HTML).status_code == 200
