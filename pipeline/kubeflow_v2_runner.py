"""Compiles the coarseseg pipeline for Kubeflow Pipelines (v2 PipelineSpec YAML).

    python pipeline/kubeflow_v2_runner.py            # writes coarseseg_pipeline.yaml

then submit it (TFX 1.16's `tfx pipeline create --engine kubeflow` imports a removed
v1 runner and fails; compiling and submitting with the KFP SDK works):

    import kfp
    kfp.Client(host="https://MY_KFP_HOST").create_run_from_pipeline_package(
        "coarseseg_pipeline.yaml", arguments={})

The spec carries ``configs.KUBEFLOW_PIPELINE_ROOT`` as its ``defaultPipelineRoot``, so a
run submitted without ``pipeline_root=`` writes its artifacts there. (TFX puts the root
only in a PipelineJob's runtime config, which its YAML output leaves out.)

The image (``configs.KUBEFLOW_IMAGE``) is the repository's Dockerfile built and pushed;
paths are ``configs.KUBEFLOW_*`` (gs:// or any filesystem TensorFlow reads).
"""
import os
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tfx import v1 as tfx  # noqa: E402

from pipeline import configs  # noqa: E402
from pipeline import pipeline as pipeline_definition  # noqa: E402


def compile_pipeline(output_file: str = configs.KUBEFLOW_OUTPUT_FILE, image: str = configs.KUBEFLOW_IMAGE,
                     pipeline_root: str = configs.KUBEFLOW_PIPELINE_ROOT) -> str:
    """Writes the KFP v2 PipelineSpec as YAML, with ``pipeline_root`` as its default root;
    returns its path."""
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image=image))
    job = runner.run(pipeline_definition.create_pipeline(
        **configs.SHARED_SETTINGS,
        pipeline_root=pipeline_root,
        data_root=configs.KUBEFLOW_DATA_ROOT,
        serving_model_dir=f"{configs.KUBEFLOW_SERVING_MODEL_BASE}/{configs.MODEL_NAME}"), write_out=False)
    spec = job["pipelineSpec"]
    spec["defaultPipelineRoot"] = job["runtimeConfig"]["gcsOutputDirectory"]
    with open(output_file, "w") as f:
        yaml.safe_dump(spec, f, sort_keys=True)
    return output_file


if __name__ == "__main__":
    print(f"wrote {compile_pipeline()}")
