"""Model evaluation: the TFMA mean-IoU metric and the EvalConfig the pipeline's Evaluator uses."""
