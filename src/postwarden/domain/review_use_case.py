"""Reading a production access request's use case description: which of SES's four questions it
answers, and what sending volume or rate it states.

Both are transparent heuristics, not judgement: a question counts as answered when the text contains one
of its phrases (for the bounce-and-complaint question, one about bounces and one about complaints), and
the phrases found are shown to the sender and the operator as evidence. English and Japanese phrases are
recognised (SES's contact languages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EN = re.IGNORECASE


@dataclass(frozen=True, slots=True)
class PhraseGroup:
    """One thing an answer must mention (e.g. "complaints"), as the phrases that mention it."""

    topic: str
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    label: str
    text: str
    """SES's wording of the question (Developer Guide, request-production-access)."""
    hint: str
    """What an answer usually says; shown in the fix when the question is unanswered."""
    groups: tuple[PhraseGroup, ...]


def _group(topic: str, english: tuple[str, ...], japanese: tuple[str, ...]) -> PhraseGroup:
    patterns = tuple(re.compile(p, _EN) for p in english) + tuple(re.compile(p) for p in japanese)
    return PhraseGroup(topic, patterns)


_PERIOD_SECONDS = {
    "second": 1,
    "sec": 1,
    "s": 1,
    "minute": 60,
    "min": 60,
    "hour": 3600,
    "hr": 3600,
    "day": 86_400,
    "week": 7 * 86_400,
    "month": 30 * 86_400,
    "year": 365 * 86_400,
}
_ADVERB_PERIOD = {
    "hourly": "hour",
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "yearly": "year",
    "annually": "year",
}
_SCALE = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000, "mil": 1_000_000}
_RATE_PERIODS = frozenset({"second", "sec", "s", "minute", "min", "hour", "hr"})

_VOLUME = re.compile(
    r"(?<![\w.,])"
    r"(?P<number>\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+(?![\d.])"
    r"|\d{1,3}(?:[ \u00a0]\d{3})+(?!\d)|\d+(?:\.\d+)?)"
    r"(?:\s*(?P<scale>k|thousand|million|mil|m)\b)?"
    r"(?!\s*(?:%|percent\b|times\b|(?:second|sec|minute|min|hour|hr|day|week|month|year)s?\b))"
    r"[^\n.;:\d]{0,40}?"
    r"(?:(?:\b(?:per|a|an|each|every)\s+|\s*/\s*)(?P<period>second|sec|s|minute|min|hour|hr|day|week|month|year)s?\b"
    r"|\b(?P<adverb>hourly|daily|weekly|monthly|yearly|annually)\b)",
    re.IGNORECASE,
)


_SUPPRESSION_LIST = r"\bsuppression[- ]lists?\b"

QUESTIONS: tuple[Question, ...] = (
    Question(
        "list-building",
        "list building and opt-in",
        "How do you plan to build or acquire your mailing list?",
        "say how addresses reach your list and how people consent, e.g. sign-up form with double opt-in, "
        "addresses of registered customers only, no purchased or rented lists",
        (
            _group(
                "list building and opt-in",
                (
                    r"\b(?:double|confirmed|explicit)?[- ]?opt(?:s|ed)?[- ]?in\b",
                    r"\bsign(?:s|ed|ing)?[- ]?ups?\b",
                    r"\bsubscri(?:be|bes|bed|ber|bers|bing|ption|ptions)\b",
                    r"\bregist(?:er|ers|ered|ering|ration|rations)\b",
                    r"\bconsent(?:s|ed)?\b",
                    r"\bexplicitly (?:request|ask|agree)(?:s|ed)?\b",
                    r"\bcreat(?:e|es|ed|ing) (?:an |their )?accounts?\b",
                    r"\b(?:never|not|don't|do not) (?:buy|purchase|rent)\b",
                ),
                ("オプトイン", "会員登録", "登録", "同意", "申し込み", "申込"),
            ),
        ),
    ),
    Question(
        "bounces-and-complaints",
        "bounces and complaints",
        "How do you plan to handle bounces and complaints?",
        "say what happens to an address that bounces and to one that complains, e.g. bounce and complaint "
        "notifications to a webhook that removes the address, and the account suppression list",
        (
            _group(
                "bounces",
                (
                    r"\bbounc(?:e|es|ed|ing)\b",
                    r"\bundeliverable\b",
                    r"\binvalid (?:e-?mail )?addresses\b",
                    _SUPPRESSION_LIST,
                ),
                ("バウンス", "不達", "配信エラー", "サプレッション"),
            ),
            _group(
                "complaints",
                (
                    r"\bcomplain(?:t|ts|ed|s|ing)?\b",
                    r"\bfeedback loops?\b",
                    r"\b(?:mark|marks|marked|report|reports|reported) "
                    r"(?:it |them |us |the (?:e-?mail|message) )?as spam\b",
                    r"\bspam (?:reports?|complaints?)\b",
                    _SUPPRESSION_LIST,
                ),
                ("苦情", "迷惑メール", "サプレッション"),
            ),
        ),
    ),
    Question(
        "opt-out",
        "opting out",
        "How can recipients opt out of receiving email from you?",
        "say how a recipient stops the mail, e.g. an unsubscribe link in every message, List-Unsubscribe "
        "with one-click (RFC 8058), an email preferences page",
        (
            _group(
                "opting out",
                (
                    r"\bunsubscrib(?:e|es|ed|ing)\b",
                    r"\bopt(?:s|ed|ing)?[- ]?out\b",
                    r"\bone[- ]click\b",
                    r"\bpreference (?:center|centre|page)s?\b",
                    r"\b(?:e-?mail|notification|communication) (?:preferences|settings)\b",
                    r"\bstop (?:receiving|getting)\b",
                ),
                ("配信停止", "購読解除", "オプトアウト", "退会", "配信解除"),
            ),
        ),
    ),
    Question(
        "volume",
        "sending volume",
        "How did you choose the sending rate or sending quota that you specified in this request?",
        "state your volume and where it comes from, e.g. about 20,000 emails per day for 15,000 active "
        "users, peaks of 10 per second after a release",
        (
            _group(
                "sending volume",
                (
                    _VOLUME.pattern,
                    r"\bper (?:second|minute|hour|day|week|month|year)\b",
                    r"\ba (?:day|week|month)\b",
                    r"\bquotas?\b",
                    r"\bsending rate\b",
                    r"\bvolumes?\b",
                    r"\bpeaks?\b",
                ),
                ("1日", "一日", "毎日", "月間", "通数", "送信数", "送信量"),
            ),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Answer:
    question: Question
    matched: tuple[str, ...]
    """The phrases found, as written in the description (in text order, each once whatever its case)."""
    missing_topics: tuple[str, ...]
    """Topics of the question no phrase mentions; empty when the question is answered."""

    @property
    def answered(self) -> bool:
        return not self.missing_topics


def answer_questions(description: str) -> tuple[Answer, ...]:
    """For each of SES's four questions, the phrases of `description` that answer it."""
    answers = []
    for question in QUESTIONS:
        found: list[tuple[int, str]] = []
        missing: list[str] = []
        for group in question.groups:
            matches = [
                (m.start(), m.group(0).strip()) for p in group.patterns for m in p.finditer(description)
            ]
            if not matches:
                missing.append(group.topic)
            found.extend(matches)
        phrases: dict[str, str] = {}
        for _, phrase in sorted(found):
            phrases.setdefault(phrase.lower(), phrase)
        answers.append(Answer(question, tuple(phrases.values()), tuple(missing)))
    return tuple(answers)


def is_mostly_cjk(text: str) -> bool:
    """More than half the visible characters are Japanese/Chinese (where one character says more)."""
    visible = [c for c in text if not c.isspace()]
    cjk = sum(1 for c in visible if _is_cjk(c))
    return bool(visible) and cjk * 2 > len(visible)


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xFF66 <= code <= 0xFF9F  # half-width katakana
    )


@dataclass(frozen=True, slots=True)
class StatedAmount:
    """A number of messages per period found in the description, e.g. "about 20,000 emails per day"."""

    phrase: str
    amount: float
    period: str
    """second, minute, hour, day, week, month or year."""

    @property
    def period_seconds(self) -> int:
        return _PERIOD_SECONDS[self.period]

    @property
    def is_rate(self) -> bool:
        """Per second, minute or hour: a peak sending rate rather than a daily volume."""
        return self.period in _RATE_PERIODS

    @property
    def per_day(self) -> float:
        return self.amount * 86_400 / self.period_seconds

    @property
    def per_second(self) -> float:
        return self.amount / self.period_seconds


def stated_amounts(description: str) -> tuple[StatedAmount, ...]:
    """Every "<number> [k|thousand|million] … per <period>" (or "… daily") in the description, in order."""
    found = []
    for match in _VOLUME.finditer(description):
        period = (match.group("period") or _ADVERB_PERIOD[match.group("adverb").lower()]).lower()
        period = {"sec": "second", "s": "second", "min": "minute", "hr": "hour"}.get(period, period)
        scale = _SCALE[match.group("scale").lower()] if match.group("scale") else 1
        found.append(StatedAmount(match.group(0).strip(), _number(match.group("number")) * scale, period))
    return tuple(found)


def _number(text: str) -> float:
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", text):
        return float(text.replace(".", ""))  # 20.000: a thousands separator, as in much of Europe
    return float(re.sub(r"[, \u00a0]", "", text))


def largest_daily_volume(description: str) -> StatedAmount | None:
    """The largest volume stated per day, week, month or year (a quota must cover the busiest day)."""
    volumes = [a for a in stated_amounts(description) if not a.is_rate]
    return max(volumes, key=lambda a: a.per_day, default=None)


def largest_rate(description: str) -> StatedAmount | None:
    """The largest rate stated per second, minute or hour."""
    rates = [a for a in stated_amounts(description) if a.is_rate]
    return max(rates, key=lambda a: a.per_second, default=None)
