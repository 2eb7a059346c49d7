"""setup.py -- the civsearch package: pure Python (civsearch/) plus the cffi
extension civsearch._civsearch that build_civsearch.py describes (against
the checkout's build/libcivsearch.a, else pkg-config civsearch).

    make && pip install --no-build-isolation --no-deps ./python   # README, "Python"
"""
from setuptools import setup

setup(
    name="civsearch",
    version="0.1.0",
    description="Full-text search for multilingual (English, Russian, Cyrillic) texts: "
                "the Python binding of libcivsearch",
    license="MIT",
    packages=["civsearch"],
    package_data={"civsearch": ["__init__.pyi", "py.typed"]},
    python_requires=">=3.8",
    setup_requires=["cffi>=1.15"],
    install_requires=["cffi>=1.15"],
    cffi_modules=["build_civsearch.py:ffibuilder"],
    zip_safe=False,
)
