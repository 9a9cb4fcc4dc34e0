"""What a custom verification template may contain, and where the link goes (SES Developer Guide FAQ)."""

from __future__ import annotations

import pytest

from postwarden.domain.verification_content import (
    ALLOWED_TAGS,
    MAX_CONTENT_BYTES,
    InvalidContentError,
    check_content,
    with_verification_link,
)

LINK = "https://pw.example/verify-email/custom?token=abc.def&context=ghi.jkl"


@pytest.mark.parametrize(
    "content",
    [
        "Just text, no markup.",
        "<!doctype html><html><head></head><body class='x'><h1 style='a'>Hi</h1><br/></body></html>",
        '<table width="100%" summary="s"><tr><td colspan="2" rowspan="1">x</td></tr></table>',
        '<img src="data:image/png;base64,AAAA" alt="logo" width="10" height="10" align="left">',
        '<ol start="3" type="a"><li>x</li></ol><blockquote cite="u">q</blockquote>',
    ],
)
def test_allowed_markup_passes(content: str) -> None:
    check_content(content)


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('<p>Go <a href="https://x.example">here</a></p>', "<a>"),
        ("<style>p {color: red}</style>", "<style>"),
        ("<script>alert(1)</script>", "<script>"),
        ('<p onclick="x()">hi</p>', "onclick"),
        ('<img src="x" onerror="y">', "onerror"),
        ("<p>hi</p><!-- a comment -->", "comment"),
    ],
)
def test_markup_outside_the_list_is_refused_with_the_reason(content: str, named: str) -> None:
    with pytest.raises(InvalidContentError, match=named):
        check_content(content)


def test_content_over_10_mb_is_refused() -> None:
    check_content("x" * MAX_CONTENT_BYTES)
    with pytest.raises(InvalidContentError, match="10 MB"):
        check_content("x" * (MAX_CONTENT_BYTES + 1))


def test_the_table_of_tags_matches_the_guide() -> None:
    assert "a" not in ALLOWED_TAGS and "meta" not in ALLOWED_TAGS
    assert ALLOWED_TAGS["td"] == {
        "abbr",
        "axis",
        "class",
        "colspan",
        "id",
        "rowspan",
        "style",
        "title",
        "width",
    }
    assert len(ALLOWED_TAGS) == 74


def test_the_link_and_disclaimer_follow_the_content_inside_the_body() -> None:
    rendered = with_verification_link("<html><body><p>Hello</p></BODY ></html>", LINK, "abuse@pw.example")
    assert rendered.startswith("<html><body><p>Hello</p><p><a href=")
    assert rendered.endswith("</BODY ></html>")
    assert 'href="https://pw.example/verify-email/custom?token=abc.def&amp;context=ghi.jkl"' in rendered
    assert "mailto:abuse@pw.example" in rendered
    assert rendered.index("Hello") < rendered.index("verify-email") < rendered.index("did not ask")


def test_without_a_body_the_link_is_appended() -> None:
    rendered = with_verification_link("Plain words.", LINK, "abuse@pw.example")
    assert rendered.startswith("Plain words.<p><a href=")
