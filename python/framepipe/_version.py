"""The package version: deno.json's "version" (tests/python_package_test.ts checks they match)."""

__version__ = "0.1.0"
