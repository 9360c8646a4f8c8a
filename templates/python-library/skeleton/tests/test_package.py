from importlib.metadata import metadata
from importlib.resources import files

import ${{ values.packageName }}


def test_the_version_is_the_installed_distributions():
    assert ${{ values.packageName }}.__version__ == metadata("${{ values.name }}")["Version"] == "0.1.0"


def test_the_package_declares_its_inline_types():
    assert files(${{ values.packageName }}).joinpath("py.typed").is_file()
