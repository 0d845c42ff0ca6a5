"""imgbench core: data sets, storage backends and (later) the benchmark engine.

Nothing in here imports a UI library; the front ends live in ``imgbench.tui``.
"""

__version__ = "0.1.0"
