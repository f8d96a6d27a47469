"""cnnv3 training package: the CNN v3 U-Net with FiLM (shared/SPEC.md), its input features,
conditioned target recipes, the sample-directory dataset and the model file writer/reader.

Put `training/` on sys.path and `import cnnv3`; the scripts in `training/` do that themselves.
"""

from .model import CNNv3, avgpool2, up2, film_size, conv_weight_count, quantize_conv_f16_  # noqa: F401
