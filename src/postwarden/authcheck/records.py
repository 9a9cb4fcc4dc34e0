"""The DNS records the recommendations propose, written as `TYPE name value`."""

from __future__ import annotations

from collections.abc import Sequence

from postwarden.authcheck.spf_record import Mechanism, parse_term, salvage_tokens


def txt_record(name: str, value: str) -> str:
    """`TXT name "value"`, split into 255-character strings when longer (RFC 7208 §3.3)."""
    chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
    return f"TXT {name} " + " ".join(f'"{chunk}"' for chunk in chunks)


def cname_record(name: str, target: str) -> str:
    return f"CNAME {name} {target}"


def proposed_spf_record(records: Sequence[str], terms: Sequence[str], *, default_all: str = "~all") -> str:
    """One record that keeps what `records` authorize and puts `terms` first.

    The terms of an existing record are kept (malformed ones dropped, a repeated term listed once) after
    ours, so ours match before any lookup-hungry term; several records are merged into one, ending in the
    strictest `all` among them. Without a record: `terms` then `default_all`.
    """
    if not records:
        return " ".join(["v=spf1", *terms, default_all])
    if len(records) == 1:
        kept = salvage_tokens(records[0])
    else:
        body: list[str] = []
        ending: list[str] = []
        for record in sorted(records):  # DNS answers come in any order: merge them the same way each time
            for token in salvage_tokens(record):
                term = parse_term(token)
                if term.name in ("all", "redirect", "exp"):
                    ending.append(token)
                elif token.lower() not in {seen.lower() for seen in body}:
                    body.append(token)
        kept = body + _one_ending(ending, default_all)
    wanted = {term.lower() for term in terms}
    kept = [token for token in kept if token.lower().lstrip("+") not in wanted]
    return " ".join(["v=spf1", *terms, *kept])


def _one_ending(tokens: list[str], default_all: str) -> list[str]:
    """Of several merged records' endings: the strictest `all` (the merged record lists every sender of
    each), else the first `redirect=`; one `exp=` at most."""
    parsed = [(token, parse_term(token)) for token in tokens]
    strictness = {"-": 0, "~": 1, "?": 2, "+": 3}
    alls = sorted(
        (token for token, term in parsed if isinstance(term, Mechanism) and term.name == "all"),
        key=lambda token: strictness.get(token[0], 3),
    )
    redirects = [token for token, term in parsed if term.name == "redirect"]
    exps = [token for token, term in parsed if term.name == "exp"]
    ending = alls[:1] or redirects[:1] or [default_all]
    return ending + exps[:1]
