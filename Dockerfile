# Image for the coarseseg pipeline on Kubeflow Pipelines (pipeline/kubeflow_v2_runner.py).
# TFX's base image already holds TFX 1.16 and its entrypoint; we add this package, the
# rest of the pinned stack, and the repository (for the `components` and `pipeline` packages).
#   docker build -t gcr.io/MY_PROJECT/coarseseg-pipeline:latest .
#   docker push gcr.io/MY_PROJECT/coarseseg-pipeline:latest
FROM tensorflow/tfx:1.16.0

WORKDIR /pipeline
COPY pyproject.toml constraints.txt README.md ./
COPY coarseseg_tf ./coarseseg_tf
RUN python -m pip install --no-cache-dir -c constraints.txt ".[pipeline]"
COPY components ./components
COPY pipeline ./pipeline
ENV PYTHONPATH=/pipeline
