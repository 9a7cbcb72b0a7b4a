"""Municipality profiles: each municipality's own words, numbers and opening hours.

A case says `{barnevern.telefon}` or `{modell.navn}`; the launch's profile fills it in.
Numbers are stored as E.164 (`+4764980212`) or, for short codes such as 112 and 02800, as
the digits themselves, and shown in the municipality's own style ("917 19 615"). A number
the profile does not know stays a visible placeholder: a made-up number in a case about an
emergency is worse than an obvious gap (domain.md §4, "Unknown numbers").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal, TypeAlias

import phonenumbers

from scenarios.diagnostics import Diagnostic, ProfileInvalid, load_each, suggest
from scenarios.model import ID_RE
from scenarios.yamlsource import PositionedDict, load_yaml, position

#: `{barnevern.telefon}`, `{modell.navn}`, `{kommune}`; never `{#node-id}`.
PLACEHOLDER_RE = re.compile(r"\{([a-zæøå][a-zæøå0-9_-]*(?:\.[a-zæøå0-9_-]+)*)\}")
_SHORT_CODE_RE = re.compile(r"^[0-9]{3,6}$")
_GROUPS_RE = re.compile(r"^[1-9]( [1-9])*$")
_TOP_KEYS = ("id", "navn", "kilde", "telefonformat", "verdier")

PhoneKind = Literal["fast", "mobil", "kort"]


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone number as stored (E.164 or short code) and as the municipality writes it."""

    number: str
    kind: PhoneKind
    display: str

    def __str__(self) -> str:
        """Show the number the municipality's way."""
        return self.display


ProfileValue: TypeAlias = "str | int | bool | Phone | Mapping[str, ProfileValue] | None"


@dataclass(frozen=True, slots=True)
class PhoneStyle:
    """Digit groups for landline and mobile numbers, e.g. (2, 2, 2, 2) and (3, 2, 3)."""

    landline: tuple[int, ...] = (2, 2, 2, 2)
    mobile: tuple[int, ...] = (2, 2, 2, 2)

    def format(self, number: str) -> tuple[PhoneKind, str]:
        """Return (kind, display) for an E.164 number or a short code."""
        if _SHORT_CODE_RE.match(number):
            return "kort", number
        parsed = phonenumbers.parse(number, None)
        digits = phonenumbers.national_significant_number(parsed)
        is_mobile = phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE
        groups = self.mobile if is_mobile else self.landline
        kind: PhoneKind = "mobil" if is_mobile else "fast"
        if parsed.country_code != 47 or sum(groups) != len(digits):
            # Foreign or odd-length numbers: the library's own national style is safest.
            return kind, phonenumbers.format_number(
                parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
        parts, at = [], 0
        for size in groups:
            parts.append(digits[at : at + size])
            at += size
        return kind, " ".join(parts)


@dataclass(frozen=True, slots=True)
class Profile:
    """One municipality's wording and numbers."""

    id: str
    name: str
    values: Mapping[str, ProfileValue]
    phone_style: PhoneStyle = field(default_factory=PhoneStyle)
    source: str = ""

    def lookup(self, key: str) -> ProfileValue:
        """Return the value at a dotted key (`barnevern.telefon`), or None if unknown."""
        value: ProfileValue = self.values
        for part in key.split("."):
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value

    def display_phone(self, number: str) -> str:
        """Show an E.164 number or short code in this municipality's style."""
        return self.phone_style.format(number)[1]

    def fill(self, text: str, escape: Callable[[str], str] | None = None) -> str:
        """Replace known placeholders; leave unknown ones visible exactly as written.

        `escape` is applied to each filled value (render.py uses it so a value can never
        become markup); the rest of the text is left alone.
        """

        def replace(match: re.Match[str]) -> str:
            shown = _as_text(self.lookup(match[1]))
            if shown is None:
                return match[0]
            return escape(shown) if escape else shown

        return PLACEHOLDER_RE.sub(replace, text)


def _as_text(value: ProfileValue) -> str | None:
    if value is None or isinstance(value, Mapping):
        return None
    if isinstance(value, bool):
        return "ja" if value else "nei"
    return str(value)


def placeholders(text: str) -> list[str]:
    """List the placeholder keys used in a text, in order."""
    return PLACEHOLDER_RE.findall(text)


def _is_phone_key(key: str) -> bool:
    return key.lower().endswith("telefon")


def load_profile(path: Path) -> Profile:
    """Read one profile YAML file; raise ProfileInvalid listing every problem."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileInvalid(
            [Diagnostic(where, 1, 1, "error", f"kan ikke lese filen: {exc}")]
        ) from exc
    data, problems = load_yaml(text, where)
    if problems:
        raise ProfileInvalid(problems)
    found: list[Diagnostic] = []

    def error(at: tuple[int, int], message: str, hint: str = "") -> None:
        found.append(Diagnostic(where, at[0], at[1], "error", message, hint))

    if not isinstance(data, PositionedDict):
        raise ProfileInvalid([Diagnostic(where, 1, 1, "error", "profilen må være «nøkkel: verdi»")])
    for key in data:
        if key not in _TOP_KEYS:
            error(position(data, key), f"ukjent felt «{key}» i profilen", suggest(key, _TOP_KEYS))
    profile_id = data.get("id")
    if not isinstance(profile_id, str) or not ID_RE.match(profile_id):
        error(position(data, "id"), "profilen mangler gyldig «id»", f"bruk «id: {path.stem}»")
    elif profile_id != path.stem:
        error(position(data, "id"), f"id «{profile_id}» må være lik filnavnet «{path.stem}»")
    name = data.get("navn")
    if not isinstance(name, str) or not name.strip():
        error(position(data, "navn"), "profilen mangler «navn»", "f.eks. «navn: Vestby kommune»")
    source = data.get("kilde", "")
    style = _read_style(data.get("telefonformat"), position(data, "telefonformat"), error)
    raw_values = data.get("verdier", {})
    values: Mapping[str, ProfileValue] = MappingProxyType({})
    if not isinstance(raw_values, PositionedDict):
        error(position(data, "verdier"), "«verdier» må være en samling «nøkkel: verdi»")
    else:
        values = _read_values(raw_values, style, error)
    if found:
        raise ProfileInvalid(found)
    return Profile(
        id=str(profile_id),
        name=str(name).strip(),
        values=values,
        phone_style=style,
        source=str(source or ""),
    )


def _read_style(
    raw: object, at: tuple[int, int], error: Callable[[tuple[int, int], str, str], None]
) -> PhoneStyle:
    if raw is None:
        return PhoneStyle()
    if not isinstance(raw, PositionedDict):
        error(at, "«telefonformat» må ha «fast:» og/eller «mobil:»", "f.eks. «mobil: 3 2 3»")
        return PhoneStyle()
    groups: dict[str, tuple[int, ...]] = {}
    for key in ("fast", "mobil"):
        value = raw.get(key, "2 2 2 2")
        text = str(value).strip()
        if not _GROUPS_RE.match(text) or sum(int(g) for g in text.split()) != 8:
            error(
                position(raw, key),
                f"ugyldig telefonformat «{value}»",
                "skriv sifre per gruppe som til sammen blir 8, f.eks. «2 2 2 2», «3 2 3» eller «8»",
            )
            text = "2 2 2 2"
        groups[key] = tuple(int(g) for g in text.split())
    for key in raw:
        if key not in ("fast", "mobil"):
            error(position(raw, key), f"ukjent felt «{key}» i telefonformat", "bruk fast og mobil")
    return PhoneStyle(landline=groups["fast"], mobile=groups["mobil"])


def _read_values(
    raw: PositionedDict,
    style: PhoneStyle,
    error: Callable[[tuple[int, int], str, str], None],
) -> Mapping[str, ProfileValue]:
    result: dict[str, ProfileValue] = {}
    for key, value in raw.items():
        at = position(raw, key)
        if isinstance(value, PositionedDict):
            result[key] = _read_values(value, style, error)
        elif _is_phone_key(key):
            result[key] = _read_phone(value, style, at, error)
        elif value is None or isinstance(value, str | int | bool):
            result[key] = value
        else:
            error(at, f"verdien for «{key}» må være tekst, tall eller en ny samling", "")
    return MappingProxyType(result)


def _read_phone(
    value: object,
    style: PhoneStyle,
    at: tuple[int, int],
    error: Callable[[tuple[int, int], str, str], None],
) -> Phone | None:
    hint = (
        'skriv nummeret med landskode i anførselstegn, f.eks. "+4764980212", '
        'eller kortnummer som "112"'
    )
    if value is None:
        return None  # unknown: the placeholder stays visible
    if not isinstance(value, str):
        error(at, f"telefonnummeret «{value}» må stå i anførselstegn", hint)
        return None
    number = value.strip()
    if _SHORT_CODE_RE.match(number):
        kind, shown = style.format(number)
        return Phone(number, kind, shown)
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        error(at, f"ugyldig telefonnummer «{value}»", hint)
        return None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not number.startswith("+") or e164 != number or not phonenumbers.is_valid_number(parsed):
        error(at, f"telefonnummeret «{value}» er ikke gyldig E.164", hint)
        return None
    kind, shown = style.format(number)
    return Phone(number, kind, shown)


def load_profiles(directory: Path) -> dict[str, Profile]:
    """Read every `*.yaml` profile in a directory; raise ProfileInvalid listing all problems."""
    loaded, found = load_each(directory, "*.yaml", load_profile)
    if found:
        raise ProfileInvalid(found)
    return {profile.id: profile for profile in loaded}
