"""Compiles the coarseseg pipeline for Kubeflow Pipelines (v2 PipelineSpec YAML).

    python pipeline/kubeflow_v2_runner.py            # writes coarseseg_pipeline.yaml

then submit it (TFX 1.16's `tfx pipeline create --engine kubeflow` imports a removed
v1 runner and fails; compiling and submitting with the KFP SDK works):

    import kfp
    kfp.Client(host="https://MY_KFP_HOST").create_run_from_pipeline_package(
        "coarseseg_pipeline.yaml", arguments={})

The image (``configs.KUBEFLOW_IMAGE``) is the repository's Dockerfile built and pushed;
paths are ``configs.KUBEFLOW_*`` (gs:// or any filesystem TensorFlow reads).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tfx import v1 as tfx  # noqa: E402

from pipeline import configs  # noqa: E402
from pipeline import pipeline as pipeline_definition  # noqa: E402


def compile_pipeline(output_file: str = configs.KUBEFLOW_OUTPUT_FILE, image: str = configs.KUBEFLOW_IMAGE) -> str:
    """Writes the KFP v2 pipeline spec; returns its path (YAML when it ends in .yaml)."""
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image=image),
        output_dir=os.path.dirname(os.path.abspath(output_file)),
        output_filename=os.path.basename(output_file))
    runner.run(pipeline_definition.create_pipeline(
        **configs.SHARED_SETTINGS,
        pipeline_root=configs.KUBEFLOW_PIPELINE_ROOT,
        data_root=configs.KUBEFLOW_DATA_ROOT,
        serving_model_dir=f"{configs.KUBEFLOW_SERVING_MODEL_BASE}/{configs.MODEL_NAME}"))
    return output_file


if __name__ == "__main__":
    print(f"wrote {compile_pipeline()}")
