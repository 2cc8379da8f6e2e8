"""Export an experiment as a standalone, readable Keras script (no tuitrain needed to run it).

Pure text generation: nothing here imports TensorFlow or Keras.
"""

from tuitrain.export.script import ExportError, render_script

__all__ = ["ExportError", "render_script"]
