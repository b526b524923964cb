"""Who may see what: the dashboard's one authorisation rule (DESIGN.md, users and roles).

| role | site data | acknowledge flags | loans and loan reports | users, audit log |
| --- | --- | --- | --- | --- |
| ``admin`` | every site | yes | every loan | yes |
| ``plant_manager`` | their sites (``sites``) | on their sites | loans of their sites | no |
| ``auditor`` | the sites they audit (``sites``) | no (read only) | loans of their sites | no |
| ``financier`` | none (no meter data) | no | only the loans they fund (``loans``) | no |

Site data: the site and its meters, latest values, series, flags, options and savings. A loan
"of their sites" is one whose borrower is one of the user's sites.

A financier sees a loan's status and its report documents, which hold everything the loan's
monitoring needs; the plant's meters, series and alarms stay with the plant.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.accounts import ROLES, Principal, Role

__all__ = [
    "ROLES",
    "Principal",
    "Role",
    "can_acknowledge",
    "can_admin",
    "can_see_loan",
    "can_see_site",
    "visible_loans",
    "visible_sites",
]


def can_admin(p: Principal) -> bool:
    return p.role is Role.admin


def can_see_site(p: Principal, site_id: str) -> bool:
    """Meter data of ``site_id``: admin, or a plant manager / auditor scoped to it."""
    if p.role is Role.admin:
        return True
    return p.role in (Role.plant_manager, Role.auditor) and site_id in p.sites


def can_acknowledge(p: Principal, site_id: str) -> bool:
    """Acknowledging a flag of ``site_id``: admin, or the site's plant manager."""
    return p.role is Role.admin or (p.role is Role.plant_manager and site_id in p.sites)


def can_see_loan(p: Principal, loan_id: str, borrower_site: str) -> bool:
    """A loan's status and report: admin, its financier, or a plant manager / auditor of the borrower."""
    if p.role is Role.admin:
        return True
    if p.role is Role.financier:
        return loan_id in p.loans
    return borrower_site in p.sites


def visible_sites(p: Principal, site_ids: Iterable[str]) -> list[str]:
    return [s for s in site_ids if can_see_site(p, s)]


def visible_loans(p: Principal, loans: Iterable[tuple[str, str]]) -> list[str]:
    """Loan ids of ``(loan_id, borrower_site)`` pairs that ``p`` may see."""
    return [lid for lid, site in loans if can_see_loan(p, lid, site)]
