"""SecretValue never shows its value by accident: repr, str, format, logging, exceptions, pickle."""

from __future__ import annotations

import copy
import json
import logging
import pickle
import traceback
from collections.abc import Callable

import pytest

from tradebind.vault import SecretValue

CANARY = "CANARY-sv-5f1e0c9d2b7a4e11"


def test_reveal_returns_the_value() -> None:
    assert SecretValue(CANARY).reveal() == CANARY


@pytest.mark.parametrize(
    "render",
    [
        repr,
        str,
        lambda s: f"{s}",
        lambda s: f"{s!r}",
        lambda s: f"{s:>40}",
        # logging and older code format with % and str.format: check those paths too.
        lambda s: "%s" % s,  # noqa: UP031
        lambda s: "%r" % (s,),  # noqa: UP031
        lambda s: "{}".format(s),  # noqa: UP032
        lambda s: str([s, {"k": s}]),
    ],
)
def test_text_renderings_are_redacted(render: Callable[[SecretValue], str]) -> None:
    text = render(SecretValue(CANARY))
    assert CANARY not in text
    assert "redacted" in text


def test_logging_never_shows_value(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("tradebind.test.vault")
    with caplog.at_level(logging.DEBUG, logger="tradebind.test.vault"):
        log.info("secret is %s", SecretValue(CANARY))
        log.info("secret is %r", SecretValue(CANARY))
        log.info("extra", extra={"secret": SecretValue(CANARY)})
    assert caplog.records
    assert CANARY not in caplog.text
    assert all(CANARY not in r.getMessage() for r in caplog.records)


def test_exception_text_and_traceback_never_show_value() -> None:
    secret = SecretValue(CANARY)
    with pytest.raises(ValueError, match="redacted") as info:
        raise ValueError(secret, f"while signing with {secret}")
    assert CANARY not in str(info.value)
    assert CANARY not in "".join(traceback.format_exception(info.value))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_is_refused(protocol: int) -> None:
    with pytest.raises(TypeError, match="cannot be pickled") as info:
        pickle.dumps(SecretValue(CANARY), protocol=protocol)
    assert CANARY not in str(info.value)


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy])
def test_copy_is_refused(duplicate: Callable[[SecretValue], SecretValue]) -> None:
    with pytest.raises(TypeError):
        duplicate(SecretValue(CANARY))


def test_json_serialisation_is_refused_without_leaking() -> None:
    with pytest.raises(TypeError) as info:
        json.dumps({"secret": SecretValue(CANARY)})
    assert CANARY not in str(info.value)


def test_no_instance_dict_to_dump() -> None:
    assert not hasattr(SecretValue(CANARY), "__dict__")


def test_equality_compares_values_and_hashing_is_refused() -> None:
    assert SecretValue(CANARY) == SecretValue(CANARY)
    assert SecretValue(CANARY) != SecretValue(CANARY + "x")
    assert SecretValue(CANARY) != CANARY
    with pytest.raises(TypeError):
        hash(SecretValue(CANARY))
