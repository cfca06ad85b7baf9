"""The API-management web pages every sandbox exchange serves at ``/<exchange>/``.

A person creates, lists and deletes API keys and deposits demo funds there, the way they would on
the exchange's own site; the demo uses them to teach the exchange-side steps.
"""

from .views import ApiManagementPages, add_pages

__all__ = ["ApiManagementPages", "add_pages"]
