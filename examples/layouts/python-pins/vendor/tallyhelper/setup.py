"""The tally helper: on Python 3.13 and newer it has no pure-Python fallback and builds C speedups
against a header this system does not have, as an old pin without a wheel for 3.13 does."""
import sys

from setuptools import Extension, setup

extensions = []
if sys.version_info >= (3, 13):
    extensions = [Extension("tallyhelper._speedups", ["src/speedups.c"])]

setup(name="tallyhelper", version="0.9.1", packages=["tallyhelper"], ext_modules=extensions)
