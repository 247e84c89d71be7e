"""Refuse invalid answers before anything is written.

Each validate_* function returns an error message or None; main() prints every
error as `ERROR: <option> (<value>): <what is allowed>` and exits 1. Choice and
yes/no options need no validator here: cookiecutter refuses a value outside the
list itself, before any hook runs. Combinations are checked here: without a
database there are no accounts, API keys or items to store.
"""

import json
import keyword
import re
import sys
import unicodedata

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME_LENGTH = 80
MAX_DESCRIPTION_LENGTH = 200
# Kubernetes names are at most 63 characters; the migration Job adds "-migrate".
MAX_SLUG_LENGTH = 55
# Longer names would make import lines wrap differently from the template's.
MAX_PACKAGE_LENGTH = 32


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in value)


def validate_one_line(value: str) -> str | None:
    """A name shown in metadata and docs: non-blank, short, one printable line."""
    if (
        not value.strip()
        or len(value) > MAX_NAME_LENGTH
        or has_control_characters(value)
    ):
        return f"1 to {MAX_NAME_LENGTH} printable characters on one line"
    return None


def validate_project_name(value: str) -> str | None:
    if error := validate_one_line(value):
        return error
    if not any(char.isalpha() for char in value):
        return "must contain at least one letter"
    return None


def validate_project_slug(value: str) -> str | None:
    if not SLUG.match(value):
        return (
            "lowercase ASCII letters, digits and single hyphens, starting with a letter"
            " (e.g. payments-service)"
        )
    if len(value) > MAX_SLUG_LENGTH:
        return f"at most {MAX_SLUG_LENGTH} characters"
    return None


def validate_package_name(value: str) -> str | None:
    if not PACKAGE.match(value):
        return (
            "a Python identifier of lowercase ASCII letters, digits and underscores,"
            " starting with a letter (e.g. payments_service)"
        )
    if len(value) > MAX_PACKAGE_LENGTH:
        return f"at most {MAX_PACKAGE_LENGTH} characters"
    if keyword.iskeyword(value) or value in sys.stdlib_module_names:
        return "must not shadow a Python keyword or standard-library module"
    return None


def validate_description(value: str) -> str | None:
    if len(value) > MAX_DESCRIPTION_LENGTH or has_control_characters(value):
        return f"at most {MAX_DESCRIPTION_LENGTH} printable characters on one line"
    return None


def validate_author_email(value: str) -> str | None:
    if not EMAIL.match(value) or '"' in value:
        return "an e-mail address such as team@example.com"
    return None


VALIDATORS = {
    "project_name": validate_project_name,
    "project_slug": validate_project_slug,
    "package_name": validate_package_name,
    "description": validate_description,
    "author_name": validate_one_line,
    "author_email": validate_author_email,
}


# Answers that need a database: (option, value) -> (why, what works without one).
NEEDS_A_DATABASE: dict[tuple[str, object], tuple[str, str]] = {
    ("auth", "jwt"): (
        "local accounts are stored in the database",
        "auth=oidc or auth=none",
    ),
    ("auth", "api_key"): (
        "API keys are stored in the database",
        "auth=oidc or auth=none",
    ),
    ("example_resource", True): (
        "the items resource is stored in the database",
        "example_resource=no",
    ),
}


def combination_errors(answers: dict[str, object]) -> list[tuple[str, str]]:
    """(option, message) for each answer the other answers rule out."""
    if answers.get("database") != "none":
        return []
    return [
        (option, f"{why}: choose database=postgresql, or {alternative}")
        for (option, value), (why, alternative) in NEEDS_A_DATABASE.items()
        if answers.get(option) == value
    ]


def main(answers: dict[str, object]) -> int:
    errors = [
        f"ERROR: {option} ({answers[option]!r}): {error}"
        for option, validate in VALIDATORS.items()
        if (error := validate(str(answers[option]))) is not None
    ]
    errors += [
        f"ERROR: {option} ({answers[option]!r}) with database ('none'): {message}"
        for option, message in combination_errors(answers)
    ]
    for line in errors:
        print(line, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    # Rendered by cookiecutter: tojson escapes quotes, so the raw literal stays intact.
    sys.exit(main(json.loads(r"""{{ cookiecutter | tojson }}""")))
