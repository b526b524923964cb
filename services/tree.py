"""The sub-meter tree of a site: each consumption meter's use with its sub-meters under it and
the part of it no sub-meter measures (the "unmetered rest").

The tree follows the site config's ``parent`` links. A parent's **rest** is its use minus the
sum of its direct sub-meters' use, when all of them are known (``None`` otherwise); a negative
rest (sub-meters reading more than their parent: a wiring or CT-ratio error, or readings at
different instants) is kept as it is, never clipped, so the page can show it. Only meters of a
consumption kind (electricity, water, gas, thermal) take part; a sub-meter of another kind than
its parent is its own root (kWh and m3 do not add up).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from plantmeter.config import SiteConfig

__all__ = ["CONSUMPTION_KINDS", "TreeNode", "submeter_tree"]

logger = logging.getLogger(__name__)

CONSUMPTION_KINDS = ("electricity", "water", "gas", "thermal")


@dataclass(frozen=True, slots=True)
class TreeNode:
    """One meter of the tree, its use over the window and what its sub-meters leave over."""

    meter: str
    kind: str
    area: str | None
    use: float | None
    children: tuple[TreeNode, ...]
    rest: float | None  # use - sum(children's use); None when there are no children or unknown

    @property
    def rest_share(self) -> float | None:
        """The rest as a share of the meter's use (None when unknown or the use is 0)."""
        if self.rest is None or not self.use:
            return None
        return self.rest / self.use


def submeter_tree(site: SiteConfig, use: Mapping[str, float | None]) -> list[TreeNode]:
    """The roots of the site's consumption-meter tree (site-file order), each meter with its
    ``use`` (a meter missing from ``use`` counts as unknown)."""
    meters = [m for m in site.meters if m.kind in CONSUMPTION_KINDS]
    kinds = {m.id: m.kind for m in meters}

    def parent_of(m_id: str) -> str | None:
        p = site.meter(m_id).parent
        return p if p is not None and kinds.get(p) == kinds[m_id] else None

    def build(m_id: str) -> TreeNode:
        m = site.meter(m_id)
        children = tuple(build(c.id) for c in meters if parent_of(c.id) == m_id)
        own = use.get(m_id)
        rest: float | None = None
        if children and own is not None and all(c.use is not None for c in children):
            rest = own - sum(c.use for c in children if c.use is not None)
        return TreeNode(m_id, m.kind, m.area, own, children, rest)

    return [build(m.id) for m in meters if parent_of(m.id) is None]
