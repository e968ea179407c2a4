"""What clients type, checked without Discord: every bad value gets a line that says how
to fix it, and whatever passes fits the schemas' bounded types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter

from monstercoach_bot.validation import (
    FormError,
    parse_checkin,
    parse_energy,
    parse_grams,
    parse_kcal,
    parse_meal,
    parse_message,
    parse_notes,
    parse_sleep,
    parse_weight,
    photo_url,
    resolve_time_zone,
    zone_choices,
)
from monstercoach_schemas.domain import WeightUnit
from monstercoach_schemas.types import TimeZoneName, WeightKg


class TestWeight:
    @pytest.mark.parametrize(
        ("typed", "unit", "kg"),
        [
            ("82.5", WeightUnit.KG, 82.5),
            ("82,5", WeightUnit.KG, 82.5),
            (" 82.5 kg ", WeightUnit.KG, 82.5),
            ("181", WeightUnit.LB, 82.1),
            ("181 lb", WeightUnit.KG, 82.1),  # a typed unit wins over the picked one
            ("181lbs", WeightUnit.KG, 82.1),
            ("82 kg", WeightUnit.LB, 82.0),
            ("", WeightUnit.KG, None),
        ],
    )
    def test_kg_and_lb_become_kg_with_one_decimal(
        self, typed: str, unit: WeightUnit, kg: float | None
    ) -> None:
        assert parse_weight(typed, unit) == kg

    @pytest.mark.parametrize(
        ("typed", "unit", "says"),
        [
            ("abc", WeightUnit.KG, 'couldn\'t read "abc" as a number'),
            ("500", WeightUnit.KG, "between 20 and 400 kg"),
            ("-5", WeightUnit.KG, "between 20 and 400 kg"),
            ("1000", WeightUnit.LB, "between 45 and 881 lb"),
            ("40 lb", WeightUnit.KG, "between 45 and 881 lb"),
            ("82 stone", WeightUnit.KG, "use kg or lb"),
        ],
    )
    def test_nonsense_and_out_of_range_are_explained(
        self, typed: str, unit: WeightUnit, says: str
    ) -> None:
        with pytest.raises(ValueError, match=r"^Weight:") as caught:
            parse_weight(typed, unit)
        assert says in str(caught.value)

    def test_the_lb_bounds_convert_inside_the_kg_bounds(self) -> None:
        adapter: TypeAdapter[float] = TypeAdapter(WeightKg)
        for pounds in ("45", "881"):
            kg = parse_weight(pounds, WeightUnit.LB)
            assert kg is not None
            adapter.validate_python(kg)


class TestOtherCheckinFields:
    @pytest.mark.parametrize(
        ("typed", "hours"), [("7.5", 7.5), ("7,5", 7.5), ("7h", 7.0), ("7:30", 7.5), ("7h30", 7.5)]
    )
    def test_sleep_in_the_ways_people_write_it(self, typed: str, hours: float) -> None:
        assert parse_sleep(typed) == hours

    @pytest.mark.parametrize("typed", ["25", "-1", "7:75", "lots"])
    def test_impossible_sleep_is_refused(self, typed: str) -> None:
        with pytest.raises(ValueError, match=r"^Sleep:"):
            parse_sleep(typed)

    @pytest.mark.parametrize(("typed", "energy"), [("7", 7), ("7/10", 7), ("10", 10), ("", None)])
    def test_energy(self, typed: str, energy: int | None) -> None:
        assert parse_energy(typed) == energy

    @pytest.mark.parametrize("typed", ["11", "0", "7.5", "ten"])
    def test_energy_is_a_whole_number_from_1_to_10(self, typed: str) -> None:
        with pytest.raises(ValueError, match=r"^Energy:.*1 to 10"):
            parse_energy(typed)

    def test_notes_over_the_limit_say_how_long_they_are(self) -> None:
        assert parse_notes("x" * 2000) == "x" * 2000
        with pytest.raises(ValueError, match="5,000 characters; the limit is 2,000"):
            parse_notes("x" * 5000)


class TestCheckinForm:
    def test_every_wrong_field_is_listed_at_once(self) -> None:
        with pytest.raises(FormError) as caught:
            parse_checkin("abc", "kg", "7", "11", "x" * 5000)
        message = caught.value.message("tap Check in to try again.")
        assert [p.split(":")[0] for p in caught.value.problems] == ["Weight", "Energy", "Notes"]
        assert message.startswith("I couldn't save that:")
        assert message.endswith("Nothing was saved — tap Check in to try again.")

    def test_a_complete_form(self) -> None:
        form = parse_checkin("181", "lb", "7:30", "8", "  felt strong  ")
        assert (form.weight_kg, form.sleep_hours, form.energy, form.notes) == (
            82.1,
            7.5,
            8,
            "felt strong",
        )

    def test_an_empty_form_is_refused(self) -> None:
        with pytest.raises(FormError, match="empty"):
            parse_checkin("", "kg", "", "", "   ")

    def test_notes_alone_are_a_check_in(self) -> None:
        assert parse_checkin("", "", "", "", "sick today").notes == "sick today"

    def test_an_unknown_unit_is_refused(self) -> None:
        with pytest.raises(FormError, match="Unit"):
            parse_checkin("80", "stone", "", "", "")


class TestMeal:
    @pytest.mark.parametrize(
        ("typed", "kcal"), [("650", 650), ("1,200", 1200), ("1,200 kcal", 1200), ("", None)]
    )
    def test_kcal(self, typed: str, kcal: int | None) -> None:
        assert parse_kcal(typed) == kcal

    @pytest.mark.parametrize(
        ("typed", "says"),
        [
            ("-5", "can't be negative"),
            ("650.5", "whole number"),
            ("25000", "more than 20,000"),
            ("lots", "couldn't read"),
        ],
    )
    def test_bad_kcal(self, typed: str, says: str) -> None:
        with pytest.raises(ValueError, match=rf"^Calories:.*{says}"):
            parse_kcal(typed)

    def test_grams_name_their_macro(self) -> None:
        assert parse_grams("40 g", "Protein") == 40
        with pytest.raises(ValueError, match=r"^Fat: can't be negative"):
            parse_grams("-3", "Fat")

    def test_the_form_needs_a_description_and_lists_every_problem(self) -> None:
        with pytest.raises(FormError) as caught:
            parse_meal("  ", "-5", "40", "abc", "")
        assert [p.split(":")[0] for p in caught.value.problems] == [
            "What you ate",
            "Calories",
            "Carbs",
        ]

    def test_a_description_over_200_characters_is_refused(self) -> None:
        with pytest.raises(FormError, match="keep it under 200"):
            parse_meal("rice " * 60, "", "", "", "")

    def test_a_photo_must_be_an_image(self) -> None:
        url = "https://cdn.discordapp.com/ephemeral-attachments/1/2/lunch.jpg?ex=0"
        assert photo_url(url, "image/jpeg") == url
        with pytest.raises(ValueError, match="isn't a photo"):
            photo_url("https://cdn.discordapp.com/x/notes.pdf", "application/pdf")


class TestTimeZones:
    @pytest.mark.parametrize(
        ("typed", "zone"),
        [
            ("Europe/Berlin", "Europe/Berlin"),
            ("europe/berlin", "Europe/Berlin"),
            ("America/New York", "America/New_York"),
            ("berlin", "Europe/Berlin"),
            ("UTC", "UTC"),
        ],
    )
    def test_names_people_type(self, typed: str, zone: str) -> None:
        assert resolve_time_zone(typed) == zone
        TypeAdapter(TimeZoneName).validate_python(zone)

    def test_a_zone_that_does_not_exist_suggests_close_ones(self) -> None:
        with pytest.raises(ValueError, match="Did you mean Europe/Berlin"):
            resolve_time_zone("Europe/Berln")
        with pytest.raises(ValueError, match='I don\'t know "Mars/Olympus"'):
            resolve_time_zone("Mars/Olympus")
        with pytest.raises(ValueError, match=r"not a place|I don't know"):
            resolve_time_zone("localtime")

    def test_choices_put_the_city_first_and_show_the_offset(self) -> None:
        winter = datetime(2026, 1, 15, tzinfo=UTC)
        choices = zone_choices("new y", winter)
        assert choices[0] == ("America/New York (UTC-05:00)", "America/New_York")
        summer = zone_choices("berlin", datetime(2026, 7, 1, tzinfo=UTC))
        assert summer == [("Europe/Berlin (UTC+02:00)", "Europe/Berlin")]

    def test_choices_never_exceed_discords_25(self) -> None:
        assert len(zone_choices("a")) == 25
        assert 0 < len(zone_choices("")) <= 25
        assert zone_choices("zzzz") == []


def test_a_coach_message_must_fit() -> None:
    assert parse_message("  see you Monday  ", 100) == "see you Monday"
    with pytest.raises(FormError, match="empty"):
        parse_message("   ")
    with pytest.raises(FormError, match="2,001 characters; the limit is 2,000"):
        parse_message("x" * 2001)
