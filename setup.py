"""Packaging for sievenet-tf (``pip install -e .[dev]``)."""

from setuptools import find_packages, setup

setup(
    name="sievenet-tf",
    version="0.1.0",
    description=(
        "SieveNet image-based virtual try-on in TensorFlow / Keras 3: "
        "training on tf.distribute, SavedModel and LiteRT export."
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10,<3.13",
    packages=find_packages(include=["sievenet_tf", "sievenet_tf.*"]),
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "keras>=3.10,<4",
        "numpy>=1.26,<3",
        "opencv-python-headless>=4.9",
        "ai-edge-litert>=2.0,<3",
        # Parse PNGs are palette images whose pixel values are label ids;
        # Pillow reads them as ids where TF and OpenCV expand the palette.
        "pillow>=10",
        # tf.summary needs it; tensorflow 2.21 no longer installs it.
        "tensorboard>=2.20",
    ],
    extras_require={
        "dev": [
            "pytest>=8",
            "pytest-xdist>=3.5",
            "ruff>=0.5",
            # Property-based tests: readers fed generated pose and pairs files.
            "hypothesis>=6.100",
            # Drives the system's Chromium in the browser tests (tests/web); no
            # browser is downloaded (web_demo/tools/browser.py).
            "playwright>=1.49,<2",
        ],
        # FID and LPIPS as papers compute them (sievenet_tf/field_metrics.py); ~5.6 GB.
        "metrics": [
            # The runtime of the two reference packages; the pair tested together.
            "torch>=2.14,<2.15",
            # lpips' AlexNet/VGG16 backbones; pytorch-fid builds its Inception from it.
            "torchvision>=0.29,<0.30",
            # FID: the TF FID Inception graph (pt_inception-2015-12-05) ported to PyTorch.
            "pytorch-fid>=0.3,<0.4",
            # LPIPS v0.1 (Zhang et al. 2018); its learned linear heads ship in the package.
            "lpips>=0.1.4,<0.2",
        ],
    },
    entry_points={
        "console_scripts": [
            "sievenet-data=sievenet_tf.data.cli:main",
            "sievenet-tryon=sievenet_tf.inference_cli:main",
        ]
    },
)
