"""Fix texts for verdicts that come from an exchange's refusal (not from the key policy). Pure.

Each text says what to do, in the exchange's own words (:class:`ExchangeTerms`), first thing
first. ``detail`` carries what only the failing call knows: the exchange's message, the IP the
exchange saw, the measured clock offset.
"""

from __future__ import annotations

from .policy import ExchangeTerms, Permission
from .verdicts import Verdict


def failure_fix(verdict: Verdict, terms: ExchangeTerms, detail: str = "") -> str:
    """The plain-language fix for ``verdict`` raised by an exchange call."""
    x, where = terms.exchange, terms.key_settings
    note = f" ({detail})" if detail else ""
    texts = {
        Verdict.INVALID_KEY: (
            f"{x} does not recognise this API key{note}: copy the key again from {where} (all of it, no spaces) "
            "or create a new one; a deleted key cannot be revived."
        ),
        Verdict.INVALID_SIGNATURE: (
            f"The API secret does not belong to this key: paste the secret {x} showed when the key was created; "
            "if it is lost, create a new key."
        ),
        Verdict.INVALID_PASSPHRASE: (
            f"The passphrase is not the one chosen when this API key was created on {x} (it is the key's "
            "passphrase, not your login password); if it is lost, create a new key."
        ),
        Verdict.IP_NOT_ALLOWED: (
            f"{x} refused the request because the key's IP allow-list does not include the address tradebind "
            f"connects from{note}: add it in {where}."
        ),
        Verdict.MISSING_PERMISSION: (
            f"{x} refused a call the check needs{note}: edit the API key ({where}) and tick "
            f"{terms.label(Permission.READ)} and the trading permission of this market."
        ),
        Verdict.KEY_EXPIRED: f"The API key has expired on {x}{note}: create a new key and replace it in tradebind.",
        Verdict.CLOCK_SKEW: (
            f"Requests arrive outside {x}'s timestamp window even after correcting for the clock offset{note}: "
            "synchronise this machine's clock (NTP) and check the network path to the exchange."
        ),
        Verdict.RATE_LIMITED: (
            f"{x} is rate-limiting requests from here{note}: wait a minute and run the check again; if it "
            "persists, other programs share this key or IP address."
        ),
        Verdict.EXCHANGE_UNAVAILABLE: (
            f"{x} reports maintenance or is not answering{note}: nothing to change on your side; run the check "
            "again later."
        ),
        Verdict.ACCOUNT_RESTRICTED: (
            f"{x} has restricted trading on this account{note}: read the account's notifications on {x} "
            "or contact its support; the key itself is fine."
        ),
        Verdict.WRONG_ENVIRONMENT: (
            f"This key belongs to another {x} environment (live vs testnet/demo, or another region){note}: "
            "use a key created on the environment you check against, or switch the check's environment."
        ),
        Verdict.NETWORK_ERROR: (
            f"tradebind could not reach {x}{note}: check the network connection, proxy and firewall, then run "
            "the check again."
        ),
    }
    return texts.get(verdict, f"{x}: {verdict.value}{note}.")
