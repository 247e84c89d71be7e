"""The generated container and delivery files pass the validators their users' CI would run.

Every check is offline: validators use their bundled schemas and rules.
"""

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ANSWER_SETS, run
from tests.matrix import answer

K8S = Path("deploy", "k8s", "base")
WORKFLOWS = Path(".github", "workflows")
# The UID the Dockerfile creates and Kubernetes is told to expect.
APP_UID = 10001


def answer_sets_where(option: str, *values: object) -> pytest.MarkDecorator:
    """The answer sets whose bake has the files these tests check."""
    return pytest.mark.parametrize(
        "answer_set",
        [
            name
            for name, answers in ANSWER_SETS.items()
            if answer(answers, option) in values
        ],
    )


answer_sets = pytest.mark.parametrize("answer_set", list(ANSWER_SETS))
with_docker = answer_sets_where("deploy", "kubernetes", "docker")
with_kubernetes = answer_sets_where("deploy", "kubernetes")
with_github = answer_sets_where("ci", "github")


def workflows(project: Path) -> list[str]:
    return sorted(
        str(path.relative_to(project)) for path in (project / WORKFLOWS).glob("*.yml")
    )


def k8s_manifests(project: Path) -> list[Path]:
    return sorted(
        path
        for path in (project / K8S).glob("*.yaml")
        if path.name != "kustomization.yaml"
    )


def pod_specs(project: Path) -> list[dict[str, Any]]:
    """The pod templates of the workloads: the Deployment and the migration Job."""
    manifests = [yaml.safe_load(path.read_text()) for path in k8s_manifests(project)]
    return [
        manifest["spec"]["template"]["spec"]
        for manifest in manifests
        if manifest["kind"] in {"Deployment", "Job"}
    ]


@with_docker
def test_dockerfile_passes_hadolint(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    project = bake(answer_set)

    run(["hadolint", "--failure-threshold", "style", "Dockerfile"], cwd=project)


@with_docker
def test_compose_matches_the_compose_spec(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    project = bake(answer_set)

    run(
        ["check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml"],
        cwd=project,
    )


@with_github
def test_workflow_matches_the_schema(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    project = bake(answer_set)

    run(
        [
            "check-jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *workflows(project),
        ],
        cwd=project,
    )


@with_github
def test_workflow_passes_actionlint(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    project = bake(answer_set)

    run(["actionlint", "-no-color", *workflows(project)], cwd=project)


@with_github
def test_workflow_passes_zizmor(bake: Callable[[str], Path], answer_set: str) -> None:
    project = bake(answer_set)

    run(["zizmor", "--offline", "--no-progress", *workflows(project)], cwd=project)


@with_kubernetes
def test_k8s_manifests_are_strictly_valid(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    project = bake(answer_set)

    run(
        ["kubernetes-validate", "--strict", *map(str, k8s_manifests(project))],
        cwd=project,
    )


@with_kubernetes
def test_kustomization_lists_every_manifest(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    project = bake(answer_set)

    kustomization = yaml.safe_load((project / K8S / "kustomization.yaml").read_text())

    assert sorted(kustomization["resources"]) == [
        path.name for path in k8s_manifests(project)
    ]


@with_kubernetes
def test_kustomization_sets_every_image(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    project = bake(answer_set)

    kustomization = yaml.safe_load((project / K8S / "kustomization.yaml").read_text())
    images = {
        container["image"]
        for spec in pod_specs(project)
        for container in spec["containers"]
    }

    assert images == {image["name"] for image in kustomization["images"]}


@with_kubernetes
def test_pods_run_as_the_image_user(
    bake: Callable[[str], Path], answer_set: str
) -> None:
    project = bake(answer_set)

    dockerfile = (project / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    contexts = [spec["securityContext"] for spec in pod_specs(project)]

    assert users[-1] == str(APP_UID)
    assert len(contexts) == 2
    assert {(c["runAsUser"], c["runAsNonRoot"]) for c in contexts} == {(APP_UID, True)}


@answer_sets
def test_yaml_passes_yamllint(bake: Callable[[str], Path], answer_set: str) -> None:
    project = bake(answer_set)

    run(["yamllint", "--strict", "."], cwd=project)


# PostgreSQL's defaults: max_connections, less superuser_reserved_connections.
SERVER_CONNECTIONS = 100 - 3


@pytest.mark.parametrize("overlay", ["staging", "production"])
def test_the_deployment_stays_inside_the_connection_budget(
    bake: Callable[[str], Path], overlay: str
) -> None:
    """Every pod at the HPA's maximum, plus the rollout's surge, plus the jobs."""
    project = bake("defaults")
    rendered = run(
        [
            "kubectl",
            "kustomize",
            str(project / "deploy" / "k8s" / "overlays" / overlay),
        ],
        cwd=project,
    ).stdout
    manifests = {doc["kind"]: doc for doc in yaml.safe_load_all(rendered) if doc}
    settings = manifests["ConfigMap"]["data"]
    max_pods = manifests["HorizontalPodAutoscaler"]["spec"]["maxReplicas"]
    surge = manifests["Deployment"]["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    surge_pods = math.ceil(max_pods * int(surge.rstrip("%")) / 100)
    per_process = int(settings["DB_POOL_SIZE"]) + int(settings["DB_MAX_OVERFLOW"])
    # The migration Job and the purge CronJob (Forbid: one at a time) hold one each.
    jobs = sum(kind in manifests for kind in ("Job", "CronJob"))

    budget = (max_pods + surge_pods) * int(settings["WORKERS"]) * per_process + jobs

    assert budget <= SERVER_CONNECTIONS, (overlay, budget)
    if overlay == "production":  # the base's numbers, as the configmap adds them up
        comment = " ".join((project / K8S / "configmap.yaml").read_text().split())
        assert f"{budget} in all" in comment
