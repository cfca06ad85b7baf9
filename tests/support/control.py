"""The sandbox control client for tests: the product's :class:`~tradebind.sandbox.client.SandboxControl`.

Kept under the names tests have always used; new code imports from ``tradebind.sandbox.client``.
"""

from __future__ import annotations

from tradebind.sandbox.client import SandboxControl as Control
from tradebind.sandbox.client import SandboxControlError as ControlError

__all__ = ["Control", "ControlError"]
