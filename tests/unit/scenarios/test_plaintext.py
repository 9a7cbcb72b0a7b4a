"""Markdown as plain text for the terminal (`stegvis play`)."""

from __future__ import annotations

from types import MappingProxyType

from scenarios import Phone, Profile
from scenarios.plaintext import fill_text, markdown_to_text

PROFILE = Profile(
    id="test",
    name="Testby kommune",
    values=MappingProxyType({
        "politi": MappingProxyType({"nødtelefon": Phone("112", "kort", "112")}),
        "modell": MappingProxyType({"navn": "*BTI* [x](javascript:alert(1))"}),
    }),
)


def test_markup_goes_and_text_stays() -> None:
    text = markdown_to_text("Det er **torsdag** og *sent*. Se [loven](https://lovdata.no).")
    assert text == "Det er torsdag og sent. Se loven (https://lovdata.no)."


def test_paragraphs_wrap_and_lists_get_bullets_and_numbers() -> None:
    source = "Første avsnitt er ganske langt og må brytes.\n\n- en\n- to\n\n1. a\n2. b\n\nSlutt."
    text = markdown_to_text(source, width=20)
    assert text.split("\n\n") == [
        "Første avsnitt er\nganske langt og må\nbrytes.",
        "• en\n• to",
        "1. a\n2. b",
        "Slutt.",
    ]


def test_placeholders_are_filled_and_values_stay_literal() -> None:
    text = markdown_to_text("Ring {politi.nødtelefon}. Modell: {modell.navn}. {ukjent.verdi}",
                            PROFILE)
    assert text == "Ring 112. Modell: *BTI* [x](javascript:alert(1)). {ukjent.verdi}"


def test_control_characters_cannot_reach_the_terminal() -> None:
    assert "\x1b" not in markdown_to_text("Hei \x1b[31mrød\x1b[0m")
    assert fill_text("Valg \x1b[2J{politi.nødtelefon}", PROFILE) == "Valg [2J112"
