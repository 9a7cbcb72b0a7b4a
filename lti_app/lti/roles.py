"""LTI roles to Stegvis rights: only context (course membership) roles count.

Institution and system roles (``institution/person#Instructor``) say what someone is
somewhere in the organisation, not in this course, and never grant course rights
(research note B.6 case 9; LTI 1.3 Core §A.2.3).
"""

from __future__ import annotations

from collections.abc import Iterable

_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
_MEMBERSHIP_SUB = "http://purl.imsglobal.org/vocab/lis/v2/membership/"

# Context roles that may see reports and place cases in a course.
_STAFF = {"Instructor", "Administrator", "ContentDeveloper"}


def context_roles(claimed: Iterable[str]) -> frozenset[str]:
    """Short names of the context roles in the roles claim (sub-roles give their parent)."""
    names: set[str] = set()
    for role in claimed:
        if role.startswith(_MEMBERSHIP):
            names.add(role.removeprefix(_MEMBERSHIP))
        elif role.startswith(_MEMBERSHIP_SUB):
            # e.g. membership/Instructor#TeachingAssistant: a sub-role of Instructor
            parent, _, sub = role.removeprefix(_MEMBERSHIP_SUB).partition("#")
            names.add(sub or parent)
    return frozenset(names)


def is_instructor(roles: frozenset[str]) -> bool:
    return bool(roles & _STAFF)
