"""Organization slugs: derived from the name, URL-friendly, numbered when taken."""

from __future__ import annotations

import pytest

from callcast_gateway.domain.organizations import default_owner_email, numbered_slug, slugify, valid_slug

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Acme", "acme"),
        ("Café Atlas SARL", "cafe-atlas-sarl"),
        ("  Banque -- Populaire!  ", "banque-populaire"),
        ("2M TV", "2m-tv"),
        ("مؤسسة", ""),
    ],
)
def test_slug_is_derived_from_the_name(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_derived_slugs_are_valid_and_bounded() -> None:
    slug = slugify("A very long organization name " * 10)
    assert valid_slug(slug)
    assert len(slug) <= 64


@pytest.mark.parametrize("slug", ["Acme", "acme-", "-acme", "ac--me", "acme corp", ""])
def test_malformed_slugs_are_refused(slug: str) -> None:
    assert not valid_slug(slug)


def test_taken_slugs_are_numbered_from_two() -> None:
    assert [numbered_slug("acme", n) for n in (1, 2, 3)] == ["acme", "acme-2", "acme-3"]


def test_default_owner_email_can_never_reach_anyone() -> None:
    assert default_owner_email("acme") == "owner@acme.invalid"
