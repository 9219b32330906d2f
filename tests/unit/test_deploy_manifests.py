"""deploy/ runs what exists: every IRM_* variable the manifests and compose set is a setting
some irm process reads, and every command they run is an `irm` command with those options.
Their schemas are checked by `.ci/deploy-check` (kubernetes-validate, promtool)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.core
import typer.main
import yaml

from services.cli.main import app
from services.incident_api.app import create_app
from services.incident_api.settings import ApiSettings
from services.notifier.settings import NotifierSettings
from services.projector.settings import ProjectorSettings
from shared.settings import CommonSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
DEPLOYED_COMMANDS = {"api", "projector", "notifier", "migrate"}


def settings_names() -> set[str]:
    """Every environment variable some irm process reads: IRM_ and a settings field."""
    classes = (CommonSettings, ApiSettings, ProjectorSettings, NotifierSettings)
    return {f"IRM_{name.upper()}" for cls in classes for name in cls.model_fields}


def k8s_documents() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every Kubernetes object in deploy/k8s, with the file it is in."""
    for path in sorted(K8S.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                yield path.name, document


def containers() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every container of every workload in deploy/k8s."""
    for name, document in k8s_documents():
        if document["kind"] in {"Deployment", "Job"}:
            for container in document["spec"]["template"]["spec"]["containers"]:
                yield f"{name}:{container['name']}", container


def compose_services() -> dict[str, dict[str, Any]]:
    """deploy/compose.yaml's services, with the YAML anchors merged."""
    services: dict[str, dict[str, Any]] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def irm_variables_set() -> dict[str, set[str]]:
    """Every IRM_* variable deploy/ sets, with where it is set."""
    where: dict[str, set[str]] = {}
    for name, document in k8s_documents():
        if document["kind"] == "ConfigMap":
            for key in document["data"]:
                where.setdefault(key, set()).add(name)
    for name, container in containers():
        for variable in container.get("env", []):
            where.setdefault(variable["name"], set()).add(name)
    for name, service in compose_services().items():
        for key in service.get("environment", {}):
            where.setdefault(key, set()).add(f"compose.yaml:{name}")
    return {key: places for key, places in where.items() if key.startswith("IRM_")}


def irm_invocations() -> Iterator[tuple[str, list[str]]]:
    """The arguments each irm container and compose service passes to the `irm` entry point."""
    for name, container in containers():
        assert container["image"] == "irm", f"{name} runs another image"
        yield name, [str(a) for a in container["args"]]
    for name, service in compose_services().items():
        if service.get("image", "").startswith("irm"):
            yield f"compose.yaml:{name}", [str(a) for a in service["command"]]


def test_every_irm_variable_deploy_sets_is_a_real_setting() -> None:
    set_here = irm_variables_set()
    assert "IRM_DATABASE_URL" in set_here
    unknown = {
        key: sorted(places) for key, places in set_here.items() if key not in settings_names()
    }
    assert unknown == {}, "deploy/ sets variables no irm process reads"


def test_the_database_url_comes_from_the_secret_in_every_k8s_workload() -> None:
    for name, container in containers():
        url = [v for v in container.get("env", []) if v["name"] == "IRM_DATABASE_URL"]
        assert url, f"{name} has no IRM_DATABASE_URL"
        assert url[0]["valueFrom"]["secretKeyRef"] == {"name": "irm-database", "key": "url"}


def test_every_command_deploy_runs_exists_with_its_options() -> None:
    cli = typer.main.get_command(app)
    assert isinstance(cli, typer.core.TyperGroup)
    ran: set[str] = set()
    for name, args in irm_invocations():
        command = cli.commands.get(args[0])
        assert command is not None, f"{name} runs `irm {args[0]}`, which does not exist"
        options = {opt for param in command.params for opt in param.opts}
        flags = {a for a in args[1:] if a.startswith("--")}
        assert flags <= options, f"{name}: `irm {args[0]}` has no {sorted(flags - options)}"
        ran.add(args[0])
    assert ran == DEPLOYED_COMMANDS


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_every_workload_runs_as_non_root_with_resources(kind: str) -> None:
    workloads = [(name, d) for name, d in k8s_documents() if d["kind"] == kind]
    assert workloads
    for name, document in workloads:
        pod = document["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name


def listens_on(container: dict[str, Any]) -> tuple[str, int]:
    """The address and port a container's irm process serves HTTP on: the API's from its
    arguments, a follower's from its IRM_<PROCESS>_HEALTH_HOST and _PORT."""
    args = [str(a) for a in container["args"]]
    if args[0] == "api":
        return args[args.index("--host") + 1], int(args[args.index("--port") + 1])
    env = {v["name"]: v.get("value") for v in container["env"]}
    prefix = f"IRM_{args[0].upper()}_HEALTH_"
    return str(env[prefix + "HOST"]), int(env[prefix + "PORT"])


def test_every_deployment_is_probed_on_readyz_and_healthz_where_it_listens() -> None:
    probed = set()
    for name, document in k8s_documents():
        if document["kind"] != "Deployment":
            continue
        [container] = document["spec"]["template"]["spec"]["containers"]
        host, port = listens_on(container)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert host == "0.0.0.0", f"{name}: the kubelet cannot reach {host}"  # noqa: S104
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        for probe in ("readinessProbe", "livenessProbe"):
            assert ports[container[probe]["httpGet"]["port"]] == port, f"{name}: {probe}"
        probed.add(container["args"][0])
    assert probed == {"api", "projector", "notifier"}


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests - {"secret.example.yaml"}


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    """The objects of one kind in deploy/k8s, by name."""
    return {d["metadata"]["name"]: d for _, d in k8s_documents() if d["kind"] == kind}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """Whether a matchLabels selector picks an object with `labels`."""
    return selector.items() <= labels.items()


def test_every_deployment_is_spread_over_nodes_and_kept_up_by_a_disruption_budget() -> None:
    budgets = by_kind("PodDisruptionBudget").values()
    for name, deployment in by_kind("Deployment").items():
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        [spread] = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert spread["topologyKey"] == "kubernetes.io/hostname", name
        assert selects(spread["labelSelector"]["matchLabels"], pod_labels), name
        guarding = [b for b in budgets if selects(b["spec"]["selector"]["matchLabels"], pod_labels)]
        assert len(guarding) == 1, f"{name} has {len(guarding)} PodDisruptionBudgets"
        assert guarding[0]["spec"]["minAvailable"] < deployment["spec"]["replicas"], name


def test_the_api_is_reached_through_its_service_ingress_and_network_policy() -> None:
    [api] = [d for d in by_kind("Deployment").values() if d["metadata"]["name"] == "irm-api"]
    [container] = api["spec"]["template"]["spec"]["containers"]
    container_ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    service = by_kind("Service")["irm-api"]
    assert selects(service["spec"]["selector"], api["spec"]["template"]["metadata"]["labels"])
    [service_port] = service["spec"]["ports"]
    assert service_port["targetPort"] in container_ports

    [rule] = by_kind("Ingress")["irm-api"]["spec"]["rules"]
    backends = [p["backend"]["service"] for p in rule["http"]["paths"]]
    assert backends == [{"name": "irm-api", "port": {"name": service_port["name"]}}]

    [policy] = by_kind("NetworkPolicy").values()
    opened = {p["port"] for i in policy["spec"]["ingress"] for p in i["ports"]}
    assert opened == set(container_ports.values())

    hpa = by_kind("HorizontalPodAutoscaler")["irm-api"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "irm-api",
    }
    assert hpa["minReplicas"] >= 2


def test_the_service_monitor_scrapes_the_apis_metrics() -> None:
    overlay = K8S / "prometheus-operator"
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    assert kustomization["resources"] == ["..", "servicemonitor.yaml"]
    monitor = yaml.safe_load((overlay / "servicemonitor.yaml").read_text())
    service = by_kind("Service")["irm-api"]

    assert (monitor["apiVersion"], monitor["kind"]) == (
        "monitoring.coreos.com/v1",
        "ServiceMonitor",
    )
    assert selects(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == create_app(ApiSettings()).url_path_for("prometheus_metrics")


def test_compose_monitoring_loads_the_rules_and_provisions_the_dashboard() -> None:
    services = compose_services()
    monitoring = {n for n, s in services.items() if "monitoring" in s.get("profiles", [])}
    assert monitoring == {"prometheus", "grafana"}

    def mounts(service: str) -> dict[str, Path]:
        pairs = (v.split(":")[:2] for v in services[service]["volumes"] if v.startswith("./"))
        return {inside: (DEPLOY / outside).resolve() for outside, inside in pairs}

    prometheus = mounts("prometheus")
    config = yaml.safe_load(prometheus["/etc/prometheus/prometheus.yml"].read_text())
    [rules] = config["rule_files"]
    assert prometheus[rules] == DEPLOY / "prometheus" / "rules.yaml"
    [job] = config["scrape_configs"]
    assert job["dns_sd_configs"] == [
        {"names": ["api"], "type": "A", "port": 8000, "refresh_interval": "30s"}
    ]
    assert "8000" in services["api"]["command"]

    grafana = mounts("grafana")
    provider = yaml.safe_load(grafana["/etc/grafana/provisioning/dashboards/irm.yaml"].read_text())
    [dashboards] = provider["providers"]
    assert (grafana[dashboards["options"]["path"]] / "irm.json").is_file()
    sources = yaml.safe_load(grafana["/etc/grafana/provisioning/datasources/irm.yaml"].read_text())
    assert [s["url"] for s in sources["datasources"]] == ["http://prometheus:9090"]
