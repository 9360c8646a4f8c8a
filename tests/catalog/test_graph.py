"""The relation graph (catalog.graph): layout, links, unresolved targets, caps, escaping, the phone form."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from catalog import graph

SVG = "{http://www.w3.org/2000/svg}"


def node(ref: str, url: str | None = "/x") -> graph.Node:
    kind, _, rest = ref.partition(":")
    return graph.Node(ref, kind.title(), rest.rpartition("/")[2], url and f"/catalog/{kind}/default/{rest[8:]}")


def artist_lookup() -> graph.Graph:
    center = graph.Node(
        "component:default/artist-lookup", "Component", "artist-lookup", "/catalog/component/default/artist-lookup"
    )
    related = [
        ("dependsOn", node("resource:default/artists-db")),
        ("dependsOn", node("component:default/legacy", url=None)),
        ("ownedBy", node("group:default/team-a")),
        ("partOf", node("system:default/artist-engagement-portal")),
    ]
    return graph.layout(center, related)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  (our own output)


def find(element: ET.Element, path: str) -> ET.Element:
    found = element.find(path)
    assert found is not None, f"no {path} in the drawing"
    return found


def test_the_svg_has_the_entity_in_the_middle_and_a_link_per_resolved_node():
    drawn = artist_lookup()
    root = parse(drawn.svg())

    assert root.tag == f"{SVG}svg"
    assert root.get("aria-label") == "Relations of artist-lookup"
    center = find(root, f"{SVG}g[@class='graph-node graph-center']")
    assert center.get("data-ref") == "component:default/artist-lookup"
    links = {a.get("data-ref"): a.get("href") for a in root.iter(f"{SVG}a")}
    assert links == {
        "resource:default/artists-db": "/catalog/resource/default/artists-db",
        "group:default/team-a": "/catalog/group/default/team-a",
        "system:default/artist-engagement-portal": "/catalog/system/default/artist-engagement-portal",
    }
    owner = find(root, f"{SVG}a[@data-ref='group:default/team-a']")
    assert owner.get("aria-label") == "Owned by: Group team-a"
    assert [text.text for text in owner.iter(f"{SVG}text")] == ["group", "team-a"]


def test_an_unresolved_target_is_dashed_without_a_link_and_says_so():
    root = parse(artist_lookup().svg())

    missing = find(root, f"{SVG}g[@data-ref='component:default/legacy']")
    assert missing.get("class") == "graph-node graph-unresolved"
    assert [text.text for text in missing.iter(f"{SVG}text")] == ["component · not in catalog", "legacy"]
    assert find(missing, f"{SVG}title").text == "Depends on component:default/legacy (not in the catalog)"
    edges = root.findall(f"{SVG}path[@class='graph-edge edge-unresolved']")
    assert len(edges) == 1
    assert len(root.findall(f"{SVG}path[@class='graph-edge']")) == 3


def test_groups_stand_on_their_side_under_their_relation_label():
    drawn = artist_lookup()

    sides = {group.relation: group.side for group in drawn.groups}
    assert sides == {"ownedBy": "left", "partOf": "right", "dependsOn": "right"}
    labels = [text.text for text in parse(drawn.svg()).findall(f"{SVG}text[@class='graph-relation']")]
    assert labels == ["Owned by", "Part of", "Depends on"]
    left = next(group for group in drawn.groups if group.side == "left")
    right = next(group for group in drawn.groups if group.side == "right")
    assert left.x < drawn.center.x < right.x
    assert drawn.width == 2 * graph.MARGIN + 2 * graph.NODE_W + 2 * graph.LANE + graph.CENTER_W


def test_many_targets_of_one_type_end_with_a_link_to_the_table():
    center = graph.Node("group:default/big", "Group", "big", "/catalog/group/default/big")
    related = [("ownerOf", node(f"component:default/service-{n:02d}")) for n in range(20)]

    drawn = graph.layout(center, related)

    names = [item.name for item in drawn.nodes]
    assert names == [f"service-{n:02d}" for n in range(graph.MAX_PER_GROUP - 1)] + ["+ 15 more"]
    more = find(parse(drawn.svg()), f"{SVG}a[@class='graph-node graph-more']")
    assert more.get("href") == "#relations"


def test_a_tall_side_passes_groups_to_the_other():
    center = graph.Node("group:default/team", "Group", "team", "/catalog/group/default/team")
    related = [("hasMember", node(f"user:default/person-{n}")) for n in range(5)]
    related += [("ownerOf", node(f"component:default/thing-{n}")) for n in range(5)]

    drawn = graph.layout(center, related)

    assert {group.relation: group.side for group in drawn.groups} == {"hasMember": "right", "ownerOf": "left"}


def test_names_are_escaped_and_long_ones_shortened():
    center = graph.Node("component:default/x", "Component", "<script>alert(1)</script>", "/c")
    related = [("dependsOn", graph.Node("component:default/y", "Component", "a" * 60, "/y"))]

    svg = graph.layout(center, related).svg()

    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert find(parse(svg), f"{SVG}a/{SVG}text[@class='graph-name']").text == "a" * 25 + "…"


def test_the_phone_layout_is_one_column_under_the_entity():
    center = graph.Node("component:default/artist-lookup", "Component", "artist-lookup", "/c")
    related = [("ownedBy", node("group:default/team-a")), ("dependsOn", node("resource:default/db"))]

    drawn = graph.layout_narrow(center, related)
    root = parse(drawn.svg())

    assert drawn.mode == "narrow"
    assert root.get("class") == "relation-graph graph-narrow"
    assert find(root, f"{SVG}defs/{SVG}marker").get("id") == "graph-arrow-narrow"
    assert {item.x for item in drawn.nodes} == {graph.MARGIN + graph.INDENT}
    assert all(item.y > drawn.center.y + drawn.center.h for item in drawn.nodes)
    assert drawn.width == graph.NARROW_W
    # The wide drawing of the same entity is left as it was.
    assert center.w == graph.NODE_W


def test_an_entity_without_relations_is_just_itself():
    drawn = graph.layout(graph.Node("domain:default/empty", "Domain", "empty", "/d"), [])

    root = parse(drawn.svg())
    assert root.findall(f"{SVG}a") == []
    assert find(root, f"{SVG}g[@class='graph-node graph-center']") is not None
    assert drawn.height == graph.CENTER_H + 2 * graph.MARGIN
    assert drawn.width == graph.CENTER_W + 2 * graph.MARGIN
