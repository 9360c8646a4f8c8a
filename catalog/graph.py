"""The relation graph of an entity, laid out and drawn as SVG on the server.

The entity sits in the middle; the entities it relates to stand in two columns, grouped by relation
type: what it belongs to (owner, system, parent team, the APIs it is provided by …) on the left,
what belongs to it or what it uses on the right. Each resolved node is a link to its page; a target
not in the catalog is drawn dashed and says so, without a link. A phone gets a one-column layout
(the page holds both and CSS shows one). Colours come from the page's CSS (classes only), so the
graph follows the light and dark themes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

NODE_W, NODE_H = 220, 46
CENTER_W, CENTER_H = 240, 68
ROW_GAP, HEADER_H, GROUP_GAP, MARGIN, LANE = 8, 26, 18, 12, 120
#: The narrow (phone) layout: its width, and how far the groups stand in from the trunk line.
NARROW_W, INDENT = 360, 36
#: A group goes to the other column when its own column is already taller by more than this.
BALANCE_SLACK = 60
#: Nodes drawn per relation type; the rest are counted in a "+ N more" link to the relations table.
MAX_PER_GROUP = 6
NAME_CHARS = 26

LABELS = {
    "ownedBy": "Owned by",
    "ownerOf": "Owns",
    "partOf": "Part of",
    "hasPart": "Has part",
    "dependsOn": "Depends on",
    "dependencyOf": "Dependency of",
    "providesApi": "Provides API",
    "apiProvidedBy": "API provided by",
    "consumesApi": "Consumes API",
    "apiConsumedBy": "API consumed by",
    "parentOf": "Parent of",
    "childOf": "Child of",
    "memberOf": "Member of",
    "hasMember": "Has member",
}
LEFT = ("ownedBy", "partOf", "childOf", "memberOf", "apiProvidedBy", "apiConsumedBy", "dependencyOf")
RIGHT = ("hasPart", "parentOf", "hasMember", "ownerOf", "providesApi", "consumesApi", "dependsOn")


def label(relation_type: str) -> str:
    return LABELS.get(relation_type, relation_type)


@dataclass
class Node:
    ref: str
    kind: str
    name: str
    url: str | None  # None: not in the catalog
    x: float = 0
    y: float = 0
    w: float = NODE_W
    h: float = NODE_H
    more: int = 0  # a "+ N more" node

    @property
    def resolved(self) -> bool:
        return self.url is not None


@dataclass
class Group:
    relation: str
    nodes: list[Node]
    side: str = "right"
    x: float = 0
    y: float = 0

    @property
    def height(self) -> float:
        return HEADER_H + len(self.nodes) * (NODE_H + ROW_GAP) - ROW_GAP


@dataclass
class Graph:
    center: Node
    groups: list[Group] = field(default_factory=list)
    #: "wide": two columns around the entity; "narrow" (phones): one column under it.
    mode: str = "wide"
    width: float = 0
    height: float = 0

    @property
    def nodes(self) -> list[Node]:
        return [node for group in self.groups for node in group.nodes]

    def svg(self) -> SafeString:
        return render(self)


def _ordered(types: list[str]) -> list[str]:
    known = [kind for kind in (*LEFT, *RIGHT) if kind in types]
    return known + sorted(kind for kind in types if kind not in known)


def _groups(related: list[tuple[str, Node]], more_url: str) -> list[Group]:
    by_type: dict[str, list[Node]] = {}
    for relation, node in related:
        by_type.setdefault(relation, []).append(node)
    groups = []
    for relation in _ordered(list(by_type)):
        nodes = by_type[relation]
        shown = nodes[:MAX_PER_GROUP]
        if len(nodes) > MAX_PER_GROUP:
            rest = len(nodes) - MAX_PER_GROUP + 1
            shown = [*nodes[: MAX_PER_GROUP - 1], Node("", "", f"+ {rest} more", more_url, more=rest)]
        groups.append(Group(relation, shown))
    return groups


def layout(center: Node, related: list[tuple[str, Node]], *, more_url: str = "#relations") -> Graph:
    """Two columns: ``center`` in the middle, each ``(relation type, node)`` grouped by type on the
    side its relation belongs to (moved to the other side when that one is much taller)."""
    graph = Graph(center, _groups(related, more_url))
    heights = {"left": 0.0, "right": 0.0}
    for group in graph.groups:
        natural = "left" if group.relation in LEFT else "right"
        other = "right" if natural == "left" else "left"
        group.side = other if heights[natural] > heights[other] + BALANCE_SLACK else natural
        heights[group.side] += group.height + GROUP_GAP
    # A side with nothing on it takes no room.
    used = {side for side, height in heights.items() if height}
    left_x = MARGIN
    center_x = left_x + (NODE_W + LANE if "left" in used else 0)
    right_x = center_x + CENTER_W + LANE
    graph.width = (right_x + NODE_W if "right" in used else center_x + CENTER_W) + MARGIN
    content = max(heights["left"], heights["right"], CENTER_H + GROUP_GAP) - GROUP_GAP
    graph.height = content + 2 * MARGIN
    for side, x in (("left", left_x), ("right", right_x)):
        y = MARGIN + (content - (heights[side] - GROUP_GAP)) / 2
        for group in (group for group in graph.groups if group.side == side):
            group.x, group.y = x, y
            for index, node in enumerate(group.nodes):
                node.x, node.y = x, y + HEADER_H + index * (NODE_H + ROW_GAP)
            y += group.height + GROUP_GAP
    center.x, center.y, center.w, center.h = center_x, MARGIN + (content - CENTER_H) / 2, CENTER_W, CENTER_H
    return graph


def layout_narrow(center: Node, related: list[tuple[str, Node]], *, more_url: str = "#relations") -> Graph:
    """One column for a phone: ``center`` on top, the groups under it on a trunk line."""
    center = Node(center.ref, center.kind, center.name, center.url)
    related = [(relation, Node(node.ref, node.kind, node.name, node.url)) for relation, node in related]
    graph = Graph(center, _groups(related, more_url), mode="narrow", width=NARROW_W)
    center.x, center.y, center.w, center.h = MARGIN, MARGIN, NARROW_W - 2 * MARGIN, CENTER_H - 12
    y: float = center.y + center.h + GROUP_GAP
    for group in graph.groups:
        group.x, group.y = MARGIN + INDENT, y
        for index, node in enumerate(group.nodes):
            node.x, node.y = group.x, y + HEADER_H + index * (NODE_H + ROW_GAP)
            node.w = NARROW_W - 2 * MARGIN - INDENT
        y += group.height + GROUP_GAP
    graph.height = y - GROUP_GAP + MARGIN
    return graph


def _short(text: str, limit: int = NAME_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _edge(graph: Graph, group: Group, node: Node) -> str:
    center = graph.center
    dashed = " edge-unresolved" if not node.resolved else ""
    marker = f'marker-end="url(#graph-arrow-{graph.mode})"'
    y2 = node.y + node.h / 2
    if graph.mode == "narrow":
        trunk = MARGIN + INDENT / 2
        return (
            f'<path class="graph-edge{dashed}" d="M{trunk:.0f} {center.y + center.h:.0f} V{y2:.0f} '
            f'H{node.x:.0f}" {marker}/>'
        )
    y1 = center.y + center.h / 2
    x1, x2 = (center.x + center.w, node.x) if group.side == "right" else (center.x, node.x + node.w)
    bend = (x2 - x1) / 2
    return (
        f'<path class="graph-edge{dashed}" d="M{x1:.0f} {y1:.0f} C{x1 + bend:.0f} {y1:.0f} '
        f'{x2 - bend:.0f} {y2:.0f} {x2:.0f} {y2:.0f}" {marker}/>'
    )


def _node(node: Node, relation: str) -> str:
    x, y, w, h = node.x, node.y, node.w, node.h
    box = f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="8"/>'
    if node.more:
        return (
            f'<a class="graph-node graph-more" href="{escape(node.url)}" aria-label="{node.more} more: see the table">'
            f'{box}<text x="{x + w / 2:.0f}" y="{y + 28:.0f}" text-anchor="middle" class="graph-name">'
            f"{escape(node.name)}</text></a>"
        )
    kind = node.kind.lower() + ("" if node.resolved else " · not in catalog")
    title = f"{label(relation)} {node.ref}" + ("" if node.resolved else " (not in the catalog)")
    limit = int(w // 8.2)
    inner = (
        f"<title>{escape(title)}</title>{box}"
        f'<text x="{x + 12:.0f}" y="{y + 17:.0f}" class="graph-kind">{escape(kind)}</text>'
        f'<text x="{x + 12:.0f}" y="{y + 35:.0f}" class="graph-name">{escape(_short(node.name, limit))}</text>'
    )
    if not node.resolved:
        return f'<g class="graph-node graph-unresolved" data-ref="{escape(node.ref)}">{inner}</g>'
    return (
        f'<a class="graph-node" href="{escape(node.url)}" data-ref="{escape(node.ref)}" '
        f'aria-label="{escape(label(relation))}: {escape(node.kind)} {escape(node.name)}">{inner}</a>'
    )


def render(graph: Graph) -> SafeString:
    center = graph.center
    parts = [
        f'<svg class="relation-graph graph-{graph.mode}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {graph.width:.0f} {graph.height:.0f}" width="{graph.width:.0f}" height="{graph.height:.0f}" '
        f'role="group" aria-label="Relations of {escape(center.name)}">',
        f'<defs><marker id="graph-arrow-{graph.mode}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" class="graph-arrow"/>'
        "</marker></defs>",
    ]
    parts.extend(_edge(graph, group, node) for group in graph.groups for node in group.nodes)
    for group in graph.groups:
        parts.append(
            f'<text class="graph-relation" x="{group.x + 2:.0f}" y="{group.y + 16:.0f}">'
            f"{escape(label(group.relation))}</text>"
        )
        parts.extend(_node(node, group.relation) for node in group.nodes)
    cx, cy, cw, ch = center.x, center.y, center.w, center.h
    parts.append(
        f'<g class="graph-node graph-center" data-ref="{escape(center.ref)}"><title>{escape(center.ref)}</title>'
        f'<rect x="{cx:.0f}" y="{cy:.0f}" width="{cw:.0f}" height="{ch:.0f}" rx="10"/>'
        f'<text x="{cx + cw / 2:.0f}" y="{cy + ch / 2 - 9:.0f}" text-anchor="middle" class="graph-kind">'
        f"{escape(center.kind.lower())}</text>"
        f'<text x="{cx + cw / 2:.0f}" y="{cy + ch / 2 + 13:.0f}" text-anchor="middle" class="graph-name">'
        f"{escape(_short(center.name, int(cw // 8.5)))}</text></g>"
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every value above is escaped)
