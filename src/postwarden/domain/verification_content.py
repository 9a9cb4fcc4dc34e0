"""What a custom verification email template may contain, and where SES puts the verification link.

SES (Developer Guide, "Custom verification email frequently asked questions"): templates "can't exceed
10 MB in size", may use only the listed HTML tags and attributes and "can't include comment tags"; the
email is "the content you specified when you created the template, followed by a link that recipients
must click", and a short disclaimer "is automatically added to the end of every custom verification
email".
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

MAX_CONTENT_BYTES = 10 * 1024 * 1024

_COMMON = frozenset({"class", "id", "style", "title"})
_PLAIN_TAGS = (
    "abbr acronym address area b bdo big body br button caption center cite code dd del dfn dir div dl "
    "dt em fieldset font form h1 h2 h3 h4 h5 h6 head hr html i input ins kbd label legend li map menu "
    "optgroup option p pre s samp select small span strike strong sub sup tbody textarea tfoot thead tr "
    "tt u var"
)
_EXTRA_ATTRIBUTES = {
    "blockquote": {"cite"},
    "q": {"cite"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "img": {"align", "alt", "height", "src", "width"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "table": {"summary", "width"},
    "td": {"abbr", "axis", "colspan", "rowspan", "width"},
    "th": {"abbr", "axis", "colspan", "rowspan", "scope", "width"},
}
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    **{tag: _COMMON for tag in _PLAIN_TAGS.split()},
    **{tag: _COMMON | extra for tag, extra in _EXTRA_ATTRIBUTES.items()},
}
"""Tag → the attributes it may carry (the Developer Guide's table)."""

_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


class InvalidContentError(ValueError):
    """The template content breaks one of SES's rules; the message says which."""


def check_content(content: str) -> None:
    size = len(content.encode("utf-8"))
    if size > MAX_CONTENT_BYTES:
        raise InvalidContentError(
            f"The template content is {size} bytes; custom verification email templates can't exceed "
            f"10 MB ({MAX_CONTENT_BYTES} bytes)."
        )
    checker = _Checker()
    checker.feed(content)
    checker.close()
    if checker.problem:
        raise InvalidContentError(checker.problem)


def with_verification_link(content: str, link: str, contact: str) -> str:
    """The template content followed by the link and the disclaimer (inside `<body>` when there is one)."""
    url = html.escape(link, quote=True)
    mail = html.escape(contact, quote=True)
    addition = (
        f'<p><a href="{url}">{url}</a></p>'
        "<p>If you did not ask to verify this email address, ignore this message. If you have any "
        "concerns, forward this message with your questions or comments to "
        f'<a href="mailto:{mail}">{mail}</a>.</p>'
    )
    ends = list(_BODY_END.finditer(content))
    if not ends:
        return content + addition
    at = ends[-1].start()
    return content[:at] + addition + content[at:]


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problem = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.problem:
            return
        allowed = ALLOWED_TAGS.get(tag)
        if allowed is None:
            hint = " (the verification link is added after the content)" if tag == "a" else ""
            self.problem = (
                f"The template content uses the HTML tag <{tag}>, which custom verification emails "
                f"can't contain{hint}."
            )
            return
        for name, _ in attrs:
            if name not in allowed:
                self.problem = (
                    f"The template content uses the attribute {name} on <{tag}>; that tag allows only "
                    f"{', '.join(sorted(allowed))}."
                )
                return

    def handle_comment(self, data: str) -> None:
        if not self.problem:
            self.problem = "The template content contains an HTML comment; custom verification emails can't."
