"""Model backends and the worker-process client. torch/transformers are imported only inside backends."""
