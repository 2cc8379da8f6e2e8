"""Hyperparameter search (sweeps), headless: no TensorFlow here, and Optuna only where it samples."""
