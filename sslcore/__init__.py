"""sslcore: the companion package to 'Understanding Representation Learnability of Nonlinear
Self-Supervised Learning' (Yang, Li, Jiang, Li, AAAI 2023).

One module per idea: ``config`` (validated settings), ``data`` (distribution, augmentation),
``initialization``, ``models`` (objectives and gradients), ``training`` (vectorized gradient
ascent/descent), ``reference`` (the authors' random stream), ``analysis`` (projections and
summaries), ``theory`` and ``ift`` (critical points and the inverse-function-theorem
certificate), ``plots``, ``widgets``.
"""
from .config import SLConfig, SSLConfig
from .training import Run, train, train_sl, train_ssl

__all__ = ["SSLConfig", "SLConfig", "Run", "train", "train_ssl", "train_sl"]
__version__ = "0.1.0"
