"""The page machinery every service's pages share (shared/pages.py)."""

import pytest
from pydantic import BaseModel, Field
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared.errors import Problem
from shared.pages import (
    SHARED_CATALOGUE,
    Pages,
    SHARED_TEMPLATES,
    address_with,
    page_language,
    problem_page,
    read_form,
    see_other,
    wants_html,
)


def request(path="/x", *, accept=None, language=None, method="GET", data=None, content_type=None):
    headers = {}
    if accept is not None:
        headers["Accept"] = accept
    if language is not None:
        headers["Accept-Language"] = language
    return Request(EnvironBuilder(path=path, method=method, headers=headers, data=data,
                                  content_type=content_type).get_environ())


def test_every_shared_text_is_in_both_languages():
    assert SHARED_CATALOGUE.missing() == []


@pytest.mark.parametrize("accept, html", [
    (None, False), ("*/*", False), ("application/json", False),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # a browser
    ("application/json, text/html;q=0.5", False), ("text/html", True),
])
def test_only_a_browser_asking_for_html_gets_a_page(accept, html):
    assert wants_html(request(accept=accept)) is html


def test_the_language_is_the_switch_then_the_persons_then_the_browsers_then_lithuanian():
    assert page_language(request("/x?lang=en"), stored="lt") == "en"
    assert page_language(request("/x?lang=xx"), stored="en") == "en"
    assert page_language(request(language="en-GB,en;q=0.9")) == "en"
    assert page_language(request(language="de")) == "lt"
    assert page_language(request()) == "lt"


def test_the_language_switch_keeps_the_rest_of_the_address():
    assert address_with(request("/p?x=1&lang=lt"), lang="en") == "/p?x=1&lang=en"
    assert address_with(request("/p?lang=lt"), lang=None) == "/p"


class Choice(BaseModel):
    language: str = Field(pattern="^(lt|en)$")
    categories: list[str] = Field(default_factory=list, max_length=5)


def test_a_form_is_validated_like_a_body_and_names_the_field():
    ok = read_form(request(method="POST", data="language=en&categories=a&categories=b",
                           content_type="application/x-www-form-urlencoded"), Choice)
    assert ok == Choice(language="en", categories=["a", "b"])
    nothing_ticked = read_form(request(method="POST", data="language=lt",
                                       content_type="application/x-www-form-urlencoded"), Choice)
    assert nothing_ticked.categories == []
    with pytest.raises(Problem) as refused:
        read_form(request(method="POST", data="language=de", content_type="application/x-www-form-urlencoded"), Choice)
    assert refused.value.status == 422 and refused.value.errors[0]["field"] == "language"


def test_a_form_must_be_a_form_and_small():
    with pytest.raises(Problem) as json_sent:
        read_form(request(method="POST", data="{}", content_type="application/json"), Choice)
    assert json_sent.value.status == 415
    with pytest.raises(Problem) as too_big:
        read_form(request(method="POST", data="language=" + "x" * 20000,
                          content_type="application/x-www-form-urlencoded"), Choice)
    assert too_big.value.status == 413


def test_a_problem_reaches_a_browser_as_a_page_in_its_language():
    page = problem_page(Problem(404, "Not found", "no such enrolment"), request("/x?lang=en"), "corr-1")
    assert page.status_code == 404 and page.headers["Content-Language"] == "en"
    body = page.get_data(as_text=True)
    assert "no longer valid" in body and "corr-1" in body and '<html lang="en">' in body
    assert page.headers["Referrer-Policy"] == "no-referrer" and "default-src 'none'" in page.headers[
        "Content-Security-Policy"]
    lithuanian = problem_page(Problem(503, "Unavailable", headers={"Retry-After": "5"}), request(), "c")
    assert "nepasiekiama" in lithuanian.get_data(as_text=True) and lithuanian.headers["Retry-After"] == "5"


def test_a_page_escapes_what_people_typed(tmp_path):
    (tmp_path / "hello.html.j2").write_text('{% extends "base.html.j2" %}{% block content %}<p>{{ name }}</p>'
                                             '{% endblock %}')
    page = Pages(tmp_path, {}).render(request(), "hello.html.j2", {"name": "<script>x</script>"})
    assert "&lt;script&gt;" in page.get_data(as_text=True)
    assert SHARED_TEMPLATES.is_dir()


def test_post_redirect_get():
    answer = see_other("/p?done=left")
    assert answer.status_code == 303 and answer.headers["Location"] == "/p?done=left"
