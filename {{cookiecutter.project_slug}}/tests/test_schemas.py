import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.schemas import Line, RequestModel, Text


class Payee(RequestModel):
    name: Line
    note: Text = ""


def test_a_request_model_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Payee.model_validate({"name": "Ada", "iban": "GB00"})


@pytest.mark.parametrize("name", ["Ada\x00", "Ada\nLovelace", "\x1b[31mAda"])
def test_a_line_refuses_control_characters(name: str) -> None:
    with pytest.raises(ValidationError, match="must not contain control characters"):
        Payee(name=name)


def test_text_keeps_tabs_and_line_breaks_but_nothing_else() -> None:
    assert Payee(name="Ada", note="first\n\tsecond\r\n").note == "first\n\tsecond\r\n"
    with pytest.raises(ValidationError, match="other than tabs and line breaks"):
        Payee(name="Ada", note="bell\x07")
