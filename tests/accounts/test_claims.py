"""Roles from groups and profiles from claims: the pure rules, for every kind of claim value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recovery.accounts.claims import (
    USERNAME_MAX_LENGTH,
    group_values,
    groups_overage,
    profile_from_claims,
    roles_for_groups,
)

ROLE_GROUPS = {
    "Service manager": ["service-managers"],
    "Finance officer": ["finance-officers", "Finance-Leads"],
    "Executive": ["executives"],
    "Administrator": ["recovery-admins"],
}
MAPPED = {name for names in ROLE_GROUPS.values() for name in names}
group_names = st.text(min_size=1, max_size=30).filter(
    lambda name: name.strip().casefold() not in {m.casefold() for m in MAPPED}
)


@given(st.lists(group_names, max_size=10))
def test_groups_that_are_not_mapped_give_no_role(groups):
    assert roles_for_groups(groups, ROLE_GROUPS) == frozenset()


@given(
    st.lists(group_names, max_size=10),
    st.sampled_from(sorted(MAPPED)),
    st.sampled_from([str.upper, str.lower, " {} ".format]),
)
def test_a_mapped_group_gives_its_role_whatever_else_and_whatever_the_case(others, mapped, spelling):
    expected = {role for role, names in ROLE_GROUPS.items() if mapped in names}
    assert roles_for_groups([*others, spelling(mapped)], ROLE_GROUPS) == expected


@given(st.sets(st.sampled_from(sorted(MAPPED))))
def test_the_roles_are_exactly_those_of_the_mapped_groups_held(held):
    expected = {role for role, names in ROLE_GROUPS.items() if set(names) & held}
    assert roles_for_groups(held, ROLE_GROUPS) == expected


def test_an_empty_mapping_entry_matches_nothing():
    assert roles_for_groups(["", " "], {"Executive": ["", " "]}) == frozenset()


@given(st.one_of(st.none(), st.integers(), st.floats(), st.dictionaries(st.text(), st.text()), st.booleans()))
def test_a_claim_that_is_not_a_list_or_a_string_holds_no_groups(value):
    assert group_values({"groups": value}, "groups") == frozenset()


@given(st.lists(st.one_of(st.text(), st.integers(), st.none(), st.lists(st.text()))))
def test_only_the_non_blank_strings_of_a_list_are_groups(values):
    expected = {value.strip() for value in values if isinstance(value, str) and value.strip()}
    assert group_values({"groups": values}, "groups") == expected


def test_one_group_may_come_as_a_string():
    assert group_values({"roles": "Finance.Officer"}, "roles") == {"Finance.Officer"}


def test_the_groups_overage_of_entra_id_is_recognised():
    overage = {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://graph"}}}
    assert groups_overage(overage, "groups")
    assert not groups_overage({"groups": []}, "groups")
    assert not groups_overage({}, "groups")


@given(
    st.dictionaries(
        st.sampled_from(["sub", "email", "preferred_username", "name", "given_name", "family_name"]),
        st.one_of(st.text(), st.integers(), st.none()),
    )
)
def test_any_claims_make_a_valid_profile(claims):
    profile = profile_from_claims(claims)
    assert 0 < len(profile.username) <= USERNAME_MAX_LENGTH - 6
    assert all(ch.isalnum() or ch in "_.@+-" for ch in profile.username)
    assert profile.email == "" or "@" in profile.email
    assert len(profile.first_name) <= 150
    assert len(profile.last_name) <= 150


def test_the_profile_prefers_the_providers_names():
    profile = profile_from_claims(
        {
            "sub": "abc",
            "preferred_username": "fiona.f@council.example",
            "email": "f@council.example",
            "name": "Fiona Ffinch Jones",
        }
    )
    assert (profile.username, profile.email, profile.first_name, profile.last_name) == (
        "fiona.f@council.example",
        "f@council.example",
        "Fiona",
        "Ffinch Jones",
    )
    assert profile_from_claims({"sub": "00u1 x"}).username == "sso-00u1-x"
