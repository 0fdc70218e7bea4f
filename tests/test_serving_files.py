"""serving/: models.config parses as TF Serving's ModelServerConfig and the deployment files agree with it."""
import os

import pytest
import yaml
from google.protobuf import text_format

from pipeline.configs import MODEL_NAME

ROOT = os.path.join(os.path.dirname(__file__), "..")
SERVING = os.path.join(ROOT, "serving")


def _config(text):
    from tensorflow_serving.config import model_server_config_pb2
    return text_format.Parse(text, model_server_config_pb2.ModelServerConfig())


@pytest.fixture(scope="module")
def config():
    with open(os.path.join(SERVING, "models.config")) as f:
        return _config(f.read()).model_config_list.config[0]


def _yaml(*path):
    with open(os.path.join(SERVING, *path)) as f:
        return list(yaml.safe_load_all(f))


def test_models_config_names_the_pipeline_model(config):
    assert config.name == MODEL_NAME
    assert config.base_path == f"/models/{config.name}"
    assert config.model_platform == "tensorflow"
    assert config.model_version_policy.latest.num_versions >= 2
    assert set(config.version_labels) == {"stable", "canary"}


def test_compose_runs_the_official_image_on_the_config(config):
    service = _yaml("docker-compose.yaml")[0]["services"]["tf-serving"]
    assert service["image"].startswith("tensorflow/serving:")
    assert "8501:8501" in service["ports"]
    mounts = dict(volume.rsplit(":", 2)[:2] for volume in service["volumes"])  # source:target:ro
    assert mounts["./models.config"] == "/config/models.config"
    assert "/models" in mounts.values() and config.base_path.startswith("/models/")
    assert "--model_config_file=/config/models.config" in service["command"]
    assert "--rest_api_port=8501" in service["command"]


def test_kubernetes_deployment_probes_a_loaded_version(config):
    (configmap,) = _yaml("k8s", "configmap.yaml")
    with open(os.path.join(SERVING, "models.config")) as f:
        assert _config(configmap["data"]["models.config"]) == _config(f.read()), \
            "k8s/configmap.yaml must hold the same models.config"
    (deployment,) = _yaml("k8s", "deployment.yaml")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("tensorflow/serving:")
    probe = container["readinessProbe"]["httpGet"]
    # the status URL would answer 200 with state END after a version is unloaded
    assert probe["path"] == f"/v1/models/{config.name}/metadata"
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports[probe["port"]] == 8501
    assert "--model_config_file=/config/models.config" in container["args"]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["config"]["configMap"]["name"] == configmap["metadata"]["name"]
    (service,) = _yaml("k8s", "service.yaml")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert {p["port"] for p in service["spec"]["ports"]} == {8501, 8500}
