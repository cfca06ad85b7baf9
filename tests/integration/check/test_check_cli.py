"""``tradebind check`` end to end against the sandbox: JSON, exit codes, usage errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tradebind.cli import app

from .support import HERE, PASSPHRASE

runner = CliRunner()


def env_for(created: dict[str, str], passphrase: str | None = None) -> dict[str, str]:
    env = {"TRADEBIND_API_KEY": created["api_key"], "TRADEBIND_API_SECRET": created["secret"]}
    if passphrase is not None:
        env["TRADEBIND_API_PASSPHRASE"] = passphrase
    return env


def test_json_report_of_a_healthy_key_exits_0(sandbox, control, account):
    created = control.create_key("okx", account, ["read", "trade"], ips=[HERE], passphrase=PASSPHRASE)
    control.deposit("okx", account, "trading", "USDT", "300")
    args = ["check", "--exchange", "okx", "--market", "futures", "--sandbox", sandbox.url, "--json"]
    result = runner.invoke(app, args, env=env_for(created, PASSPHRASE))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["verdict"] == "CONNECTED"
    assert report["warnings"] == []
    assert report["permissions"]["futures_trade"] is True
    assert report["ip_restriction"] == {"restricted": True, "ips": [HERE]}
    assert report["balance"]["total"]["available"] == "300"
    assert report["fix"]
    assert created["secret"] not in result.output
    assert PASSPHRASE not in result.output
    assert created["api_key"] not in result.output


def test_human_summary_puts_verdict_and_fix_first_and_exits_1_when_refused(sandbox, control, account):
    created = control.create_key("binance", account, ["read"], ips=[HERE])
    args = ["check", "--exchange", "binance", "--market", "spot", "--sandbox", sandbox.url]
    result = runner.invoke(app, args, env=env_for(created))
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("MISSING_PERMISSION  binance spot, key ")
    assert lines[1].startswith("Fix: Edit the API key on Binance")
    assert created["secret"] not in result.output


def test_demo_key_on_the_sandbox_with_testnet(sandbox, control, account):
    created = control.create_key(
        "okx", account, ["read", "trade"], ips=[HERE], passphrase=PASSPHRASE, environment="demo"
    )
    control.deposit("okx", account, "trading", "USDT", "50")
    base = ["check", "--exchange", "okx", "--market", "spot", "--sandbox", sandbox.url, "--json"]
    live = runner.invoke(app, base, env=env_for(created, PASSPHRASE))
    demo = runner.invoke(app, [*base, "--testnet"], env=env_for(created, PASSPHRASE))
    assert (live.exit_code, json.loads(live.stdout)["verdict"]) == (1, "WRONG_ENVIRONMENT")
    assert (demo.exit_code, json.loads(demo.stdout)["verdict"]) == (0, "CONNECTED")
    assert json.loads(demo.stdout)["environment"] == "testnet"


def test_warnings_only_exit_0_and_list_each_warning(sandbox, control, account):
    created = control.create_key("bybit", account, ["read", "spot"])
    args = ["check", "--exchange", "bybit", "--market", "spot", "--sandbox", sandbox.url]
    result = runner.invoke(app, args, env=env_for(created))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("CONNECTED_WITH_WARNINGS")
    assert "• NO_IP_RESTRICTION:" in result.stdout
    assert "• LOW_AVAILABLE_BALANCE:" in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--exchange", "binance"], {}, "--market"),
        (["--exchange", "kraken", "--market", "spot"], {}, "--exchange"),
        (["--exchange", "binance", "--market", "spot", "--sandbox", "ftp://x"], {}, "--sandbox"),
        (["--exchange", "okx", "--market", "margin"], {}, "--market"),
        (["--exchange", "binance", "--market", "spot"], {"TRADEBIND_EGRESS_IPS": "nope"}, "TRADEBIND_EGRESS_IPS"),
        (["--exchange", "binance", "--market", "spot"], {}, "TRADEBIND_API_KEY"),
    ],
)
def test_usage_errors_exit_2_naming_the_option(args, env, named):
    result = runner.invoke(app, ["check", *args], env={"TRADEBIND_API_KEY": None, **env})
    assert result.exit_code == 2
    assert named in result.output
