"""docker/compose.yaml: replicas of the API behind one load balancer, every published
port on loopback, Prometheus scraping each replica (the file is parsed, not run: there is
no Docker engine here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"


def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def test_every_published_port_is_on_loopback() -> None:
    for name, service in compose()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_the_api_scales_behind_the_load_balancer() -> None:
    services = compose()["services"]
    api, lb = services["api"], services["lb"]
    assert "ports" not in api  # replicas cannot share a host port
    assert api["deploy"]["replicas"] == "${IDGRAPH_API_REPLICAS:-1}"
    assert lb["ports"] == ["127.0.0.1:8000:8000"]
    config = (DOCKER / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    assert "server api:8000 resolve;" in config
    mounted = {volume.split(":")[0] for volume in lb["volumes"]}
    assert "./nginx/nginx.conf" in mounted


def test_prometheus_scrapes_every_replica() -> None:
    config = yaml.safe_load((DOCKER / "prometheus" / "prometheus.yml").read_text("utf-8"))
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "idgraph"]
    assert job["dns_sd_configs"] == [
        {"names": ["api"], "type": "A", "port": 8000, "refresh_interval": "15s"}
    ]
