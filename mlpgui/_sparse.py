"""The sparse kernels (ext/_sparse.pyx) in the build chosen for this CPU (`mlpgui._kernels`).

Importing this module gives that build's compiled module itself.
"""

import sys

from ._kernels import load

sys.modules[__name__] = load("_sparse")
