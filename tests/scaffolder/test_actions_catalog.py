"""catalog:register and catalog:write."""

import pytest
import yaml

from catalog.models import Entity, Location
from portal.models.runs import RunEvent
from scaffolder.actions.registry import ActionError
from scaffolder.engine.workspace import PathError
from tests.scaffolder.engine_support import action_context, make_task, run_action, template_doc, tree, write_files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scaffolder_dirs")]

COMPONENT = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Orders
spec:
  type: service
  lifecycle: experimental
  owner: group:default/payments
"""


def context(tmp_path, data, *, dry_run=False):
    return action_context(make_task(template_doc("svc", []), dry_run=dry_run), tmp_path / "task", data)


def published(tmp_path, name="orders"):
    """A workspace with a catalog-info.yaml published by publish:git; its outputs."""
    ctx = context(tmp_path / name, {"remoteUrl": f"acme/{name}"})
    write_files(ctx.workspace, {"catalog-info.yaml": COMPONENT})
    return run_action("publish:git", ctx)


def test_catalog_register_reads_the_published_working_copy_at_once(tmp_path):
    outputs = published(tmp_path)
    ctx = context(tmp_path, {"repoContentsUrl": outputs["repoContentsUrl"], "catalogInfoPath": "/catalog-info.yaml"})

    result = run_action("catalog:register", ctx)

    assert result == {"entityRef": "component:default/Orders", "catalogInfoUrl": outputs["catalogInfoUrl"]}
    location = Location.objects.get(managed=False)
    assert (location.type, location.target) == ("file", outputs["catalogInfoUrl"].removeprefix("file:"))
    assert list(Entity.objects.values_list("ref", "owner_ref")) == [
        ("component:default/orders", "group:default/payments")
    ]


def test_catalog_register_of_a_registered_location_reads_it_again(tmp_path):
    outputs = published(tmp_path)
    data = {"catalogInfoUrl": outputs["catalogInfoUrl"]}
    first = run_action("catalog:register", context(tmp_path / "one", data))

    second = run_action("catalog:register", context(tmp_path / "two", data))

    assert second == first
    assert Location.objects.filter(managed=False).count() == 1
    assert Entity.objects.count() == 1


def test_catalog_register_reads_a_repository_published_on_github(tmp_path, github_fake):
    ctx = context(tmp_path / "publish", {"repoUrl": "github.com?owner=acme&repo=orders", "defaultBranch": "main"})
    write_files(ctx.workspace, {"catalog-info.yaml": COMPONENT})
    outputs = run_action("publish:github", ctx)

    result = run_action("catalog:register", context(tmp_path, {"repoContentsUrl": outputs["repoContentsUrl"]}))

    assert result == {
        "entityRef": "component:default/Orders",
        "catalogInfoUrl": "https://github.com/acme/orders/blob/main/catalog-info.yaml",
    }
    assert "/repos/acme/orders/contents/catalog-info.yaml" in github_fake.paths_requested()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "catalog:register needs catalogInfoUrl, or repoContentsUrl (and catalogInfoPath)"),
        (
            {"catalogInfoUrl": "file:/etc/passwd"},
            "catalog:register reads files on the server only from SCAFFOLDER_GIT_CHECKOUT_DIR",
        ),
        (
            {"catalogInfoUrl": "ftp://example.com/catalog-info.yaml"},
            "ftp://example.com/catalog-info.yaml is neither an http(s) URL nor a file: URL of a published repository",
        ),
        (
            {"catalogInfoUrl": "https://example.com/catalog-info.yaml"},
            "Reading https://example.com/catalog-info.yaml is not allowed: the host example.com is not in "
            "CATALOG_URL_ALLOWED_HOSTS",
        ),
    ],
)
def test_catalog_register_refuses_what_it_may_not_read_and_registers_nothing(tmp_path, data, message):
    with pytest.raises(ActionError) as raised:
        run_action("catalog:register", context(tmp_path, data))

    assert str(raised.value) == message
    assert Location.objects.filter(managed=False).count() == 0


def test_catalog_register_fails_when_the_file_cannot_be_read(tmp_path, scaffolder_dirs):
    missing = scaffolder_dirs / "git-checkouts" / "acme" / "nothing" / "catalog-info.yaml"

    with pytest.raises(ActionError) as raised:
        run_action("catalog:register", context(tmp_path, {"catalogInfoUrl": f"file:{missing}"}))

    assert str(raised.value).startswith(f"{missing} does not exist")
    assert Entity.objects.count() == 0


def test_an_optional_catalog_register_only_warns(tmp_path):
    ctx = context(tmp_path, {"catalogInfoUrl": "file:/etc/passwd", "optional": True})

    assert run_action("catalog:register", ctx) == {}

    assert RunEvent.objects.get().body == {
        "message": "Not registered (optional): catalog:register reads files on the server only from "
        "SCAFFOLDER_GIT_CHECKOUT_DIR",
        "stepId": "step",
        "level": "warning",
    }


def test_catalog_register_in_a_dry_run_registers_nothing(tmp_path):
    outputs = published(tmp_path)
    ctx = context(tmp_path, {"catalogInfoUrl": outputs["catalogInfoUrl"]}, dry_run=True)

    assert run_action("catalog:register", ctx) == {"catalogInfoUrl": outputs["catalogInfoUrl"]}

    assert Location.objects.filter(managed=False).count() == 0


def test_catalog_write_writes_the_entity_as_yaml(tmp_path):
    entity = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "orders"}}
    ctx = context(tmp_path, {"entity": entity, "filePath": "meta/catalog-info.yaml"})

    run_action("catalog:write", ctx)

    assert list(tree(ctx.workspace)) == ["meta/catalog-info.yaml"]
    assert yaml.safe_load((ctx.workspace / "meta" / "catalog-info.yaml").read_text()) == entity


def test_catalog_write_refuses_a_path_outside_the_workspace(tmp_path):
    ctx = context(tmp_path, {"entity": {"kind": "Component"}, "filePath": "../catalog-info.yaml"})

    with pytest.raises(PathError) as raised:
        run_action("catalog:write", ctx)

    assert str(raised.value) == "filePath '../catalog-info.yaml' leaves the workspace"
    assert not (tmp_path / "task" / "catalog-info.yaml").exists()


def test_catalog_write_refuses_to_write_through_a_symbolic_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    ctx = context(tmp_path, {"entity": {"kind": "Component"}, "filePath": "docs/catalog-info.yaml"})
    (ctx.workspace / "docs").symlink_to(outside)

    with pytest.raises(ActionError) as raised:
        run_action("catalog:write", ctx)

    assert str(raised.value) == "refusing to write through the symbolic link 'docs' in the workspace"
    assert list(outside.iterdir()) == []


def test_catalog_write_needs_an_entity(tmp_path):
    with pytest.raises(ActionError) as raised:
        run_action("catalog:write", context(tmp_path, {"filePath": "x.yaml"}))

    assert str(raised.value) == "Invalid input passed to action catalog:write: input.entity is required"
