"""Profiles: numbers stored as E.164, shown the municipality's way; unknowns stay visible."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios import Phone, ProfileInvalid, load_profile, load_profiles

CONTENT = Path(__file__).resolve().parents[3] / "content"


@pytest.fixture(scope="module")
def profiles() -> dict[str, object]:
    return dict(load_profiles(CONTENT / "profiles"))


def test_vestby_numbers_are_shown_in_vestbys_style() -> None:
    vestby = load_profile(CONTENT / "profiles" / "vestby.yaml")
    text = (
        "{barnevern.telefon} ({barnevern.åpningstid}); "
        "{barnevernvakt.telefon} ({barnevernvakt.åpningstid}); "
        "{politi.lokaltelefon} / {politi.telefon}"
    )
    assert vestby.fill(text) == (
        "64 98 02 12 (08.00–15.00); 917 19 615 (etter kl. 15.00); 64 85 16 00 / 02800"
    )
    phone = vestby.lookup("barnevernvakt.telefon")
    assert phone == Phone("+4791719615", "mobil", "917 19 615")


def test_nittedal_has_no_numbers_so_placeholders_stay() -> None:
    nittedal = load_profile(CONTENT / "profiles" / "nittedal.yaml")
    assert nittedal.fill("Ring {barnevern.telefon} eller {politi.nødtelefon}.") == (
        "Ring {barnevern.telefon} eller 112."
    )
    assert nittedal.fill("{modell.navn} i {logg.navn}") == "BTI-modellen i Visma Flyt Samspill"


def test_national_default_keeps_unknown_numbers_visible() -> None:
    national = load_profile(CONTENT / "profiles" / "nasjonal.yaml")
    assert national.fill("{modell.navn}: {barnevernvakt.telefon}, {politi.telefon}") == (
        "BTI: {barnevernvakt.telefon}, 02800"
    )


def test_all_profiles_load(profiles: dict[str, object]) -> None:
    assert {"nasjonal", "vestby", "nittedal"} <= set(profiles)


def test_display_style_groups_digits() -> None:
    vestby = load_profile(CONTENT / "profiles" / "vestby.yaml")
    assert vestby.display_phone("+4745738963") == "457 38 963"
    assert vestby.display_phone("+4764980212") == "64 98 02 12"
    assert vestby.display_phone("112") == "112"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unquoted_or_invalid_numbers_are_errors_with_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "gran",
        "id: gran\nnavn: Gran kommune\nverdier:\n  barnevern:\n    telefon: 4763565\n"
        "  politi:\n    telefon: '+47123'\n",
    )
    with pytest.raises(ProfileInvalid) as info:
        load_profile(path)
    assert [(d.line, d.message) for d in info.value.diagnostics] == [
        (5, "telefonnummeret «4763565» må stå i anførselstegn"),
        (7, "telefonnummeret «+47123» er ikke gyldig E.164"),
    ]


def test_profile_id_must_match_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "gran", "id: vestby\nnavn: Gran kommune\n")
    with pytest.raises(ProfileInvalid, match="filnavnet"):
        load_profile(path)


def test_ungrouped_style(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "nesbyen",
        "id: nesbyen\nnavn: Nesbyen kommune\ntelefonformat:\n  mobil: '8'\n"
        "verdier:\n  barnevern:\n    telefon: '+4745738963'\n",
    )
    assert load_profile(path).fill("{barnevern.telefon}") == "45738963"
