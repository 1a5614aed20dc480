"""mlpgui: train the course's two-layer network on MNIST and look inside it.

`mlpgui.core` holds everything that computes (no Qt); `mlpgui.qt` the window;
`mlpgui.cli` the command line. The compiled kernels live in `mlpgui._core`.
"""

__version__ = "0.1.0"
