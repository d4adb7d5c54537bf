"""The HTTP API of the contact service: every route, in one list."""

from __future__ import annotations

from typing import Any

from callcast_contact.entrypoints.attributes_routes import CustomAttributeController
from callcast_contact.entrypoints.audiences_routes import AudienceController
from callcast_contact.entrypoints.contacts_routes import ContactController
from callcast_contact.entrypoints.openapi import DESCRIPTION

ROUTES: list[Any] = [ContactController, CustomAttributeController, AudienceController]
OPENAPI_DESCRIPTION = DESCRIPTION
