"""Card numbers: the Luhn check digit, each scheme's format, and what a mistyped number is told."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from skillcard.domain.card_numbers import (
    CardNumberFormat,
    luhn_check_digit,
    normalise_card_number,
)
from skillcard.errors import InvalidCardNumber, InvalidInput

ECS = CardNumberFormat("ECS", 8)

# No example database, so nothing is written into the working tree.
FAST = settings(database=None, max_examples=100, deadline=None)


def luhn_valid(number: str) -> bool:
    """An independent Luhn test (the textbook form), to check the module against."""
    digits = [int(c) for c in number]
    undoubled = digits[-1::-2]
    doubled = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]
    return (sum(undoubled) + sum(doubled)) % 10 == 0


formats = st.builds(
    CardNumberFormat,
    prefix=st.from_regex(r"[A-Z]{2,6}", fullmatch=True),
    digits=st.integers(min_value=4, max_value=12),
)


@st.composite
def numbers(draw):
    """A format and a number it issued."""
    fmt = draw(formats)
    serial = draw(st.integers(min_value=1, max_value=fmt.capacity))
    return fmt, fmt.number_for(serial)


# --- the check digit ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "digit"),
    [
        ("7992739871", 3),  # the worked example in most descriptions of Luhn
        ("411111111111111", 1),  # Visa test card 4111 1111 1111 1111
        ("555555555555444", 4),  # Mastercard test card 5555 5555 5555 4444
        ("37828224631000", 5),  # American Express test card 3782 822463 10005
        ("401288888888188", 1),  # Visa test card 4012 8888 8888 1881
        ("1", 8),
        ("0000000", 0),
        ("", 0),
    ],
)
def test_check_digit_matches_published_examples(payload, digit):
    assert luhn_check_digit(payload) == digit


@settings(FAST)
@given(st.text(alphabet="0123456789", max_size=20))
def test_exactly_one_check_digit_completes_any_payload(payload):
    check = luhn_check_digit(payload)
    assert [d for d in range(10) if luhn_valid(f"{payload}{d}")] == [check]


# --- issuing and parsing --------------------------------------------------------------------


def test_number_for_pads_the_serial_and_appends_the_check_digit():
    assert ECS.number_for(1) == "ECS00000018"
    assert ECS.number_for(ECS.capacity) == "ECS99999997"
    assert CardNumberFormat("JIBPM", 4).number_for(7) == "JIBPM0075"


def test_capacity_is_every_serial_that_fits_before_the_check_digit():
    assert ECS.capacity == 9_999_999
    assert CardNumberFormat("AB", 4).capacity == 999


@settings(FAST)
@given(numbers())
def test_every_issued_number_parses_to_itself(case):
    fmt, number = case
    assert fmt.parse(number) == number
    assert fmt.matches(number)
    assert len(number) == len(fmt.prefix) + fmt.digits
    assert luhn_valid(number[len(fmt.prefix) :])


@settings(FAST)
@given(formats, st.data())
def test_number_for_and_parse_round_trip_the_serial(fmt, data):
    serial = data.draw(st.integers(min_value=1, max_value=fmt.capacity))
    parsed = fmt.parse(fmt.number_for(serial))
    assert int(parsed[len(fmt.prefix) : -1]) == serial


@settings(FAST)
@given(formats)
def test_every_format_gives_an_example_that_parses(fmt):
    assert fmt.parse(fmt.example) == fmt.example


@pytest.mark.parametrize("serial", [0, -1, ECS.capacity + 1, 10**9])
def test_a_serial_outside_the_format_is_refused(serial):
    with pytest.raises(InvalidCardNumber, match=r"outside 1\.\.9999999 for ECS"):
        ECS.number_for(serial)


# --- mistakes the check digit catches -------------------------------------------------------


@settings(FAST)
@given(numbers(), st.data())
def test_any_single_digit_change_is_refused(case, data):
    fmt, number = case
    start = len(fmt.prefix)
    position = data.draw(st.integers(min_value=start, max_value=len(number) - 1))
    digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != number[position]))
    typo = number[:position] + digit + number[position + 1 :]
    with pytest.raises(InvalidCardNumber, match="check digit"):
        fmt.parse(typo)


@settings(FAST)
@given(numbers(), st.data())
def test_swapping_two_different_neighbouring_digits_is_refused(case, data):
    fmt, number = case
    start = len(fmt.prefix)
    i = data.draw(st.integers(min_value=start, max_value=len(number) - 2))
    a, b = number[i], number[i + 1]
    assume(a != b and {a, b} != {"0", "9"})
    swapped = number[:i] + b + a + number[i + 2 :]
    with pytest.raises(InvalidCardNumber, match="check digit"):
        fmt.parse(swapped)


def test_swapping_0_and_9_is_the_one_neighbour_swap_luhn_cannot_see():
    # Why the property above leaves 09/90 out: both weigh 9 whichever of them is doubled.
    assert ECS.parse("ECS00000091") == "ECS00000091"
    assert ECS.parse("ECS00000901") == "ECS00000901"


# --- what people type -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "ECS00000018",
        "ecs00000018",
        " ECS 0000 0018 ",
        "ECS-0000-0018",
        "ecs.0000.0018",
        "ECS/0000/0018",
        "ECS\t0000\n0018",
        "Ecs 00-00.00 18",
    ],
)
def test_spaces_dashes_dots_slashes_and_case_are_ignored(typed):
    assert normalise_card_number(typed) == "ECS00000018"
    assert ECS.parse(typed) == "ECS00000018"


def test_normalising_nothing_gives_an_empty_number():
    assert normalise_card_number("") == ""


@settings(FAST)
@given(numbers(), st.data())
def test_separators_and_lower_case_anywhere_still_parse(case, data):
    fmt, number = case
    typed = ""
    for char in number:
        typed += data.draw(st.sampled_from(["", " ", "-", ".", " - "]))
        typed += char.lower() if data.draw(st.booleans()) else char
    assert fmt.parse(typed) == number


@pytest.mark.parametrize("typed", ["CPCS00000018", "00000018", "", "EC00000018", "XECS00000018"])
def test_a_wrong_prefix_is_told_the_prefix_and_an_example(typed):
    with pytest.raises(InvalidCardNumber) as refused:
        ECS.parse(typed)
    message = refused.value.message
    assert "start with ECS" in message
    assert f"e.g. {ECS.example}" in message
    assert "check digit" not in message


@pytest.mark.parametrize(
    "typed", ["ECS0000018", "ECS000000018", "ECS", "ECS0000O018", "ECS0000001X"]
)
def test_a_wrong_length_is_told_the_digit_count_and_an_example(typed):
    with pytest.raises(InvalidCardNumber) as refused:
        ECS.parse(typed)
    message = refused.value.message
    assert "ECS is followed by 8 digits" in message
    assert f"e.g. {ECS.example}" in message


def test_a_refused_number_is_invalid_input():
    with pytest.raises(InvalidInput) as refused:
        ECS.parse("ECS00000019")
    assert refused.value.code == "invalid_card_number"
    assert refused.value.http_status == 422


@pytest.mark.parametrize(
    "typed",
    [
        "ECS0000001²",  # superscript two: str.isdigit() says yes, int() says no
        "ECS００００００１８",  # full-width digits, as some phone keyboards type them
        "ECS٠٠٠٠٠٠١٨",  # Arabic-Indic digits
    ],
)
def test_digits_other_than_0_to_9_are_refused_as_a_card_number_problem(typed):
    # str.isdigit() alone accepts any Unicode digit: the superscript escaped as a bare
    # ValueError (a 500 at Smart Check), and full-width digits came back as a "normalised"
    # number no stored card can equal.
    with pytest.raises(InvalidCardNumber):
        ECS.parse(typed)


@settings(FAST)
@given(st.text(max_size=16))
def test_parse_answers_any_text_with_a_number_or_invalid_card_number(tail):
    try:
        number = ECS.parse("ECS" + tail)
    except InvalidCardNumber:
        return
    assert number.isascii() and number.isalnum()


# --- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["E", "ABCDEFG", "ecs", "Ecs", "EC1", "EC S", "", "ÉCS", "EC-S"])
def test_a_format_refuses_a_prefix_that_is_not_2_to_6_capital_letters(prefix):
    with pytest.raises(ValueError, match="2-6 capital letters"):
        CardNumberFormat(prefix, 8)


def test_a_format_refuses_a_prefix_ending_in_a_newline():
    # BUG (see report): the pattern ends in "$", which also matches before a final newline.
    with pytest.raises(ValueError, match="2-6 capital letters"):
        CardNumberFormat("ECS\n", 8)


@pytest.mark.parametrize("digits", [-1, 0, 3, 13, 20])
def test_a_format_refuses_a_digit_count_outside_4_to_12(digits):
    with pytest.raises(ValueError, match="4 to 12 digits"):
        CardNumberFormat("ECS", digits)


@pytest.mark.parametrize(("prefix", "digits"), [("AB", 4), ("ABCDEF", 12), ("JIBPM", 8)])
def test_a_format_accepts_the_limits(prefix, digits):
    fmt = CardNumberFormat(prefix, digits)
    assert fmt.parse(fmt.example) == fmt.example


def test_matches_checks_the_shape_but_not_the_check_digit():
    assert ECS.matches("ECS00000018")
    assert ECS.matches("ECS00000019")
    assert not ECS.matches("ECS0000018")
    assert not ECS.matches("CPCS00000018")
    assert not ECS.matches("ECS0000001A")
